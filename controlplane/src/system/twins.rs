//! Kernel twins: one TAP per port, with the port's name, MAC, MTU and addresses, in the
//! network namespace of the port's VRF (a VRF `x`, `main` included: the namespace
//! `<prefix>x`, made on demand; the daemon's own keeps only the ports' devices). Packets the dataplane punts are written to the
//! twin; what the kernel sends out of a twin goes out of the port. So the kernel answers
//! ARP and ping on the router's addresses in each VRF, and services can listen in a VRF.
//!
//! TAPs are made with `/dev/net/tun` (rtnetlink cannot make them on this kernel) and kept
//! in step with rtnetlink by a thread of their own: [`Twins::apply`] hands it the wanted
//! state and returns at once; the thread applies the newest state it was given.

use crate::plan::{Plan, PortBase};
use crate::system::netns::Netns;
use dataplane::exception::{Exception, MAX_FRAME};
use futures::TryStreamExt;
use rtnetlink::packet_route::address::AddressAttribute;
use rtnetlink::{Handle, LinkUnspec};
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tun_tap::{Iface, Mode};

/// What one twin should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwinSpec {
    /// DPDK port id.
    pub port: u16,
    /// Interface name.
    pub name: String,
    /// MAC address (the port's).
    pub mac: [u8; 6],
    /// MTU.
    pub mtu: u16,
    /// Administratively up.
    pub up: bool,
    /// The VRF's namespace; `None`: the daemon's own.
    pub netns: Option<String>,
    /// IPv4 addresses with prefix lengths.
    pub addrs: Vec<(u32, u8)>,
    /// The twin of an interface that is not a DPDK port (a VLAN, a tunnel): made when the
    /// interface appears (what the kernel sends on it goes out tagged or into the tunnel).
    pub logical: bool,
    /// Whether the kernel does ARP on it: on ports and layer-2 tunnels (EoIP, VXLAN), not
    /// on IPIP and GRE.
    pub arp: bool,
}

/// Everything the kernel side should look like.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Wanted {
    /// One per port.
    pub twins: Vec<TwinSpec>,
    /// The loopbacks' addresses (/32 each, on `lo`), by namespace.
    pub loopbacks: BTreeMap<String, Vec<u32>>,
}

/// The gateway of each VRF namespace's default route: its MAC is the twin's own, so what
/// the kernel sends beyond its connected networks comes back to the dataplane addressed
/// to the port itself and is routed by the VRF's table (`dataplane::pipeline::own`).
pub const DATAPLANE_GW: Ipv4Addr = Ipv4Addr::new(169, 254, 0, 1);

/// The kernel side wanted for `plan`; VRF `x` lives in namespace `prefix` + `x`.
pub fn specs(plan: &Plan, prefix: &str) -> Wanted {
    let ns = |vrf: shared::types::VrfId| {
        format!(
            "{prefix}{}",
            plan.vrfs
                .get(usize::from(vrf.0))
                .map_or("main", String::as_str)
        )
    };
    let twins = plan
        .ports
        .iter()
        .map(|p| TwinSpec {
            port: p.id,
            name: p.name.clone(),
            mac: p.mac,
            mtu: p.mtu,
            up: p.enabled,
            // Main too: the daemon's namespace keeps only the ports' own devices, with
            // nothing for the kernel to answer for.
            netns: Some(ns(p.vrf)),
            addrs: p.addrs.clone(),
            logical: !p.is_dpdk(),
            arp: p.tunnel.as_ref().is_none_or(|t| t.kind.is_l2()),
        })
        .collect();
    let mut loopbacks: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for l in plan.loopbacks.iter().filter(|l| l.enabled) {
        let v = loopbacks.entry(ns(l.vrf)).or_default();
        v.extend(l.addrs.iter().map(|a| a.0));
        v.sort_unstable();
        v.dedup();
    }
    Wanted { twins, loopbacks }
}

