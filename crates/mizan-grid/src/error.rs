//! The grid engine's errors: one enum per concern (names, parsing, applying an operation,
//! reviews), each carrying the offending input and where it was.

/// A name refused by [`crate::AccountName`], [`crate::UserName`] or their derivations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name is empty.
    #[error("{what} is empty; give at least one character")]
    Empty {
        /// What was being named (`account name`, `user name`, `institution slug`, ...).
        what: &'static str,
    },
    /// The name is longer than the limit.
    #[error("{what} `{value}` has {len} characters; the most is {max}")]
    TooLong {
        /// What was being named.
        what: &'static str,
        /// The name.
        value: String,
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A character outside the allowed set.
    #[error("{what} `{value}` has `{found}` at position {position}; use {allowed}")]
    BadChar {
        /// What was being named.
        what: &'static str,
        /// The name (with the character as it was given).
        value: String,
        /// The character refused.
        found: char,
        /// Zero-based character position.
        position: usize,
        /// The allowed characters, in words.
        allowed: &'static str,
    },
}

/// A line of `sacctmgr` or `sacct` output that does not read as the format Mizan asked for.
///
/// `line` is one-based; `column` is one-based and counts `|`-separated fields (0 when the
/// whole line is wrong, e.g. it has the wrong number of fields).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}{}: {message}", field_suffix(field))]
pub struct ParseError {
    /// One-based line number.
    pub line: usize,
    /// One-based field number, 0 for the whole line.
    pub column: usize,
    /// The field's name in the format (`GrpTRESMins`, `AllocTRES`, ...), when there is one.
    pub field: Option<&'static str>,
    /// What is wrong, with the offending value in backticks.
    pub message: String,
}

fn field_suffix(field: &Option<&'static str>) -> String {
    field.map(|f| format!(" (`{f}`)")).unwrap_or_default()
}

/// An operation that cannot be applied to a [`crate::SlurmState`]: what `sacctmgr` itself
/// would refuse (tests use it to prove a plan's order is one Slurm accepts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// Adding an account that already exists.
    #[error("account `{0}` already exists")]
    AccountExists(String),
    /// An account that the operation needs does not exist.
    #[error("account `{0}` does not exist")]
    NoAccount(String),
    /// Removing an account that still has child accounts.
    #[error("account `{0}` still has child accounts; remove or move them first")]
    HasChildren(String),
    /// Removing an account that still has users.
    #[error("account `{0}` still has users; remove them first")]
    HasUsers(String),
    /// Moving an account under itself or one of its descendants.
    #[error("moving account `{account}` under `{parent}` would make a cycle")]
    Cycle {
        /// The account moved.
        account: String,
        /// The parent asked for.
        parent: String,
    },
    /// Adding a user association that exists.
    #[error("user `{user}` is already in account `{account}`")]
    UserExists {
        /// The user.
        user: String,
        /// The account.
        account: String,
    },
    /// Removing a user association that does not exist.
    #[error("user `{user}` is not in account `{account}`")]
    NoUser {
        /// The user.
        user: String,
        /// The account.
        account: String,
    },
}

/// A review score sheet that does not match the published criteria.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// A score for a criterion that is not published.
    #[error("criterion `{0}` is not one of the published criteria")]
    UnknownCriterion(String),
    /// A published criterion without a score.
    #[error("criterion `{0}` has no score; score every criterion")]
    Missing(String),
    /// A criterion scored twice.
    #[error("criterion `{0}` is scored twice")]
    Duplicate(String),
    /// A score above the criterion's maximum.
    #[error("criterion `{id}` scored {score}; the most is {max}")]
    TooHigh {
        /// The criterion.
        id: String,
        /// The score given.
        score: u32,
        /// The maximum.
        max: u32,
    },
    /// The criteria's weights add up to nothing.
    #[error("the criteria have no weight; give at least one a positive weight")]
    NoWeight,
}
