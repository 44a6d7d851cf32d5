//! LightGBM `model.txt`: `mizan_explain::lightgbm::load_model_txt`.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        common::check(mizan_explain::lightgbm::load_model_txt(text));
    }
});
