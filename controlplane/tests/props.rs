//! Properties: export then import is the identity on random valid configurations (compact,
//! verbose and terse exports), and no input makes the command engine or the frame decoder
//! panic.

use proptest::prelude::*;
use rspe_controlplane::config::exec::{run, Ctx, Format, NoLive, Session};
use rspe_controlplane::config::store::{PortDesc, Store};

fn fresh() -> Store {
    let p: Vec<PortDesc> = (1..=4)
        .map(|i| PortDesc {
            default_name: format!("ether{i}"),
            mac: format!("02:00:00:00:00:{i:02X}"),
            driver: "net_ring".into(),
        })
        .collect();
    Store::new(&p)
}

fn apply(store: &mut Store, pristine: &Store, src: &str) -> Result<String, String> {
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

/// Text that needs quoting and escaping.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}",
        Just("WAN link".to_string()),
        Just("quote \" and \\ back".to_string()),
        Just("dollar $x; semi".to_string()),
        Just("#hash [brackets] (parens)".to_string()),
        Just("tab\tnewline\n".to_string()),
        Just("ünïcödé".to_string()),
    ]
}

fn quote(v: &str) -> String {
    rspe_controlplane::config::lex::quote(v)
}

fn command() -> impl Strategy<Value = String> {
    let iface = prop_oneof![
        Just("ether1"),
        Just("ether2"),
        Just("ether3"),
        Just("ether4"),
        Just("br0"),
        Just("br1")
    ];
    prop_oneof![
        (0u8..2).prop_map(|i| format!("/interface bridge add name=br{i}")),
        (1u8..5, "[a-z]{3,6}").prop_map(|(i, n)| format!("/interface ethernet set [ find default-name=ether{i} ] name=x{n}")),
        ("[a-z]{2,6}", iface.clone(), any::<bool>()).prop_map(|(n, i, before)| {
            format!("/ip vrf add name=v{n} interfaces={i}{}", if before { " place-before 0" } else { "" })
        }),
        (iface.clone(), 1u8..250, 8u8..31, text()).prop_map(|(i, o, l, c)| {
            format!("/ip address add address=10.{o}.0.1/{l} interface={i} comment={}", quote(&c))
        }),
        ("[a-z]{2,5}", any::<bool>()).prop_map(|(n, fib)| format!("/routing table add name=t{n}{}", if fib { " fib" } else { "" })),
        (1u8..250, 1u8..255, prop_oneof![Just("main"), Just("tq")], any::<bool>()).prop_map(|(o, d, t, bh)| {
            if bh {
                format!("/ip route add dst-address=172.{o}.0.0/16 blackhole distance={d}")
            } else {
                format!("/routing table add name=tq fib; /ip route add dst-address=172.{o}.0.0/16 gateway=10.0.0.{o}@{t} distance={d} routing-table={t}")
            }
        }),
        (iface.clone(), text()).prop_map(|(i, c)| {
            format!("/ip firewall nat add chain=srcnat out-interface={i} action=masquerade comment={}", quote(&c))
        }),
        (1u8..250, "[a-z]{1,6}").prop_map(|(o, m)| format!(
            "/ip firewall mangle add chain=prerouting src-address=192.168.{o}.0/24 connection-state=new action=mark-connection new-connection-mark={m} passthrough=no"
        )),
        (1u32..65535).prop_map(|a| format!("/routing bgp template set default as={a} address-families=ip,vpn4")),
        (1u8..250, any::<bool>()).prop_map(|(o, d)| format!(
            "/routing bgp connection add remote.address=10.9.9.{o} .as=65000 local.role=ibgp templates=default disabled={}",
            if d { "yes" } else { "no" }
        )),
        (10000u32..20000).prop_map(|a| format!("/mpls settings set dynamic-label-range={a}-{}", a + 1000)),
        ("[a-z]{1,5}", text()).prop_map(|(n, c)| format!(
            "/routing ospf instance add name=o{n} comment={}; /routing ospf area add name=a{n} instance=o{n}; /routing ospf interface-template add area=a{n} networks=10.0.0.0/8 passive",
            quote(&c)
        )),
        text().prop_map(|t| format!("/system identity set name={}", quote(&t.replace(['\n', '\t'], " ")))),
        prop_oneof![Just("ssh"), Just("www"), Just("api")].prop_map(|s| format!("/ip service set {s} port=8{}", s.len())),
        (0usize..3).prop_map(|i| format!("/ip vrf move {i} 0")),
        (0usize..3).prop_map(|i| format!("/ip address disable {i}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn export_then_import_is_the_identity(cmds in prop::collection::vec(command(), 1..30)) {
        let pristine = fresh();
        let mut a = pristine.clone();
        for c in &cmds {
            // Random commands may conflict (a name taken twice); those fail and change nothing.
            let _ = apply(&mut a, &pristine, c);
        }
        let export = apply(&mut a, &pristine, "/export").unwrap();
        for mode in ["", " verbose", " terse"] {
            let text = apply(&mut a, &pristine, &format!("/export{mode}")).unwrap();
            let mut b = pristine.clone();
            apply(&mut b, &pristine, &text).map_err(|e| TestCaseError::fail(format!("export{mode} does not load: {e}\n{text}")))?;
            let again = apply(&mut b, &pristine, "/export").unwrap();
            prop_assert_eq!(&again, &export, "export{} then import", mode);
        }
    }

    #[test]
    fn the_journal_replayed_on_the_export_gives_the_same_configuration(
        before in prop::collection::vec(command(), 0..15),
        after in prop::collection::vec(
            prop_oneof![
                3 => command(),
                1 => (0usize..4).prop_map(|i| format!("/ip address remove {i}")),
                1 => (0usize..4).prop_map(|i| format!("/ip route set {i} distance=7 comment=j")),
                1 => (0usize..3).prop_map(|i| format!("/ip vrf remove {i}")),
                1 => (0usize..3).prop_map(|i| format!("/routing table set {i} name=tz{i}")),
                1 => (1u8..5).prop_map(|i| format!("/interface set ether{i} comment=c{i}")),
                1 => (0u8..2).prop_map(|i| format!("/interface bridge set br{i} comment=b{i}")),
                1 => (0u8..2).prop_map(|i| format!("/interface set br{i} mtu=1400")),
                1 => (0usize..3).prop_map(|i| format!("/ip firewall nat move {i}")),
            ],
            1..20,
        ),
    ) {
        use rspe_controlplane::config::journal;
        let pristine = fresh();
        let mut a = pristine.clone();
        for c in &before {
            let _ = apply(&mut a, &pristine, c);
        }
        // What the file holds: the export at this point.
        let export = apply(&mut a, &pristine, "/export").unwrap();
        a.take_changes();
        let mut records = Vec::new();
        for c in &after {
            // Numbers refer to a print's order; print first, as an operator would.
            let menu = c.split(' ').take_while(|w| !matches!(*w, "add" | "set" | "remove" | "move")).collect::<Vec<_>>().join(" ");
            let _ = apply(&mut a, &pristine, &format!("{menu} print"));
            let _ = apply(&mut a, &pristine, c);
            records.push(a.take_changes());
        }
        let mut b = pristine.clone();
        apply(&mut b, &pristine, &export).unwrap();
        for changes in &records {
            for ch in changes {
                journal::apply(&mut b, ch).map_err(|e| TestCaseError::fail(format!("replay: {e}: {ch:?}")))?;
            }
        }
        prop_assert_eq!(
            apply(&mut b, &pristine, "/export").unwrap(),
            apply(&mut a, &pristine, "/export").unwrap()
        );
    }

    #[test]
    fn no_input_panics_the_engine(src in prop_oneof![
        ".{0,200}",
        "[/a-z =\\[\\]()\"\\\\;#!.,*0-9\n-]{0,120}",
    ]) {
        let pristine = fresh();
        let mut s = pristine.clone();
        let _ = apply(&mut s, &pristine, &src);
        let _ = apply(&mut s, &pristine, &format!("/ip route print where {src}"));
        let _ = apply(&mut s, &pristine, &format!("/ip vrf add {src}"));
    }

    #[test]
    fn no_bytes_panic_the_frame_decoder(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = shared::api::decode::<shared::api::Request>(&body);
        let _ = shared::api::decode::<shared::api::Response>(&body);
        let _ = shared::api::read_frame(&mut body.as_slice());
        let _ = shared::api::read_message(&mut body.as_slice(), 1024);
        let _ = shared::api::Assembler::new(64).push(&body);
    }
}

#[test]
fn generated_commands_mostly_apply() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let pristine = fresh();
    let (mut ok, mut total) = (0, 0);
    for _ in 0..200 {
        let c = command().new_tree(&mut runner).unwrap().current();
        let mut s = pristine.clone();
        let _ = apply(
            &mut s,
            &pristine,
            "/interface bridge add name=br0; /interface bridge add name=br1",
        );
        total += 1;
        match apply(&mut s, &pristine, &c) {
            Ok(_) => ok += 1,
            Err(e) => eprintln!("{c}: {e}"),
        }
    }
    assert!(
        ok * 10 >= total * 7,
        "only {ok} of {total} generated commands apply"
    );
}
