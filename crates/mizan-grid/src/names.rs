//! Slurm names Mizan writes: accounts and users, validated so that no value can be misread by
//! a shell, by `sacctmgr`'s `key=value,value` parser or by `-P` (pipe-separated) output.
//!
//! **Allowed.** An account name is 1 to 64 of `a-z 0-9 - _ .`, starting with a letter or a
//! digit; a user name is 1 to 32 of the same set, starting with a letter, a digit or `_`
//! (Unix login names as `useradd` takes them, lowercase because Slurm lowercases user and
//! account names unless told otherwise). No spaces, `=`, `,`, `|`, quotes or uppercase.
//!
//! **Derivations** (deterministic, reversible, documented in `ARCHITECTURE.md`):
//! - an institution with slug `punjab-university` is the account `mzi-punjab-university`;
//! - a project whose allocation case has reference `CA-DEM0000004` is `mzp-ca-dem0000004`.
//!
//! The prefixes `mzi-` and `mzp-` are Mizan's scope: [`AccountName::is_managed`] is true for
//! exactly those names, and the sync plan never touches another account (root, an operator's
//! own accounts), nor a user association in one.

use std::fmt;
use std::str::FromStr;

use crate::error::NameError;

/// The prefix of every institution account Mizan manages.
pub const INSTITUTION_PREFIX: &str = "mzi-";
/// The prefix of every project account Mizan manages.
pub const PROJECT_PREFIX: &str = "mzp-";
/// The longest account name accepted.
pub const MAX_ACCOUNT_NAME: usize = 64;
/// The longest user name accepted (Linux's `LOGIN_NAME_MAX` less one, as `useradd` allows).
pub const MAX_USER_NAME: usize = 32;

/// A Slurm account name (see the module docs for the rule).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountName(String);

/// A Slurm user name: a Unix login (see the module docs for the rule).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserName(String);

fn check(
    what: &'static str,
    value: &str,
    max: usize,
    first_ok: fn(char) -> bool,
    allowed: &'static str,
) -> Result<(), NameError> {
    if value.is_empty() {
        return Err(NameError::Empty { what });
    }
    let len = value.chars().count();
    if len > max {
        return Err(NameError::TooLong { what, value: value.to_owned(), len, max });
    }
    for (position, c) in value.chars().enumerate() {
        let ok = if position == 0 { first_ok(c) } else { is_name_char(c) };
        if !ok {
            return Err(NameError::BadChar { what, value: value.to_owned(), found: c, position, allowed });
        }
    }
    Ok(())
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
}

const ACCOUNT_CHARS: &str = "lowercase letters, digits, `-`, `_` and `.`, starting with a letter or digit";
const USER_CHARS: &str = "lowercase letters, digits, `-`, `_` and `.`, starting with a letter, digit or `_`";

impl AccountName {
    /// Validates an account name.
    ///
    /// # Errors
    /// [`NameError`] naming the first character outside the allowed set, or the length.
    pub fn new(name: &str) -> Result<Self, NameError> {
        check(
            "account name",
            name,
            MAX_ACCOUNT_NAME,
            |c| c.is_ascii_lowercase() || c.is_ascii_digit(),
            ACCOUNT_CHARS,
        )?;
        Ok(Self(name.to_owned()))
    }

    /// Slurm's root account, the parent of every institution account.
    #[must_use]
    pub fn root() -> Self {
        Self("root".to_owned())
    }

    /// Whether this is Slurm's root account.
    #[must_use]
    pub fn is_root(&self) -> bool {
        self.0 == "root"
    }

    /// The account of the institution with this Mizan slug: `mzi-<slug>`.
    ///
    /// # Errors
    /// [`NameError`] when the slug is empty, too long (over 60 characters) or has a character
    /// other than `a-z 0-9 -` (uppercase is refused, not folded, so two slugs never meet).
    pub fn for_institution(slug: &str) -> Result<Self, NameError> {
        derive("institution slug", INSTITUTION_PREFIX, slug, false)
    }

    /// The account of the project whose allocation case has this reference: `mzp-` and the
    /// reference in lowercase (`CA-DEM0000004` → `mzp-ca-dem0000004`).
    ///
    /// # Errors
    /// [`NameError`] when the reference is empty, too long (over 60 characters) or has a
    /// character other than ASCII letters, digits and `-`.
    pub fn for_project(reference: &str) -> Result<Self, NameError> {
        derive("project reference", PROJECT_PREFIX, reference, true)
    }

    /// Whether Mizan manages this account (its name starts with `mzi-` or `mzp-`).
    #[must_use]
    pub fn is_managed(&self) -> bool {
        self.0.starts_with(INSTITUTION_PREFIX) || self.0.starts_with(PROJECT_PREFIX)
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn derive(what: &'static str, prefix: &str, input: &str, fold: bool) -> Result<AccountName, NameError> {
    if input.is_empty() {
        return Err(NameError::Empty { what });
    }
    let max = MAX_ACCOUNT_NAME - prefix.len();
    let len = input.chars().count();
    if len > max {
        return Err(NameError::TooLong { what, value: input.to_owned(), len, max });
    }
    let allowed = if fold { "ASCII letters, digits and `-`" } else { "lowercase letters, digits and `-`" };
    for (position, c) in input.chars().enumerate() {
        let ok = c.is_ascii_digit() || c == '-' || c.is_ascii_lowercase() || (fold && c.is_ascii_uppercase());
        if !ok {
            return Err(NameError::BadChar { what, value: input.to_owned(), found: c, position, allowed });
        }
    }
    Ok(AccountName(format!("{prefix}{}", input.to_ascii_lowercase())))
}

impl UserName {
    /// Validates a user name.
    ///
    /// # Errors
    /// [`NameError`] naming the first character outside the allowed set, or the length.
    pub fn new(name: &str) -> Result<Self, NameError> {
        check(
            "user name",
            name,
            MAX_USER_NAME,
            |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_',
            USER_CHARS,
        )?;
        Ok(Self(name.to_owned()))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The least valid user name in string order (`0`), for ranges over sorted sets.
    pub(crate) fn smallest() -> Self {
        Self("0".to_owned())
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AccountName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl FromStr for UserName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl AsRef<str> for AccountName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for UserName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Text for an account's `Description` or `Organization`: what `sacctmgr` stores unchanged.
///
/// `sacctmgr` turns quotes into backticks and (in current versions) lowercases these values,
/// and `-P` output cannot carry a `|`; so the text is lowercased, every character other than
/// `a-z 0-9 . - _ ( ) / &` becomes a space (Urdu and other scripts included: the app shows
/// those, Slurm does not need them), runs of spaces become one, and the result is cut to 100
/// characters. Empty text becomes `fallback`.
#[must_use]
pub fn slurm_text(text: &str, fallback: &str) -> String {
    let mut out = String::with_capacity(text.len().min(100));
    let mut space = false;
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        let keep = c.is_ascii_lowercase()
            || c.is_ascii_digit()
            || matches!(c, '.' | '-' | '_' | '(' | ')' | '/' | '&');
        if keep {
            let gap = space && !out.is_empty();
            if out.len() + usize::from(gap) + 1 > 100 {
                break;
            }
            if gap {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    if out.is_empty() { fallback.to_owned() } else { out }
}
