// Unix datagram sockets (unix(7)): names, peers (socat, Python), credentials, the errors users
// meet, flow control, sd_notify, and the examples. Runs in the test run's network namespace, so
// abstract names never meet the host's.
import { once } from 'node:events';
import { lstatSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../lib/native.js';
import { notify, type UnixDatagramMessage, UnixDatagramSocket } from '../lib/unix/index.js';
import { run, tsxNode } from './helpers/netns.js';
import { PY_CLIENT, PY_RECEIVER, scratchDir, startPeer } from './helpers/unix-peers.js';
import { waitUntil } from './helpers/wait.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());
let unique = 0;
const abstractName = () => `@rawsock-test-${process.pid}-${unique++}`;

/** The next `count` messages on `socket`. */
async function receive(socket: UnixDatagramSocket, count = 1): Promise<UnixDatagramMessage[]> {
  const out: UnixDatagramMessage[] = [];
  for await (const message of socket.messages({ signal: AbortSignal.timeout(10_000) })) {
    out.push(message);
    if (out.length === count) break;
  }
  return out;
}

const text = (messages: UnixDatagramMessage[]) => messages.map((m) => m.data.toString());

describe('names', () => {
  it('binds a filesystem path, tells receivers who sent, and removes its socket file on close', async () => {
    const rxPath = scratch.path('fs-rx.sock');
    const txPath = scratch.path('fs-tx.sock');
    const rx = UnixDatagramSocket.create().bind(rxPath);
    const tx = UnixDatagramSocket.create().bind(txPath);
    expect(lstatSync(rxPath).isSocket()).toBe(true);
    expect(rx.address()).toBe(rxPath);
    await expect(tx.send('hello', rxPath)).resolves.toBe(5);
    const [message] = await receive(rx);
    expect(message.data.toString()).toBe('hello');
    expect(message.sender).toBe(txPath);
    expect(message.truncated).toBe(false);
    // A reply reaches the sender through the path it reported.
    await rx.send('hi back', message.sender);
    expect(text(await receive(tx))).toEqual(['hi back']);
    rx.close();
    tx.close();
    expect(() => lstatSync(rxPath)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => lstatSync(txPath)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('binds abstract names (no file), and autobinds so an unbound client can get replies', async () => {
    const name = abstractName();
    const rx = UnixDatagramSocket.create().bind(name);
    expect(rx.address()).toBe(name);
    const client = UnixDatagramSocket.create().connect(name);
    // unix(7): autobind gives an abstract name of 5 hex digits.
    expect(client.address()).toMatch(/^@[0-9a-f]{5}$/);
    expect(client.remoteAddress()).toBe(name);
    await client.send('ping');
    const [ping] = await receive(rx);
    expect(ping.sender).toBe(client.address());
    await rx.send('pong', ping.sender);
    expect(text(await receive(client))).toEqual(['pong']);

    client.disconnect();
    expect(() => client.remoteAddress()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' }));
    await expect(client.send('where to?')).rejects.toThrow(expect.objectContaining({ code: 'ENOTCONN' }));

    const explicit = UnixDatagramSocket.create().bind();
    expect(explicit.address()).toMatch(/^@[0-9a-f]{5}$/);
    const unnamed = UnixDatagramSocket.create({ autobind: false });
    await unnamed.send('anonymous', name);
    const [anonymous] = await receive(rx);
    expect(anonymous.sender).toBeUndefined();
    expect(unnamed.address()).toBeUndefined();
    for (const socket of [rx, client, explicit, unnamed]) socket.close();
  });

  it('refuses a path longer than sun_path with a RangeError before any system call', async () => {
    const long = `/tmp/${'x'.repeat(104)}`; // 108 bytes + the terminating NUL: one too many
    const socket = UnixDatagramSocket.create({ autobind: false });
    for (const call of [() => socket.bind(long), () => socket.connect(long), () => socket.trySend('x', long)]) {
      expect(call).toThrow(RangeError);
      expect(call).toThrow(
        expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/107/) }),
      );
    }
    expect(() => socket.send('x', `@${'a'.repeat(108)}`)).toThrow(RangeError); // argument errors throw
    // Nothing happened to the socket: it is still unbound and can bind the longest legal name.
    expect(socket.address()).toBeUndefined();
    const longest = `@${'a'.repeat(107)}`;
    socket.bind(longest);
    expect(socket.address()).toBe(longest);
    socket.close();
  });

  it('receives with for await, ends loops on close, and stops a loop on abort', async () => {
    const name = abstractName();
    const rx = UnixDatagramSocket.create().bind(name);
    const tx = UnixDatagramSocket.create().connect(name);
    const controller = new AbortController();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const message of rx.messages({ signal: controller.signal })) {
        seen.push(message.data.toString());
        if (seen.length === 2) controller.abort();
      }
    })();
    await tx.send('one');
    await tx.send('two');
    await expect(loop).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual(['one', 'two']);
    const ending = receive(rx, 5);
    rx.close();
    await expect(ending).resolves.toEqual([]);
    tx.close();
  });

  it('reports a datagram longer than maxDatagramSize as truncated, with its real size', async () => {
    const name = abstractName();
    const rx = UnixDatagramSocket.create({ maxDatagramSize: 16 }).bind(name);
    const tx = UnixDatagramSocket.create();
    await tx.send('x'.repeat(40), name);
    const [message] = await receive(rx);
    expect(message.truncated).toBe(true);
    expect(message.size).toBe(40);
    expect(message.data.length).toBe(16);
    rx.close();
    tx.close();
  });
});

