//! Workers: one per worker lcore, each polling its (port, queue) pairs run-to-completion.
//!
//! [`RouterWorker`] runs the forwarding pipeline on every burst; [`PatchWorker`] is a patch
//! panel (port 0 ↔ 1, 2 ↔ 3, …) for measuring the rx/tx ceiling and for wiring tests.

use crate::counters::{DropReason, WorkerCounters};
use crate::dpdk::{pause, Mbuf, MbufBurst, Mempool, RxQueue, TxQueue, BURST};
use crate::exception::Exception;
use crate::pipeline::own::{self, Own};
use crate::pipeline::{PacketBuf, Pipeline, Verdict};
use shared::rcu::Reader;
use shared::snapshot::Snapshot;
use shared::types::PortId;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How a worker waits when there is no traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollMode {
    /// Spin, then pause, then sleep in growing steps: an idle worker costs about 1% of a core,
    /// so several routers can share the machine. The first packet after a quiet spell waits
    /// up to [`Backoff::MAX_SLEEP`].
    Adaptive,
    /// Spin always: lowest latency and highest rate, a full core even when idle.
    Busy,
}

/// The idle strategy of [`PollMode::Adaptive`].
#[derive(Debug, Default)]
pub struct Backoff {
    idle_polls: u32,
    sleep: Duration,
}

impl Backoff {
    /// Empty polls spent spinning before pausing.
    pub const SPIN: u32 = 64;
    /// Empty polls spent with a `pause` before sleeping.
    pub const PAUSE: u32 = 1024;
    /// The first sleep; each further empty poll doubles it up to [`Self::MAX_SLEEP`].
    pub const MIN_SLEEP: Duration = Duration::from_micros(16);
    /// The longest sleep between polls.
    pub const MAX_SLEEP: Duration = Duration::from_millis(1);

    /// A poll found work: wake up fully.
    #[inline]
    pub fn reset(&mut self) {
        self.idle_polls = 0;
        self.sleep = Duration::ZERO;
    }

    /// A poll found nothing: wait a little, longer the longer it has been quiet.
    #[inline]
    pub fn idle(&mut self) {
        self.idle_polls = self.idle_polls.saturating_add(1);
        if self.idle_polls < Self::SPIN {
            return;
        }
        if self.idle_polls < Self::PAUSE {
            pause();
            return;
        }
        self.sleep = if self.sleep.is_zero() {
            Self::MIN_SLEEP
        } else {
            (self.sleep * 2).min(Self::MAX_SLEEP)
        };
        std::thread::sleep(self.sleep);
    }
}

/// Everything one worker owns.
pub struct PatchWorker {
    /// The receive queues this worker polls.
    pub rx: Vec<RxQueue>,
    /// This worker's transmit queue on each port, indexed by port id.
    pub tx: Vec<Option<TxQueue>>,
    /// The patch peer of each port, indexed by port id.
    pub peer: Vec<Option<u16>>,
    /// This worker's counters.
    pub counters: Arc<WorkerCounters>,
    /// Set by the control plane to stop the worker.
    pub stop: Arc<AtomicBool>,
    /// Idle behaviour.
    pub mode: PollMode,
}

/// The patch peers of `ports` ports: 0↔1, 2↔3, …; an odd last port has none.
pub fn patch_peers(ports: usize) -> Vec<Option<u16>> {
    (0..ports)
        .map(|p| {
            let peer = p ^ 1;
            (peer < ports).then_some(peer as u16)
        })
        .collect()
}

