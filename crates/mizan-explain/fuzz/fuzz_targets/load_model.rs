//! The format sniffer every caller uses: `mizan_explain::load_model`.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::check(mizan_explain::load_model(data));
});
