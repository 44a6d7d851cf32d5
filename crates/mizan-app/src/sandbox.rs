//! The privacy-safe data sandbox (issue #19): differentially private queries on a restricted
//! dataset version, under a privacy budget spent in the open.
//!
//! A steward of the publisher sets the version's [`mizan_dp::Settings`] (the privacy unit, the
//! bound on each unit's rows, the columns with their bounds and categories, the budgets); Mizan
//! then builds the bounded columnar table once, from one CSV file of the version, and keeps it
//! among the dataset files. A sandbox project is a `data-access` request of kind `sandbox`
//! ([`crate::dataset_access`]): approved by a steward, it lets its applicant and members (and
//! their tokens) ask queries until the agreement ends.
//!
//! A query is planned from the settings alone (a refusal never reads the data); its spend is
//! checked against the project's budget and recorded with its `dp-spend` event in one write
//! transaction ([`mizan_store::Store::record_spend`]); only then is the table read and the
//! noisy answer released. A spend whose answer then fails stays spent: the budget errs on the
//! side of the people in the data. Events under `dataset:<slug>` are public once the dataset
//! is, so anyone can add up a version's spends from the events log and its proofs.

use std::io::BufReader;

use mizan_catalog::{AccessTier, FileFormat, Source};
use mizan_dp::{Answer, Query, Settings};
use mizan_store::{
    AccessToken, NewSandboxSettings, NewSpend, Principal, Spend, Spender, StoredCase, StoredSandboxSettings,
    SyntheticSample,
};
use time::OffsetDateTime;

use crate::dataset_access::{DATA_ACCESS, RequestTerms, columns_of, expiry, parse_terms, roles, subject_of};
use crate::datasets::DatasetView;
use crate::{Error, Platform};

/// Rows in a synthetic sample: fixed, so that its length says nothing about the data.
pub const SYNTHETIC_ROWS: usize = 10_000;

/// Settings as a steward sends them: the CSV file to build from, and the settings.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct SandboxSettingsIn {
    /// The version's CSV file the table is built from.
    pub file: String,
    /// The settings.
    pub settings: Settings,
}

/// A version's sandbox: its settings in force and what was spent under them.
#[derive(Debug, Clone)]
pub struct Sandbox {
    /// As stored (with the exact row counts, for the steward only).
    pub stored: StoredSandboxSettings,
    /// The settings.
    pub settings: Settings,
    /// The synthetic sample, once made.
    pub synthetic: Option<SyntheticSample>,
    /// Every spend under these settings, oldest first.
    pub spends: Vec<Spend>,
}

impl Sandbox {
    /// Total ε spent under these settings, by everyone.
    #[must_use]
    pub fn total_epsilon(&self) -> f64 {
        self.spends.iter().map(|s| s.epsilon).sum()
    }

    /// Total δ spent under these settings, by everyone.
    #[must_use]
    pub fn total_delta(&self) -> f64 {
        self.spends.iter().map(|s| s.delta).sum()
    }

    /// The projects that spent, by case id.
    #[must_use]
    pub fn projects(&self) -> usize {
        let mut ids: Vec<i64> = self.spends.iter().filter_map(|s| s.case_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }
}

/// A project as one of its people sees it.
#[derive(Debug, Clone)]
pub struct Project {
    /// The case.
    pub case: StoredCase,
    /// What was asked.
    pub terms: RequestTerms,
    /// The version's sandbox.
    pub sandbox: Sandbox,
    /// The project's own spends, oldest first.
    pub spends: Vec<Spend>,
    /// When the agreement ends.
    pub expires_at: Option<OffsetDateTime>,
    /// Whether queries may be asked now.
    pub active: bool,
    /// The viewer's role: applicant, member or steward.
    pub role: String,
}

impl Project {
    /// ε and δ spent by the project.
    #[must_use]
    pub fn spent(&self) -> (f64, f64) {
        self.spends.last().map_or((0.0, 0.0), |s| (s.total_epsilon, s.total_delta))
    }

