//! Fuzz target `config`: the check is natter_server::fuzzing::config.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| natter_server::fuzzing::config(data));
