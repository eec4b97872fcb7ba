#!/usr/bin/python3
"""A userspace 802.1Q switch for the VLAN lab (this kernel has no 8021q module): frames
arriving on a trunk interface are sorted by their tags onto TAP devices, one per VLAN (or
stack of tags), their tags taken off; what a TAP sends goes out of the trunk with the
VLAN's tags put on. The TAPs are moved into the hosts' namespaces by the lab.

The kernel takes the outer tag of what arrives into the packet socket's auxiliary data;
it is put back here (its TPID too), so the tags seen are the ones on the wire.

    switch.py TRUNK READY MAP...    MAP = TAP=VID[.VID] (outermost first), or TAP=untagged
"""
import fcntl
import os
import select
import socket
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000
ETH_P_ALL = 0x0003
SOL_PACKET, PACKET_AUXDATA = 263, 8
TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 1 << 4, 1 << 6
PACKET_OUTGOING = 4
TAG_TYPES = (0x8100, 0x88A8)


def tags_of(frame):
    """The frame's tags ((TPID, VID), outermost first) and where its EtherType is."""
    tags, at = [], 12
    while len(frame) >= at + 4:
        tpid = int.from_bytes(frame[at:at + 2], "big")
        if tpid not in TAG_TYPES:
            break
        tags.append((tpid, int.from_bytes(frame[at + 2:at + 4], "big") & 0xFFF))
        at += 4
    return tags, at


def with_aux(frame, anc):
    """Puts back the tag the kernel took into the auxiliary data."""
    for level, kind, data in anc:
        if level != SOL_PACKET or kind != PACKET_AUXDATA or len(data) < 20:
            continue
        status, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", data[:20])
        if status & TP_STATUS_VLAN_VALID:
            if not status & TP_STATUS_VLAN_TPID_VALID:
                tpid = 0x8100
            return frame[:12] + struct.pack("!HH", tpid, tci) + frame[12:]
    return frame


def main():
    trunk, ready, maps = sys.argv[1], sys.argv[2], sys.argv[3:]
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    raw.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    raw.bind((trunk, 0))
    by_tags, by_fd = {}, {}
    for m in maps:
        name, vlans = m.split("=")
        tags = () if vlans == "untagged" else tuple(int(v) for v in vlans.split("."))
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
        by_tags[tags] = fd
        by_fd[fd] = tags
    open(ready, "w").close()
    while True:
        r, _, _ = select.select([raw] + list(by_fd), [], [])
        for s in r:
            if s is raw:
                frame, anc, _, addr = raw.recvmsg(65535, socket.CMSG_SPACE(64))
                if addr[2] == PACKET_OUTGOING:
                    continue
                frame = with_aux(frame, anc)
                tags, at = tags_of(frame)
                fd = by_tags.get(tuple(v for _, v in tags))
                if fd is not None and all(t == 0x8100 for t, _ in tags):
                    os.write(fd, frame[:12] + frame[at:])
                else:
                    print("no VLAN for", tags, flush=True)
            else:
                frame = os.read(s, 65535)
                tags = b"".join(struct.pack("!HH", 0x8100, v) for v in by_fd[s])
                raw.send(frame[:12] + tags + frame[12:])


if __name__ == "__main__":
    main()
