#!/usr/bin/env python3
"""Asks the running kernel whether it accepts classic BPF programs.

Reads a JSON array of programs from stdin, each an array of [code, jt, jf, k], attaches each to a
fresh UDP socket with SO_ATTACH_FILTER (no privileges needed) and prints a JSON array with "ok" or
the errno name for each. Used by test/bpf-validate.test.ts.
"""
import ctypes
import errno
import json
import socket
import sys

SO_ATTACH_FILTER = 26


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(SockFilter))]


def attach(program):
    array = (SockFilter * max(len(program), 1))(*[SockFilter(*insn) for insn in program])
    # len is an unsigned short: 65536 instructions wrap to 0, as they would for any caller.
    fprog = SockFprog(len(program) & 0xFFFF, array)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, bytes(fprog))
            return "ok"
        except OSError as e:
            return errno.errorcode.get(e.errno, str(e.errno))


def main():
    programs = json.load(sys.stdin)
    print(json.dumps([attach(p) for p in programs]))


if __name__ == "__main__":
    main()
