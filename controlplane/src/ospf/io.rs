//! The instance's raw IP socket (protocol 89) in its VRF's namespace: joined to
//! AllSPFRouters on every interface (AllDRouters while DR or BDR), TTL 1, precedence
//! internetwork control, no multicast loop.

use super::packet::{ALL_D_ROUTERS, ALL_SPF_ROUTERS, PROTOCOL};
use crate::system::netns::Netns;
use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use tokio::io::unix::AsyncFd;

/// The socket: a raw socket, or (for the conformance tests, which feed datagrams to an
/// instance and read what it answers) a list of what would have been sent.
pub struct Socket {
    fd: Option<AsyncFd<socket2::Socket>>,
    sent: std::sync::Mutex<Vec<Sent>>,
}

/// A datagram sent: (destination, our interface address, the OSPF packet).
pub type Sent = (u32, u32, Vec<u8>);

impl Socket {
    /// Opens it in `netns` (the daemon's own when `None`), joined on `addrs`.
    pub fn open(netns: Option<&str>, addrs: &[u32]) -> io::Result<Socket> {
        let make = || {
            socket2::Socket::new(
                socket2::Domain::IPV4,
                socket2::Type::RAW,
                Some(socket2::Protocol::from(i32::from(PROTOCOL))),
            )
        };
        let s = match netns.map(Netns::open).transpose()? {
            Some(ns) => ns.run(make)??,
            None => make()?,
        };
        s.set_multicast_loop_v4(false)?;
        s.set_multicast_ttl_v4(1)?;
        s.set_ttl(1)?;
        s.set_tos(0xc0)?;
        for a in addrs {
            s.join_multicast_v4(&Ipv4Addr::from(ALL_SPF_ROUTERS), &Ipv4Addr::from(*a))?;
        }
        s.set_nonblocking(true)?;
        // The socket owns its descriptor and the AsyncFd owns the socket: nothing else
        // closes or reuses the descriptor while it is registered.
        #[allow(deprecated)]
        let fd = AsyncFd::new(s)?;
        Ok(Socket {
            fd: Some(fd),
            sent: Default::default(),
        })
    }

    /// A socket that keeps what is sent instead of sending it, and receives nothing.
    pub fn capture() -> Socket {
        Socket {
            fd: None,
            sent: Default::default(),
        }
    }

    /// What a capturing socket was given to send since last asked.
    pub fn take_sent(&self) -> Vec<Sent> {
        std::mem::take(&mut *crate::lock(&self.sent))
    }

    /// Joins (or leaves) AllDRouters on interface address `addr`.
    pub fn all_d_routers(&self, addr: u32, join: bool) {
        let (g, i) = (Ipv4Addr::from(ALL_D_ROUTERS), Ipv4Addr::from(addr));
        let Some(fd) = &self.fd else { return };
        let s = fd.get_ref();
        let _ = if join {
            s.join_multicast_v4(&g, &i)
        } else {
            s.leave_multicast_v4(&g, &i)
        };
    }

    /// Receives one datagram (its IP header included).
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(fd) = &self.fd else {
            return std::future::pending().await;
        };
        loop {
            let mut guard = fd.readable().await?;
            match guard.try_io(|inner| inner.get_ref().read(buf)) {
                Ok(r) => return r,
                Err(_would_block) => continue,
            }
        }
    }

    /// Sends `data` to `dst` out of the interface with address `via`.
    pub fn send(&self, data: &[u8], dst: u32, via: u32) {
        let Some(fd) = &self.fd else {
            crate::lock(&self.sent).push((dst, via, data.to_vec()));
            return;
        };
        let s = fd.get_ref();
        if dst >> 28 == 0xe && s.set_multicast_if_v4(&Ipv4Addr::from(via)).is_err() {
            return;
        }
        let to = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(dst), 0));
        let _ = s.send_to(data, &to.into());
    }
}
