#!/usr/bin/python3
"""A userspace tunnel endpoint for the tunnels-interop lab (this kernel has no ipip or
ip_gre modules): a TUN device carries the overlay; what the kernel routes into it is
encapsulated by scapy (IPIP or GRE with a key) and sent on a raw socket, and what arrives
from the far end on a raw socket is checked, decapsulated by scapy and written to the TUN.

    peer.py ipip|gre LOCAL REMOTE KEY TUN READY_FILE
"""
import fcntl
import os
import select
import socket
import struct
import sys

from scapy.all import GRE, IP, Raw, raw

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


def main():
    mode, local, remote, key, name, ready = sys.argv[1:7]
    key = int(key)
    proto = 4 if mode == "ipip" else 47
    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    open(ready, "w").close()
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