impl PatchWorker {
    /// Polls until `stop` is set.
    pub fn run(mut self) {
        let mut burst = MbufBurst::new();
        let mut backoff = Backoff::default();
        // Relaxed: the flag carries no data; the worker only needs to see it eventually.
        while !self.stop.load(Ordering::Relaxed) {
            let mut busy = false;
            for rxq in &mut self.rx {
                let n = rxq.rx_burst(&mut burst);
                if n == 0 {
                    continue;
                }
                busy = true;
                let port = rxq.port();
                let bytes: u64 = burst
                    .as_slice()
                    .iter()
                    .map(|m| u64::from(m.pkt_len()))
                    .sum();
                if let Some(c) = self.counters.port(port) {
                    c.rx(n as u64, bytes);
                }
                let out = self.peer.get(usize::from(port)).copied().flatten();
                let txq = out.and_then(|p| self.tx.get_mut(usize::from(p))?.as_mut());
                let Some(txq) = txq else {
                    if let Some(c) = self.counters.port(port) {
                        c.drop(DropReason::NoPeer, n as u64);
                    }
                    burst.clear();
                    continue;
                };
                let sent = txq.tx_burst(&mut burst);
                let unsent_bytes: u64 = burst
                    .as_slice()
                    .iter()
                    .map(|m| u64::from(m.pkt_len()))
                    .sum();
                if let Some(c) = self.counters.port(txq.port()) {
                    c.tx(sent as u64, bytes - unsent_bytes);
                    if !burst.is_empty() {
                        c.drop(DropReason::TxQueueFull, burst.len() as u64);
                    }
                }
                burst.clear();
            }
            match (busy, self.mode) {
                (true, _) => backoff.reset(),
                (false, PollMode::Busy) => pause(),
                (false, PollMode::Adaptive) => backoff.idle(),
            }
        }
    }
}

pub use crate::clock::now_ns;

/// A worker that routes: every burst goes through the [`Pipeline`] with the newest
/// snapshot; forwarded packets and ICMP errors leave by their port's transmit queue, punted
/// packets go to the ingress port's kernel twin. Worker 0 also sends what the exception path
/// queued (frames from the twins, ARP requests).
pub struct RouterWorker {
    /// This worker's number; 0 sends the exception path's frames.
    pub index: usize,
    /// The receive queues this worker polls.
    pub rx: Vec<RxQueue>,
    /// This worker's transmit queue on each port, indexed by port id.
    pub tx: Vec<Option<TxQueue>>,
    /// This worker's counters.
    pub counters: Arc<WorkerCounters>,
    /// Set by the control plane to stop the worker.
    pub stop: Arc<AtomicBool>,
    /// Idle behaviour.
    pub mode: PollMode,
    /// The forwarding state.
    pub snapshots: Reader<Snapshot>,
    /// Events, injected frames and twins.
    pub exception: Arc<Exception>,
    /// Where injected frames get their buffers.
    pub pool: Arc<Mempool>,
    /// The connection table all workers share.
    pub conntrack: Arc<crate::conntrack::Conntrack>,
}

impl RouterWorker {
    /// Polls until `stop` is set.
    pub fn run(self) {
        let RouterWorker {
            index,
            mut rx,
            mut tx,
            counters,
            stop,
            mode,
            mut snapshots,
            exception,
            pool,
            conntrack,
        } = self;
        let mut pipeline = Pipeline::default()
            .with_conntrack(conntrack)
            .with_counters(counters.clone());
        let mut burst = MbufBurst::new();
        let mut out: Vec<MbufBurst> = (0..tx.len()).map(|_| MbufBurst::new()).collect();
        let mut verdicts = [Verdict::Punt; BURST];
        let mut backoff = Backoff::default();
        while !stop.load(Ordering::Relaxed) {
            let mut busy = false;
            // The quiescent point: what the previous round read may be freed after this.
            let snap = snapshots.begin();
            let now = now_ns();
            for rxq in &mut rx {
                let n = rxq.rx_burst(&mut burst);
                if n == 0 {
                    continue;
                }
                busy = true;
                let port = rxq.port();
                let Some(c) = counters.port(port) else {
                    burst.clear();
                    continue;
                };
                let bytes: u64 = burst
                    .as_slice()
                    .iter()
                    .map(|m| u64::from(m.pkt_len()))
                    .sum();
                c.rx(n as u64, bytes);
                pipeline.process_burst(
                    snap,
                    PortId(port),
                    burst.as_mut_slice(),
                    &mut verdicts[..n],
                    now,
                );
                for (m, v) in burst.drain().zip(verdicts) {
                    match v {
                        Verdict::Forward(p) => queue_out(&mut out, &counters, snap, p.0, m),
                        Verdict::Reply(p, why) => {
                            c.drop(why, 1);
                            queue_out(&mut out, &counters, snap, p.0, m)
                        }
                        Verdict::Punt => {
                            if !exception.punt(port, m.bytes()) {
                                c.drop(DropReason::PuntFailed, 1);
                            }
                        }
                        Verdict::PuntTo(p) => {
                            if !exception.punt(p.0, m.bytes()) {
                                c.drop(DropReason::PuntFailed, 1);
                            }
                        }
                        Verdict::Drop(r) => c.drop(r, 1),
                        Verdict::Fragment(p, mtu) => {
                            fragment_out(&m, p.0, mtu, &pool, &mut out, &mut tx, &counters, snap)
                        }
                    }
                }
                flush(&mut out, &mut tx, &counters);
            }
            if index == 0 && !exception.inject.is_empty() {
                busy = true;
                let mut ctx = Injected {
                    pipeline: &mut pipeline,
                    snap,
                    exception: &exception,
                    pool: &pool,
                    out: &mut out,
                    counters: &counters,
                    now,
                };
                for _ in 0..BURST {
                    let Some(o) = exception.inject.pop() else {
                        break;
                    };
                    ctx.send(o);
                }
                flush(&mut out, &mut tx, &counters);
            }
            for e in pipeline.drain_events() {
                // Full: the control plane is behind; a later event brings the same news.
                let _ = exception.events.push(e);
            }
            match (busy, mode) {
                (true, _) => backoff.reset(),
                (false, PollMode::Busy) => pause(),
                (false, PollMode::Adaptive) => backoff.idle(),
            }
        }
    }
}

