//! `mizan-linear/1` JSON: `mizan_explain::linear::load_value` on whatever parses as JSON.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        common::check(mizan_explain::linear::load_value(&v));
    }
});
