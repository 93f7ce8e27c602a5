#!/usr/bin/env python3
"""Writes a small seed corpus of well-formed TPACKET_V3 blocks for ring_block_fuzzer.

Layouts from include/uapi/linux/if_packet.h: tpacket_block_desc (48 bytes), tpacket3_hdr
(48 bytes), then struct sockaddr_ll (20 bytes) at TPACKET_ALIGN(48) = 48, then the frame at tp_mac.
Usage: make_seeds.py DIR
"""
import os
import struct
import sys

DESC = 48
HDR = 48
SLL = 20
MAC = 80  # >= HDR + SLL, 16-aligned like the kernel's macoff


def packet(frame, next_offset, ifindex=1, halen=6, vlan=0, status=1):
    hdr = struct.pack('<IIIIIIHHIIHH8x', next_offset, 1700000000, 123, len(frame), len(frame) + 4,
                      status, MAC, MAC + 14, 0, vlan, 0x8100 if vlan else 0, 0)
    sll = struct.pack('<HHiHBB8s', 17, 0x0008, ifindex, 1, 0, halen, b'\x02\x00\x00\x00\x00\x01\x00\x00')
    body = hdr + sll
    body += b'\0' * (MAC - len(body)) + frame
    pad = (-len(body)) % 16
    return body + b'\0' * pad


def block(frames, size):
    pkts = []
    for i, frame in enumerate(frames):
        p = packet(frame, 0, vlan=5 if i == 1 else 0)
        pkts.append(p)
    out = b''
    for i, p in enumerate(pkts):
        nxt = len(p) if i + 1 < len(pkts) else 0
        out += struct.pack('<I', nxt) + p[4:]
    used = DESC + len(out)
    desc = struct.pack('<IIIIIIQIIII', 3, 0, 1, len(frames), DESC, used, 7, 1700000000, 0, 1700000000, 5)
    data = desc + out
    return data + b'\0' * (size - len(data)) if size > len(data) else data


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    eth = bytes(12) + b'\x08\x00' + bytes(28)
    seeds = {
        'empty-block': block([], 64),
        'one-packet': block([eth], 256),
        'three-packets': block([eth, eth + b'xyz', b'\x01' * 60], 512),
        'snaplen-to-end': block([b'\x02' * 100], 0),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