/// What worker 0 needs to send the exception path's frames.
struct Injected<'a> {
    pipeline: &'a mut Pipeline,
    snap: &'a Snapshot,
    exception: &'a Exception,
    pool: &'a Mempool,
    out: &'a mut [MbufBurst],
    counters: &'a WorkerCounters,
    now: u64,
}

impl Injected<'_> {
    /// Sends one frame the exception path queued: out of its port as it is, routed first
    /// when it asks to be, encapsulated when its way out is a tunnel (copied to every VTEP
    /// of a VXLAN tunnel when it is flooded).
    fn send(&mut self, mut o: crate::exception::Outbound) {
        let routed = if o.route {
            own::route(self.snap, o.port, &mut o.frame)
        } else {
            Own::Out(o.port)
        };
        let p = match routed {
            Own::Out(p) if shared::tunnel::is_tunnel(PortId(p)) => p,
            r => return self.dispose(o.port, r, &o.frame),
        };
        let flood = own::flood_to(self.snap, p, &o.frame);
        if flood.is_empty() {
            let r = own::into_tunnel(self.pipeline, self.snap, p, None, &mut o.frame, self.now);
            return self.dispose(o.port, r, &o.frame);
        }
        for v in flood {
            let mut f = o.frame.clone();
            let r = own::into_tunnel(self.pipeline, self.snap, p, Some(*v), &mut f, self.now);
            self.dispose(o.port, r, &f);
        }
    }

    /// What became of a frame from `from`'s twin: sent, handed to a twin, or dropped.
    fn dispose(&mut self, from: u16, r: Own, frame: &[u8]) {
        let drop = |why| {
            if let Some(c) = self.counters.port(from) {
                c.drop(why, 1);
            }
        };
        match r {
            Own::Out(p) => {
                let Some(mut m) = Mbuf::alloc(self.pool) else {
                    return drop(DropReason::NoBuffer);
                };
                if !m.set_len(frame.len()) {
                    return drop(DropReason::Truncated);
                }
                m.bytes_mut().copy_from_slice(frame);
                queue_out(self.out, self.counters, self.snap, p, m);
            }
            Own::Punt(p) => {
                if !self.exception.punt(p, frame) {
                    drop(DropReason::PuntFailed);
                }
            }
            Own::Drop(why, event) => {
                drop(why);
                if let Some(e) = event {
                    let _ = self.exception.events.push(e);
                }
            }
        }
    }
}

