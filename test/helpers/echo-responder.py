#!/usr/bin/env python3
# An ICMP echo responder for the ping tests, run inside a test namespace whose kernel does not
# answer echoes itself (net.ipv4.icmp_echo_ignore_all / net.ipv6.icmp.echo_ignore_all = 1).
# Usage: echo-responder.py 4|6 duplicate|delay:MS
#   duplicate: answers every request twice (what iputils reports as DUP!)
#   delay:MS:  answers every request once, MS milliseconds late
# Prints READY once listening.
import socket
import struct
import sys
import threading

family = int(sys.argv[1])
mode = sys.argv[2]


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


if family == 4:
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
else:
    sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
print("READY", flush=True)


def reply(message, peer):
    sock.sendto(message, peer)


while True:
    data, peer = sock.recvfrom(65535)
    if family == 4:
        data = data[(data[0] & 0x0F) * 4 :]  # raw(7): IPv4 raw sockets see the IP header
        if len(data) < 8 or data[0] != 8:
            continue
        message = bytearray(b"\0" + data[1:2] + b"\0\0" + data[4:])
        message[2:4] = struct.pack("!H", checksum(bytes(message)))
    else:
        if len(data) < 8 or data[0] != 128:
            continue
        message = bytearray(bytes([129]) + data[1:2] + b"\0\0" + data[4:])  # the kernel fills the ICMPv6 checksum
    message = bytes(message)
    if mode == "duplicate":
        reply(message, peer)
        reply(message, peer)
    elif mode.startswith("delay:"):
        threading.Timer(int(mode[6:]) / 1000, reply, (message, peer)).start()
