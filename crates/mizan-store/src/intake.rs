//! The stop control of a system's decision intake (EU AI Act Art. 14(4)(e)).
//!
//! The provider or the regulator stops a system's decisions with a public reason; until someone
//! resumes them, [`Store::decision_target`] refuses the system, naming who stopped it, when and
//! why. Every stop and resume is a row of the append-only `intake_stops` table (the newest row is
//! the state) and an event of the system (`intake-stopped`, `intake-resumed`), which the events
//! follower commits to the events log like every other. A stop the regulator made is resumed
//! only by the regulator: a provider cannot lift the regulator's stop.
//!
//! A stop takes effect for this process at once (the cached decision target is dropped when
//! the stop commits); another process sharing the database sees it within
//! [`crate::TARGET_TTL`].

use sqlx::Row;

use crate::systems::{ActorRef, RegulatorScope, insert_event};
use crate::{OrgScope, Result, Store, StoreError, is_unique_violation, now};

/// Who stops or resumes a system's intake, with the proof they may.
#[derive(Debug, Clone, Copy)]
pub enum IntakeControl {
    /// The organisation that owns the system, acting on its own systems only.
    Provider(OrgScope),
    /// The regulator, acting on any system.
    Regulator(RegulatorScope),
}

/// The side that stopped an intake, as the public sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoppedBy {
    /// The system's provider.
    Provider,
    /// The regulator.
    Regulator,
}

impl StoppedBy {
    /// The stable code kept in the database and the API (`provider`, `regulator`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            StoppedBy::Provider => "provider",
            StoppedBy::Regulator => "regulator",
        }
    }

    fn parse(s: &str) -> Result<StoppedBy> {
        match s {
            "provider" => Ok(StoppedBy::Provider),
            "regulator" => Ok(StoppedBy::Regulator),
            other => Err(StoreError::Corrupt(format!("intake stopped by `{other}`"))),
        }
    }
}

impl IntakeControl {
    const fn side(self) -> StoppedBy {
        match self {
            IntakeControl::Provider(_) => StoppedBy::Provider,
            IntakeControl::Regulator(_) => StoppedBy::Regulator,
        }
    }
}

/// A stop in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeStop {
    /// Who stopped it.
    pub by: StoppedBy,
    /// The person's name, for the provider's and the regulator's pages.
    pub actor_name: String,
    /// Why (public).
    pub reason: String,
    /// When (RFC 3339).
    pub at: String,
}

impl IntakeStop {
    /// The refusal a decision for the stopped system `public_id` gets.
    #[must_use]
    pub fn refusal(&self, public_id: &str) -> String {
        format!(
            "decision intake of system `{public_id}` was stopped by the {} at {}: {}; it cannot log decisions until the {} resumes it",
            self.by.as_str(),
            self.at,
            self.reason,
            if self.by == StoppedBy::Regulator { "regulator" } else { "provider or the regulator" },
        )
    }
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The newest row of a system's stops and resumes: its sequence number and, if it is a stop,
/// the stop.
async fn newest(tx: &mut Tx, system_id: i64) -> Result<(i64, Option<IntakeStop>)> {
    let row = sqlx::query(
        "SELECT seq, action, by_role, actor_name, reason, at FROM intake_stops WHERE system_id = $1 \
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(system_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = row else { return Ok((0, None)) };
    let seq: i64 = r.try_get("seq")?;
    if r.try_get::<String, _>("action")? != "stop" {
        return Ok((seq, None));
    }
    Ok((
        seq,
        Some(IntakeStop {
            by: StoppedBy::parse(&r.try_get::<String, _>("by_role")?)?,
            actor_name: r.try_get("actor_name")?,
            reason: r.try_get("reason")?,
            at: r.try_get("at")?,
        }),
    ))
}

/// The stop in force on a system, if any, read inside the caller's transaction.
pub(crate) async fn current_stop(tx: &mut Tx, system_id: i64) -> Result<Option<IntakeStop>> {
    Ok(newest(tx, system_id).await?.1)
}

/// A stop or a resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    Stop,
    Resume,
}

impl Store {
    /// Stops the decision intake of `public_id` with a public `reason` (the caller checks the
    /// reason's form). Returns the stop.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown system, or one of another organisation for a
    /// provider; [`StoreError::Conflict`] when the intake is already stopped, the system is
    /// retired, or another move was made at the same moment.
    pub async fn stop_intake(
        &self,
        by: IntakeControl,
        public_id: &str,
        actor: &ActorRef,
        reason: &str,
    ) -> Result<IntakeStop> {
        self.move_intake(by, public_id, actor, reason, Move::Stop).await?.ok_or_else(|| {
            StoreError::Corrupt(format!("the stop of `{public_id}` was recorded but not read back"))
        })
    }

