//! The saved configuration's decoders: the seal of a saved file, journal records, and
//! replaying decoded changes onto a store; and the control socket's frame assembler.
//! Errors are fine, panics are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspe_controlplane::config::journal::{apply, Record};
use rspe_controlplane::config::persist::unseal;
use rspe_controlplane::config::store::{PortDesc, Store};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = unseal(&text);
    let ports = [PortDesc { default_name: "ether1".into(), mac: "02:00:00:00:00:01".into(), driver: "fuzz".into() }];
    let mut store = Store::new(&ports);
    for line in text.lines() {
        if let Ok(r) = Record::decode(line) {
            for c in &r.changes {
                let _ = apply(&mut store, c);
            }
        }
        // A body without the checksum: reach the replay with any JSON.
        if let Ok(changes) = serde_json::from_str::<Vec<rspe_controlplane::config::journal::Change>>(line) {
            for c in &changes {
                let _ = apply(&mut store, c);
            }
        }
    }
    let mut asm = rspe_shared::api::Assembler::new(1 << 16);
    for chunk in data.chunks(7) {
        let _ = asm.push(chunk);
    }
});
