//! Ethernet ports and their queues.

use super::{DpdkError, Eal, MbufBurst, Mempool};
use std::ffi::CStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// How to set a port up.
#[derive(Debug, Clone, Copy)]
pub struct PortConfig {
    /// Receive and transmit queues (the same number of each).
    pub queues: u16,
    /// Receive descriptors per queue (adjusted to what the device accepts).
    pub rx_desc: u16,
    /// Transmit descriptors per queue (adjusted to what the device accepts).
    pub tx_desc: u16,
    /// Receive every frame, whatever its destination MAC.
    pub promiscuous: bool,
}

/// What a port is.
#[derive(Debug, Clone)]
pub struct PortInfo {
    /// DPDK port id.
    pub id: u16,
    /// Device name (`net_af_packet0`, `0000:01:00.0`).
    pub name: String,
    /// Driver name (`net_af_packet`).
    pub driver: String,
    /// MAC address.
    pub mac: [u8; 6],
    /// Most receive queues the device offers.
    pub max_rx_queues: u16,
    /// Most transmit queues the device offers.
    pub max_tx_queues: u16,
    /// Current MTU, if the device reports one.
    pub mtu: Option<u16>,
    /// The kernel network device behind the port (`net_af_packet`'s interface, `net_tap`'s
    /// TAP), if it has one: 0 for real NICs bound to DPDK.
    pub if_index: u32,
}

/// The device's own counters (`rte_eth_stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PortStats {
    /// Packets received.
    pub rx_packets: u64,
    /// Packets sent.
    pub tx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Packets the device dropped because no rx descriptor was free.
    pub rx_missed: u64,
    /// Receive errors.
    pub rx_errors: u64,
    /// Transmit errors.
    pub tx_errors: u64,
    /// Receive failures for want of an mbuf.
    pub rx_nombuf: u64,
}

struct PortInner {
    id: u16,
    started: AtomicBool,
    _pool: Arc<Mempool>,
    _eal: Eal,
}

impl Drop for PortInner {
    fn drop(&mut self) {
        // SAFETY: the port was configured by us, and this is the last holder (every queue
        // handle holds one), so no thread polls it any more. DPDK closes only stopped ports.
        unsafe {
            if self.started.swap(false, Ordering::SeqCst) {
                dpdk_sys::rte_eth_dev_stop(self.id);
            }
            dpdk_sys::rte_eth_dev_close(self.id);
        }
    }
}

/// A configured, started port. Stopped and closed when it and all its queues are dropped.
#[derive(Clone)]
pub struct Port {
    inner: Arc<PortInner>,
}

/// A receive queue: one thread polls it.
pub struct RxQueue {
    port: Arc<PortInner>,
    queue: u16,
}

/// A transmit queue: one thread sends on it.
pub struct TxQueue {
    port: Arc<PortInner>,
    queue: u16,
}

impl Port {
    /// The ids of every port the EAL found, in order.
    pub fn available(_eal: &Eal) -> Vec<u16> {
        let mut out = Vec::new();
        // SAFETY: the EAL is initialised; the call only walks the port table.
        let mut p = unsafe { dpdk_sys::rte_eth_find_next(0) };
        while u32::from(p) < dpdk_sys::RTE_MAX_ETHPORTS {
            out.push(p);
            // SAFETY: as above.
            p = unsafe { dpdk_sys::rte_eth_find_next(p + 1) };
        }
        out
    }

    /// The id of the port whose device is named `name` (`net_pcap0`), if it exists.
    pub fn by_name(_eal: &Eal, name: &str) -> Option<u16> {
        let cname = std::ffi::CString::new(name).ok()?;
        let mut id = 0u16;
        // SAFETY: cname is a valid C string and `id` a valid out-parameter.
        let ret = unsafe { dpdk_sys::rte_eth_dev_get_port_by_name(cname.as_ptr(), &mut id) };
        (ret == 0).then_some(id)
    }

