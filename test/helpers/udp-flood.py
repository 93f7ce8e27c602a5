#!/usr/bin/env python3
"""Floods UDP datagrams at DST to each of PORTS in turn for SECONDS, as fast as Python can.

usage: udp-flood.py DST PORT[,PORT...] SECONDS
Prints READY once sending, then `sent=N` at the end. The payload is 'flood PORT'. Runs in the
test's own network namespace (it only sends to the address given).
"""
import socket
import sys
import time

dst = sys.argv[1]
ports = [int(p) for p in sys.argv[2].split(",")]
seconds = float(sys.argv[3])
family = socket.AF_INET6 if ":" in dst else socket.AF_INET
sock = socket.socket(family, socket.SOCK_DGRAM)
sock.setblocking(False)
payloads = [(f"flood {p}".encode(), (dst, p)) for p in ports]
end = time.monotonic() + seconds
sent = 0
print("READY", flush=True)
while time.monotonic() < end:
    for payload, address in payloads:
        try:
            sock.sendto(payload, address)
            sent += 1
        except (BlockingIOError, ConnectionRefusedError):
            pass
print(f"sent={sent}", flush=True)