    /// ε and δ left.
    #[must_use]
    pub fn left(&self) -> (f64, f64) {
        let (e, d) = self.spent();
        (
            (self.sandbox.settings.project_epsilon - e).max(0.0),
            (self.sandbox.settings.project_delta - d).max(0.0),
        )
    }
}

/// Who asks a query.
#[derive(Debug, Clone, Copy)]
pub enum Asker<'a> {
    /// A signed-in person.
    Person(&'a Principal),
    /// A project token's secret (`mzd_...`).
    Token(&'a str),
}

/// A released answer and the spend that paid for it.
#[derive(Debug, Clone)]
pub struct Released {
    /// The answer.
    pub answer: Answer,
    /// The spend, as recorded.
    pub spend: Spend,
    /// The project's budget: total ε and δ.
    pub budget: (f64, f64),
}

fn num(x: f64) -> String {
    // Shortest text that reads back as the same number: the events log states exact values.
    format!("{x}")
}

impl Platform {
    /// The sandbox of a version, if its steward opened one.
    ///
    /// # Errors
    /// Database errors; [`Error::Internal`] for stored settings that no longer read.
    pub async fn sandbox_of(&self, view: &DatasetView) -> Result<Option<Sandbox>, Error> {
        let Some(stored) = self.store().sandbox_settings(view.stored.dataset_id, view.stored.version).await?
        else {
            return Ok(None);
        };
        let settings: Settings = serde_json::from_str(&stored.new.settings)
            .map_err(|e| Error::Internal(format!("stored sandbox settings: {e}")))?;
        let synthetic = self.store().synthetic(stored.id).await?;
        let spends = self.store().spends(stored.id, None).await?;
        Ok(Some(Sandbox { stored, settings, synthetic, spends }))
    }

    /// Sets the sandbox settings of version `version` of the organisation's dataset `slug`:
    /// checks them against the data dictionary, builds the bounded table from the named CSV
    /// file, records them, and (with a synthetic budget) spends it and makes the sample.
    ///
    /// # Errors
    /// [`Error::Refused`] without `datasets:access`; [`Error::BadRequest`] naming the setting;
    /// [`Error::Conflict`] for a version that is not restricted, or once budget was spent.
    pub async fn set_sandbox(
        &self,
        p: &Principal,
        slug: &str,
        version: i64,
        input: SandboxSettingsIn,
    ) -> Result<Sandbox, Error> {
        if !p.can("datasets:access") {
            return Err(Error::Refused("sandbox settings need the `datasets:access` permission".into()));
        }
        let user = p.user.as_ref().map(|u| u.id).ok_or_else(|| {
            Error::Refused("sandbox settings are set by a person signed in, not a token".into())
        })?;
        let view = self.org_dataset(p.scope(), slug, Some(version)).await?;
        if view.meta.access != AccessTier::Restricted {
            return Err(Error::Conflict(
                "only a restricted version has a sandbox: an open one's files are public".into(),
            ));
        }
        let mut settings = input.settings;
        let columns = columns_of(&view);
        // The dataset's columns let a plan tell a column that is not there from one not declared.
        settings.dataset_columns.clone_from(&columns);
        settings.validate(&columns).map_err(|e| Error::bad(format!("settings.{}", e.field), e.message))?;
        let Some(file) = view.file(&input.file) else {
            return Err(Error::bad("file", format!("`{}` is not a file of this version", input.file)));
        };
        let (FileFormat::Csv, Source::File { sha256, bytes }) = (file.format, &file.source) else {
            return Err(Error::bad("file", "the sandbox's table is built from a CSV file Mizan keeps"));
        };
        if let Some(s) = self.sandbox_of(&view).await?
            && !s.spends.is_empty()
        {
            return Err(Error::Conflict(
                "privacy budget was already spent under this version's settings, so they can no \
                 longer change; publish a new version to change them"
                    .into(),
            ));
        }
        let _permit = self.heavy_permit()?;
        let (path, _guard) = self.dataset_files().local_copy(sha256).await?;
        // A table holds at most 8 bytes per declared cell, and every cell of the CSV takes at
        // least one byte (its separator): eight times the file, plus the Arrow framing.
        let limit = bytes.saturating_mul(8).saturating_add(4 << 20);
        let mut upload = self.dataset_files().begin("sandbox table", limit)?;
        let s2 = settings.clone();
        let (stats, upload) =
            tokio::task::spawn_blocking(move || build_table(&path, &s2, &mut upload).map(|st| (st, upload)))
                .await
                .map_err(|e| Error::Internal(format!("building the sandbox table stopped: {e}")))??;
        let staged = upload.finish()?;
        let table_sha256 = staged.sha256.clone();
        self.dataset_files().keep(staged).await?;
        let new = NewSandboxSettings {
            dataset_id: view.stored.dataset_id,
            version,
            settings: serde_json::to_string(&settings)
                .map_err(|e| Error::Internal(format!("settings as JSON: {e}")))?,
            file_name: file.name.clone(),
            table_sha256,
            rows_in: i64::try_from(stats.rows_in).unwrap_or(i64::MAX),
            rows_kept: i64::try_from(stats.rows_kept).unwrap_or(i64::MAX),
            units: i64::try_from(stats.units).unwrap_or(i64::MAX),
            set_by: user,
        };
        let settings_id = match self.store().set_sandbox_settings(&new).await {
            Ok(id) => id,
            Err(mizan_store::StoreError::Refused(m)) => return Err(Error::Conflict(m)),
            Err(e) => return Err(e.into()),
        };
        if settings.synthetic_epsilon > 0.0 {
            self.make_synthetic(&view, settings_id, &new, &settings, user).await?;
        }
        self.sandbox_of(&view).await?.ok_or_else(|| Error::Internal("the sandbox just set is missing".into()))
    }

    /// Spends the steward's synthetic budget (recorded first) and makes the sample.
    async fn make_synthetic(
        &self,
        view: &DatasetView,
        settings_id: i64,
        new: &NewSandboxSettings,
        settings: &Settings,
        user: i64,
    ) -> Result<(), Error> {
        let plan = mizan_dp::synthetic_plan(settings).map_err(|r| Error::bad("settings", r.to_string()))?;
        let spend = NewSpend {
            settings_id,
            spender: Spender::Steward,
            user_id: user,
            shape: plan.shape.clone(),
            mechanism: if plan.threshold.is_some() {
                "discrete-laplace-threshold"
            } else {
                "discrete-laplace"
            }
            .to_owned(),
            epsilon: plan.epsilon,
            delta: plan.delta,
            // Paid once, from the steward's own budget: exactly this sample.
            budget: (plan.epsilon, plan.delta),
            org_id: view.stored.org_id,
            subject: subject_of(&view.stored.slug),
            actor_name: roles::STEWARD.to_owned(),
        };
        let version = view.stored.version;
        let (shape, eps, delta) = (plan.shape.clone(), plan.epsilon, plan.delta);
        let reason = move |_: f64, _: f64| {
            format!("dp-spend steward v{version}: {shape}; ε {}, δ {}", num(eps), num(delta))
        };
        let Ok(spent) = self.store().record_spend(&spend, reason).await? else {
            return Err(Error::Conflict("the synthetic sample was already paid for".into()));
        };
        let path = self.dataset_files().cached_copy(&new.table_sha256).await?;
        let mut upload = self.dataset_files().begin("synthetic sample", 64 << 20)?;
        let s2 = settings.clone();
        let (rows, upload) = tokio::task::spawn_blocking(move || {
            let f = std::fs::File::open(&path)
                .map_err(|e| Error::Internal(format!("cannot open the sandbox table: {e}")))?;
            let rows = mizan_dp::synthesize(&s2, BufReader::new(f), SYNTHETIC_ROWS, &mut upload)
                .map_err(|e| Error::Internal(format!("synthetic sample: {e}")))?;
            Ok::<_, Error>((rows, upload))
        })
        .await
        .map_err(|e| Error::Internal(format!("making the synthetic sample stopped: {e}")))??;
        let staged = upload.finish()?;
        let sample = SyntheticSample {
            settings_id,
            spend_id: spent.id,
            sha256: staged.sha256.clone(),
            rows: i64::try_from(rows).unwrap_or(i64::MAX),
            bytes: i64::try_from(staged.bytes).unwrap_or(i64::MAX),
            created_at: mizan_store::format_time(self.now()),
        };
        self.dataset_files().keep(staged).await?;
        self.store().add_synthetic(&sample).await?;
        Ok(())
    }

    /// The project `reference` for whoever asks: its applicant or a member signed in, a
    /// steward of the publisher, or a token of the project.
    ///
    /// # Errors
    /// [`Error::NotFound`] for anyone else, or for a request that is not a sandbox project.
    pub async fn sandbox_project(&self, reference: &str, who: Asker<'_>) -> Result<Project, Error> {
        let not_found = || Error::NotFound(format!("sandbox project `{reference}`"));
        let (case, role) = match who {
            Asker::Person(p) => {
                let v = self.data_access(reference, p).await?;
                (v.case, v.role)
            }
            Asker::Token(secret) => {
                let t = self.project_token(secret).await?.ok_or_else(not_found)?;
                if t.case_reference != reference {
                    return Err(not_found());
                }
                let (case, _) = self.store().case_by_reference(reference).await?;
                (case, roles::MEMBER.to_owned())
            }
        };
        if case.case_type != DATA_ACCESS {
            return Err(not_found());
        }
        let (case, entries) = self.store().case_by_reference(&case.reference).await?;
        let terms = Self::replay(&case, &entries)?
            .and_then(|c| c.history.first().map(parse_terms))
            .ok_or_else(not_found)?;
        if !terms.sandbox {
            return Err(not_found());
        }
        let view = self.public_dataset(&terms.slug, Some(terms.version)).await?;
        let sandbox = self.sandbox_of(&view).await?.ok_or_else(not_found)?;
        let spends = self.store().spends(sandbox.stored.id, Some(Spender::Project(case.id))).await?;
        let expires_at = expiry(&case, &terms);
        let active = expires_at.is_some_and(|e| self.now() < e);
        Ok(Project { case, terms, sandbox, spends, expires_at, active, role })
    }

    /// The unexpired token with this secret, if any.
    async fn project_token(&self, secret: &str) -> Result<Option<AccessToken>, Error> {
        let hash = mizan_store::sha256_hex(secret.trim().as_bytes());
        let Some(t) = self.store().access_token(&hash).await? else { return Ok(None) };
        let expires = OffsetDateTime::parse(&t.expires_at, &time::format_description::well_known::Rfc3339)
            .map_err(|e| Error::Internal(format!("stored token expiry: {e}")))?;
        Ok((self.now() < expires).then_some(t))
    }

    /// Asks `query` of project `reference`: plans it from the settings, records its spend
    /// against the project's budget (with its event), then reads the table and releases the
    /// noisy answer.
    ///
    /// # Errors
    /// As [`Platform::sandbox_project`]; [`Error::Refused`] for a steward, or a project not
    /// approved or ended; [`Error::BadRequest`] (field `query`) for a refused plan;
    /// [`Error::Conflict`] when the budget left cannot pay for it.
    pub async fn sandbox_query(
        &self,
        reference: &str,
        who: Asker<'_>,
        query: &Query,
    ) -> Result<Released, Error> {
        let project = self.sandbox_project(reference, who).await?;
        let user = match who {
            Asker::Person(p) if project.role != roles::STEWARD => p.user.as_ref().map(|u| u.id),
            Asker::Person(_) => None,
            Asker::Token(secret) => self.project_token(secret).await?.map(|t| t.user_id),
        }
        .ok_or_else(|| Error::Refused("only the project's people ask its queries".into()))?;
        if !project.active {
            return Err(Error::Refused(
                "this project is not approved, or its agreement has ended: it asks no more queries".into(),
            ));
        }
        let sandbox = &project.sandbox;
        let plan =
            mizan_dp::plan(&sandbox.settings, query).map_err(|r| Error::bad("query", r.to_string()))?;
        let budget = (sandbox.settings.project_epsilon, sandbox.settings.project_delta);
        let spend = NewSpend {
            settings_id: sandbox.stored.id,
            spender: Spender::Project(project.case.id),
            user_id: user,
            shape: plan.shape.clone(),
            mechanism: mechanism_id(plan.mechanism).to_owned(),
            epsilon: plan.epsilon,
            delta: plan.delta,
            budget,
            org_id: project.case.org_id,
            subject: subject_of(&project.terms.slug),
            actor_name: "researcher".to_owned(),
        };
        let (shape, eps, delta) = (plan.shape.clone(), plan.epsilon, plan.delta);
        let version = project.terms.version;
        let reason = move |te: f64, td: f64| {
            format!(
                "dp-spend {reference} v{version}: {shape}; ε {}, δ {}; project total ε {} of {}, δ {} of {}",
                num(eps),
                num(delta),
                num(te),
                num(budget.0),
                num(td),
                num(budget.1)
            )
        };
        let spent = match self.store().record_spend(&spend, reason).await? {
            Ok(s) => s,
            Err(over) => {
                let left = ((budget.0 - over.spent_epsilon).max(0.0), (budget.1 - over.spent_delta).max(0.0));
                return Err(Error::Conflict(format!(
                    "the project's privacy budget cannot pay for this query: it needs ε {} and δ {}, \
                     and ε {} and δ {} are left",
                    num(eps),
                    num(delta),
                    num(left.0),
                    num(left.1)
                )));
            }
        };
        let path = self.dataset_files().cached_copy(&sandbox.stored.new.table_sha256).await?;
        let settings = sandbox.settings.clone();
        let answer = tokio::task::spawn_blocking(move || {
            let f = std::fs::File::open(&path)
                .map_err(|e| Error::Internal(format!("cannot open the sandbox table: {e}")))?;
            let table = mizan_dp::Table::read_for(&plan, &settings, BufReader::new(f))
                .map_err(|e| Error::Internal(format!("sandbox table: {e}")))?;
            mizan_dp::answer(&plan, &settings, &table).map_err(|e| Error::Internal(format!("noise: {e}")))
        })
        .await
        .map_err(|e| Error::Internal(format!("the query stopped: {e}")))??;
        Ok(Released { answer, spend: spent, budget })
    }

    /// The synthetic sample of project `reference`'s version: its kept file's SHA-256 and size.
    ///
    /// # Errors
    /// As [`Platform::sandbox_project`]; [`Error::NotFound`] when there is no sample, or the
    /// project is not active.
    pub async fn sandbox_synthetic(&self, reference: &str, who: Asker<'_>) -> Result<SyntheticSample, Error> {
        let project = self.sandbox_project(reference, who).await?;
        if !project.active && project.role != roles::STEWARD {
            return Err(Error::Refused("this project is not approved, or its agreement has ended".into()));
        }
        project.sandbox.synthetic.ok_or_else(|| Error::NotFound("a synthetic sample of this version".into()))
    }
}

/// A mechanism's id in the budget ledger.
#[must_use]
pub fn mechanism_id(m: mizan_dp::Mechanism) -> &'static str {
    match m {
        mizan_dp::Mechanism::DiscreteLaplace => "discrete-laplace",
        mizan_dp::Mechanism::DiscreteLaplaceThreshold => "discrete-laplace-threshold",
        mizan_dp::Mechanism::Exponential => "exponential",
    }
}

/// Reads the CSV at `path` into a bounded table written to `out`.
fn build_table(
    path: &std::path::Path,
    settings: &Settings,
    out: &mut crate::datasets::Upload,
) -> Result<mizan_dp::TableStats, Error> {
    let bad = |e: String| Error::bad("file", e);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| Error::Internal(format!("cannot read the file: {e}")))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(format!("the file's header: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut builder = mizan_dp::TableBuilder::new(settings, &header).map_err(|e| bad(e.to_string()))?;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(bad(format!("the file: {e}"))),
        }
        let fields: Vec<&str> = record.iter().collect();
        builder.push(&fields).map_err(|e| bad(e.to_string()))?;
    }
    builder.finish(out).map_err(|e| Error::Internal(format!("writing the sandbox table: {e}")))
}
