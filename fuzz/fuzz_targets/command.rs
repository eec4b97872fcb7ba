//! Any text through the RouterOS command engine: errors are fine, panics are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspe_controlplane::config::exec::{run, Ctx, Format, NoLive, Session};
use rspe_controlplane::config::store::{PortDesc, Store};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let ports = [PortDesc { default_name: "ether1".into(), mac: "02:00:00:00:00:01".into(), driver: "fuzz".into() }];
    let pristine = Store::new(&ports);
    let mut store = pristine.clone();
    let mut session = Session::default();
    let mut ctx = Ctx { store: &mut store, pristine: &pristine, session: &mut session, live: &NoLive, format: Format::Text };
    let _ = run(&mut ctx, "/interface bridge add name=lo0\n/ip vrf add name=v interfaces=lo0");
    let _ = run(&mut ctx, src);
    let _ = run(&mut ctx, "/export");
});
