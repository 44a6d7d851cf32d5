//! The case engine: every workflow a person starts and others decide (an appeal today; later a
//! sandbox or grant application, a dataset access request, a compute allocation) is a case of a
//! case type, and a case type is data.
//!
//! A [`CaseType`] (YAML, `types/*.yaml`) names its states, the moves between them with the roles
//! that may make each and the fields each requires, which moves are public, and per state the
//! deadlines (calendar days from entering it) with what happens when one passes: a reminder, or
//! a move the engine makes as the `system` actor; a deadline may also mark the case late, and a
//! late case stays late. A [`Case`] is its type's name, its state and its append-only history of
//! [`Entry`]s; [`Case::replay`] rebuilds a case from its history alone, so a stored history is
//! the whole truth. Deadlines fire in [`Case::tick`] at exactly their due time, whatever time
//! the caller passes, and [`Case::apply`] fires the ones due before a move first.
//!
//! No I/O, no HTTP, no SQL: the platform stores histories (one table family for every case
//! type) and calls this crate to decide what may happen next.
#![warn(missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// The actor the engine moves as when a deadline passes.
pub const SYSTEM: &str = "system";

/// What a case type, a move or a history got wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// The case type file does not parse or is inconsistent.
    #[error("case type `{name}`: {detail}")]
    Type {
        /// The case type (or the file) at fault.
        name: String,
        /// What is wrong.
        detail: String,
    },
    /// No move of that name.
    #[error("no move `{0}` in this case type")]
    UnknownMove(String),
    /// The move exists, but not from the case's state.
    #[error("`{name}` cannot be made from state `{state}` (it is allowed from {allowed})")]
    WrongState {
        /// The move.
        name: String,
        /// The case's state.
        state: String,
        /// The states it may be made from.
        allowed: String,
    },
    /// The actor's role may not make the move.
    #[error("a `{role}` may not make `{name}` (only {allowed})")]
    NotAllowed {
        /// The move.
        name: String,
        /// The actor's role.
        role: String,
        /// The roles that may.
        allowed: String,
    },
    /// A field the move requires is missing or blank.
    #[error("`{name}` needs `{field}`")]
    MissingField {
        /// The move.
        name: String,
        /// The field.
        field: String,
    },
    /// The case is closed.
    #[error("the case is closed (state `{0}`)")]
    Closed(String),
    /// A move dated before the case's last entry.
    #[error("a move at {at} is before the case's last entry at {last}")]
    BackInTime {
        /// The move's time.
        at: OffsetDateTime,
        /// The last entry's time.
        last: OffsetDateTime,
    },
    /// A history that does not replay to the case it claims.
    #[error("the history does not replay at entry {seq}: {detail}")]
    Replay {
        /// The entry at fault.
        seq: usize,
        /// Why.
        detail: String,
    },
}

/// What happens when a deadline passes: `remind`, or `{ move: <name> }` in a case type file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawAction", into = "RawAction")]
pub enum DeadlineAction {
    /// Remind the actors who may move (the platform sends it); the state does not change.
    Remind,
    /// The engine makes this move as [`SYSTEM`].
    Move(String),
}

/// [`DeadlineAction`] as written in a file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum RawAction {
    Word(String),
    Move {
        #[serde(rename = "move")]
        name: String,
    },
}

impl TryFrom<RawAction> for DeadlineAction {
    type Error = String;

    fn try_from(raw: RawAction) -> Result<Self, String> {
        match raw {
            RawAction::Word(w) if w == "remind" => Ok(DeadlineAction::Remind),
            RawAction::Word(w) => {
                Err(format!("unknown deadline action `{w}` (remind, or {{ move: <name> }})"))
            }
            RawAction::Move { name } => Ok(DeadlineAction::Move(name)),
        }
    }
}

impl From<DeadlineAction> for RawAction {
    fn from(a: DeadlineAction) -> Self {
        match a {
            DeadlineAction::Remind => RawAction::Word("remind".into()),
            DeadlineAction::Move(name) => RawAction::Move { name },
        }
    }
}

/// A deadline of a state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineSpec {
    /// Calendar days after entering the state.
    pub days: u32,
    /// Whether missing it marks the case late (for good).
    #[serde(default)]
    pub late: bool,
    /// What happens.
    pub action: DeadlineAction,
}

/// A state of a case type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSpec {
    /// Its name.
    pub name: String,
    /// What it means, for people.
    #[serde(default)]
    pub description: String,
    /// No move leaves it.
    #[serde(default)]
    pub terminal: bool,
    /// Deadlines, each firing once per entry into the state.
    #[serde(default)]
    pub deadlines: Vec<DeadlineSpec>,
}

