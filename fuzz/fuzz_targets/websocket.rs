//! Fuzz target `websocket`: the check is natter_server::fuzzing::websocket.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| natter_server::fuzzing::websocket(data));
