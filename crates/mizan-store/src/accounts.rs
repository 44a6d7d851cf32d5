//! Organisations, users, memberships, roles-as-data, sessions and API tokens.
//!
//! A request is resolved to a [`Principal`]: who it is, for which organisation, and the set of
//! permissions it holds there. For a token that set is the intersection of what its creator's
//! roles allow and the token's scopes, so a token can never do more than the person who made it.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{OrgScope, Result, Store, StoreError, is_unique_violation, now, sha256_hex};

/// Kinds of organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgKind {
    /// A company or other body that builds or deploys AI.
    Provider,
    /// A government department (deploys AI like a provider, under public law).
    Government,
    /// The regulator that runs the register.
    Regulator,
}

impl OrgKind {
    /// Stable code.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            OrgKind::Provider => "provider",
            OrgKind::Government => "government",
            OrgKind::Regulator => "regulator",
        }
    }

    /// Parses a code.
    #[must_use]
    pub fn parse(s: &str) -> Option<OrgKind> {
        [OrgKind::Provider, OrgKind::Government, OrgKind::Regulator].into_iter().find(|k| k.as_str() == s)
    }

    /// The role whose permissions bound a token made without a user (by `mizan admin`).
    const fn ceiling_role(self) -> &'static str {
        match self {
            OrgKind::Provider | OrgKind::Government => "provider-admin",
            OrgKind::Regulator => "regulator-admin",
        }
    }
}

/// An organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// Database id.
    pub id: i64,
    /// URL-safe short name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Kind.
    pub kind: OrgKind,
}

/// A user account (never carries the password hash out of the store except for login).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Database id.
    pub id: i64,
    /// Sign-in e-mail.
    pub email: String,
    /// Name shown in event trails.
    pub display_name: String,
}

/// One role a user holds in an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The organisation.
    pub org: Org,
    /// The role code.
    pub role: String,
}

/// Who is asking, for which organisation, with which permissions.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user, when signed in or when the token was made by one.
    pub user: Option<User>,
    /// The organisation acted for.
    pub org: Org,
    /// Role codes held there.
    pub roles: Vec<String>,
    /// Effective permissions.
    pub permissions: BTreeSet<String>,
    /// True when authenticated by an API token rather than a session.
    pub via_token: bool,
}

impl Principal {
    /// Whether the principal holds `permission`.
    #[must_use]
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.contains(permission)
    }

    /// The tenant scope of this principal.
    #[must_use]
    pub fn scope(&self) -> OrgScope {
        OrgScope::new(self.org.id)
    }

    /// A name for event trails.
    #[must_use]
    pub fn actor_name(&self) -> String {
        match &self.user {
            Some(u) => format!("{} ({})", u.display_name, self.org.name),
            None => format!("API token ({})", self.org.name),
        }
    }
}

/// A token's metadata (never the secret).
#[derive(Debug, Clone)]
pub struct ApiToken {
    /// Database id.
    pub id: i64,
    /// Label.
    pub name: String,
    /// First characters of the secret, to recognise it.
    pub prefix: String,
    /// Scopes, space-separated in storage.
    pub scopes: Vec<String>,
    /// Expiry time.
    pub expires_at: String,
    /// Revocation time, if revoked.
    pub revoked_at: Option<String>,
    /// Creation time.
    pub created_at: String,
}

/// A freshly made token: the secret is here once and never stored.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Database id.
    pub id: i64,
    /// The secret to show the user once.
    pub secret: String,
}

/// Why a presented token does not authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// No such token.
    Unknown,
    /// Past its expiry.
    Expired,
    /// Revoked.
    Revoked,
}

fn org_from_row(row: &sqlx::any::AnyRow, prefix: &str) -> Result<Org> {
    let kind: String = row.try_get(format!("{prefix}kind").as_str())?;
    Ok(Org {
        id: row.try_get(format!("{prefix}id").as_str())?,
        slug: row.try_get(format!("{prefix}slug").as_str())?,
        name: row.try_get(format!("{prefix}name").as_str())?,
        kind: OrgKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("organisation kind `{kind}`")))?,
    })
}

