//! Reading what `sacctmgr` prints into a [`SlurmState`].
//!
//! Mizan asks for exact formats and reads them by position; there is no header (`-n`) and
//! fields are separated by `|` with none after the last (`-P`, "parsable2"). A line with the
//! wrong number of fields is refused (it is `-p` output, another format, or a value holding a
//! `|`, which Mizan never writes), naming the line and the field count.
//!
//! - [`assoc_args`]: `sacctmgr -P -n show assoc cluster=<c> format=`[`ASSOC_FORMAT`]. An
//!   account's own association has an empty `User` and gives its parent (`ParentName`); a user
//!   association names its account and user and has an empty `ParentName`. The `root`
//!   account's row is read and dropped (root is implicit); user associations in any account
//!   become `users`. `GrpTRESMins` (e.g. `cpu=600,gres/gpu=120`) keeps `cpu` and `gres/gpu`
//!   and ignores other TRES; limits on user associations are ignored (Mizan sets none).
//!   The same account twice with different values (several clusters, no `cluster=`) is an
//!   error; user associations repeated per partition are one.
//! - [`account_args`]: `sacctmgr -P -n show account format=`[`ACCOUNT_FORMAT`] gives
//!   descriptions and organizations; [`parse_state`] reads both outputs into one state.

use std::collections::BTreeMap;

use crate::error::ParseError;
use crate::names::{AccountName, UserName};
use crate::state::{AccountState, Limits, SlurmState, TresMinutesLimit};

/// The fields Mizan asks `sacctmgr show assoc` for, in order.
pub const ASSOC_FORMAT: &str = "Account,ParentName,User,GrpTRESMins,GrpSubmit,GrpJobs";
const ASSOC_FIELDS: [&str; 6] = ["Account", "ParentName", "User", "GrpTRESMins", "GrpSubmit", "GrpJobs"];
/// The fields Mizan asks `sacctmgr show account` for, in order.
pub const ACCOUNT_FORMAT: &str = "Account,Descr,Org";
const ACCOUNT_FIELDS: [&str; 3] = ["Account", "Descr", "Org"];

/// The arguments after `sacctmgr` that print a cluster's associations for
/// [`parse_associations`].
#[must_use]
pub fn assoc_args(cluster: &str) -> Vec<String> {
    vec![
        "-P".into(),
        "-n".into(),
        "show".into(),
        "assoc".into(),
        format!("cluster={cluster}"),
        format!("format={ASSOC_FORMAT}"),
    ]
}

/// The arguments after `sacctmgr` that print accounts' descriptions and organizations for
/// [`parse_accounts`].
#[must_use]
pub fn account_args() -> Vec<String> {
    vec!["-P".into(), "-n".into(), "show".into(), "account".into(), format!("format={ACCOUNT_FORMAT}")]
}

/// An account's description and organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// `Descr`.
    pub description: String,
    /// `Org`.
    pub organization: String,
}

/// Splits the text into numbered lines of exactly `N` fields (blank lines skipped, a final
/// `\r` dropped).
fn rows<'a, const N: usize>(
    text: &'a str,
    names: &'static [&'static str; N],
) -> impl Iterator<Item = Result<(usize, [&'a str; N]), ParseError>> + 'a {
    text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).map(move |(i, l)| {
        let line = i + 1;
        let l = l.strip_suffix('\r').unwrap_or(l);
        let mut fields = [""; N];
        let mut count = 0;
        for f in l.split('|') {
            if count < N {
                fields[count] = f;
            }
            count += 1;
        }
        if count == N {
            Ok((line, fields))
        } else {
            Err(ParseError {
                line,
                column: 0,
                field: None,
                message: format!(
                    "{count} fields where {N} were asked for (`{}`); run with `-P -n format={}`",
                    l.chars().take(120).collect::<String>(),
                    names.join(",")
                ),
            })
        }
    })
}

fn err(line: usize, column: usize, names: &'static [&'static str], message: String) -> ParseError {
    ParseError { line, column, field: names.get(column - 1).copied(), message }
}

fn account(
    line: usize,
    column: usize,
    names: &'static [&'static str],
    value: &str,
) -> Result<AccountName, ParseError> {
    AccountName::new(value).map_err(|e| err(line, column, names, e.to_string()))
}

fn number<T: std::str::FromStr>(
    line: usize,
    column: usize,
    names: &'static [&'static str],
    value: &str,
) -> Result<Option<T>, ParseError> {
    if value.is_empty() {
        return Ok(None);
    }
    value.parse().map(Some).map_err(|_| err(line, column, names, format!("`{value}` is not a whole number")))
}

