//! Named network namespaces, as `ip netns` keeps them (`/run/netns/NAME`, a bind mount of a
//! namespace), and running code inside one: a helper thread enters it, so the rest of the
//! daemon stays where it is. Sockets opened there stay bound to that namespace.

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Where `ip netns` keeps named namespaces.
pub const NETNS_DIR: &str = "/run/netns";

/// The magic number of the nsfs file system (`NSFS_MAGIC`).
const NSFS_MAGIC: i64 = 0x6e73_6673;

/// A network namespace: a handle on it, and its name when it has one.
#[derive(Debug)]
pub struct Netns {
    /// `None`: the daemon's own namespace.
    pub name: Option<String>,
    file: File,
    path: Option<PathBuf>,
}

fn is_netns(f: &File) -> bool {
    nix::sys::statfs::fstatfs(f).is_ok_and(|s| s.filesystem_type().0 == NSFS_MAGIC)
}

fn err(what: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{what}: {e}"))
}

impl Netns {
    /// The namespace the daemon runs in.
    pub fn current() -> io::Result<Netns> {
        Ok(Netns {
            name: None,
            file: File::open("/proc/thread-self/ns/net")?,
            path: None,
        })
    }

    /// The namespace called `name`, made when it does not exist (a leftover of an earlier
    /// run is taken over: its interfaces left with that run).
    pub fn named(name: &str) -> io::Result<Netns> {
        if name.is_empty() || name.contains('/') || name.len() > 200 {
            return Err(err("namespace name", format!("{name:?} is not usable")));
        }
        std::fs::create_dir_all(NETNS_DIR)?;
        let path = Path::new(NETNS_DIR).join(name);
        if let Ok(f) = File::open(&path) {
            if is_netns(&f) {
                return Ok(Netns {
                    name: Some(name.to_owned()),
                    file: f,
                    path: Some(path),
                });
            }
        }
        std::fs::write(&path, b"")?;
        let target = path.clone();
        let made = std::thread::spawn(move || -> io::Result<File> {
            unshare(CloneFlags::CLONE_NEWNET).map_err(|e| err("unshare", e))?;
            let me = std::fs::read_link("/proc/thread-self")?;
            let source = Path::new("/proc").join(me).join("ns/net");
            bind(&source, &target)?;
            File::open("/proc/thread-self/ns/net")
        })
        .join()
        .map_err(|_| err("namespace helper", "panicked"))?;
        match made {
            Ok(file) => Ok(Netns {
                name: Some(name.to_owned()),
                file,
                path: Some(path),
            }),
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                Err(e)
            }
        }
    }

    /// The existing namespace called `name` (never made).
    pub fn open(name: &str) -> io::Result<Netns> {
        let path = Path::new(NETNS_DIR).join(name);
        let file = File::open(&path)?;
        if !is_netns(&file) {
            return Err(err(&path.display().to_string(), "not a network namespace"));
        }
        Ok(Netns {
            name: Some(name.to_owned()),
            file,
            path: None,
        })
    }

    /// The namespace's handle (for `setns`, or to move a link into it).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Runs `f` on a helper thread inside this namespace and returns its result.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> io::Result<T> {
        std::thread::scope(|s| {
            s.spawn(|| {
                setns(&self.file, CloneFlags::CLONE_NEWNET).map_err(|e| err("setns", e))?;
                Ok(f())
            })
            .join()
            .map_err(|_| err("namespace helper", "panicked"))?
        })
    }

    /// Sets what the kernel of a namespace of twins may do, whatever the host's defaults:
    /// no forwarding (the dataplane routes, never the kernel), no reverse-path filter of
    /// its own (the dataplane's `rp-filter` decides what reaches a twin), ARP answered only
    /// for the addresses of the interface asked on, no IPv6 (not for the wire yet).
    pub fn harden(&self) -> io::Result<()> {
        self.run(|| {
            for (path, value) in [
                ("ipv4/ip_forward", "0"),
                ("ipv4/conf/all/forwarding", "0"),
                ("ipv4/conf/default/forwarding", "0"),
                ("ipv4/conf/all/rp_filter", "0"),
                ("ipv4/conf/default/rp_filter", "0"),
                ("ipv4/conf/all/arp_ignore", "1"),
                ("ipv4/conf/default/arp_ignore", "1"),
                ("ipv4/conf/all/accept_source_route", "0"),
                ("ipv6/conf/all/disable_ipv6", "1"),
                ("ipv6/conf/default/disable_ipv6", "1"),
            ] {
                sysctl(path, value)?;
            }
            Ok(())
        })?
    }

    /// Removes a named namespace; the daemon's own is left alone.
    pub fn remove(self) {
        if let Some(p) = &self.path {
            drop(self.file);
            let _ = umount2(p, MntFlags::MNT_DETACH);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Writes `value` to `/proc/sys/net/<path>` of the calling thread's namespace.
fn sysctl(path: &str, value: &str) -> io::Result<()> {
    std::fs::write(format!("/proc/sys/net/{path}"), value)
        .map_err(|e| err(&format!("net.{}", path.replace('/', ".")), e))
}

/// Takes from the kernel every say over a port's own network device (the `net_af_packet`
/// veth, the `net_tap` device), in the calling thread's namespace: it must never answer,
/// forward or deliver what arrives there, whatever the host's sysctls. A strict
/// reverse-path filter on a device with no addresses and no routes drops every packet
/// before routing (this holds even after `net.ipv4.ip_forward=1` turns forwarding back on
/// for every device), ARP is never answered, IPv6 is off.
pub fn seal_port_device(ifname: &str) -> io::Result<()> {
    if ifname.is_empty() || ifname.contains('/') || ifname.starts_with('.') {
        return Err(err(
            "port device",
            format!("{ifname:?} is not a device name"),
        ));
    }
    for (path, value) in [
        (format!("ipv4/conf/{ifname}/rp_filter"), "1"),
        (format!("ipv4/conf/{ifname}/forwarding"), "0"),
        (format!("ipv4/conf/{ifname}/arp_ignore"), "8"),
        (format!("ipv4/conf/{ifname}/accept_local"), "0"),
        (format!("ipv4/conf/{ifname}/accept_source_route"), "0"),
        (format!("ipv6/conf/{ifname}/disable_ipv6"), "1"),
    ] {
        sysctl(&path, value)?;
    }
    Ok(())
}

/// Bind-mounts `source` (a namespace) on `target`. Made in the daemon's mount namespace:
/// run the daemon with `--netns` rather than under `ip netns exec` (which gives it a
/// private mount namespace), so that other processes see the VRFs' namespaces.
fn bind(source: &Path, target: &Path) -> io::Result<()> {
    mount(
        Some(source),
        target,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| err("bind mount", e))
}

/// Moves the calling thread (at start-up: the whole daemon, before it starts threads) into
/// the named namespace `name`.
pub fn enter(name: &str) -> io::Result<()> {
    let path = Path::new(NETNS_DIR).join(name);
    let f = File::open(&path).map_err(|e| err(&path.display().to_string(), e))?;
    if !is_netns(&f) {
        return Err(err(&path.display().to_string(), "not a network namespace"));
    }
    setns(&f, CloneFlags::CLONE_NEWNET).map_err(|e| err("setns", e))
}

/// Whether `/run/netns` is private to the daemon (under `ip netns exec`): namespaces it
/// makes would be invisible to everyone else.
pub fn private_mounts() -> bool {
    std::fs::read_to_string("/proc/self/mountinfo").is_ok_and(|m| {
        m.lines().any(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            f.get(4) == Some(&NETNS_DIR) && !l.contains(" shared:")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_enters_and_removes_a_namespace() {
        if !nix::unistd::Uid::effective().is_root() {
            eprintln!("skipped: needs root");
            return;
        }
        let name = format!("rspe-test-{}", std::process::id());
        let ns = Netns::named(&name).unwrap();
        let here = std::fs::read_link("/proc/thread-self/ns/net").unwrap();
        let there = ns
            .run(|| std::fs::read_link("/proc/thread-self/ns/net").unwrap())
            .unwrap();
        assert_ne!(here, there, "the helper thread ran elsewhere");
        // Opening it again takes the same namespace over.
        let again = Netns::named(&name).unwrap();
        let there2 = again
            .run(|| std::fs::read_link("/proc/thread-self/ns/net").unwrap())
            .unwrap();
        assert_eq!(there, there2);
        drop(again);
        ns.remove();
        assert!(!Path::new(NETNS_DIR).join(&name).exists());
        assert!(Netns::named("a/b").is_err());
    }
}