describe('socket files', () => {
  it('explains a stale socket file, and replaces it only when asked', async () => {
    const path = scratch.path('stale.sock');
    // A socket file whose socket is gone: closing a raw descriptor leaves the file behind.
    const dead = new native.SocketHandle(native.constants.AF_UNIX, native.constants.SOCK_DGRAM, 0);
    native.bind(dead.fd, Buffer.concat([Buffer.from([1, 0]), Buffer.from(`${path}\0`)]));
    dead.close();
    const socket = UnixDatagramSocket.create();
    expect(() => socket.bind(path)).toThrow(
      expect.objectContaining({
        code: 'EADDRINUSE',
        syscall: 'bind',
        address: path,
        message: expect.stringMatching(/stale socket file .*removeStale: true/),
      }),
    );
    socket.bind(path, { removeStale: true });
    expect(socket.address()).toBe(path);
    socket.close();
  });

  it('never removes a regular file, a symbolic link, or a socket somebody is bound to', () => {
    const file = scratch.path('precious.txt');
    writeFileSync(file, 'keep me');
    const link = scratch.path('link.sock');
    const live = scratch.path('live.sock');
    const owner = UnixDatagramSocket.create().bind(live);
    symlinkSync(live, link);
    const cases: [string, RegExp][] = [
      [file, /is a regular file: rawsock never removes it/],
      [link, /is a symbolic link: rawsock never removes it/],
      [live, /a datagram socket is bound to .* another process is using it/],
    ];
    for (const [path, explanation] of cases) {
      const socket = UnixDatagramSocket.create();
      expect(() => socket.bind(path, { removeStale: true })).toThrow(
        expect.objectContaining({ code: 'EADDRINUSE', message: expect.stringMatching(explanation) }),
      );
      socket.close();
    }
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(lstatSync(live).isSocket()).toBe(true);
    owner.close();
  });

  it('close() removes only the socket file it created, not one that replaced it', () => {
    const path = scratch.path('replaced.sock');
    const first = UnixDatagramSocket.create().bind(path);
    // Another instance took the path over (as removeStale would after a crash).
    renameSync(path, scratch.path('moved-away.sock'));
    const second = UnixDatagramSocket.create().bind(path);
    first.close();
    expect(lstatSync(path).isSocket()).toBe(true);
    second.close();
    expect(() => lstatSync(path)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('errors that explain', () => {
  const stale = scratch.path('errors-stale.sock');
  const regular = scratch.path('errors-file.txt');
  const stream = scratch.path('errors-stream.sock');

  it.each([
    ['nothing at the path', () => scratch.path('missing.sock'), 'ENOENT', /no socket at .*nothing exists at that path/],
    ['a socket file nobody is bound to', () => stale, 'ECONNREFUSED', /no socket is bound to it.*stale socket file/],
    ['a regular file', () => regular, 'ECONNREFUSED', /is a regular file, not a socket/],
    ['an abstract name nobody bound', () => '@rawsock-nobody', 'ECONNREFUSED', /abstract name @rawsock-nobody/],
    ['a stream socket', () => stream, 'EPROTOTYPE', /not a datagram socket .*SOCK_STREAM.*node:net/],
  ])('%s: connect() and send() say so', async (_what, target, code, explanation) => {
    const dead = new native.SocketHandle(native.constants.AF_UNIX, native.constants.SOCK_DGRAM, 0);
    try {
      native.bind(dead.fd, Buffer.concat([Buffer.from([1, 0]), Buffer.from(`${stale}\0`)]));
    } catch {}
    dead.close();
    writeFileSync(regular, 'not a socket');
    const server = net.createServer().listen(stream);
    await once(server, 'listening');
    const path = target();
    const socket = UnixDatagramSocket.create();
    const expected = expect.objectContaining({ code, address: path, message: expect.stringMatching(explanation) });
    expect(() => socket.connect(path)).toThrow(expected);
    await expect(socket.send('x', path)).rejects.toThrow(expected);
    expect(() => socket.trySend('x', path)).toThrow(expected);
    socket.close();
    server.close();
    await once(server, 'close');
  });

  it('EMSGSIZE says the limit', async () => {
    const name = abstractName();
    const rx = UnixDatagramSocket.create().bind(name);
    const tx = UnixDatagramSocket.create({ sendBufferSize: 4096 }).connect(name);
    // socket(7): the kernel doubles SO_SNDBUF; unix(7) datagrams may use all of it but 32 bytes.
    expect(tx.maxSendSize).toBe(8192 - 32);
    await expect(tx.send(Buffer.alloc(8192 - 32))).resolves.toBe(8160);
    await expect(tx.send(Buffer.alloc(9000))).rejects.toThrow(
      expect.objectContaining({
        code: 'EMSGSIZE',
        syscall: 'sendmsg',
        message: expect.stringContaining(
          'the datagram is 9000 bytes, more than this socket can send: at most 8160 bytes',
        ),
      }),
    );
    rx.close();
    tx.close();
  });

  it('a connected peer that went away, and a socket that is not connected', async () => {
    const name = abstractName();
    const rx = UnixDatagramSocket.create().bind(name);
    const tx = UnixDatagramSocket.create().connect(name);
    rx.close();
    await expect(tx.send('x')).rejects.toThrow(
      expect.objectContaining({ code: 'ECONNREFUSED', message: expect.stringMatching(/nothing is bound|closed/) }),
    );
    const lonely = UnixDatagramSocket.create();
    await expect(lonely.send('x')).rejects.toThrow(
      expect.objectContaining({
        code: 'ENOTCONN',
        message: expect.stringMatching(/pass a path to send\(\) or call connect/),
      }),
    );
    expect(() => lonely.bind(abstractName())).toThrow(
      expect.objectContaining({ code: 'EINVAL', message: expect.stringMatching(/already bound to @[0-9a-f]{5}/) }),
    );
    tx.close();
    lonely.close();
  });
});

describe('credentials (SO_PASSCRED)', () => {
  it("gives each message the sender's pid, uid and gid, ours and a Python peer's", async () => {
    const name = abstractName();
    const rx = UnixDatagramSocket.create({ passCredentials: true }).bind(name);
    const tx = UnixDatagramSocket.create();
    await tx.send('from node', name);
    const [own] = await receive(rx);
    expect(own.credentials).toEqual({ pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.() });

    const client = startPeer('python3', ['-c', PY_CLIENT, name, abstractName(), 'from python']);
    const { pid } = JSON.parse(await client.line(/pid/));
    const [python] = await receive(rx);
    expect(python.data.toString()).toBe('from python');
    expect(python.credentials?.pid).toBe(pid);
    await rx.send('reply', python.sender);
    expect(JSON.parse(await client.line(/reply/))).toEqual({ reply: 'reply' });
    await client.exited;

    const plain = UnixDatagramSocket.create().bind(abstractName());
    await tx.send('no credentials', plain.address());
    const [message] = await receive(plain);
    expect(message.credentials).toBeUndefined();
    for (const socket of [rx, tx, plain]) socket.close();
  });
});

describe('interop', () => {
  it('socat UNIX-SENDTO → rawsock, and rawsock → socat UNIX-RECVFROM, which replies', async () => {
    const path = scratch.path('socat-rx.sock');
    const rx = UnixDatagramSocket.create().bind(path);
    const sent = await run('socat', ['-u', '-', `UNIX-SENDTO:${path}`], { input: 'from socat\n' });
    expect(sent.code).toBe(0);
    expect(text(await receive(rx))).toEqual(['from socat\n']);
    rx.close();

    const socatPath = scratch.path('socat-echo.sock');
    const echo = startPeer('socat', [`UNIX-RECVFROM:${socatPath}`, 'SYSTEM:tr a-z A-Z']);
    for (let i = 0; i < 100 && !isSocket(socatPath); i++) await sleep(20);
    const client = UnixDatagramSocket.create(); // autobinds: socat's reply needs an address
    await client.send('shout please', socatPath);
    expect(text(await receive(client))).toEqual(['SHOUT PLEASE']);
    client.close();
    echo.kill();
  });

  it('Python → rawsock and rawsock → Python, with sender addresses both ways', async () => {
    const pyPath = scratch.path('python-rx.sock');
    const receiver = startPeer('python3', ['-c', PY_RECEIVER, pyPath, '2']);
    await receiver.line(/READY/);
    const named = UnixDatagramSocket.create().bind(scratch.path('node-tx.sock'));
    await named.send('one', pyPath);
    const abstract = UnixDatagramSocket.create().bind(abstractName());
    await abstract.send('two', pyPath);
    expect(JSON.parse(await receiver.line())).toEqual({ data: 'one', sender: named.address() });
    expect(JSON.parse(await receiver.line())).toEqual({ data: 'two', sender: abstract.address() });
    expect((await receiver.exited).code).toBe(0);

    const rxName = abstractName();
    const rx = UnixDatagramSocket.create().bind(rxName);
    const clientName = abstractName();
    const client = startPeer('python3', ['-c', PY_CLIENT, rxName, clientName, 'hello node']);
    const [message] = await receive(rx);
    expect(message.data.toString()).toBe('hello node');
    expect(message.sender).toBe(clientName);
    await rx.send('hello python', message.sender);
    expect(JSON.parse(await client.line(/reply/))).toEqual({ reply: 'hello python' });
    for (const socket of [named, abstract, rx]) socket.close();
  });
});

describe('flow control: the sender waits, nothing is lost', () => {
  it('a burst of 100,000 datagrams to a slow reader arrives complete and in order', async () => {
    const name = abstractName();
    const rx = UnixDatagramSocket.create().bind(name);
    const tx = UnixDatagramSocket.create().connect(name);
    const total = 100_000;
    let done = 0;
    const sends: Promise<number>[] = [];
    for (let i = 0; i < total; i++) {
      const datagram = Buffer.allocUnsafe(4);
      datagram.writeUInt32LE(i);
      sends.push(
        tx.send(datagram).then((n) => {
          done++;
          return n;
        }),
      );
    }
    await sleep(100);
    // Nobody reads yet: the receiver's queue (net.unix.max_dgram_qlen) is full and sends wait.
    expect(done).toBeLessThan(100);
    let expected = 0;
    let outOfOrder = 0;
    for await (const message of rx.messages({ highWaterMark: 256 })) {
      if (message.data.readUInt32LE(0) !== expected) outOfOrder++;
      expected++;
      if (expected % 10_000 === 0) await sleep(5); // a slow reader
      if (expected === total) break;
    }
    await Promise.all(sends);
    expect({ received: expected, outOfOrder, sent: done }).toEqual({ received: total, outOfOrder: 0, sent: total });
    rx.close();
    tx.close();
  });

  it('an unconnected sender waits for a full receiver without spinning', async () => {
    const name = abstractName();
    const rx = UnixDatagramSocket.create().bind(name);
    const sendCalls = countNativeSends(); // the sender's handles, and any helper socket it makes
    const tx = UnixDatagramSocket.create();
    try {
      const total = 5_000;
      const sends = Array.from({ length: total }, (_, i) => tx.send(String(i), name));
      await waitUntil(() => sendCalls.count >= 10, 5000); // the receiver's queue (10) is full
      // unix(7)/poll(2): the kernel reports an unconnected sender writable even while its receiver is
      // full; waiting on that would burn a CPU retrying. The sender must sleep until the receiver
      // has room: count its send attempts while the receiver reads nothing (a spin makes thousands
      // in this window, however fast or slow the machine is; a waiting sender makes none).
      await sleep(20);
      const before = sendCalls.count;
      await sleep(300);
      expect(sendCalls.count - before).toBeLessThan(20);
      const got = await receive(rx, total);
      await Promise.all(sends);
      expect(got.map((m) => Number(m.data.toString()))).toEqual(Array.from({ length: total }, (_, i) => i));
    } finally {
      sendCalls.stop();
      rx.close();
      tx.close();
    }
  });
});

/**
 * Counts calls of the send methods of the native socket handles that sockets made from now on use,
 * and of native.sendmsg (every kind's sends go through them), until stop(). The prototype's
 * methods cannot be replaced (N-API defines them read-only), so the handles are of a counting
 * subclass meanwhile.
 */
function countNativeSends(): { readonly count: number; stop(): number } {
  const Original = native.SocketHandle;
  const counter = { count: 0 };
  const Counting = class extends (Original as unknown as new (...args: number[]) => object) {};
  const prototype = Original.prototype as unknown as Record<string, unknown>;
  const names = Object.getOwnPropertyNames(prototype).filter((name) => name.startsWith('send'));
  expect(names.length).toBeGreaterThan(0);
  for (const name of names) {
    Object.defineProperty(Counting.prototype, name, {
      value(this: unknown, ...args: unknown[]) {
        counter.count++;
        return (prototype[name] as (...args: unknown[]) => unknown).apply(this, args);
      },
    });
  }
  (native as { SocketHandle: unknown }).SocketHandle = Counting;
  const sendmsg = native.sendmsg;
  native.sendmsg = (...args) => {
    counter.count++;
    return sendmsg(...args);
  };
  return {
    get count() {
      return counter.count;
    },
    stop() {
      (native as { SocketHandle: unknown }).SocketHandle = Original;
      native.sendmsg = sendmsg;
      return counter.count;
    },
  };
}

describe('notify (sd_notify)', () => {
  it.each([['a socket file'], ['an abstract name']])('sends states to NOTIFY_SOCKET at %s', async (kind) => {
    const target = kind === 'a socket file' ? scratch.path('notify.sock') : abstractName();
    const manager = UnixDatagramSocket.create({ passCredentials: true }).bind(target);
    const saved = process.env.NOTIFY_SOCKET;
    process.env.NOTIFY_SOCKET = target;
    try {
      await expect(notify('READY=1')).resolves.toBe(true);
      await notify({ status: 'Serving 3 clients', watchdog: true });
      await notify({ stopping: true, extra: { X_CUSTOM: 7 } }, { unsetEnvironment: true });
      expect(process.env.NOTIFY_SOCKET).toBeUndefined();
      const got = await receive(manager, 3);
      expect(text(got)).toEqual(['READY=1', 'STATUS=Serving 3 clients\nWATCHDOG=1', 'STOPPING=1\nX_CUSTOM=7']);
      // systemd knows the sender by its credentials, not by a name.
      expect(got[0].credentials?.pid).toBe(process.pid);
    } finally {
      if (saved === undefined) delete process.env.NOTIFY_SOCKET;
      else process.env.NOTIFY_SOCKET = saved;
      manager.close();
    }
  });

  it('is a no-op that says so without NOTIFY_SOCKET, and refuses what would corrupt the protocol', async () => {
    const saved = process.env.NOTIFY_SOCKET;
    delete process.env.NOTIFY_SOCKET;
    try {
      await expect(notify({ ready: true })).resolves.toBe(false);
      await expect(notify({ status: 'two\nlines' })).rejects.toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
      );
      await expect(notify('READY=1', { socket: 'relative/path' })).rejects.toThrow(/absolute path/);
      await expect(notify('READY=1', { socket: '@rawsock-no-manager' })).rejects.toThrow(
        expect.objectContaining({ code: 'ECONNREFUSED' }),
      );
    } finally {
      if (saved !== undefined) process.env.NOTIFY_SOCKET = saved;
    }
  });
});

describe('examples', () => {
  it('unix-send sends a message, or each stdin line, and unix-receive prints them', async () => {
    const path = scratch.path('example.sock');
    const receiver = startPeer(process.execPath, [...tsxNode, 'examples/unix-receive.ts', path, '--count', '3']);
    for (let i = 0; i < 200 && !isSocket(path); i++) await sleep(25);
    const one = await run(process.execPath, [...tsxNode, 'examples/unix-send.ts', path, 'alert: one']);
    expect(one).toMatchObject({ code: 0 });
    const lines = await run(process.execPath, [...tsxNode, 'examples/unix-send.ts', path], { input: 'two\nthree\n' });
    expect(lines).toMatchObject({ code: 0, stderr: expect.stringContaining('2 datagrams sent') });
    expect(await receiver.line(/one/)).toMatch(/^@[0-9a-f]{5}: "alert: one"$/);
    expect(await receiver.line(/two/)).toMatch(/: "two"$/);
    expect(await receiver.line(/three/)).toMatch(/: "three"$/);
    expect((await receiver.exited).code).toBe(0);
    expect(isSocket(path)).toBe(false);
  });

  it('unix-send prints the kernel error clearly when PATH is not a datagram socket', async () => {
    const path = scratch.path('example-stream.sock');
    const server = net.createServer().listen(path);
    await once(server, 'listening');
    const result = await run(process.execPath, [...tsxNode, 'examples/unix-send.ts', path, 'x']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^unix-send: EPROTOTYPE: protocol wrong type for socket, connect: .*node:net/);
    const missing = await run(process.execPath, [...tsxNode, 'examples/unix-send.ts', scratch.path('none'), 'x']);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/ENOENT.*no socket at/) });
    server.close();
  });
});

function isSocket(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}
