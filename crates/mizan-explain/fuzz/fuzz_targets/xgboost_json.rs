//! XGBoost JSON models: `mizan_explain::xgboost::load_json`.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::check(mizan_explain::xgboost::load_json(data));
});
