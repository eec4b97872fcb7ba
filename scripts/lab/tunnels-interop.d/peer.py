#!/usr/bin/python3
"""A userspace tunnel endpoint for the tunnel labs (this kernel has no ipip, ip_gre or
EoIP module): a TUN device (a TAP for EoIP) carries the overlay; what the kernel routes
into it is encapsulated (IPIP, GRE with a key, or MikroTik's EoIP: GRE `20 01 64 00`, the
frame's length, the tunnel id little-endian) and sent on a raw socket, and what arrives
from the far end on a raw socket is checked, decapsulated and written to the device. In
EoIP mode it also sends MikroTik's keepalive (an empty EoIP packet) every second.

    peer.py ipip|gre|eoip LOCAL REMOTE KEY TUN READY_FILE
"""
import fcntl
import os
import select
import socket
import struct
import sys
import time

from scapy.all import GRE, IP, Raw, raw

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_TAP, IFF_NO_PI = 0x0001, 0x0002, 0x1000


def eoip_header(length, tid):
    return bytes([0x20, 0x01, 0x64, 0x00]) + struct.pack(">H", length) + struct.pack("<H", tid)


def eoip(local, remote, tid, tun, rx, tx):
    """The EoIP loop: frames both ways, a keepalive every second."""
    last = 0.0
    while True:
        now = time.monotonic()
        if now - last >= 1.0:
            last = now
            pkt = IP(src=local, dst=remote, ttl=64, proto=47) / Raw(eoip_header(0, tid))
            tx.sendto(raw(pkt), (remote, 0))
        r, _, _ = select.select([tun, rx], [], [], 0.2)
        if tun in r:
            frame = os.read(tun, 65535)
            pkt = IP(src=local, dst=remote, ttl=64, proto=47) / Raw(eoip_header(len(frame), tid) + frame)
            tx.sendto(raw(pkt), (remote, 0))
        if rx in r:
            o = IP(rx.recv(65535))
            b = raw(o.payload)
            if o.src != remote or o.dst != local or len(b) < 8 or b[:4] != eoip_header(0, 0)[:4]:
                continue
            length = struct.unpack(">H", b[4:6])[0]
            if struct.unpack("<H", b[6:8])[0] != tid or length == 0 or len(b) < 8 + length:
                continue
            os.write(tun, b[8:8 + length])


def main():
    mode, local, remote, key, name, ready = sys.argv[1:7]
    key = int(key)
    proto = 4 if mode == "ipip" else 47
    kind = IFF_TAP if mode == "eoip" else IFF_TUN
    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", name.encode(), kind | IFF_NO_PI))
    rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    open(ready, "w").close()
    if mode == "eoip":
        eoip(local, remote, key, tun, rx, tx)
    while True:
        r, _, _ = select.select([tun, rx], [], [])
        if tun in r:
            inner = os.read(tun, 65535)
            if len(inner) < 20 or inner[0] >> 4 != 4:
                continue
            outer = IP(src=local, dst=remote, ttl=64, proto=proto)
            if mode == "gre":
                pkt = outer / GRE(key_present=1, key=key, proto=0x0800) / Raw(inner)
            else:
                pkt = outer / Raw(inner)
            tx.sendto(raw(pkt), (remote, 0))
        if rx in r:
            data = rx.recv(65535)
            o = IP(data)
            if o.src != remote or o.dst != local:
                continue
            if mode == "gre":
                if GRE not in o or o[GRE].proto != 0x0800 or o[GRE].key != key:
                    continue
                inner = raw(o[GRE].payload)
            else:
                inner = raw(o.payload)
            if len(inner) >= 20 and inner[0] >> 4 == 4:
                os.write(tun, inner)


if __name__ == "__main__":
    main()
