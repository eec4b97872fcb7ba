//! Packet buffers and bursts of them.

use super::Mempool;
use std::ptr::NonNull;

/// Packets per rx/tx call: the unit of work of a worker.
pub const BURST: usize = 32;

/// One packet buffer (`rte_mbuf`), owned; freed back to its pool on drop.
/// Only single-segment packets are produced by rspe's port setup (no scatter), so the data
/// is the first segment.
#[repr(transparent)]
pub struct Mbuf(NonNull<dpdk_sys::rte_mbuf>);

// SAFETY: an mbuf is owned by exactly one Mbuf value at a time; moving it to another thread
// moves that ownership. Freeing from any lcore or registered thread is allowed by DPDK.
unsafe impl Send for Mbuf {}

impl Mbuf {
    /// Allocates an empty buffer from `pool`; `None` when the pool is exhausted.
    pub fn alloc(pool: &Mempool) -> Option<Mbuf> {
        // SAFETY: the pool is valid while borrowed.
        NonNull::new(unsafe { dpdk_sys::rspe_pktmbuf_alloc(pool.as_ptr()) }).map(Mbuf)
    }

    fn raw(&self) -> &dpdk_sys::rte_mbuf {
        // SAFETY: we own a valid mbuf.
        unsafe { self.0.as_ref() }
    }

    /// The packet's bytes.
    #[inline]
    pub fn data(&self) -> &[u8] {
        let m = self.raw();
        // SAFETY: buf_addr + data_off .. + data_len lies inside the mbuf's buffer, which we own.
        unsafe {
            std::slice::from_raw_parts(
                m.buf_addr.cast::<u8>().add(usize::from(m.data_off)),
                usize::from(m.data_len),
            )
        }
    }

    /// The packet's bytes, writable.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: we own the mbuf exclusively (&mut self).
        let m = unsafe { self.0.as_mut() };
        // SAFETY: as in `data`, and no other reference to these bytes exists.
        unsafe {
            std::slice::from_raw_parts_mut(
                m.buf_addr.cast::<u8>().add(usize::from(m.data_off)),
                usize::from(m.data_len),
            )
        }
    }

    /// Length of the packet in bytes (all segments).
    #[inline]
    pub fn pkt_len(&self) -> u32 {
        self.raw().pkt_len
    }

    /// The port the packet arrived on.
    #[inline]
    pub fn port(&self) -> u16 {
        self.raw().port
    }

    /// Appends `len` bytes at the end of the packet and returns them; `None` if the buffer
    /// has no room for them.
    pub fn append(&mut self, len: u16) -> Option<&mut [u8]> {
        // SAFETY: we own the mbuf; rte_pktmbuf_append checks the tailroom and returns NULL
        // when there is not enough.
        let p = unsafe { dpdk_sys::rspe_pktmbuf_append(self.0.as_ptr(), len) };
        // SAFETY: on success p points at `len` writable bytes inside our buffer.
        NonNull::new(p).map(|p| unsafe {
            std::slice::from_raw_parts_mut(p.as_ptr().cast::<u8>(), usize::from(len))
        })
    }

    /// Sets the length of a single-segment packet: shorter, or longer up to the end of the
    /// buffer (the new bytes are whatever the buffer held). `false` when it does not fit or
    /// the packet has more than one segment.
    pub fn set_len(&mut self, len: usize) -> bool {
        // SAFETY: we own the mbuf exclusively (&mut self).
        let m = unsafe { self.0.as_mut() };
        let room = usize::from(m.buf_len).saturating_sub(usize::from(m.data_off));
        if m.nb_segs != 1 || len > room {
            return false;
        }
        // Fits in u16: room comes from a u16.
        m.data_len = len as u16;
        m.pkt_len = len as u32;
        true
    }

    /// Moves the start of a single-segment packet by `delta` bytes: negative grows it at the
    /// front into the headroom (rte_pktmbuf_prepend), positive drops its first bytes
    /// (rte_pktmbuf_adj). `false`, changing nothing, when the headroom or the packet is too
    /// short or the packet has more than one segment.
    pub fn move_start(&mut self, delta: isize) -> bool {
        // SAFETY: we own the mbuf exclusively (&mut self).
        let m = unsafe { self.0.as_mut() };
        let off = isize::from(m.data_off as i16) + delta;
        let len = isize::from(m.data_len as i16) - delta;
        if m.nb_segs != 1 || off < 0 || len < 0 || m.data_off > i16::MAX as u16 {
            return false;
        }
        // Both fit in u16: they stay within the buffer's u16 offsets.
        m.data_off = off as u16;
        m.data_len = len as u16;
        m.pkt_len = len as u32;
        true
    }

    fn into_raw(self) -> *mut dpdk_sys::rte_mbuf {
        let p = self.0.as_ptr();
        std::mem::forget(self);
        p
    }
}

