//! The register list's filters as they arrive in a query string, shared by the register page
//! and `GET /api/v1/systems`, checked into a store query.

use mizan_store::PublicQuery;
use serde::Deserialize;

use crate::error::AppError;

/// Register list filters as they arrive in the query string.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    /// Search words.
    #[serde(default)]
    pub q: String,
    /// Sector code.
    #[serde(default)]
    pub sector: String,
    /// Organisation slug.
    #[serde(default)]
    pub org: String,
    /// Public status.
    #[serde(default)]
    pub status: String,
    /// Risk tier.
    #[serde(default)]
    pub tier: String,
    /// Impact level.
    #[serde(default)]
    pub level: String,
    /// Page number (absent: the first).
    #[serde(default)]
    pub page: Option<String>,
    /// Rows per page (API only; absent: the default).
    #[serde(default)]
    pub per_page: Option<String>,
    /// Ignored here (language override).
    #[serde(default)]
    pub lang: String,
}

impl ListParams {
    /// Validates and converts to a store query.
    ///
    /// # Errors
    /// [`AppError::BadRequest`] naming `page` or `per_page` when given but not a whole number
    /// in range (an empty `page=` too: the OpenAPI document says an integer).
    pub fn to_query(&self, default_per_page: u32) -> Result<PublicQuery, AppError> {
        let num = |name: &str, v: Option<&str>, default: u32, max: u32| -> Result<u32, AppError> {
            let Some(v) = v else {
                return Ok(default);
            };
            v.parse::<u32>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| AppError::BadRequest {
                field: Some(name.to_owned()),
                detail: format!("`{name}` must be a whole number from 1 to {max}"),
            })
        };
        Ok(PublicQuery {
            q: self.q.chars().take(200).collect(),
            sector: self.sector.clone(),
            org: self.org.clone(),
            status: self.status.clone(),
            tier: self.tier.clone(),
            level: self.level.clone(),
            page: num("page", self.page.as_deref(), 1, 100_000)?,
            per_page: num("per_page", self.per_page.as_deref(), default_per_page, 100)?,
        })
    }
}
