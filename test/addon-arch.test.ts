// The addon this process loaded is built for this process's architecture, and its system calls
// work: part of the normal suite, and the check `npm run test:arm64` relies on that the arm64
// prebuild (cross-compiled, run by an arm64 Node under qemu-user) loads and talks to the kernel.
// The peers are real: a Python process (a host binary, also under qemu) sends UDP-Lite datagrams.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { constants } from '../lib/index.js';
import { UdpLiteSocket } from '../lib/udplite/index.js';
import { UnixDatagramSocket } from '../lib/unix/index.js';
import { run } from './helpers/netns.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

// ELF e_machine (elf(5)) of the architectures rawsock ships prebuilds for.
const machines: Record<string, number> = { x64: 62, arm64: 183 };

/** The file lib/core/addon.ts loads: RAWSOCK_ADDON, or what node-gyp-build picks. */
function addonFile(): string {
  const override = process.env.RAWSOCK_ADDON;
  if (override) return path.resolve(override);
  return (require('node-gyp-build') as { path(dir: string): string }).path(root);
}

describe(`the addon on ${process.arch}`, () => {
  it('is an ELF shared object for this architecture', () => {
    const header = readFileSync(addonFile()).subarray(0, 20);
    expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(header.readUInt16LE(16)).toBe(3); // ET_DYN
    expect(header.readUInt16LE(18)).toBe(machines[process.arch]);
  });

  it("exports the kernel's constants for this architecture's headers", () => {
    // The same numbers on every Linux architecture (linux/socket.h, linux/if_ether.h, in.h).
    expect(constants).toMatchObject({ AF_PACKET: 17, AF_UNIX: 1, IPPROTO_UDPLITE: 136, SOL_SOCKET: 1 });
    // CMSG alignment is sizeof(size_t): 8 on both 64-bit architectures rawsock ships for.
    expect(constants.CMSG_ALIGNMENT).toBe(8);
  });

  it('receives UDP-Lite datagrams from a Python peer', async () => {
    const socket = UdpLiteSocket.create({ family: 4 });
    try {
      socket.bind(0, '127.0.0.1');
      const received = new Promise<{ data: Buffer }>((resolve) => socket.once('message', resolve));
      const peer = await run('python3', [
        '-c',
        'import socket, sys; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 136); s.sendto(b"from python", ("127.0.0.1", int(sys.argv[1])))',
        String(socket.address().port),
      ]);
      expect(peer.stderr).toBe('');
      expect((await received).data.toString()).toBe('from python');
    } finally {
      socket.close();
    }
  });

  it('moves datagrams between two Unix datagram sockets', async () => {
    const name = `@rawsock-arch-${process.pid}`;
    const receiver = UnixDatagramSocket.create().bind(name);
    const sender = UnixDatagramSocket.create();
    try {
      const received = new Promise<{ data: Buffer; sender?: string }>((resolve) => receiver.once('message', resolve));
      await sender.send('hello', name);
      const message = await received;
      expect(message.data.toString()).toBe('hello');
      expect(message.sender).toBe(sender.address());
    } finally {
      receiver.close();
      sender.close();
    }
  });

  it("turns the kernel's refusal into a Node-style system error", () => {
    const socket = UnixDatagramSocket.create({ autobind: false });
    try {
      expect(() => socket.bind('/nonexistent-rawsock-dir/socket')).toThrow(
        expect.objectContaining({ code: 'ENOENT', errno: -2, syscall: 'bind' }),
      );
    } finally {
      socket.close();
    }
  });
});
