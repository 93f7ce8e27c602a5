#!/usr/bin/env python3
"""A reference packet-socket receiver: Python's own AF_PACKET support (socketmodule.c).

usage: packet-recv.py IFACE UDP_PORT COUNT
Opens AF_PACKET/SOCK_RAW for ETH_P_ALL on IFACE, prints READY, then prints one JSON line per
IPv4 UDP frame to UDP_PORT: the frame in hex and the address recvfrom() gives
(ifname, protocol, pkttype, hatype, address), until COUNT frames were seen (or 5 s passed).
"""
import json
import socket
import sys
import time

iface, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
sock.bind((iface, 0x0003))
sock.settimeout(0.2)
print("READY", flush=True)
deadline = time.monotonic() + 5
seen = 0
while seen < count and time.monotonic() < deadline:
    try:
        frame, address = sock.recvfrom(65600)
    except socket.timeout:
        continue
    if len(frame) < 38 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
        continue
    if int.from_bytes(frame[36:38], "big") != port:
        continue
    seen += 1
    ifname, protocol, pkttype, hatype, hwaddr = address
    print(json.dumps({"hex": frame.hex(), "ifname": ifname, "protocol": protocol, "pkttype": pkttype,
                      "hatype": hatype, "address": ":".join(f"{b:02x}" for b in hwaddr)}), flush=True)