    /// What port `id` is.
    pub fn info(_eal: &Eal, id: u16) -> Result<PortInfo, DpdkError> {
        let mut info = dpdk_sys::rte_eth_dev_info::default();
        // SAFETY: `info` is a valid out-parameter of the right type.
        let ret = unsafe { dpdk_sys::rte_eth_dev_info_get(id, &mut info) };
        if ret != 0 {
            return Err(DpdkError::call(
                format!("rte_eth_dev_info_get(port {id})"),
                ret,
            ));
        }
        let mut name = [0 as std::ffi::c_char; dpdk_sys::RTE_ETH_NAME_MAX_LEN as usize];
        // SAFETY: `name` has RTE_ETH_NAME_MAX_LEN bytes, as the call requires.
        let ret = unsafe { dpdk_sys::rte_eth_dev_get_name_by_port(id, name.as_mut_ptr()) };
        let name = if ret == 0 {
            // SAFETY: on success the buffer holds a NUL-terminated name.
            unsafe { CStr::from_ptr(name.as_ptr()) }
                .to_string_lossy()
                .into_owned()
        } else {
            format!("port{id}")
        };
        let driver = if info.driver_name.is_null() {
            String::new()
        } else {
            // SAFETY: driver_name points at the driver's static NUL-terminated name.
            unsafe { CStr::from_ptr(info.driver_name) }
                .to_string_lossy()
                .into_owned()
        };
        let mut mac = dpdk_sys::rte_ether_addr::default();
        // SAFETY: `mac` is a valid out-parameter.
        let ret = unsafe { dpdk_sys::rte_eth_macaddr_get(id, &mut mac) };
        if ret != 0 {
            return Err(DpdkError::call(
                format!("rte_eth_macaddr_get(port {id})"),
                ret,
            ));
        }
        let mut mtu = 0u16;
        // SAFETY: `mtu` is a valid out-parameter.
        let ret = unsafe { dpdk_sys::rte_eth_dev_get_mtu(id, &mut mtu) };
        Ok(PortInfo {
            id,
            name,
            driver,
            mac: mac.addr_bytes,
            max_rx_queues: info.max_rx_queues,
            max_tx_queues: info.max_tx_queues,
            mtu: (ret == 0).then_some(mtu),
            if_index: info.if_index,
        })
    }

    /// Configures port `id` with `cfg`, receiving into `pool`, and starts it.
    pub fn start(
        eal: &Eal,
        id: u16,
        cfg: PortConfig,
        pool: Arc<Mempool>,
    ) -> Result<(Port, Vec<RxQueue>, Vec<TxQueue>), DpdkError> {
        let mut info = dpdk_sys::rte_eth_dev_info::default();
        // SAFETY: `info` is a valid out-parameter.
        let ret = unsafe { dpdk_sys::rte_eth_dev_info_get(id, &mut info) };
        if ret != 0 {
            return Err(DpdkError::call(
                format!("rte_eth_dev_info_get(port {id})"),
                ret,
            ));
        }
        let queues = cfg.queues.max(1);
        if queues > info.max_rx_queues || queues > info.max_tx_queues {
            return Err(DpdkError::Call {
                op: format!("configuring port {id} with {queues} queues"),
                reason: format!(
                    "the device offers {} rx and {} tx queues",
                    info.max_rx_queues, info.max_tx_queues
                ),
            });
        }
        let mut conf = dpdk_sys::rte_eth_conf::default();
        if queues > 1 {
            // Spread flows over the queues by their IPv4 addresses and ports.
            const RSS_IPV4: u64 = (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 7);
            conf.rxmode.mq_mode = dpdk_sys::RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf = RSS_IPV4 & info.flow_type_rss_offloads;
        }
        // SAFETY: `conf` is a valid, zero-initialised-then-filled configuration.
        let ret = unsafe { dpdk_sys::rte_eth_dev_configure(id, queues, queues, &conf) };
        if ret != 0 {
            return Err(DpdkError::call(
                format!("rte_eth_dev_configure(port {id})"),
                ret,
            ));
        }
        let (mut nrx, mut ntx) = (cfg.rx_desc, cfg.tx_desc);
        // SAFETY: valid out-parameters.
        let ret = unsafe { dpdk_sys::rte_eth_dev_adjust_nb_rx_tx_desc(id, &mut nrx, &mut ntx) };
        if ret != 0 {
            return Err(DpdkError::call(
                format!("rte_eth_dev_adjust_nb_rx_tx_desc(port {id})"),
                ret,
            ));
        }
        // SAFETY: reads the port's NUMA socket.
        let socket = unsafe { dpdk_sys::rte_eth_dev_socket_id(id) };
        // -1 (unknown) becomes SOCKET_ID_ANY, which is (unsigned)-1.
        let socket = u32::try_from(socket).unwrap_or(u32::MAX);
        for q in 0..queues {
            // SAFETY: the port is configured with `queues` rx queues; a null rx_conf asks for
            // the device defaults; the pool outlives the port (the port holds it).
            let ret = unsafe {
                dpdk_sys::rte_eth_rx_queue_setup(
                    id,
                    q,
                    nrx,
                    socket,
                    std::ptr::null(),
                    pool.as_ptr(),
                )
            };
            if ret != 0 {
                return Err(DpdkError::call(
                    format!("rte_eth_rx_queue_setup(port {id}, queue {q})"),
                    ret,
                ));
            }
            // SAFETY: as above for tx.
            let ret =
                unsafe { dpdk_sys::rte_eth_tx_queue_setup(id, q, ntx, socket, std::ptr::null()) };
            if ret != 0 {
                return Err(DpdkError::call(
                    format!("rte_eth_tx_queue_setup(port {id}, queue {q})"),
                    ret,
                ));
            }
        }
        if cfg.promiscuous {
            // SAFETY: the port exists. Some virtual devices cannot change the mode; that is
            // not an error for us, they deliver every frame anyway.
            unsafe { dpdk_sys::rte_eth_promiscuous_enable(id) };
        }
        // SAFETY: the port is fully configured.
        let ret = unsafe { dpdk_sys::rte_eth_dev_start(id) };
        if ret != 0 {
            return Err(DpdkError::call(
                format!("rte_eth_dev_start(port {id})"),
                ret,
            ));
        }
        let inner = Arc::new(PortInner {
            id,
            started: AtomicBool::new(true),
            _pool: pool,
            _eal: eal.clone(),
        });
        let rx = (0..queues)
            .map(|queue| RxQueue {
                port: inner.clone(),
                queue,
            })
            .collect();
        let tx = (0..queues)
            .map(|queue| TxQueue {
                port: inner.clone(),
                queue,
            })
            .collect();
        Ok((Port { inner }, rx, tx))
    }

