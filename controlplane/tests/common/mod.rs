//! What the configuration tests share: a store for a router with N ports, and running a
//! script against it.

use rspe_controlplane::config::exec::{run, Ctx, Format, NoLive, Session};
use rspe_controlplane::config::store::{PortDesc, Store};

/// A fresh store for `ports` ports (`ether1`.., MAC 02:00:00:00:00:0N) and its pristine copy.
pub fn store(ports: usize) -> (Store, Store) {
    let p: Vec<PortDesc> = (1..=ports)
        .map(|i| PortDesc {
            default_name: format!("ether{i}"),
            mac: format!("02:00:00:00:00:{i:02X}"),
            driver: "net_null".into(),
        })
        .collect();
    let s = Store::new(&p);
    (s.clone(), s)
}

/// Runs `src` against `store`: its output, or its error as text.
pub fn one(store: &mut Store, pristine: &Store, src: &str) -> Result<String, String> {
    let mut session = Session::default();
    let mut ctx = Ctx {
        store,
        pristine,
        session: &mut session,
        live: &NoLive,
        format: Format::Text,
    };
    run(&mut ctx, src)
        .map(|o| o.output)
        .map_err(|f| f.error.to_string())
}
