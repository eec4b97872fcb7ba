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
use shared::vlan::{is_tag, Tag, Vlan, MAX_TAGS};

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
#[inline(always)]
pub fn untag<'s, B: PacketBuf>(
    snap: &'s Snapshot,
    port: PortId,
    pkt: &mut B,
) -> Result<&'s Vlan, DropReason> {
    let b = pkt.bytes();
    if b.len() >= MACS + TAG + 2
        && b[12..14] == [0x81, 0x00]
        && !is_tag(u16::from_be_bytes([b[16], b[17]]))
    {
        // One customer tag: the common case.
        let vid = u16::from_be_bytes([b[14], b[15]]);
        let v = snap
            .vlans
            .classify_q(port, vid)
            .ok_or(DropReason::UnknownVlan)?;
        move_macs(pkt.bytes_mut(), 0, TAG);
        return match pkt.move_start(TAG as isize) {
            true => Ok(v),
            false => Err(DropReason::Truncated),
        };
    }
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
    move_macs(pkt.bytes_mut(), 0, room);
    if !pkt.move_start(room as isize) {
        return Err(DropReason::Truncated);
    }
    Ok(v)
}

/// Moves the 12 bytes of MAC addresses at `from` to `to` (a register copy: a call to
/// `memmove` for 12 bytes would cost more than the rest of the move).
#[inline(always)]
fn move_macs(b: &mut [u8], from: usize, to: usize) {
    let mut macs = [0u8; MACS];
    macs.copy_from_slice(&b[from..from + MACS]);
    b[to..to + MACS].copy_from_slice(&macs);
}

/// A frame for VLAN interface `port`: its tags put in after the MAC addresses; the DPDK
/// port it leaves by. `None` when there is no such interface up, or no headroom.
#[inline(always)]
pub fn tag<B: PacketBuf>(snap: &Snapshot, port: PortId, pkt: &mut B) -> Option<PortId> {
    let v = snap.vlans.get(port).filter(|v| v.up)?;
    let room = TAG * v.tags().len();
    if pkt.bytes().len() < MACS + 2 || !pkt.move_start(-(room as isize)) {
        return None;
    }
    let b = pkt.bytes_mut();
    move_macs(b, room, 0);
    b[MACS..MACS + room].copy_from_slice(&v.wire[..room]);
    Some(v.port)
}