    /// DPDK port id.
    pub fn id(&self) -> u16 {
        self.inner.id
    }

    /// The device's counters.
    pub fn stats(&self) -> Result<PortStats, DpdkError> {
        let mut s = dpdk_sys::rte_eth_stats::default();
        // SAFETY: `s` is a valid out-parameter.
        let ret = unsafe { dpdk_sys::rte_eth_stats_get(self.inner.id, &mut s) };
        if ret != 0 {
            return Err(DpdkError::call(
                format!("rte_eth_stats_get(port {})", self.inner.id),
                ret,
            ));
        }
        Ok(PortStats {
            rx_packets: s.ipackets,
            tx_packets: s.opackets,
            rx_bytes: s.ibytes,
            tx_bytes: s.obytes,
            rx_missed: s.imissed,
            rx_errors: s.ierrors,
            tx_errors: s.oerrors,
            rx_nombuf: s.rx_nombuf,
        })
    }

    /// Whether the link is up.
    pub fn link_up(&self) -> bool {
        let mut link = dpdk_sys::rte_eth_link::default();
        // SAFETY: `link` is a valid out-parameter; the call does not wait.
        let ret = unsafe { dpdk_sys::rte_eth_link_get_nowait(self.inner.id, &mut link) };
        ret == 0 && link.link_status() != 0
    }

    /// Stops the port (it stays configured; dropping the last handle closes it).
    pub fn stop(&self) {
        if self.inner.started.swap(false, Ordering::SeqCst) {
            // SAFETY: the caller has stopped every thread that polls this port's queues, as
            // the daemon does before calling this.
            unsafe { dpdk_sys::rte_eth_dev_stop(self.inner.id) };
        }
    }
}

impl RxQueue {
    /// Port id.
    pub fn port(&self) -> u16 {
        self.port.id
    }

    /// Queue index.
    pub fn queue(&self) -> u16 {
        self.queue
    }

    /// Receives up to `burst.room()` packets into `burst`; returns how many arrived.
    #[inline]
    pub fn rx_burst(&mut self, burst: &mut MbufBurst) -> usize {
        let room = burst.room() as u16;
        if room == 0 {
            return 0;
        }
        // SAFETY: this handle is the only user of (port, queue) (&mut self, not Clone); the
        // array has `room` free slots from spare_ptr().
        let n = unsafe {
            dpdk_sys::rspe_eth_rx_burst(self.port.id, self.queue, burst.spare_ptr(), room)
        };
        burst.grew(usize::from(n));
        usize::from(n)
    }
}

impl TxQueue {
    /// Port id.
    pub fn port(&self) -> u16 {
        self.port.id
    }

    /// Queue index.
    pub fn queue(&self) -> u16 {
        self.queue
    }

    /// Hands the burst's packets to the device; the ones it took leave the burst, the ones
    /// it refused stay at its front. Returns how many were taken.
    #[inline]
    pub fn tx_burst(&mut self, burst: &mut MbufBurst) -> usize {
        let len = burst.len() as u16;
        if len == 0 {
            return 0;
        }
        // SAFETY: this handle is the only user of (port, queue); the burst owns `len` valid
        // mbufs at its front, and the device takes ownership of the first n it accepts.
        let n = unsafe { dpdk_sys::rspe_eth_tx_burst(self.port.id, self.queue, burst.ptr(), len) };
        burst.consumed(usize::from(n));
        usize::from(n)
    }
}
