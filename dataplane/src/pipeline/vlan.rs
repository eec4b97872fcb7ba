//! VLAN interfaces (802.1Q, 802.1ad, QinQ) in the pipeline: a tagged frame arriving on a
//! port is classified to its VLAN interface by (port, tags) and its tags are taken off, so
//! everything after sees a plain Ethernet frame arriving on that interface; a frame sent
//! out of a VLAN interface gets its tags back in front of the EtherType and leaves by the
//! port. Taking a tag off moves the 12 bytes of MAC addresses up by 4 (the buffer then
//! starts 4 bytes later); putting one on moves them down into the headroom.

use super::PacketBuf;
use crate::counters::DropReason;
use shared::snapshot::Snapshot;
use shared::types::PortId;
use shared::vlan::{is_tag, Tag, MAX_TAGS};

/// The MAC addresses before the first tag.
const MACS: usize = 12;
/// One tag: TPID and TCI.
const TAG: usize = 4;

/// Whether frame `b` carries a tag (its EtherType is 802.1Q's or 802.1ad's).
#[inline(always)]
pub fn is_tagged(b: &[u8]) -> bool {
    b.len() >= 14 && is_tag(u16::from_be_bytes([b[12], b[13]]))
}

/// The tags of frame `b`, outermost first, and how many there are (0 to 2; [`MORE`] for
/// more than two, [`CUT`] for a frame that ends inside them).
#[inline(always)]
fn tags_of(b: &[u8]) -> ([Tag; MAX_TAGS], usize) {
    let mut tags = [Tag::default(); MAX_TAGS];
    let mut n = 0;
    let mut at = MACS;
    while let Some(h) = b.get(at..at + TAG + 2) {
        let tpid = u16::from_be_bytes([h[0], h[1]]);
        if !is_tag(tpid) {
            return (tags, n);
        }
        if n == MAX_TAGS {
            return (tags, MORE);
        }
        tags[n] = Tag {
            tpid,
            vid: u16::from_be_bytes([h[2], h[3]]) & 0x0fff,
        };
        n += 1;
        at += TAG;
    }
    (tags, CUT)
}

/// [`tags_of`]: more tags than a VLAN interface has.
const MORE: usize = MAX_TAGS + 1;
/// [`tags_of`]: the frame ends inside its tags.
const CUT: usize = MAX_TAGS + 2;

/// A tagged frame that arrived on DPDK port `port`: the VLAN interface it belongs to, its
/// tags taken off. `Err(unknown-vlan)` when no interface that is up has its port and tags
/// (VLAN 0 and 4095 never do; double tags where one is configured do not either), or the
/// frame is cut short inside its tags (`truncated`).
#[inline]
pub fn untag<B: PacketBuf>(
    snap: &Snapshot,
    port: PortId,
    pkt: &mut B,
) -> Result<PortId, DropReason> {
    let (tags, n) = tags_of(pkt.bytes());
    match n {
        CUT => return Err(DropReason::Truncated),
        MORE => return Err(DropReason::UnknownVlan),
        _ => {}
    }
    let v = snap
        .vlans
        .classify(port, &tags[..n])
        .ok_or(DropReason::UnknownVlan)?;
    let room = TAG * n;
    pkt.bytes_mut().copy_within(0..MACS, room);
    if !pkt.move_start(room as isize) {
        return Err(DropReason::Truncated);
    }
    Ok(v.id)
}

/// A frame for VLAN interface `port`: its tags put in after the MAC addresses; the DPDK
/// port it leaves by. `None` when there is no such interface up, or no headroom.
#[inline]
pub fn tag<B: PacketBuf>(snap: &Snapshot, port: PortId, pkt: &mut B) -> Option<PortId> {
    let v = snap.vlans.get(port).filter(|v| v.up)?;
    let room = TAG * v.tags().len();
    if pkt.bytes().len() < MACS + 2 || !pkt.move_start(-(room as isize)) {
        return None;
    }
    let b = pkt.bytes_mut();
    b.copy_within(room..room + MACS, 0);
    for (i, t) in v.tags().iter().enumerate() {
        let at = MACS + TAG * i;
        b[at..at + 2].copy_from_slice(&t.tpid.to_be_bytes());
        b[at + 2..at + 4].copy_from_slice(&t.vid.to_be_bytes());
    }
    Some(v.port)
}
