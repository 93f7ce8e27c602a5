#!/usr/bin/env python3
"""udplite-peer.py FAMILY SEND_COVERAGE RECV_COVERAGE COUNT - a Python UDP-Lite echo peer.

Binds a UDP-Lite socket (socket(AF_INET[6], SOCK_DGRAM, IPPROTO_UDPLITE), udplite(7)) to the
loopback address, sets the coverages given (-1: leave unset), prints one JSON line with its port,
then for each of COUNT datagrams prints a JSON line with what it received and echoes it back
prefixed with b"echo:". Exits after COUNT datagrams, or with status 3 after 10 s of silence.
"""
import json
import socket
import sys

IPPROTO_UDPLITE = 136
UDPLITE_SEND_CSCOV = 10
UDPLITE_RECV_CSCOV = 11


def main():
    family = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
    send_coverage, recv_coverage, count = (int(a) for a in sys.argv[2:5])
    s = socket.socket(family, socket.SOCK_DGRAM, IPPROTO_UDPLITE)
    if send_coverage >= 0:
        s.setsockopt(IPPROTO_UDPLITE, UDPLITE_SEND_CSCOV, send_coverage)
    if recv_coverage >= 0:
        s.setsockopt(IPPROTO_UDPLITE, UDPLITE_RECV_CSCOV, recv_coverage)
    s.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
    s.settimeout(10)
    print(json.dumps({"port": s.getsockname()[1]}), flush=True)
    for _ in range(count):
        try:
            data, peer = s.recvfrom(65535)
        except socket.timeout:
            sys.exit(3)
        print(json.dumps({"data": data.decode(), "address": peer[0], "port": peer[1]}), flush=True)
        s.sendto(b"echo:" + data, peer)


main()
