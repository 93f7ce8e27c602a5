// ICMP port unreachable: what the kernel does for a port nobody bound, and holdUdpPort's fix.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeInet, encodeInet } from '../lib/core/sockaddr.js';
import { constants } from '../lib/index.js';
import { native } from '../lib/native.js';
import { holdUdpPort } from '../lib/sniffer/hold-port.js';

/** A port that was free a moment ago (bound to port 0, then released). */
function freePort(): number {
  const probe = new native.SocketHandle(constants.AF_INET, constants.SOCK_DGRAM, 0);
  native.bind(probe.fd, encodeInet(4, '127.0.0.1', 0));
  const { port } = decodeInet(native.getsockname(probe.fd)) as { port: number };
  probe.close();
  return port;
}

/** ICMP "destination unreachable" messages this namespace has sent (IcmpMsg OutType3). */
function icmpUnreachableSent(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('IcmpMsg:'));
  if (lines.length < 2) return 0;
  const names = lines[0].split(/\s+/).slice(1);
  const values = lines[1].split(/\s+/).slice(1).map(Number);
  const index = names.indexOf('OutType3');
  return index < 0 ? 0 : values[index];
}

/**
 * Sends 3 datagrams on a connected UDP socket; returns the first error the kernel reported, from
 * a later send or from SO_ERROR (on loopback the ICMP error arrives before the next send).
 */
async function sendAndReadError(port: number): Promise<string | null> {
  const sender = new native.SocketHandle(constants.AF_INET, constants.SOCK_DGRAM, 0);
  try {
    native.connect(sender.fd, encodeInet(4, '127.0.0.1', port));
    for (let i = 0; i < 3; i++) {
      try {
        sender.send(Buffer.from(`datagram ${i}`));
      } catch (error) {
        return (error as NodeJS.ErrnoException).code ?? 'unknown';
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const pending = native.getsockopt(sender.fd, constants.SOL_SOCKET, constants.SO_ERROR, 'int');
    return pending === 0 ? null : (native.errnoError(pending, 'getsockopt').code ?? 'unknown');
  } finally {
    sender.close();
  }
}

describe('ICMP port unreachable', () => {
  it('without a bound socket the kernel answers with ICMP and the sender sees ECONNREFUSED', async () => {
    const before = icmpUnreachableSent();
    expect(await sendAndReadError(freePort())).toBe('ECONNREFUSED');
    expect(icmpUnreachableSent()).toBeGreaterThan(before);
  });

  it('holdUdpPort keeps the kernel silent and queues nothing', async () => {
    const port = freePort();
    const held = holdUdpPort(port);
    try {
      const before = icmpUnreachableSent();
      expect(await sendAndReadError(port)).toBeNull();
      expect(icmpUnreachableSent()).toBe(before);
      // /proc/net/udp: the held socket's receive queue stays empty (the drop-all filter discards).
      const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
      const row = readFileSync('/proc/net/udp', 'utf8')
        .split('\n')
        .find((l) => l.includes(`:${hexPort} `));
      expect(row).toBeDefined();
      const rxQueue = Number.parseInt((row as string).trim().split(/\s+/)[4].split(':')[1], 16);
      expect(rxQueue).toBe(0);
    } finally {
      held.close();
    }
    expect(await sendAndReadError(port)).toBe('ECONNREFUSED');
  });

  it('holds IPv6 (and IPv4) with family 6', async () => {
    const port = freePort();
    const held = holdUdpPort(port, { family: 6 });
    try {
      expect(await sendAndReadError(port)).toBeNull();
    } finally {
      held.close();
    }
  });

  it('reports EADDRINUSE when another socket already has the port', () => {
    const owner = new native.SocketHandle(constants.AF_INET, constants.SOCK_DGRAM, 0);
    native.bind(owner.fd, encodeInet(4, '0.0.0.0', 0));
    const { port } = decodeInet(native.getsockname(owner.fd)) as { port: number };
    try {
      expect(() => holdUdpPort(port)).toThrow(expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }));
    } finally {
      owner.close();
    }
  });

  it.each([
    [-1, 'ERR_OUT_OF_RANGE'],
    [65536, 'ERR_OUT_OF_RANGE'],
    ['53', 'ERR_INVALID_ARG_TYPE'],
  ])('rejects port %j with %s', (port, code) => {
    expect(() => holdUdpPort(port as number)).toThrow(expect.objectContaining({ code }));
  });

  it('rejects a bad family or address', () => {
    expect(() => holdUdpPort(9, { family: 5 as 4 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => holdUdpPort(9, { address: 'not-an-ip' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });
});