/// Makes a TAP per port in the daemon's namespace, named like the port's default name.
/// Refuses when an interface of that name exists already (another router in this
/// namespace, or a leftover): run each router in its own namespace.
pub fn create(ports: &[PortBase]) -> io::Result<Vec<Option<Arc<Iface>>>> {
    let max = ports
        .iter()
        .map(|p| usize::from(p.id) + 1)
        .max()
        .unwrap_or(0);
    let mut out: Vec<Option<Arc<Iface>>> = (0..max).map(|_| None).collect();
    for p in ports {
        if nix::net::if_::if_nametoindex(p.default_name.as_str()).is_ok() {
            return Err(io::Error::other(format!(
                "cannot make the kernel twin {}: an interface of that name exists in this \
                 network namespace (run each router in a namespace of its own, or pass --no-twins)",
                p.default_name
            )));
        }
        let tap = Iface::without_packet_info(&p.default_name, Mode::Tap).map_err(|e| {
            io::Error::other(format!(
                "cannot make the kernel twin {}: {e}",
                p.default_name
            ))
        })?;
        out[usize::from(p.id)] = Some(Arc::new(tap));
    }
    Ok(out)
}

/// Where a twin is now.
#[derive(Debug, Clone)]
struct Current {
    netns: Option<String>,
    name: String,
}

/// The handle of the thread that keeps the twins in step.
pub struct Twins {
    tx: Option<mpsc::Sender<Wanted>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The last error of each twin, if its last update failed (shown in logs).
    pub errors: Arc<Mutex<HashMap<u16, String>>>,
}

impl Twins {
    /// Starts the readers (one thread per twin, blocked in `read`: frames the kernel sends
    /// go to the exception path's queue for worker 0) and the thread that applies specs.
    pub fn start(ports: &[PortBase], exception: Arc<Exception>) -> io::Result<Twins> {
        for p in ports {
            let Some(Some(tap)) = exception.twins.get(usize::from(p.id)).cloned() else {
                continue;
            };
            let ex = exception.clone();
            let (port, mac) = (p.id, p.mac);
            std::thread::Builder::new()
                .name(format!("rspe-twin{port}"))
                .spawn(move || read_twin(&tap, port, mac, &ex))?;
        }
        let current: Vec<(u16, Current)> = ports
            .iter()
            .map(|p| {
                (
                    p.id,
                    Current {
                        netns: None,
                        name: p.default_name.clone(),
                    },
                )
            })
            .collect();
        let (tx, rx) = mpsc::channel::<Wanted>();
        let errors = Arc::new(Mutex::new(HashMap::new()));
        let errs = errors.clone();
        let thread = crate::runtime_thread("rspe-twins", move |rt| {
            let mut k = Keeper {
                rt: rt.handle().clone(),
                main: None,
                spaces: HashMap::new(),
                current: current.into_iter().collect(),
                errors: errs,
                exception,
            };
            rt.block_on(k.run(rx));
        })?;
        Ok(Twins {
            tx: Some(tx),
            thread: Some(thread),
            errors,
        })
    }

