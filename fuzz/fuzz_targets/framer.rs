//! Fuzz target `framer`: the check is natter_server::fuzzing::framer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| natter_server::fuzzing::framer(data));
