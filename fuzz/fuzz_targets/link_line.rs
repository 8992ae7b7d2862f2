//! Fuzz target `link_line`: the check is natter_server::fuzzing::link_line.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| natter_server::fuzzing::link_line(data));