    /// Asks for `specs`; returns at once.
    pub fn apply(&self, specs: Wanted) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(specs);
        }
    }

    /// Deletes the twins and the namespaces made for VRFs, and waits for that.
    pub fn shutdown(mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Frames from the kernel: IPv4 and ARP go out of the port (the dataplane routes IPv4
/// only; IPv6 the kernel may send on its own is not for the wire); IPv4 addressed to the
/// port's own MAC (the namespace's default route, [`DATAPLANE_GW`]) is routed first.
fn read_twin(tap: &Iface, port: u16, mac: [u8; 6], ex: &Exception) {
    let mut buf = vec![0u8; MAX_FRAME];
    loop {
        match tap.recv(&mut buf) {
            Ok(n) if n >= 14 => {
                let et = u16::from_be_bytes([buf[12], buf[13]]);
                // Full: dropped, as a NIC's full queue would.
                if dataplane::pipeline::own::is_for_routing(&buf[..n], &mac) {
                    ex.route(port, buf[..n].to_vec());
                } else if matches!(et, 0x0800 | 0x0806) {
                    ex.send(port, buf[..n].to_vec());
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // The twin was deleted (shutdown).
            Err(_) => return,
        }
    }
}

/// The state of the thread that applies specs.
struct Keeper {
    rt: tokio::runtime::Handle,
    main: Option<(Netns, Handle)>,
    spaces: HashMap<String, (Netns, Handle)>,
    current: HashMap<u16, Current>,
    errors: Arc<Mutex<HashMap<u16, String>>>,
    /// Where tunnels' twins are registered for the workers' punts.
    exception: Arc<Exception>,
}

fn nl_err(what: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{what}: {e}"))
}

/// A netlink connection opened inside `ns` (the socket stays bound there).
fn connect(ns: &Netns, rt: &tokio::runtime::Handle) -> io::Result<Handle> {
    let (conn, handle, _) = ns.run(|| {
        let _enter = rt.enter();
        rtnetlink::new_connection()
    })??;
    rt.spawn(conn);
    Ok(handle)
}

async fn index_of(h: &Handle, name: &str) -> io::Result<u32> {
    let mut links = h.link().get().match_name(name.to_owned()).execute();
    match links.try_next().await {
        Ok(Some(l)) => Ok(l.header.index),
        Ok(None) => Err(nl_err(name, "no such link")),
        Err(e) => Err(nl_err(name, e)),
    }
}

impl Keeper {
    async fn run(&mut self, rx: mpsc::Receiver<Wanted>) {
        let main = Netns::current().and_then(|ns| {
            let h = connect(&ns, &self.rt)?;
            Ok((ns, h))
        });
        match main {
            Ok(m) => self.main = Some(m),
            Err(e) => {
                eprintln!("rspe: kernel twins: netlink: {e}");
                return;
            }
        }
        // Blocking receive on a runtime thread is fine here: this runtime serves only us.
        while let Ok(mut wanted) = rx.recv() {
            while let Ok(newer) = rx.try_recv() {
                wanted = newer;
            }
            let specs = &wanted.twins;
            self.logical_twins(specs).await;
            for s in specs {
                let r = self.apply_one(s).await;
                let mut errs = self.errors.lock().unwrap_or_else(|e| e.into_inner());
                match r {
                    Ok(()) => {
                        errs.remove(&s.port);
                    }
                    Err(e) => {
                        eprintln!("rspe: kernel twin {}: {e}", s.name);
                        errs.insert(s.port, e.to_string());
                    }
                }
            }
            if let Err(e) = self.loopbacks(&wanted.loopbacks).await {
                eprintln!("rspe: loopback addresses: {e}");
            }
            for s in specs {
                if let Err(e) = self.default_route(s, specs).await {
                    eprintln!("rspe: kernel twin {}: default route: {e}", s.name);
                }
            }
            // Namespaces no twin or loopback lives in any more go.
            let mut used: Vec<String> = self
                .current
                .values()
                .filter_map(|c| c.netns.clone())
                .collect();
            used.extend(wanted.loopbacks.keys().cloned());
            let unused: Vec<String> = self
                .spaces
                .keys()
                .filter(|k| !used.contains(k))
                .cloned()
                .collect();
            for k in unused {
                if let Some((ns, _)) = self.spaces.remove(&k) {
                    ns.remove();
                }
            }
        }
        self.teardown().await;
    }

    /// Makes a twin for each VLAN and tunnel that has none (in the daemon's namespace,
    /// under a temporary name: [`Self::apply_one`] moves and renames it), and deletes those
    /// of interfaces that are gone.
    async fn logical_twins(&mut self, specs: &[TwinSpec]) {
        let gone: Vec<u16> = self
            .current
            .keys()
            .filter(|id| (shared::vlan::VLAN_BASE..crate::plan::LOOPBACK_BASE).contains(*id))
            .filter(|id| !specs.iter().any(|s| s.port == **id))
            .copied()
            .collect();
        for id in gone {
            self.exception.set_logical_twin(id, None);
            if let Some(c) = self.current.remove(&id) {
                if let Some(h) = self.handle(&c.netns) {
                    if let Ok(idx) = index_of(h, &c.name).await {
                        let _ = h.link().del(idx).execute().await;
                    }
                }
            }
        }
        for s in specs.iter().filter(|s| s.logical) {
            if self.current.contains_key(&s.port) {
                continue;
            }
            let name = format!("rspe-t{}", s.port);
            let tap = match Iface::without_packet_info(&name, Mode::Tap) {
                Ok(t) => Arc::new(t),
                Err(e) => {
                    eprintln!("rspe: kernel twin of {}: {e}", s.name);
                    continue;
                }
            };
            let (ex, port, mac, reader) = (self.exception.clone(), s.port, s.mac, tap.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("rspe-twin{port}"))
                .spawn(move || read_twin(&reader, port, mac, &ex));
            if let Err(e) = spawned {
                eprintln!("rspe: kernel twin of {}: {e}", s.name);
                continue;
            }
            self.exception.set_logical_twin(port, Some(tap));
            self.current.insert(port, Current { netns: None, name });
        }
    }

    fn handle(&self, netns: &Option<String>) -> Option<&Handle> {
        match netns {
            None => self.main.as_ref().map(|m| &m.1),
            Some(n) => self.spaces.get(n).map(|s| &s.1),
        }
    }

    async fn space(&mut self, name: &str) -> io::Result<()> {
        if self.spaces.contains_key(name) {
            return Ok(());
        }
        let ns = Netns::named(name)?;
        ns.harden()?;
        let h = connect(&ns, &self.rt)?;
        // Loopback up, so services in the VRF can talk to themselves.
        if let Ok(lo) = index_of(&h, "lo").await {
            let _ = h
                .link()
                .set(LinkUnspec::new_with_index(lo).up().build())
                .execute()
                .await;
        }
        self.spaces.insert(name.to_owned(), (ns, h));
        Ok(())
    }

    async fn apply_one(&mut self, s: &TwinSpec) -> io::Result<()> {
        let Some(cur) = self.current.get(&s.port).cloned() else {
            return Ok(());
        };
        if let Some(n) = &s.netns {
            self.space(n).await?;
        }
        if cur.netns != s.netns {
            let fd = match &s.netns {
                None => self.main.as_ref().map(|m| m.0.file().as_raw_fd()),
                Some(n) => self.spaces.get(n).map(|x| x.0.file().as_raw_fd()),
            }
            .ok_or_else(|| nl_err("namespace", "missing"))?;
            let h = self
                .handle(&cur.netns)
                .ok_or_else(|| nl_err("netlink", "missing"))?;
            let idx = index_of(h, &cur.name).await?;
            h.link()
                .set(
                    LinkUnspec::new_with_index(idx)
                        .down()
                        .setns_by_fd(fd)
                        .build(),
                )
                .execute()
                .await
                .map_err(|e| nl_err("move to namespace", e))?;
            if let Some(c) = self.current.get_mut(&s.port) {
                c.netns = s.netns.clone();
            }
        }
        let h = self
            .handle(&s.netns)
            .ok_or_else(|| nl_err("netlink", "missing"))?
            .clone();
        let idx = index_of(&h, &cur.name).await?;
        if cur.name != s.name {
            h.link()
                .set(
                    LinkUnspec::new_with_index(idx)
                        .down()
                        .name(s.name.clone())
                        .build(),
                )
                .execute()
                .await
                .map_err(|e| nl_err("rename", e))?;
            if let Some(c) = self.current.get_mut(&s.port) {
                c.name = s.name.clone();
            }
        }
        let link = LinkUnspec::new_with_index(idx)
            .address(s.mac.to_vec())
            .mtu(u32::from(s.mtu))
            .arp(s.arp);
        let link = if s.up { link.up() } else { link.down() };
        h.link()
            .set(link.build())
            .execute()
            .await
            .map_err(|e| nl_err("set link", e))?;

        // Addresses: remove what is not wanted, add what is missing.
        let mut have = Vec::new();
        let mut list = h.address().get().set_link_index_filter(idx).execute();
        while let Some(a) = list.try_next().await.map_err(|e| nl_err("addresses", e))? {
            let ip = a.attributes.iter().find_map(|at| match at {
                AddressAttribute::Local(IpAddr::V4(v))
                | AddressAttribute::Address(IpAddr::V4(v)) => Some(u32::from(*v)),
                _ => None,
            });
            if let Some(ip) = ip {
                have.push(((ip, a.header.prefix_len), a));
            }
        }
        for ((ip, len), msg) in &have {
            if !s.addrs.contains(&(*ip, *len)) {
                h.address()
                    .del(msg.clone())
                    .execute()
                    .await
                    .map_err(|e| nl_err("delete address", e))?;
            }
        }
        for &(ip, len) in &s.addrs {
            if !have.iter().any(|(k, _)| *k == (ip, len)) {
                h.address()
                    .add(idx, IpAddr::V4(Ipv4Addr::from(ip)), len)
                    .execute()
                    .await
                    .map_err(|e| nl_err("add address", e))?;
            }
        }
        Ok(())
    }

    /// The loopbacks' addresses: a /32 each on `lo` of their VRF's namespace (made for
    /// them when no twin is there), the ones no longer wanted removed (127/8 is left alone).
    async fn loopbacks(&mut self, wanted: &BTreeMap<String, Vec<u32>>) -> io::Result<()> {
        for n in wanted.keys() {
            self.space(n).await?;
        }
        let names: Vec<String> = self.spaces.keys().cloned().collect();
        for n in names {
            let want = wanted.get(&n).cloned().unwrap_or_default();
            let Some(h) = self.handle(&Some(n.clone())).cloned() else {
                continue;
            };
            let lo = index_of(&h, "lo").await?;
            let mut have = Vec::new();
            let mut list = h.address().get().set_link_index_filter(lo).execute();
            while let Some(a) = list.try_next().await.map_err(|e| nl_err("addresses", e))? {
                let ip = a.attributes.iter().find_map(|at| match at {
                    AddressAttribute::Local(IpAddr::V4(v))
                    | AddressAttribute::Address(IpAddr::V4(v)) => Some(u32::from(*v)),
                    _ => None,
                });
                match ip {
                    Some(ip) if ip >> 24 != 127 => have.push((ip, a)),
                    _ => {}
                }
            }
            for (ip, msg) in &have {
                if !want.contains(ip) {
                    h.address()
                        .del(msg.clone())
                        .execute()
                        .await
                        .map_err(|e| nl_err("delete loopback address", e))?;
                }
            }
            for ip in want {
                if !have.iter().any(|(a, _)| *a == ip) {
                    h.address()
                        .add(lo, IpAddr::V4(Ipv4Addr::from(ip)), 32)
                        .execute()
                        .await
                        .map_err(|e| nl_err("add loopback address", e))?;
                }
            }
        }
        Ok(())
    }

    /// The default route of a twin's namespace, on the first twin there that is up:
    /// through [`DATAPLANE_GW`], whose MAC (a permanent neighbour) is the twin's own.
    async fn default_route(&mut self, s: &TwinSpec, all: &[TwinSpec]) -> io::Result<()> {
        let first = all
            .iter()
            .find(|t| t.up && t.netns == s.netns && !t.addrs.is_empty());
        if first.map(|t| t.port) != Some(s.port) {
            return Ok(());
        }
        let h = self
            .handle(&s.netns)
            .ok_or_else(|| nl_err("netlink", "missing"))?
            .clone();
        let idx = index_of(&h, &s.name).await?;
        h.neighbours()
            .add(idx, IpAddr::V4(DATAPLANE_GW))
            .link_layer_address(&s.mac)
            .state(rtnetlink::packet_route::neighbour::NeighbourState::Permanent)
            .replace()
            .execute()
            .await
            .map_err(|e| nl_err("gateway neighbour", e))?;
        let route = rtnetlink::RouteMessageBuilder::<Ipv4Addr>::new()
            .destination_prefix(Ipv4Addr::UNSPECIFIED, 0)
            .gateway(DATAPLANE_GW)
            .output_interface(idx)
            .onlink()
            .build();
        h.route()
            .add(route)
            .replace()
            .execute()
            .await
            .map_err(|e| nl_err("route", e))
    }

    /// Deletes every twin (their readers end), then the VRF namespaces.
    async fn teardown(&mut self) {
        for c in self.current.values() {
            if let Some(h) = self.handle(&c.netns) {
                if let Ok(idx) = index_of(h, &c.name).await {
                    let _ = h.link().del(idx).execute().await;
                }
            }
        }
        for (_, (ns, _)) in self.spaces.drain() {
            ns.remove();
        }
    }
}
