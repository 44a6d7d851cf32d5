//! Handlers, one module per resource or audience; `router.rs` wires them. A module never uses
//! another: shared views are in `crate::views`, shared checks beside them.

pub mod api;
pub mod appeals;
pub mod audits;
pub mod ckan;
pub mod data_access;
pub mod datasets;
pub mod datasets_api;
pub mod datasets_steward;
pub mod decisions;
pub mod explain;
pub mod grid;
pub mod obligations;
pub mod oversight;
pub mod provider;
pub mod public;
pub mod regulator;
pub mod review;
pub mod risk;
pub mod sandbox;
pub mod schemas;
pub mod session;
pub mod verify;

#[cfg(test)]
mod tests {
    /// Route modules do not reach into each other: what two of them share (views, checks,
    /// scopes) lives outside `routes/`, so each module reads on its own.
    #[test]
    fn route_modules_do_not_import_each_other() {
        let modules = [
            ("api", include_str!("api.rs")),
            ("audits", include_str!("audits.rs")),
            ("data_access", include_str!("data_access.rs")),
            ("datasets", include_str!("datasets.rs")),
            ("datasets_steward", include_str!("datasets_steward.rs")),
            ("decisions", include_str!("decisions.rs")),
            ("explain", include_str!("explain.rs")),
            ("grid", include_str!("grid.rs")),
            ("obligations", include_str!("obligations.rs")),
            ("provider", include_str!("provider.rs")),
            ("public", include_str!("public.rs")),
            ("regulator", include_str!("regulator.rs")),
            ("review", include_str!("review.rs")),
            ("risk", include_str!("risk.rs")),
            ("schemas", include_str!("schemas.rs")),
            ("session", include_str!("session.rs")),
            ("verify", include_str!("verify.rs")),
        ];
        for (name, text) in modules {
            for (other, _) in modules {
                for needle in [format!("crate::routes::{other}"), format!("super::{other}")] {
                    assert!(!text.contains(&needle), "routes/{name}.rs uses `{needle}`");
                }
            }
        }
    }
}
