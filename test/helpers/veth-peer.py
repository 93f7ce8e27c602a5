#!/usr/bin/env python3
"""The far end of a veth pair, in its own network namespace (run it through `unshare --net`).

usage: veth-peer.py IFACE ADDRESS/PREFIX
Waits for IFACE to be moved into this namespace, gives it ADDRESS, brings it up and prints
`READY <mac>`. Then it follows commands on stdin, one per line, answering on stdout:
  recv PORT COUNT TIMEOUT  bind udp PORT, print `GOT <hex payload>` per datagram, then `DONE`
  send IP PORT HEX         send one UDP datagram; prints `SENT`
  frame HEX                send a raw Ethernet frame on IFACE (AF_PACKET); prints `SENT`
"""
import binascii
import socket
import subprocess
import sys
import time

iface, cidr = sys.argv[1], sys.argv[2]
deadline = time.monotonic() + 10
while True:
    try:
        socket.if_nametoindex(iface)
        break
    except OSError:
        if time.monotonic() > deadline:
            print(f"ERROR {iface} never arrived", flush=True)
            sys.exit(1)
        time.sleep(0.01)
subprocess.run(["ip", "addr", "add", cidr, "dev", iface], check=True)
subprocess.run(["ip", "link", "set", iface, "up"], check=True)
link = subprocess.run(["ip", "-o", "link", "show", iface], check=True, capture_output=True, text=True).stdout
mac = link.split("link/ether ")[1].split()[0]
print(f"READY {mac}", flush=True)

for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    if words[0] == "recv":
        port, count, timeout = int(words[1]), int(words[2]), float(words[3])
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("0.0.0.0", port))
        sock.settimeout(timeout)
        print("BOUND", flush=True)
        try:
            for _ in range(count):
                data, _address = sock.recvfrom(65535)
                print(f"GOT {binascii.hexlify(data).decode()}", flush=True)
        except socket.timeout:
            pass
        sock.close()
        print("DONE", flush=True)
    elif words[0] == "send":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.sendto(binascii.unhexlify(words[3]), (words[1], int(words[2])))
        sock.close()
        print("SENT", flush=True)
    elif words[0] == "frame":
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        sock.bind((iface, 0))
        sock.send(binascii.unhexlify(words[1]))
        sock.close()
        print("SENT", flush=True)