/// Sends `m` out of `port` as fragments of at most `mtu` bytes of IP, each in a buffer of
/// its own from `pool`; the original is freed by the caller. A fragment that cannot get a
/// buffer ends the packet (the rest would be useless) and is counted as `no-buffer`.
#[allow(clippy::too_many_arguments)]
fn fragment_out(
    m: &Mbuf,
    port: u16,
    mtu: u16,
    pool: &Mempool,
    out: &mut [MbufBurst],
    tx: &mut [Option<TxQueue>],
    counters: &WorkerCounters,
    snap: &Snapshot,
) {
    let eh = crate::wire::ethernet::Frame::new_checked(m.bytes()).map_or(14, |f| f.header_len());
    // A VLAN's fragments leave by the port under it.
    let dpdk = snap.vlans.get(PortId(port)).map_or(port, |v| v.port.0);
    let r = crate::fragment::fragment(m.bytes(), eh, mtu, &mut |frame| {
        if out.get(usize::from(dpdk)).is_some_and(|b| b.room() == 0) {
            flush(out, tx, counters);
        }
        let Some(mut f) = Mbuf::alloc(pool) else {
            return false;
        };
        if !f.set_len(frame.len()) {
            return false;
        }
        f.bytes_mut().copy_from_slice(frame);
        queue_out(out, counters, snap, port, f);
        true
    });
    if let Err(e) = r {
        if let Some(c) = counters.port(port) {
            c.drop(
                match e {
                    crate::fragment::FragError::Refused => DropReason::NoBuffer,
                    _ => DropReason::BadIpHeader,
                },
                1,
            );
        }
    }
}

/// Adds `m` to the burst of the DPDK port it leaves by: `port`, or the port under VLAN
/// interface `port` with the VLAN's tags put on; counted as dropped when the port is
/// unknown.
#[inline]
fn queue_out(
    out: &mut [MbufBurst],
    counters: &WorkerCounters,
    snap: &Snapshot,
    port: u16,
    mut m: Mbuf,
) {
    let port = if shared::vlan::is_vlan(PortId(port)) {
        counters.logical.count(port, false, u64::from(m.pkt_len()));
        match crate::pipeline::vlan::tag(snap, PortId(port), &mut m) {
            Some(p) => p.0,
            None => {
                if let Some(c) = snap
                    .vlans
                    .get(PortId(port))
                    .and_then(|v| counters.port(v.port.0))
                {
                    c.drop(DropReason::UnknownPort, 1);
                }
                return;
            }
        }
    } else {
        port
    };
    match out.get_mut(usize::from(port)) {
        Some(b) => {
            if b.push(m).is_err() {
                if let Some(c) = counters.port(port) {
                    c.drop(DropReason::TxQueueFull, 1);
                }
            }
        }
        None => {
            if let Some(c) = counters.port(port) {
                c.drop(DropReason::UnknownPort, 1);
            }
        }
    }
}

/// Sends every queued burst; what a queue refuses is dropped and counted.
fn flush(out: &mut [MbufBurst], tx: &mut [Option<TxQueue>], counters: &WorkerCounters) {
    for (port, b) in out.iter_mut().enumerate() {
        if b.is_empty() {
            continue;
        }
        let c = counters.port(port as u16);
        let Some(q) = tx.get_mut(port).and_then(Option::as_mut) else {
            if let Some(c) = c {
                c.drop(DropReason::UnknownPort, b.len() as u64);
            }
            b.clear();
            continue;
        };
        let bytes: u64 = b.as_slice().iter().map(|m| u64::from(m.pkt_len())).sum();
        let sent = q.tx_burst(b);
        let unsent: u64 = b.as_slice().iter().map(|m| u64::from(m.pkt_len())).sum();
        if let Some(c) = c {
            c.tx(sent as u64, bytes - unsent);
            if !b.is_empty() {
                c.drop(DropReason::TxQueueFull, b.len() as u64);
            }
        }
        b.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_pair_ports() {
        assert_eq!(patch_peers(0), vec![]);
        assert_eq!(patch_peers(1), vec![None]);
        assert_eq!(patch_peers(2), vec![Some(1), Some(0)]);
        assert_eq!(
            patch_peers(5),
            vec![Some(1), Some(0), Some(3), Some(2), None]
        );
    }

    #[test]
    fn backoff_grows_then_caps_and_resets() {
        let mut b = Backoff::default();
        for _ in 1..Backoff::PAUSE {
            b.idle();
        }
        assert!(b.sleep.is_zero(), "no sleep while spinning and pausing");
        b.idle();
        assert_eq!(b.sleep, Backoff::MIN_SLEEP);
        for _ in 0..10 {
            b.idle();
        }
        assert_eq!(b.sleep, Backoff::MAX_SLEEP);
        b.reset();
        assert!(b.sleep.is_zero());
        assert_eq!(b.idle_polls, 0);
    }
}
