// TCP congestion control per socket and per network namespace, checked against iproute2's ss.
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  allowedCongestion,
  availableCongestion,
  getCongestion,
  setCongestion,
  setSystemCongestion,
  systemCongestion,
} from '../lib/index.js';
import { run, runInFreshNetns, runWithoutCaps, tsxNode } from './helpers/netns.js';

interface Connection {
  server: net.Server;
  client: net.Socket;
  accepted: net.Socket;
}

const open: Connection[] = [];

async function connectPair(): Promise<Connection> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const acceptedPromise = once(server, 'connection');
  const client = net.connect(port, '127.0.0.1');
  await once(client, 'connect');
  const [accepted] = (await acceptedPromise) as [net.Socket];
  const connection = { server, client, accepted };
  open.push(connection);
  return connection;
}

afterEach(() => {
  for (const { server, client, accepted } of open.splice(0)) {
    client.destroy();
    accepted.destroy();
    server.close();
  }
});

/** The algorithm `ss -ti` reports for the connection from local port `port`. */
async function ssAlgorithm(port: number): Promise<string> {
  const { stdout, code } = await run('ss', ['-tinH', 'state', 'established', `( sport = :${port} )`]);
  expect(code).toBe(0);
  const info = stdout
    .split('\n')
    .find((line) => /^\s+\S+\s+wscale/.test(line) || /^\s+(reno|cubic|bbr|\w+)\s/.test(line));
  expect(info, `ss -ti printed:\n${stdout}`).toBeDefined();
  return (info as string).trim().split(/\s+/)[0];
}

describe('per-socket congestion control', () => {
  it('sets and reads back the algorithm on both ends of a loopback connection', async () => {
    const { client, accepted } = await connectPair();
    const [first, second] = allowedCongestion();
    setCongestion(client, first);
    setCongestion(accepted, second ?? first);
    expect(getCongestion(client)).toBe(first);
    expect(getCongestion(accepted)).toBe(second ?? first);
  });

  it('agrees with ss -ti for each end', async () => {
    const { client, accepted } = await connectPair();
    setCongestion(client, 'reno');
    expect(await ssAlgorithm(client.localPort as number)).toBe('reno');
    const other = allowedCongestion().find((name) => name !== 'reno') ?? 'reno';
    setCongestion(accepted, other);
    expect(await ssAlgorithm(accepted.localPort as number)).toBe(other);
  });

  it('works on a raw descriptor', async () => {
    const { client } = await connectPair();
    const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
    setCongestion(fd, 'reno');
    expect(getCongestion(fd)).toBe('reno');
    expect(getCongestion(client)).toBe('reno');
  });
});