/// A move of a case type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveSpec {
    /// Its name.
    pub name: String,
    /// The states it may be made from.
    pub from: Vec<String>,
    /// The state it leads to.
    pub to: String,
    /// The roles that may make it (`system` for the engine's own moves).
    pub actors: Vec<String>,
    /// Fields it must carry, non-blank.
    #[serde(default)]
    pub required: Vec<String>,
    /// Whether it is shown on public pages and statistics.
    #[serde(default)]
    pub public: bool,
}

/// A workflow as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseType {
    /// Its name (`appeal`).
    pub name: String,
    /// Its version; a case keeps the version it was opened under.
    pub version: u32,
    /// The state a new case is in.
    pub initial: String,
    /// Its states.
    pub states: Vec<StateSpec>,
    /// Its moves.
    pub moves: Vec<MoveSpec>,
}

impl CaseType {
    /// Reads and checks a case type.
    ///
    /// # Errors
    /// YAML that does not parse, or a type that names a state or move it does not define, has
    /// a move out of a terminal state, or a deadline whose move the engine may not make from
    /// that state.
    pub fn from_yaml(text: &str) -> Result<CaseType, CaseError> {
        let t: CaseType = serde_yaml_ng::from_str(text)
            .map_err(|e| CaseError::Type { name: "(file)".into(), detail: e.to_string() })?;
        t.check()?;
        Ok(t)
    }

    /// The appeal against an automated decision (`types/appeal.yaml`).
    ///
    /// # Panics
    /// Never: the embedded file is checked by this crate's tests.
    #[must_use]
    pub fn appeal() -> &'static CaseType {
        static APPEAL: OnceLock<CaseType> = OnceLock::new();
        APPEAL.get_or_init(|| {
            CaseType::from_yaml(include_str!("../types/appeal.yaml")).expect("types/appeal.yaml is valid")
        })
    }

    /// A decision held for a person's review before it takes effect (`types/oversight.yaml`).
    ///
    /// # Panics
    /// Never: the embedded file is checked by this crate's tests.
    #[must_use]
    pub fn oversight() -> &'static CaseType {
        static OVERSIGHT: OnceLock<CaseType> = OnceLock::new();
        OVERSIGHT.get_or_init(|| {
            CaseType::from_yaml(include_str!("../types/oversight.yaml"))
                .expect("types/oversight.yaml is valid")
        })
    }

    /// A request for a restricted dataset (`types/data-access.yaml`).
    ///
    /// # Panics
    /// Never: the file is checked by this crate's tests.
    #[must_use]
    pub fn data_access() -> &'static CaseType {
        static DATA_ACCESS: OnceLock<CaseType> = OnceLock::new();
        DATA_ACCESS.get_or_init(|| {
            CaseType::from_yaml(include_str!("../types/data-access.yaml"))
                .expect("types/data-access.yaml is valid")
        })
    }

    /// A request for time on the national compute grid (`types/compute-allocation.yaml`).
    ///
    /// # Panics
    /// Never: the file is checked by this crate's tests.
    #[must_use]
    pub fn compute_allocation() -> &'static CaseType {
        static COMPUTE: OnceLock<CaseType> = OnceLock::new();
        COMPUTE.get_or_init(|| {
            CaseType::from_yaml(include_str!("../types/compute-allocation.yaml"))
                .expect("types/compute-allocation.yaml is valid")
        })
    }

    /// The built-in case type named `name`.
    #[must_use]
    pub fn named(name: &str) -> Option<&'static CaseType> {
        [Self::appeal(), Self::oversight(), Self::data_access(), Self::compute_allocation()]
            .into_iter()
            .find(|t| t.name == name)
    }

    fn check(&self) -> Result<(), CaseError> {
        let bad = |detail: String| Err(CaseError::Type { name: self.name.clone(), detail });
        let mut names = BTreeSet::new();
        for s in &self.states {
            if !names.insert(s.name.as_str()) {
                return bad(format!("state `{}` is defined twice", s.name));
            }
        }
        if !names.contains(self.initial.as_str()) {
            return bad(format!("the initial state `{}` is not defined", self.initial));
        }
        let mut moves = BTreeSet::new();
        for m in &self.moves {
            if !moves.insert(m.name.as_str()) {
                return bad(format!("move `{}` is defined twice", m.name));
            }
            for s in m.from.iter().chain(std::iter::once(&m.to)) {
                if !names.contains(s.as_str()) {
                    return bad(format!("move `{}` names the undefined state `{s}`", m.name));
                }
            }
            if let Some(s) = m.from.iter().find(|s| self.state(s).is_some_and(|s| s.terminal)) {
                return bad(format!("move `{}` leaves the terminal state `{s}`", m.name));
            }
            if m.actors.is_empty() {
                return bad(format!("move `{}` names no actor", m.name));
            }
        }
        for s in &self.states {
            for d in &s.deadlines {
                if let DeadlineAction::Move(name) = &d.action {
                    let Some(m) = self.find_move(name) else {
                        return bad(format!("a deadline of `{}` names the undefined move `{name}`", s.name));
                    };
                    if !m.from.contains(&s.name) || !m.actors.iter().any(|a| a == SYSTEM) {
                        return bad(format!(
                            "a deadline of `{}` makes `{name}`, which `{SYSTEM}` may not make from there",
                            s.name
                        ));
                    }
                }
                if d.days == 0 {
                    return bad(format!("a deadline of `{}` is 0 days", s.name));
                }
            }
        }
        Ok(())
    }

    /// A state by name.
    #[must_use]
    pub fn state(&self, name: &str) -> Option<&StateSpec> {
        self.states.iter().find(|s| s.name == name)
    }

    /// A move by name.
    #[must_use]
    pub fn find_move(&self, name: &str) -> Option<&MoveSpec> {
        self.moves.iter().find(|m| m.name == name)
    }

    /// The moves `role` may make from `state`.
    #[must_use]
    pub fn moves_for(&self, state: &str, role: &str) -> Vec<&MoveSpec> {
        self.moves
            .iter()
            .filter(|m| m.from.iter().any(|s| s == state) && m.actors.iter().any(|a| a == role))
            .collect()
    }
}

