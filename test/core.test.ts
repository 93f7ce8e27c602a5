// The native core every socket is built on: errors, generic socket options, the owned handle.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { type MessageEntry, messageCount, messageEntry } from '../lib/core/batch-layout.js';
import { decodeInet, encodeInet } from '../lib/core/sockaddr.js';
import { constants, getsockopt, setsockopt } from '../lib/index.js';
import { native } from '../lib/native.js';
import { run, tsxNode } from './helpers/netns.js';
import { messageThenExit } from './helpers/worker-exit.js';

const openFds = () => readdirSync('/proc/self/fd').length;

function udpHandle() {
  const handle = new native.SocketHandle(constants.AF_INET, constants.SOCK_DGRAM, 0);
  native.bind(handle.fd, encodeInet(4, '127.0.0.1', 0));
  const port = (decodeInet(native.getsockname(handle.fd)) as { port: number }).port;
  return { handle, port };
}

describe('errors', () => {
  it('are shaped exactly like node:fs errors', () => {
    let fsError: NodeJS.ErrnoException | undefined;
    try {
      readFileSync('/nonexistent/rawsock');
    } catch (error) {
      fsError = error as NodeJS.ErrnoException;
    }
    const ours = native.errnoError(2, 'open');
    expect(ours.code).toBe(fsError?.code);
    expect(ours.errno).toBe(fsError?.errno);
    expect(ours.message).toBe('ENOENT: no such file or directory, open');
    expect(fsError?.message.startsWith(ours.message)).toBe(true);
  });

  it('socket() failures carry code, errno and syscall', () => {
    expect(() => new native.SocketHandle(9999, constants.SOCK_DGRAM, 0)).toThrow(
      expect.objectContaining({ code: 'EAFNOSUPPORT', errno: -97, syscall: 'socket' }),
    );
  });
});

