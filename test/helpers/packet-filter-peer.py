#!/usr/bin/env python3
"""Runs classic BPF programs in the kernel on real frames sent over `lo`.

Must run inside a fresh network namespace (unshare --user --map-root-user --net) with `lo` up:
packet sockets need CAP_NET_RAW there, and nothing touches the host network.

stdin: {"programs": [[[code, jt, jf, k], ...], ...], "frames": ["hex", ...], "copies": [2, 1, ...]}
(copies: how many copies of each frame to wait for, default 2)
stdout: {"copies": [...], "receipts": [...]}: for each frame, how many copies an unfiltered socket
saw (up to the number expected: a missing copy is waited for 2 s), and for each program the list of
[pkttype, length, how] this program's socket received for that frame; `how` says whether the bytes are a prefix of the frame as sent ("sent"),
of the frame without its 802.1Q tag ("untagged", the kernel keeps received tags aside), or
neither ("other").

Each program gets its own packet socket, opened with protocol 0 (it receives nothing yet), given
its filter, then bound to lo for ETH_P_ALL, as packet(7) advises. An unfiltered socket bound
before them tells when a frame has been delivered: packet sockets on one device are kept newest
first and served in that order, so once the unfiltered socket holds both copies of a frame (the
outgoing one and the looped-back one), every filtered socket has had its chance.
"""
import ctypes
import json
import select
import socket
import sys

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_ATTACH_FILTER = 26


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(SockFilter))]


def filtered_socket(program):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    array = (SockFilter * len(program))(*[SockFilter(*insn) for insn in program])
    s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, bytes(SockFprog(len(program), array)))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind(("lo", ETH_P_ALL))
    return s


def untag(frame):
    if len(frame) >= 18 and frame[12:14] in (b"\x81\x00", b"\x88\xa8"):
        return frame[:12] + frame[16:]
    return None


def drain(s):
    got = []
    while True:
        try:
            data, addr = s.recvfrom(1 << 17, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return got
        got.append((data, addr[2]))


def main():
    job = json.load(sys.stdin)
    frames = [bytes.fromhex(f) for f in job["frames"]]
    sync = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sync.bind(("lo", ETH_P_ALL))
    sync.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    sockets = [filtered_socket(p) for p in job["programs"]]
    sender = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    sender.bind(("lo", 0))
    for s in sockets:
        drain(s)
    drain(sync)

    results = []
    copies = []
    expected = job.get("copies") or [2] * len(frames)
    for index, frame in enumerate(frames):
        stripped = untag(frame)
        sender.send(frame)
        # The outgoing copy is delivered while send() runs; the looped-back copy follows unless
        # the kernel drops it on receive (e.g. a tagged frame too short for its VLAN header).
        # Wait for as many copies as the caller expects, and say how many came.
        seen = 0
        while seen < expected[index]:
            ready, _, _ = select.select([sync], [], [], 2.0)
            if not ready:
                break
            data, _ = sync.recvfrom(1 << 17)
            if data == frame or (stripped is not None and data == stripped):
                seen += 1
        copies.append(seen)
        per_program = []
        for s in sockets:
            seen = []
            for data, pkttype in drain(s):
                if frame.startswith(data):
                    how = "sent"
                elif stripped is not None and stripped.startswith(data):
                    how = "untagged"
                else:
                    how = "other"
                seen.append([pkttype, len(data), how])
            per_program.append(seen)
        results.append(per_program)
    print(json.dumps({"receipts": results, "copies": copies}))


if __name__ == "__main__":
    main()
