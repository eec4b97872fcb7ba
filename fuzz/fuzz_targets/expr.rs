//! `where` expressions built to nest deep: the input's first two bytes say how many times
//! the rest is repeated (up to 20,000), so `(`, `not ` or `!` reach thousands of levels.
//! Errors are fine; a panic or a stack overflow is not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspe_controlplane::config::exec::{run, Ctx, Format, NoLive, Session};
use rspe_controlplane::config::store::{PortDesc, Store};

fuzz_target!(|data: &[u8]| {
    let [a, b, rest @ ..] = data else { return };
    let Ok(unit) = std::str::from_utf8(rest) else { return };
    if unit.is_empty() || unit.contains('\n') {
        return;
    }
    let times = usize::from(u16::from_be_bytes([*a, *b])) % 20_000 + 1;
    let times = times.min(400_000 / unit.len().max(1));
    let ports = [PortDesc { default_name: "ether1".into(), mac: "02:00:00:00:00:01".into(), driver: "fuzz".into() }];
    let pristine = Store::new(&ports);
    let mut store = pristine.clone();
    let mut session = Session::default();
    let mut ctx = Ctx { store: &mut store, pristine: &pristine, session: &mut session, live: &NoLive, format: Format::Text };
    let _ = run(&mut ctx, "/ip route add dst-address=10.0.0.0/8 gateway=ether1 comment=x");
    let deep = unit.repeat(times);
    let _ = run(&mut ctx, &format!("/ip route print where {deep}"));
    let _ = run(&mut ctx, &format!("/ip route print where {deep} disabled {}", ")".repeat(times)));
    let _ = run(&mut ctx, &format!("/ip route remove [find where {deep}]"));
    let _ = run(&mut ctx, &format!("/export where {deep}"));
});
