//! XGBoost UBJSON models: `mizan_explain::xgboost::load_ubjson` (the crate's own UBJSON reader).
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::check(mizan_explain::xgboost::load_ubjson(data));
});
