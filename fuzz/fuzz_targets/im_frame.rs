//! Fuzz target `im_frame`: the check is natter_server::fuzzing::im_frame.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| natter_server::fuzzing::im_frame(data));