/// What an entry records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum EntryKind {
    /// The case was opened.
    Opened,
    /// A move was made.
    Move {
        /// The move.
        name: String,
    },
    /// A deadline of the state passed (the `n`th of the state's deadlines).
    Deadline {
        /// Its index among the state's deadlines.
        index: usize,
    },
}

/// One entry of a case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// What happened.
    #[serde(flatten)]
    pub kind: EntryKind,
    /// The state before.
    pub from: String,
    /// The state after.
    pub to: String,
    /// Who, by role (`system` for the engine).
    pub actor: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The fields it carried.
    pub fields: BTreeMap<String, String>,
}

/// A move someone asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// The move's name.
    pub name: String,
    /// The actor's role.
    pub role: String,
    /// Its fields.
    pub fields: BTreeMap<String, String>,
    /// When.
    pub at: OffsetDateTime,
}

/// A case: its state and its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The case type's name.
    pub case_type: String,
    /// The current state.
    pub state: String,
    /// When the current state was entered.
    pub entered_at: OffsetDateTime,
    /// A deadline marked `late` passed at some time: stays set.
    pub late: bool,
    /// The deadlines of the current state that have fired, by index.
    fired: BTreeSet<usize>,
    /// Every entry, oldest first.
    pub history: Vec<Entry>,
}

impl Case {
    /// A new case of `t`, opened by `role` at `at` with `fields` (the filing).
    #[must_use]
    pub fn open(t: &CaseType, role: &str, fields: BTreeMap<String, String>, at: OffsetDateTime) -> Case {
        Case {
            case_type: t.name.clone(),
            state: t.initial.clone(),
            entered_at: at,
            late: false,
            fired: BTreeSet::new(),
            history: vec![Entry {
                kind: EntryKind::Opened,
                from: t.initial.clone(),
                to: t.initial.clone(),
                actor: role.to_owned(),
                at,
                fields,
            }],
        }
    }

    fn last_at(&self) -> OffsetDateTime {
        self.history.last().map_or(self.entered_at, |e| e.at)
    }

