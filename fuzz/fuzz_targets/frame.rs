//! Any bytes as control-socket frames: refused or decoded, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspe_shared::api::{decode, read_frame, read_message, Request, Response};

fuzz_target!(|data: &[u8]| {
    let _ = decode::<Request>(data);
    let _ = decode::<Response>(data);
    let _ = read_frame(&mut &data[..]);
    let _ = read_message(&mut &data[..], 1 << 16);
});
