//! TCP MD5 signatures (RFC 2385) through `setsockopt(TCP_MD5SIG)`: the one system call
//! the socket crates do not wrap. The only `unsafe` of the control plane.
#![allow(unsafe_code)]

use std::io;
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;

/// `struct tcp_md5sig` of linux/tcp.h.
#[repr(C)]
struct TcpMd5Sig {
    addr: libc::sockaddr_storage,
    flags: u8,
    prefixlen: u8,
    keylen: u16,
    ifindex: i32,
    key: [u8; 80],
}

/// Signs the segments exchanged with `peer` on `sock` with `key` (an empty key removes
/// the signature). Keys are at most 80 bytes, as Linux and RouterOS allow.
pub fn set_key(sock: &impl AsRawFd, peer: Ipv4Addr, key: &[u8]) -> io::Result<()> {
    if key.len() > 80 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "tcp-md5-key is longer than 80 characters",
        ));
    }
    // SAFETY: sockaddr_storage is plain old data; all-zero bytes are a valid value.
    let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from(peer).to_be(),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: sockaddr_in is smaller than sockaddr_storage and both are plain data; the
    // write stays inside `addr`.
    unsafe {
        std::ptr::write(
            std::ptr::addr_of_mut!(addr).cast::<libc::sockaddr_in>(),
            sin,
        )
    };
    let mut sig = TcpMd5Sig {
        addr,
        flags: 0,
        prefixlen: 0,
        keylen: key.len() as u16,
        ifindex: 0,
        key: [0; 80],
    };
    sig.key[..key.len()].copy_from_slice(key);
    // SAFETY: `sig` is a valid, initialised tcp_md5sig that outlives the call, and the
    // length passed is its size; the kernel only reads it.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_MD5SIG,
            std::ptr::addr_of!(sig).cast(),
            std::mem::size_of::<TcpMd5Sig>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_signed_connection_on_loopback() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        set_key(&l, Ipv4Addr::LOCALHOST, b"secret").unwrap();
        let port = l.local_addr().unwrap().port();
        // Same key: connects.
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        set_key(&s, Ipv4Addr::LOCALHOST, b"secret").unwrap();
        let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
        s.connect_timeout(&addr.into(), std::time::Duration::from_secs(2))
            .unwrap();
        // No key: the listener drops the unsigned SYN, the connect times out.
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        assert!(s
            .connect_timeout(&addr.into(), std::time::Duration::from_millis(500))
            .is_err());
        assert!(set_key(&l, Ipv4Addr::LOCALHOST, &[b'x'; 81]).is_err());
    }
}