describe('per-socket errors', () => {
  it('an unknown algorithm is ENOENT and lists the available ones', async () => {
    const { client } = await connectPair();
    const error = catchError(() => setCongestion(client, 'nosuchalgo'));
    expect(error).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'setsockopt' });
    expect(error.message).toContain("unknown congestion control algorithm 'nosuchalgo'");
    for (const name of availableCongestion()) expect(error.message).toContain(name);
  });

  it('an algorithm outside tcp_allowed_congestion_control is EPERM without CAP_NET_ADMIN', async () => {
    const restricted = availableCongestion().filter((name) => !allowedCongestion().includes(name));
    expect(
      restricted.length,
      'this kernel must have an available algorithm that is not allowed (e.g. cubic when bbr is the default)',
    ).toBeGreaterThan(0);
    const script = `
      import net from 'node:net';
      import { setCongestion } from './lib/index.ts';
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const client = net.connect(server.address().port, '127.0.0.1', () => {
          try { setCongestion(client, ${JSON.stringify(restricted[0])}); console.log('no error'); }
          catch (e) { console.log(JSON.stringify({ code: e.code, errno: e.errno, syscall: e.syscall, message: e.message })); }
          client.destroy(); server.close();
        });
      });`;
    const result = await runWithoutCaps(['net_admin'], process.execPath, [
      ...tsxNode,
      '--input-type=module',
      '-e',
      script,
    ]);
    expect(result.stderr).toBe('');
    const error = JSON.parse(result.stdout);
    expect(error).toMatchObject({ code: 'EPERM', errno: -1, syscall: 'setsockopt' });
    expect(error.message).toContain('tcp_allowed_congestion_control');
  });

  it.each([
    ['', RangeError, 'ERR_OUT_OF_RANGE'],
    ['x'.repeat(16), RangeError, 'ERR_OUT_OF_RANGE'],
    ['ü'.repeat(8), RangeError, 'ERR_OUT_OF_RANGE'],
    [42, TypeError, 'ERR_INVALID_ARG_TYPE'],
    [undefined, TypeError, 'ERR_INVALID_ARG_TYPE'],
  ])('name %j is rejected with %s before any syscall', async (name, type, code) => {
    const { client } = await connectPair();
    const error = catchError(() => setCongestion(client, name as string));
    expect(error).toBeInstanceOf(type);
    expect(error.code).toBe(code);
  });

  it.each([
    ['a socket that never connected', () => new net.Socket(), 'ERR_SOCKET_NO_FD'],
    ['a string', () => 'eth0', 'ERR_INVALID_ARG_TYPE'],
    ['null', () => null, 'ERR_INVALID_ARG_TYPE'],
    ['a negative fd', () => -1, 'ERR_OUT_OF_RANGE'],
    ['a fractional fd', () => 1.5, 'ERR_OUT_OF_RANGE'],
  ])('target %s is rejected', (_label, make, code) => {
    const error = catchError(() => getCongestion(make() as never));
    expect(error.code).toBe(code);
  });

  it('a destroyed socket is rejected', async () => {
    const { client } = await connectPair();
    client.destroy();
    expect(catchError(() => getCongestion(client)).code).toBe('ERR_SOCKET_CLOSED');
  });

  it('a descriptor that is not a socket gives the kernel error', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      expect(catchError(() => getCongestion(fd))).toMatchObject({
        code: 'ENOTSOCK',
        errno: -88,
        syscall: 'getsockopt',
      });
    } finally {
      closeSync(fd);
    }
  });
});

describe('system-wide default', () => {
  it('lists available and allowed algorithms from /proc/sys/net/ipv4', () => {
    const available = availableCongestion();
    expect(available).toContain('reno');
    for (const name of allowedCongestion()) expect(available).toContain(name);
    expect(available).toContain(systemCongestion());
  });

  it('changes the default inside a fresh namespace only', async () => {
    const before = systemCongestion();
    // Only algorithms already allowed: the kernel marks a new default as allowed for everyone.
    const target = allowedCongestion().find((name) => name !== before) ?? 'reno';
    const script = `
      import net from 'node:net';
      import { setSystemCongestion, systemCongestion, getCongestion } from './lib/index.ts';
      setSystemCongestion(${JSON.stringify(target)});
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const client = net.connect(server.address().port, '127.0.0.1', () => {
          console.log(JSON.stringify({ system: systemCongestion(), socket: getCongestion(client) }));
          client.destroy(); server.close();
        });
      });`;
    const result = await runInFreshNetns(process.execPath, [...tsxNode, '--input-type=module', '-e', script]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ system: target, socket: target });
    expect(systemCongestion()).toBe(before);
  });

  it('sets and restores the default of this namespace', () => {
    const before = systemCongestion();
    try {
      setSystemCongestion('reno');
      expect(systemCongestion()).toBe('reno');
    } finally {
      setSystemCongestion(before);
    }
    expect(systemCongestion()).toBe(before);
  });

  it('rejects an unknown default with ENOENT and bad names with RangeError', () => {
    expect(catchError(() => setSystemCongestion('nosuchalgo'))).toMatchObject({ code: 'ENOENT', syscall: 'write' });
    expect(catchError(() => setSystemCongestion(''))).toBeInstanceOf(RangeError);
  });
});

function catchError(fn: () => unknown): Error & { code?: string; errno?: number; syscall?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected an error');
}