describe('getsockopt / setsockopt', () => {
  it('round-trips an int option on a dgram.Socket', async () => {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    setsockopt(socket, constants.SOL_SOCKET, constants.SO_RCVBUF, 65536);
    // socket(7): the kernel doubles the value to allow for bookkeeping overhead.
    expect(getsockopt(socket, constants.SOL_SOCKET, constants.SO_RCVBUF, 'int')).toBe(131072);
    expect(getsockopt(socket, constants.SOL_SOCKET, constants.SO_TYPE, 'int')).toBe(constants.SOCK_DGRAM);
    socket.close();
  });

  it('reads string and bytes options', () => {
    const { handle } = udpHandle();
    setsockopt(handle, constants.SOL_SOCKET, constants.SO_BINDTODEVICE, 'lo');
    expect(getsockopt(handle, constants.SOL_SOCKET, constants.SO_BINDTODEVICE, 'string')).toBe('lo');
    const bytes = getsockopt(handle, constants.SOL_SOCKET, constants.SO_TYPE, 'bytes');
    expect(bytes.length).toBe(4);
    expect(bytes.readInt32LE(0)).toBe(constants.SOCK_DGRAM);
    handle.close();
  });

  it('reports the kernel refusal and validates arguments first', () => {
    const { handle } = udpHandle();
    expect(() => setsockopt(handle, constants.IPPROTO_TCP, constants.TCP_CONGESTION, 'reno')).toThrow(
      expect.objectContaining({ code: 'ENOPROTOOPT', errno: -92, syscall: 'setsockopt' }),
    );
    expect(() => setsockopt(handle, 1.5, 1, 1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => setsockopt(handle, '1' as never, 1, 1)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => setsockopt(handle, 1, 1, {} as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => getsockopt(handle, 1, 1, 'float' as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    handle.close();
  });
});

describe('SocketHandle', () => {
  it('receives batches through libuv, with lengths, addresses and truncation', async () => {
    const { handle, port } = udpHandle();
    const batches: { data: Buffer; meta: Uint32Array }[] = [];
    handle.onMessages = (data, meta) => {
      batches.push({ data, meta });
      return true;
    };
    handle.startReceiving({ slots: 8, slotSize: 4, flags: constants.MSG_TRUNC });
    const sender = dgram.createSocket('udp4');
    sender.send('ab', port, '127.0.0.1');
    sender.send('abcdefgh', port, '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const entries = batches.flatMap((b) =>
      Array.from({ length: messageCount(b.meta) }, (_, i) => messageEntry(b.meta, i)),
    );
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ dataOffset: 0, captured: 2, length: 2 });
    expect(entries[1]).toMatchObject({ dataOffset: 2, captured: 4, length: 8 });
    expect((entries[1] as MessageEntry).flags & constants.MSG_TRUNC).toBe(constants.MSG_TRUNC);
    const first = batches[0] as { data: Buffer; meta: Uint32Array };
    const entry = messageEntry(first.meta, 0);
    expect(decodeInet(first.data, entry.auxOffset, entry.addressLength)).toMatchObject({
      address: '127.0.0.1',
      port: sender.address().port,
    });
    sender.close();
    handle.close();
  });

  it('send returns the bytes taken and reports kernel errors', () => {
    const { handle, port } = udpHandle();
    expect(handle.send(Buffer.from('hello'), encodeInet(4, '127.0.0.1', port))).toBe(5);
    expect(() => handle.send(Buffer.from('x'))).toThrow(
      expect.objectContaining({ code: 'EDESTADDRREQ', syscall: 'sendmsg' }),
    );
    handle.close();
  });

  it('close is idempotent and use after close is ERR_SOCKET_CLOSED', () => {
    const { handle } = udpHandle();
    handle.close();
    handle.close();
    expect(handle.fd).toBe(-1);
    expect(() => handle.send(Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    expect(() => handle.startReceiving({})).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });

  it('opening and closing 1,000 sockets leaves the fd count unchanged', () => {
    const before = openFds();
    for (let i = 0; i < 1000; i++) {
      const { handle } = udpHandle();
      handle.onMessages = () => true;
      handle.startReceiving({ slots: 2, slotSize: 64 });
      handle.close();
    }
    expect(openFds()).toBe(before);
  });

  it('a handle dropped without close() is closed by the garbage collector', async () => {
    const inodes = (() => {
      const made = [];
      for (let i = 0; i < 50; i++) made.push(new native.SocketHandle(constants.AF_INET, constants.SOCK_DGRAM, 0).fd);
      return made.map((fd) => readlinkSync(`/proc/self/fd/${fd}`));
    })();
    const stillOpen = () => {
      const now = new Set(
        readdirSync('/proc/self/fd').map((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`);
          } catch {
            return '';
          }
        }),
      );
      return inodes.filter((inode) => now.has(inode)).length;
    };
    expect(stillOpen()).toBe(50);
    for (let i = 0; i < 20 && stillOpen() > 0; i++) {
      (globalThis as { gc?: () => void }).gc?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(stillOpen()).toBe(0);
  });

  it('works in a worker thread and is closed when the worker ends', async () => {
    const before = openFds();
    const worker = new Worker(
      `
      const { parentPort } = require('node:worker_threads');
      const binding = require('node-gyp-build')(${JSON.stringify(process.cwd())});
      const c = binding.constants;
      const h = new binding.SocketHandle(c.AF_INET, c.SOCK_DGRAM, 0);
      h.onMessages = () => true;
      h.startReceiving({ slots: 4, slotSize: 64 });
      parentPort.postMessage(h.fd);
      setTimeout(() => process.exit(0), 20);
      `,
      { eval: true },
    );
    const { message: fd, code } = await messageThenExit(worker);
    expect(fd).toBeGreaterThan(2);
    expect(code).toBe(0);
    expect(openFds()).toBe(before);
  });

  it('process exit with a receiving socket open does not crash', async () => {
    const script = `
      import { native, constants } from './lib/native.ts';
      const h = new native.SocketHandle(constants.AF_INET, constants.SOCK_DGRAM, 0);
      h.onMessages = () => true;
      h.startReceiving({ slots: 4, slotSize: 64 });
      setTimeout(() => { console.log('exiting'); process.exit(0); }, 20);`;
    const result = await run(process.execPath, [...tsxNode, '--input-type=module', '-e', script]);
    expect(result).toMatchObject({ code: 0, signal: null, stdout: 'exiting\n', stderr: '' });
  });
});