impl Store {
    /// Creates an organisation.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the slug is taken.
    pub async fn create_org(&self, slug: &str, name: &str, kind: OrgKind) -> Result<Org> {
        refuse_controls(&[("slug", slug), ("name", name)])?;
        let row = sqlx::query(
            "INSERT INTO organisations (slug, name, kind, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(slug)
        .bind(name)
        .bind(kind.as_str())
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("organisation `{slug}` already exists"))
            } else {
                e.into()
            }
        })?;
        Ok(Org { id: row.try_get("id")?, slug: slug.to_owned(), name: name.to_owned(), kind })
    }

    /// Finds an organisation by slug.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is none.
    pub async fn org_by_slug(&self, slug: &str) -> Result<Org> {
        let row = sqlx::query("SELECT id, slug, name, kind FROM organisations WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "organisation", id: slug.to_owned() })?;
        org_from_row(&row, "")
    }

    /// All organisations, by name (they are public: the register names them).
    ///
    /// # Errors
    /// Database errors.
    pub async fn orgs(&self) -> Result<Vec<Org>> {
        let rows = sqlx::query("SELECT id, slug, name, kind FROM organisations ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| org_from_row(r, "")).collect()
    }

    /// Creates a user with an already-hashed password.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the e-mail is taken.
    pub async fn create_user(&self, email: &str, display_name: &str, password_hash: &str) -> Result<User> {
        let email = email.trim().to_lowercase();
        if !mizan_register::is_email(&email) {
            return Err(StoreError::Invalid(vec![mizan_register::FieldError {
                field: "email".into(),
                code: mizan_register::FieldErrorCode::InvalidEmail,
            }]));
        }
        refuse_controls(&[("email", &email), ("name", display_name)])?;
        let row = sqlx::query(
            "INSERT INTO users (email, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&email)
        .bind(display_name)
        .bind(password_hash)
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("user `{email}` already exists"))
            } else {
                e.into()
            }
        })?;
        Ok(User { id: row.try_get("id")?, email, display_name: display_name.to_owned() })
    }

    /// The user and stored password hash for a sign-in attempt.
    ///
    /// # Errors
    /// Database errors.
    pub async fn user_for_login(&self, email: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query("SELECT id, email, display_name, password_hash FROM users WHERE email = $1")
            .bind(email.trim().to_lowercase())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok((
                User {
                    id: r.try_get("id")?,
                    email: r.try_get("email")?,
                    display_name: r.try_get("display_name")?,
                },
                r.try_get("password_hash")?,
            ))
        })
        .transpose()
    }

    /// Gives `user_id` a role in an organisation; idempotent.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown role.
    pub async fn add_membership(&self, user_id: i64, org_id: i64, role: &str) -> Result<()> {
        let known: Option<String> = sqlx::query_scalar("SELECT role FROM roles WHERE role = $1")
            .bind(role)
            .fetch_optional(&self.pool)
            .await?;
        if known.is_none() {
            return Err(StoreError::NotFound { what: "role", id: role.to_owned() });
        }
        sqlx::query(
            "INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(org_id)
        .bind(role)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The role codes defined in the database.
    ///
    /// # Errors
    /// Database errors.
    pub async fn roles(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT role FROM roles ORDER BY role").fetch_all(&self.pool).await?)
    }

    async fn permissions_of(&self, roles: &[String]) -> Result<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        for role in roles {
            let perms: Vec<String> =
                sqlx::query_scalar("SELECT permission FROM role_permissions WHERE role = $1")
                    .bind(role)
                    .fetch_all(&self.pool)
                    .await?;
            out.extend(perms);
        }
        Ok(out)
    }

    /// Every permission any role grants: the valid token scopes.
    ///
    /// # Errors
    /// Database errors.
    pub async fn all_permissions(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT DISTINCT permission FROM role_permissions ORDER BY permission")
            .fetch_all(&self.pool)
            .await?)
    }

    /// What `user` may do, as the organisation of their first membership; `None` without one.
    ///
    /// # Errors
    /// Database errors.
    pub async fn principal_for_user(&self, user: User) -> Result<Option<Principal>> {
        // A user acts for the organisation of their first membership (by organisation id).
        let rows = sqlx::query(
            "SELECT o.id, o.slug, o.name, o.kind, m.role FROM memberships m \
             JOIN organisations o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY o.id, m.role",
        )
        .bind(user.id)
        .fetch_all(&self.pool)
        .await?;
        let Some(first) = rows.first() else { return Ok(None) };
        let org = org_from_row(first, "")?;
        let roles: Vec<String> = rows
            .iter()
            .filter(|r| r.try_get::<i64, _>("id").ok() == Some(org.id))
            .map(|r| r.try_get("role"))
            .collect::<Result<_, _>>()?;
        let permissions = self.permissions_of(&roles).await?;
        Ok(Some(Principal { user: Some(user), org, roles, permissions, via_token: false }))
    }

    /// Starts a session for `user_id`; returns the cookie secret.
    ///
    /// # Errors
    /// Database errors.
    pub async fn create_session(&self, user_id: i64, ttl: time::Duration) -> Result<String> {
        let secret = random_secret();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(sha256_hex(secret.as_bytes()))
        .bind(user_id)
        .bind(now())
        .bind(crate::format_time(time::OffsetDateTime::now_utc() + ttl))
        .execute(&self.pool)
        .await?;
        Ok(secret)
    }

    /// The principal behind a session cookie, if the session is live.
    ///
    /// # Errors
    /// Database errors.
    pub async fn principal_for_session(&self, secret: &str) -> Result<Option<Principal>> {
        let row = sqlx::query(
            "SELECT u.id, u.email, u.display_name FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(sha256_hex(secret.as_bytes()))
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let user = User {
            id: r.try_get("id")?,
            email: r.try_get("email")?,
            display_name: r.try_get("display_name")?,
        };
        self.principal_for_user(user).await
    }

    /// Ends a session.
    ///
    /// # Errors
    /// Database errors.
    pub async fn delete_session(&self, secret: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(sha256_hex(secret.as_bytes()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Makes an API token for the organisation in `scope`. `created_by` bounds its permissions
    /// by that user's roles; without a user the organisation kind's admin role bounds them.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] for a scope no role grants or an expiry not in the future.
    pub async fn create_token(
        &self,
        scope: OrgScope,
        created_by: Option<i64>,
        name: &str,
        scopes: &[String],
        expires_at: time::OffsetDateTime,
    ) -> Result<NewToken> {
        let valid = self.all_permissions().await?;
        if let Some(bad) = scopes.iter().find(|s| !valid.contains(s)) {
            return Err(StoreError::Conflict(format!(
                "unknown scope `{bad}` (valid scopes: {})",
                valid.join(", ")
            )));
        }
        if scopes.is_empty() {
            return Err(StoreError::Conflict("a token needs at least one scope".into()));
        }
        if expires_at <= time::OffsetDateTime::now_utc() {
            return Err(StoreError::Conflict("the expiry must be in the future".into()));
        }
        let secret = format!("mzn_{}", random_secret());
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let row = sqlx::query(
            "INSERT INTO api_tokens (org_id, created_by, name, token_hash, token_prefix, scopes, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(scope.org_id())
        .bind(created_by)
        .bind(name)
        .bind(sha256_hex(secret.as_bytes()))
        .bind(secret.chars().take(10).collect::<String>())
        .bind(scopes.join(" "))
        .bind(crate::format_time(expires_at))
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(NewToken { id: row.try_get("id")?, secret })
    }

    /// The organisation's tokens, newest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn tokens(&self, scope: OrgScope) -> Result<Vec<ApiToken>> {
        self.tokens_where(scope, None).await
    }

    /// The tokens `user_id` made in the organisation, newest first: what a person without
    /// `tokens:manage` sees of the organisation's tokens.
    ///
    /// # Errors
    /// Database errors.
    pub async fn tokens_made_by(&self, scope: OrgScope, user_id: i64) -> Result<Vec<ApiToken>> {
        self.tokens_where(scope, Some(user_id)).await
    }

    async fn tokens_where(&self, scope: OrgScope, made_by: Option<i64>) -> Result<Vec<ApiToken>> {
        let mut tx = self.begin_scoped_read(scope).await?;
        let rows = sqlx::query(
            "SELECT id, name, token_prefix, scopes, expires_at, revoked_at, created_at FROM api_tokens \
             WHERE org_id = $1 AND ($2 IS NULL OR created_by = $2) ORDER BY id DESC",
        )
        .bind(scope.org_id())
        .bind(made_by)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let scopes: String = r.try_get("scopes")?;
                Ok(ApiToken {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    prefix: r.try_get("token_prefix")?,
                    scopes: scopes.split_whitespace().map(str::to_owned).collect(),
                    expires_at: r.try_get("expires_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Revokes one of the organisation's tokens.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the token is not this organisation's.
    pub async fn revoke_token(&self, scope: OrgScope, id: i64) -> Result<()> {
        self.revoke_token_where(scope, id, None).await
    }

    /// Revokes a token `user_id` made.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the token is not one of theirs in this organisation.
    pub async fn revoke_own_token(&self, scope: OrgScope, user_id: i64, id: i64) -> Result<()> {
        self.revoke_token_where(scope, id, Some(user_id)).await
    }

    async fn revoke_token_where(&self, scope: OrgScope, id: i64, made_by: Option<i64>) -> Result<()> {
        let (guard, mut tx) = self.begin_scoped_write(scope).await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL \
             AND ($4 IS NULL OR created_by = $4)",
        )
        .bind(now())
        .bind(id)
        .bind(scope.org_id())
        .bind(made_by)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "token", id: id.to_string() });
        }
        tx.commit().await?;
        drop(guard);
        self.hot.forget_tokens();
        Ok(())
    }

    /// Resolves a bearer token to a principal, or says why it does not work. A token resolved in
    /// the last [`crate::TOKEN_TTL`] is answered from memory (see `hot`), its expiry checked
    /// again.
    ///
    /// # Errors
    /// Database errors.
    pub async fn principal_for_token(&self, secret: &str) -> Result<Result<Principal, TokenProblem>> {
        let hash: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        if let Some((p, expires_at)) = self.hot.token(&hash) {
            if expires_at <= now() {
                return Ok(Err(TokenProblem::Expired));
            }
            return Ok(Ok(p));
        }
        Ok(match self.principal_for_token_uncached(secret).await? {
            Ok((p, expires_at)) => {
                self.hot.put_token(hash, p.clone(), expires_at);
                Ok(p)
            }
            Err(problem) => Err(problem),
        })
    }

    /// The database lookup behind [`Store::principal_for_token`], with the token's expiry.
    async fn principal_for_token_uncached(
        &self,
        secret: &str,
    ) -> Result<Result<(Principal, String), TokenProblem>> {
        let hash = Sha256::digest(secret.as_bytes());
        let row = sqlx::query(
            "SELECT t.created_by, t.scopes, t.expires_at, t.revoked_at, o.id, o.slug, o.name, o.kind \
             FROM api_tokens t JOIN organisations o ON o.id = t.org_id WHERE t.token_hash = $1",
        )
        .bind(hex::encode(hash))
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(Err(TokenProblem::Unknown)) };
        if r.try_get::<Option<String>, _>("revoked_at")?.is_some() {
            return Ok(Err(TokenProblem::Revoked));
        }
        let expires_at: String = r.try_get("expires_at")?;
        if expires_at <= now() {
            return Ok(Err(TokenProblem::Expired));
        }
        let org = org_from_row(&r, "")?;
        let scopes: String = r.try_get("scopes")?;
        let created_by: Option<i64> = r.try_get("created_by")?;
        let (user, roles) = match created_by {
            Some(uid) => {
                let u = sqlx::query("SELECT id, email, display_name FROM users WHERE id = $1")
                    .bind(uid)
                    .fetch_one(&self.pool)
                    .await?;
                let roles: Vec<String> =
                    sqlx::query_scalar("SELECT role FROM memberships WHERE user_id = $1 AND org_id = $2")
                        .bind(uid)
                        .bind(org.id)
                        .fetch_all(&self.pool)
                        .await?;
                let user = User {
                    id: u.try_get("id")?,
                    email: u.try_get("email")?,
                    display_name: u.try_get("display_name")?,
                };
                (Some(user), roles)
            }
            None => (None, vec![org.kind.ceiling_role().to_owned()]),
        };
        let ceiling = self.permissions_of(&roles).await?;
        let permissions =
            scopes.split_whitespace().filter(|s| ceiling.contains(*s)).map(str::to_owned).collect();
        Ok(Ok((Principal { user, org, roles, permissions, via_token: true }, expires_at)))
    }
}

fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Refuses names carrying a character no document may hold (see
/// [`mizan_register::forbidden_char`]), naming the field.
fn refuse_controls(fields: &[(&str, &str)]) -> Result<()> {
    for (field, value) in fields {
        if let Some((i, c)) = mizan_register::forbidden_char(value) {
            return Err(StoreError::Invalid(vec![mizan_register::FieldError {
                field: (*field).to_owned(),
                code: mizan_register::FieldErrorCode::ControlCharacter {
                    position: i + 1,
                    character: format!("U+{:04X}", u32::from(c)),
                },
            }]));
        }
    }
    Ok(())
}
