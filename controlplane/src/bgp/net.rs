//! The sockets of BGP sessions: made in a VRF's namespace, connected with the session's
//! MD5 key, local address and TTL, and the peer's address of an accepted stream.

use super::config::{PeerConfig, Role};
use crate::system::netns::Netns;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::net::TcpStream;

/// A socket made in `netns` (the daemon's own when `None`).
pub fn socket_in(netns: Option<&Netns>) -> std::io::Result<socket2::Socket> {
    let make = || socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None);
    let s = match netns {
        Some(n) => n.run(make)??,
        None => make()?,
    };
    s.set_nonblocking(true)?;
    Ok(s)
}

/// A connection to `cfg`'s peer: its MD5 key, local address and TTL set; `timeout` at most.
pub async fn connect(
    cfg: &PeerConfig,
    netns: Option<&Netns>,
    timeout: Duration,
) -> std::io::Result<TcpStream> {
    let s = socket_in(netns)?;
    if let Some(key) = &cfg.md5 {
        super::md5::set_key(&s, cfg.remote, key.as_bytes())?;
    }
    if let Some(a) = cfg.local_address {
        s.bind(&SocketAddr::from((a, 0)).into())?;
    }
    if cfg.role == Role::Ebgp && !cfg.multihop {
        // Directly connected eBGP: one hop is enough (RFC 4271 leaves it open; FRR and
        // RouterOS send TTL 1).
        s.set_ttl(1)?;
    }
    let sock = tokio::net::TcpSocket::from_std_stream(s.into());
    let to = SocketAddr::from((cfg.remote, cfg.remote_port));
    match tokio::time::timeout(timeout, sock.connect(to)).await {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no answer from {}", cfg.remote),
        )),
    }
}

/// The address of a stream's peer, IPv4.
pub fn peer_ip(s: &TcpStream) -> Option<Ipv4Addr> {
    match s.peer_addr().ok()? {
        SocketAddr::V4(a) => Some(*a.ip()),
        SocketAddr::V6(a) => a.ip().to_ipv4_mapped(),
    }
}
