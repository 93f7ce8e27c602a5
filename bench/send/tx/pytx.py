#!/usr/bin/env python3
"""pytx.py unix PATH|udp PORT COUNT SIZE - Python's socket module: a connected blocking socket and
one sock.send() per datagram (the kernel flow-controls Unix datagrams). The send suite's contract:
READY, wait for a line on stdin, send, print sent=N elapsed_ns=E, exit when stdin closes."""
import socket
import sys
import time

mode, target, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if mode == 'unix':
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect(target)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(('127.0.0.1', int(target)))
payload = b'x' * size
print('READY', flush=True)
sys.stdin.readline()
send = s.send
t0 = time.monotonic_ns()
sent = 0
while sent < count:
    try:
        send(payload)
        sent += 1
    except (ConnectionRefusedError, BlockingIOError, OSError):
        pass  # UDP on loopback: an earlier datagram's ICMP error, or ENOBUFS; retry
print(f'sent={sent} elapsed_ns={time.monotonic_ns() - t0}', flush=True)
sys.stdin.read()
