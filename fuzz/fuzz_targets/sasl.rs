//! Fuzz target `sasl`: the check is natter_server::fuzzing::sasl.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| natter_server::fuzzing::sasl(data));