/// `cpu=600,gres/gpu=120,mem=...` → the CPU and GPU minutes.
fn tres_mins(line: usize, column: usize, value: &str) -> Result<TresMinutesLimit, ParseError> {
    let mut limit = TresMinutesLimit::default();
    if value.is_empty() {
        return Ok(limit);
    }
    for item in value.split(',') {
        let Some((name, v)) = item.split_once('=') else {
            return Err(err(line, column, &ASSOC_FIELDS, format!("`{item}` is not `tres=minutes`")));
        };
        let slot = match name {
            "cpu" => &mut limit.cpu,
            "gres/gpu" => &mut limit.gpu,
            _ => continue,
        };
        let minutes = v.parse::<u64>().map_err(|_| {
            err(line, column, &ASSOC_FIELDS, format!("`{item}`: `{v}` is not a whole number of minutes"))
        })?;
        *slot = Some(minutes);
    }
    Ok(limit)
}

/// Reads `sacctmgr -P -n show assoc format=`[`ASSOC_FORMAT`] output (see the module docs).
/// Descriptions and organizations are left empty; [`parse_state`] fills them in.
///
/// # Errors
/// [`ParseError`] naming the line, the field and the value.
pub fn parse_associations(text: &str) -> Result<SlurmState, ParseError> {
    let mut state = SlurmState::default();
    let mut seen: BTreeMap<AccountName, usize> = BTreeMap::new();
    for row in rows(text, &ASSOC_FIELDS) {
        let (line, [acct, parent, user, grp_tres_mins, grp_submit, grp_jobs]) = row?;
        let name = account(line, 1, &ASSOC_FIELDS, acct)?;
        if !user.is_empty() {
            let user = UserName::new(user).map_err(|e| err(line, 3, &ASSOC_FIELDS, e.to_string()))?;
            state.users.insert((name, user));
            continue;
        }
        let limits = Limits {
            grp_tres_mins: tres_mins(line, 4, grp_tres_mins)?,
            grp_submit_jobs: number(line, 5, &ASSOC_FIELDS, grp_submit)?,
            grp_jobs: number(line, 6, &ASSOC_FIELDS, grp_jobs)?,
        };
        if name.is_root() {
            continue;
        }
        if parent.is_empty() {
            return Err(err(line, 2, &ASSOC_FIELDS, format!("account `{name}` has no parent")));
        }
        let parent = account(line, 2, &ASSOC_FIELDS, parent)?;
        let new = AccountState { parent, description: String::new(), organization: String::new(), limits };
        if let Some(old) = state.accounts.get(&name) {
            if *old != new {
                let first = seen.get(&name).copied().unwrap_or(0);
                return Err(err(
                    line,
                    1,
                    &ASSOC_FIELDS,
                    format!(
                        "account `{name}` differs from line {first}; show one cluster's associations (`cluster=<name>`)"
                    ),
                ));
            }
            continue;
        }
        seen.insert(name.clone(), line);
        state.accounts.insert(name, new);
    }
    Ok(state)
}

/// Reads `sacctmgr -P -n show account format=`[`ACCOUNT_FORMAT`] output.
///
/// # Errors
/// [`ParseError`] naming the line and field of a bad account name or a wrong field count.
pub fn parse_accounts(text: &str) -> Result<BTreeMap<AccountName, AccountInfo>, ParseError> {
    let mut out = BTreeMap::new();
    for row in rows(text, &ACCOUNT_FIELDS) {
        let (line, [acct, descr, org]) = row?;
        let name = account(line, 1, &ACCOUNT_FIELDS, acct)?;
        out.insert(name, AccountInfo { description: descr.to_owned(), organization: org.to_owned() });
    }
    Ok(out)
}

/// Reads a cluster's state from its associations and the accounts' descriptions and
/// organizations (an account with no line in `accounts_text` keeps them empty).
///
/// # Errors
/// The first [`ParseError`] of either text (its line is a line of that text).
pub fn parse_state(assoc_text: &str, accounts_text: &str) -> Result<SlurmState, ParseError> {
    let mut state = parse_associations(assoc_text)?;
    let info = parse_accounts(accounts_text)?;
    for (name, account) in &mut state.accounts {
        if let Some(i) = info.get(name) {
            account.description.clone_from(&i.description);
            account.organization.clone_from(&i.organization);
        }
    }
    Ok(state)
}