    /// Resumes the stopped decision intake of `public_id`. A stop the regulator made is
    /// resumed only by the regulator.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] as for [`Store::stop_intake`]; [`StoreError::Conflict`] when the
    /// intake is not stopped, or a provider asks to lift the regulator's stop.
    pub async fn resume_intake(
        &self,
        by: IntakeControl,
        public_id: &str,
        actor: &ActorRef,
        reason: &str,
    ) -> Result<()> {
        self.move_intake(by, public_id, actor, reason, Move::Resume).await?;
        Ok(())
    }

    async fn move_intake(
        &self,
        by: IntakeControl,
        public_id: &str,
        actor: &ActorRef,
        reason: &str,
        what: Move,
    ) -> Result<Option<IntakeStop>> {
        let (guard, mut tx) = match by {
            IntakeControl::Provider(scope) => self.begin_scoped_write(scope).await?,
            IntakeControl::Regulator(_) => self.begin_write().await?,
        };
        let org_filter = match by {
            IntakeControl::Provider(scope) => scope.org_id(),
            IntakeControl::Regulator(_) => -1,
        };
        let row = sqlx::query(
            "SELECT id, status, latest_version FROM systems WHERE public_id = $1 AND ($2 = -1 OR org_id = $2)",
        )
        .bind(public_id)
        .bind(org_filter)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        let id: i64 = row.try_get("id")?;
        let status = mizan_register::Status::parse(&row.try_get::<String, _>("status")?)?;
        let version: i64 = row.try_get("latest_version")?;
        let (seq, stop) = newest(&mut tx, id).await?;
        match (what, &stop) {
            (Move::Stop, Some(s)) => {
                return Err(StoreError::Conflict(format!(
                    "decision intake of system `{public_id}` is already stopped (by the {} at {})",
                    s.by.as_str(),
                    s.at
                )));
            }
            (Move::Stop, None) if status == mizan_register::Status::Retired => {
                return Err(StoreError::Conflict(format!(
                    "system `{public_id}` is retired; its decision intake is closed for good"
                )));
            }
            (Move::Resume, None) => {
                return Err(StoreError::Conflict(format!(
                    "decision intake of system `{public_id}` is not stopped; there is nothing to resume"
                )));
            }
            (Move::Resume, Some(s)) if s.by == StoppedBy::Regulator && by.side() == StoppedBy::Provider => {
                return Err(StoreError::Conflict(format!(
                    "decision intake of system `{public_id}` was stopped by the regulator; only the regulator can resume it"
                )));
            }
            _ => {}
        }
        let at = now();
        let (action, kind) = match what {
            Move::Stop => ("stop", "intake-stopped"),
            Move::Resume => ("resume", "intake-resumed"),
        };
        let inserted = sqlx::query(
            "INSERT INTO intake_stops (system_id, seq, action, by_role, actor_id, actor_name, reason, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(seq + 1)
        .bind(action)
        .bind(by.side().as_str())
        .bind(actor.user_id)
        .bind(&actor.name)
        .bind(reason)
        .bind(&at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "the decision intake of system `{public_id}` was changed at the same moment; reload and try again"
                )));
            }
            Err(e) => return Err(e.into()),
        }
        let reason_in_event = format!("{}: {reason}", by.side().as_str());
        insert_event(&mut tx, id, version, kind, (status, status), actor, &reason_in_event).await?;
        tx.commit().await?;
        drop(guard);
        self.hot.forget_target(public_id);
        Ok((what == Move::Stop).then(|| IntakeStop {
            by: by.side(),
            actor_name: actor.name.clone(),
            reason: reason.to_owned(),
            at,
        }))
    }

    /// The stop in force on `public_id`, if any. Stops are public (on the register page);
    /// callers check the caller may see the system at all.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown system.
    pub async fn intake_stop(&self, public_id: &str) -> Result<Option<IntakeStop>> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM systems WHERE public_id = $1")
            .bind(public_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        let stop = current_stop(&mut tx, id).await?;
        tx.commit().await?;
        Ok(stop)
    }

    /// Tries to rewrite the stop history; the database must refuse. Exists so tests can prove
    /// the append-only guarantee is enforced below the application.
    ///
    /// # Errors
    /// The database's refusal, which is the expected outcome.
    pub async fn try_rewrite_intake_stops(&self) -> Result<u64> {
        let res = sqlx::query("UPDATE intake_stops SET reason = 'rewritten'").execute(&self.pool).await?;
        Ok(res.rows_affected())
    }
}
