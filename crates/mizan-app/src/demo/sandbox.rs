//! The demo sandbox: the bank's restricted microfinance repayments opened to private queries
//! (the borrower's CNIC as the privacy unit), and the PIDE researcher's approved project
//! (`DA-DEM0000004`, filed by `seed_data_access`) with two queries already asked, so a newcomer
//! sees a budget part spent, asks more, and finds each spend in the events log.

use mizan_dp::{CategoricalColumn, NumericColumn, Settings};

use crate::dataset_access::columns_of;
use crate::sandbox::{Asker, SandboxSettingsIn};
use crate::{Error, Platform};

/// The demo project.
pub const PROJECT: &str = "DA-DEM0000004";

const DATASET: &str = "microfinance-repayments";
const STEWARD: &str = "admin@indus-bank.demo";

/// The demo settings: keys from the data dictionary where it lists them; districts are not
/// given as public keys, so grouping by them shows partition selection.
fn settings(view: &crate::datasets::DatasetView) -> Settings {
    let keys = |name: &str| {
        view.meta
            .dictionary
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.allowed_values.clone())
            .filter(|v| !v.is_empty())
    };
    let cat = |name: &str, fallback: &[&str]| CategoricalColumn {
        name: name.to_owned(),
        keys: keys(name).or_else(|| Some(fallback.iter().map(|s| (*s).to_owned()).collect())),
    };
    let num = |name: &str, lower: f64, upper: f64| NumericColumn {
        name: name.to_owned(),
        lower,
        upper,
        ..NumericColumn::default()
    };
    Settings {
        unit_column: "borrower_cnic".to_owned(),
        max_rows_per_unit: 2,
        numeric: vec![
            num("loan_amount_pkr", 0.0, 500_000.0),
            num("tenure_months", 0.0, 24.0),
            num("days_late", 0.0, 180.0),
        ],
        categorical: vec![
            cat("gender", &["female", "male"]),
            cat("age_band", &[]),
            cat("province", &[]),
            cat("loan_purpose", &[]),
            cat("repaid_on_time", &["true", "false"]),
            CategoricalColumn { name: "district".to_owned(), keys: None },
        ],
        project_epsilon: 3.0,
        project_delta: 1e-6,
        max_query_epsilon: 0.5,
        synthetic_epsilon: 1.0,
        ..Settings::default()
    }
}

/// Opens the demo sandbox and asks the demo project's first queries, unless done. Returns the
/// queries asked.
///
/// # Errors
/// Store and sandbox errors.
pub async fn seed_sandbox(p: &Platform) -> Result<usize, Error> {
    let view = match p.public_dataset(DATASET, None).await {
        Ok(v) => v,
        Err(Error::NotFound(_)) => return Ok(0),
        Err(e) => return Err(e),
    };
    if p.sandbox_of(&view).await?.is_none() {
        let Some((user, _)) = p.store().user_for_login(STEWARD).await? else { return Ok(0) };
        let Some(steward) = p.store().principal_for_user(user).await? else { return Ok(0) };
        let mut s = settings(&view);
        let columns = columns_of(&view);
        s.categorical.retain(|c| columns.contains(&c.name) && c.keys.as_ref().is_none_or(|k| !k.is_empty()));
        let file = view.files.first().map(|f| f.name.clone()).unwrap_or_default();
        p.set_sandbox(&steward, DATASET, view.stored.version, SandboxSettingsIn { file, settings: s })
            .await?;
    }
    let Some((user, _)) = p.store().user_for_login(crate::demo::RESEARCHER).await? else { return Ok(0) };
    let Some(researcher) = p.store().principal_for_user(user).await? else { return Ok(0) };
    let project = match p.sandbox_project(PROJECT, Asker::Person(&researcher)).await {
        Ok(x) => x,
        Err(Error::NotFound(_)) => return Ok(0),
        Err(e) => return Err(e),
    };
    if !project.spends.is_empty() {
        return Ok(0);
    }
    let queries = [
        r#"{"statistic": {"kind": "count"}, "group_by": ["province"], "epsilon": 0.2}"#,
        r#"{"statistic": {"kind": "mean", "column": "loan_amount_pkr"}, "group_by": ["gender"], "epsilon": 0.3}"#,
    ];
    let mut asked = 0;
    for q in queries {
        let q: mizan_dp::Query =
            serde_json::from_str(q).map_err(|e| Error::Internal(format!("demo query: {e}")))?;
        p.sandbox_query(PROJECT, Asker::Person(&researcher), &q).await?;
        asked += 1;
    }
    Ok(asked)
}
