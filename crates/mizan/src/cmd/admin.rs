//! `mizan admin`: bootstrap a real deployment from the command line: organisations, users with
//! roles, and API tokens (printed once, stored hashed).

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use mizan_store::{OrgKind, OrgScope};

use crate::cmd::serve::{DbArgs, runtime};

/// Arguments of `mizan admin`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, Subcommand)]
#[expect(
    clippy::enum_variant_names,
    reason = "the commands are named create-org, create-user and create-token"
)]
enum AdminCommand {
    /// Create an organisation.
    CreateOrg {
        /// Short URL-safe name, e.g. `state-bank`.
        #[arg(long)]
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// `provider`, `government` or `regulator`.
        #[arg(long)]
        kind: String,
    },
    /// Create a user and give them a role in an organisation.
    CreateUser {
        /// Sign-in e-mail.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// Role: provider-editor, provider-admin, steward, reviewer or regulator-admin.
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input (otherwise one is generated and printed).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create an API token for an organisation; the secret is printed once.
    CreateToken {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// A label for the token.
        #[arg(long, default_value = "admin token")]
        name: String,
        /// Comma-separated scopes, e.g. `systems:read,systems:write`.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// Days until the token expires (1 to 365; tokens always expire).
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=365))]
        expires_in_days: i64,
    },
}

/// Runs `mizan admin`.
pub fn run(args: AdminArgs) -> Result<()> {
    runtime()?.block_on(async move {
        let store = args.db.open().await?;
        match args.command {
            AdminCommand::CreateOrg { slug, name, kind } => {
                let Some(kind) = OrgKind::parse(&kind) else {
                    bail!("unknown organisation kind `{kind}` (expected `provider`, `government` or `regulator`)");
                };
                if slug.is_empty() || !slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
                    bail!("slug `{slug}` must use only lower-case letters, digits and `-`");
                }
                let org = store.create_org(&slug, &name, kind).await?;
                out!("created organisation `{}` ({})", org.slug, org.kind.as_str());
            }
            AdminCommand::CreateUser { email, name, org, role, password_stdin } => {
                let org = store.org_by_slug(&org).await?;
                let roles = store.roles().await?;
                if !roles.contains(&role) {
                    bail!("unknown role `{role}` (roles: {})", roles.join(", "));
                }
                let (password, generated) = if password_stdin {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
                    let p = line.trim_end_matches(['\n', '\r']).to_owned();
                    if p.chars().count() < 12 {
                        bail!("the password must be at least 12 characters");
                    }
                    (p, false)
                } else {
                    (random_password(), true)
                };
                let hash = mizan_app::passwords::hash_password(&password).map_err(anyhow::Error::msg)?;
                let user = store.create_user(&email, &name, &hash).await?;
                store.add_membership(user.id, org.id, &role).await?;
                out!("created user `{}` as {role} of `{}`", user.email, org.slug);
                if generated {
                    out!("password (shown once): {password}");
                }
            }
            AdminCommand::CreateToken { org, name, scopes, expires_in_days } => {
                let org = store.org_by_slug(&org).await?;
                let expires = time::OffsetDateTime::now_utc() + time::Duration::days(expires_in_days);
                let token = store.create_token(OrgScope::new(org.id), None, &name, &scopes, expires).await?;
                eprintln!("token for `{}` with scopes {}; it expires in {expires_in_days} days and is shown only once:", org.slug, scopes.join(","));
                out!("{}", token.secret);
            }
        }
        store.close().await;
        Ok(())
    })
}

fn random_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20).map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())])).collect()
}