    /// When each deadline of the current state not yet fired falls due, earliest first.
    #[must_use]
    pub fn due(&self, t: &CaseType) -> Vec<(OffsetDateTime, usize)> {
        let Some(s) = t.state(&self.state) else { return vec![] };
        let mut out: Vec<(OffsetDateTime, usize)> = s
            .deadlines
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.fired.contains(i))
            .map(|(i, d)| (self.entered_at + Duration::days(i64::from(d.days)), i))
            .collect();
        out.sort();
        out
    }

    /// Fires every deadline due at or before `now`, each at its own due time, in order (a move a
    /// deadline makes may enter a state whose deadlines are due too). Returns the entries added.
    pub fn tick(&mut self, t: &CaseType, now: OffsetDateTime) -> Vec<Entry> {
        let start = self.history.len();
        while let Some(&(at, index)) = self.due(t).first() {
            if at > now {
                break;
            }
            let Some(d) = t.state(&self.state).and_then(|s| s.deadlines.get(index)).cloned() else { break };
            self.fired.insert(index);
            self.late |= d.late;
            self.history.push(Entry {
                kind: EntryKind::Deadline { index },
                from: self.state.clone(),
                to: self.state.clone(),
                actor: SYSTEM.to_owned(),
                at,
                fields: BTreeMap::new(),
            });
            if let DeadlineAction::Move(name) = &d.action {
                let m = Move { name: name.clone(), role: SYSTEM.to_owned(), fields: BTreeMap::new(), at };
                // Checked with the type: the engine may make this move from this state.
                if self.make(t, &m).is_err() {
                    break;
                }
            }
        }
        self.history[start..].to_vec()
    }

    /// Makes `m`, after firing the deadlines due before it. On an error the case is unchanged.
    ///
    /// # Errors
    /// An unknown move, a move not allowed from the state or for the role, a missing field, a
    /// closed case, or a time before the last entry.
    pub fn apply(&mut self, t: &CaseType, m: &Move) -> Result<Vec<Entry>, CaseError> {
        if m.at < self.last_at() {
            return Err(CaseError::BackInTime { at: m.at, last: self.last_at() });
        }
        let mut next = self.clone();
        let start = next.history.len();
        next.tick(t, m.at);
        next.make(t, m)?;
        let added = next.history[start..].to_vec();
        *self = next;
        Ok(added)
    }

    fn make(&mut self, t: &CaseType, m: &Move) -> Result<(), CaseError> {
        if t.state(&self.state).is_some_and(|s| s.terminal) {
            return Err(CaseError::Closed(self.state.clone()));
        }
        let spec = t.find_move(&m.name).ok_or_else(|| CaseError::UnknownMove(m.name.clone()))?;
        if !spec.from.contains(&self.state) {
            return Err(CaseError::WrongState {
                name: m.name.clone(),
                state: self.state.clone(),
                allowed: spec.from.join(", "),
            });
        }
        if !spec.actors.contains(&m.role) {
            return Err(CaseError::NotAllowed {
                name: m.name.clone(),
                role: m.role.clone(),
                allowed: spec.actors.join(", "),
            });
        }
        if let Some(f) = spec.required.iter().find(|f| m.fields.get(*f).is_none_or(|v| v.trim().is_empty())) {
            return Err(CaseError::MissingField { name: m.name.clone(), field: f.clone() });
        }
        self.history.push(Entry {
            kind: EntryKind::Move { name: m.name.clone() },
            from: self.state.clone(),
            to: spec.to.clone(),
            actor: m.role.clone(),
            at: m.at,
            fields: m.fields.clone(),
        });
        self.state.clone_from(&spec.to);
        self.entered_at = m.at;
        self.fired.clear();
        Ok(())
    }

    /// Rebuilds a case of `t` from its history alone, checking every entry: each move allowed,
    /// each deadline at its due time, nothing out of order.
    ///
    /// # Errors
    /// [`CaseError::Replay`] naming the first entry that does not follow.
    pub fn replay(t: &CaseType, history: &[Entry]) -> Result<Case, CaseError> {
        let bad = |seq: usize, detail: String| CaseError::Replay { seq, detail };
        let Some(first) = history.first() else { return Err(bad(0, "no entries".into())) };
        if first.kind != EntryKind::Opened || first.to != t.initial {
            return Err(bad(0, format!("a case of `{}` opens in `{}`", t.name, t.initial)));
        }
        let mut case = Case::open(t, &first.actor, first.fields.clone(), first.at);
        let mut seq = 1;
        while seq < history.len() {
            let e = &history[seq];
            // Deadlines due before this entry must be the next entries, exactly.
            let mut probe = case.clone();
            let fired = probe.tick(t, e.at);
            if !fired.is_empty() {
                let n = fired.len();
                if history.get(seq..seq + n) != Some(fired.as_slice()) {
                    return Err(bad(seq, format!("deadlines due by {} are not recorded as they fall", e.at)));
                }
                case = probe;
                seq += n;
                continue;
            }
            match &e.kind {
                EntryKind::Move { name } => {
                    let m = Move {
                        name: name.clone(),
                        role: e.actor.clone(),
                        fields: e.fields.clone(),
                        at: e.at,
                    };
                    case.apply(t, &m).map_err(|err| bad(seq, err.to_string()))?;
                    if case.history.last() != Some(e) {
                        return Err(bad(seq, "the entry differs from the move it records".into()));
                    }
                }
                other => return Err(bad(seq, format!("unexpected {other:?}"))),
            }
            seq += 1;
        }
        Ok(case)
    }
}