impl crate::pipeline::PacketBuf for Mbuf {
    #[inline]
    fn bytes(&self) -> &[u8] {
        self.data()
    }
    #[inline]
    fn bytes_mut(&mut self) -> &mut [u8] {
        self.data_mut()
    }
    #[inline]
    fn set_len(&mut self, len: usize) -> bool {
        Mbuf::set_len(self, len)
    }
    #[inline]
    fn move_start(&mut self, delta: isize) -> bool {
        Mbuf::move_start(self, delta)
    }
    #[inline]
    fn prefetch_headroom(&self) {
        // SAFETY: we own the mbuf (&self); reading its header has no side effect.
        let m = unsafe { self.0.as_ref() };
        if m.data_off >= 32 {
            let p = (m.buf_addr as *const u8).wrapping_add(usize::from(m.data_off) - 32);
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `prefetcht0` is a hint: it never faults and changes no state, whatever
            // the address (here one inside the mbuf's buffer, in its headroom).
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    p.cast::<i8>(),
                );
            }
            #[cfg(not(target_arch = "x86_64"))]
            let _ = p;
        }
    }
}

impl Drop for Mbuf {
    fn drop(&mut self) {
        // SAFETY: we own the mbuf; after this nothing refers to it.
        unsafe { dpdk_sys::rspe_pktmbuf_free(self.0.as_ptr()) }
    }
}

/// Up to [`BURST`] owned packets, laid out as DPDK's burst calls want them.
pub struct MbufBurst {
    ptrs: [*mut dpdk_sys::rte_mbuf; BURST],
    len: usize,
}

// SAFETY: the burst owns its mbufs like a Vec<Mbuf> would.
unsafe impl Send for MbufBurst {}

impl Default for MbufBurst {
    fn default() -> Self {
        Self::new()
    }
}

impl MbufBurst {
    /// An empty burst.
    pub const fn new() -> Self {
        MbufBurst {
            ptrs: [std::ptr::null_mut(); BURST],
            len: 0,
        }
    }

    /// Packets held.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no packet is held.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Room left.
    #[inline]
    pub fn room(&self) -> usize {
        BURST - self.len
    }

    /// The packets.
    #[inline]
    pub fn as_slice(&self) -> &[Mbuf] {
        // SAFETY: ptrs[..len] are non-null owned mbufs, and Mbuf is repr(transparent) over
        // NonNull<rte_mbuf>, which has the layout of *mut rte_mbuf.
        unsafe { std::slice::from_raw_parts(self.ptrs.as_ptr().cast::<Mbuf>(), self.len) }
    }

    /// The packets, writable.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [Mbuf] {
        // SAFETY: as in `as_slice`, with exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.ptrs.as_mut_ptr().cast::<Mbuf>(), self.len) }
    }

    /// Adds a packet; gives it back when the burst is full.
    #[inline]
    pub fn push(&mut self, m: Mbuf) -> Result<(), Mbuf> {
        if self.len == BURST {
            return Err(m);
        }
        self.ptrs[self.len] = m.into_raw();
        self.len += 1;
        Ok(())
    }

    /// Removes and returns the last packet.
    pub fn pop(&mut self) -> Option<Mbuf> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        NonNull::new(self.ptrs[self.len]).map(Mbuf)
    }

    /// Takes every packet out, in order; those the iterator does not reach are freed.
    pub fn drain(&mut self) -> MbufDrain<'_> {
        let end = self.len;
        self.len = 0;
        MbufDrain {
            ptrs: &self.ptrs,
            next: 0,
            end,
        }
    }

    /// Frees every packet held.
    pub fn clear(&mut self) {
        for p in &self.ptrs[..self.len] {
            // SAFETY: each of ptrs[..len] is an owned, valid mbuf, freed once here.
            unsafe { dpdk_sys::rspe_pktmbuf_free(*p) }
        }
        self.len = 0;
    }

    /// The free tail of the array, for an rx call to fill.
    pub(crate) fn spare_ptr(&mut self) -> *mut *mut dpdk_sys::rte_mbuf {
        // SAFETY: len <= BURST, so the pointer is inside or one past the array.
        unsafe { self.ptrs.as_mut_ptr().add(self.len) }
    }

    /// Records that an rx call filled `n` more entries.
    pub(crate) fn grew(&mut self, n: usize) {
        debug_assert!(self.len + n <= BURST);
        self.len = (self.len + n).min(BURST);
    }

    pub(crate) fn ptr(&mut self) -> *mut *mut dpdk_sys::rte_mbuf {
        self.ptrs.as_mut_ptr()
    }

    /// Forgets the first `n` packets (handed to a tx queue) and moves the rest to the front.
    pub(crate) fn consumed(&mut self, n: usize) {
        let n = n.min(self.len);
        self.ptrs.copy_within(n..self.len, 0);
        self.len -= n;
    }
}

impl Drop for MbufBurst {
    fn drop(&mut self) {
        self.clear();
    }
}

/// The packets taken out of a burst by [`MbufBurst::drain`].
pub struct MbufDrain<'a> {
    ptrs: &'a [*mut dpdk_sys::rte_mbuf; BURST],
    next: usize,
    end: usize,
}

impl Iterator for MbufDrain<'_> {
    type Item = Mbuf;
    #[inline]
    fn next(&mut self) -> Option<Mbuf> {
        while self.next < self.end {
            let p = self.ptrs[self.next];
            self.next += 1;
            // ptrs[..end] are owned mbufs the burst gave up (its len is 0): each is handed
            // out once.
            if let Some(p) = NonNull::new(p) {
                return Some(Mbuf(p));
            }
        }
        None
    }
}

impl Drop for MbufDrain<'_> {
    fn drop(&mut self) {
        for m in self.by_ref() {
            drop(m);
        }
    }
}
