// `rawsock ss` next to iproute2's ss. The packet socket comparisons run in a further, fresh
// network namespace that holds only the sockets the test opens (a Python process's and a
// tcpdump's), so the two tables can be compared whole, column widths included.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { setCongestion } from '../lib/congestion/index.js';
import { run, runInFreshNetns, runWithoutCaps, tsxNode } from './helpers/netns.js';

const CLI = [...tsxNode, 'lib/cli/rawsock.ts', 'ss'];
const rawsockSs = (args: string[], env?: NodeJS.ProcessEnv) =>
  run(process.execPath, [...CLI, ...args], { env: { ...process.env, COLUMNS: '', ...env } });

/** ss prints without a terminal and $COLUMNS compactly; iproute2 6.1 still pads the ends of lines. */
const lines = (text: string) => text.split('\n').map((line) => line.trimEnd());

// Opens the peers, waits until the kernel lists both, then prints each command's output between
// markers. tcpdump runs under fakeroot: as root of a user namespace it would otherwise fail to
// switch to its "tcpdump" user, which the namespace cannot map.
const SCRIPT = `
python3 -c '
import socket, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x88cc))
s.bind(("lo", 0x88cc))
r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
time.sleep(60)' &
PY=$!
fakeroot tcpdump -i lo -n 'tcp port 80' >/dev/null 2>&1 &
FR=$!
for i in $(seq 100); do [ "$(ss -f link -lnpH | grep -c users)" = 3 ] && break; sleep 0.1; done
RAWSOCK="${process.execPath} ${CLI.join(' ')}"
for args in "-f link -lnp" "-f link -ln" "-0lnp" "-f link -lp" "-f link -anp"; do
  echo "=== ss $args"; ss $args
  echo "=== rawsock $args"; $RAWSOCK $args
done
echo "=== fallback"; PROC_NET_PACKET=/proc/net/packet $RAWSOCK -f link -lnp
echo "=== json"; $RAWSOCK -f link -lnp --json
echo "=== pids $PY"
kill $(pgrep -P $FR) $PY
wait
`;

function sections(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of stdout.split(/^=== /m).slice(1)) {
    const newline = part.indexOf('\n');
    out.set(part.slice(0, newline), part.slice(newline + 1));
  }
  return out;
}

describe('rawsock ss -f link', () => {
  let result: Awaited<ReturnType<typeof run>>;
  let parts = new Map<string, string>();
  beforeAll(async () => {
    result = await runInFreshNetns('sh', ['-c', SCRIPT], { timeoutMs: 25_000, env: { ...process.env, COLUMNS: '' } });
    parts = sections(result.stdout);
  });

  it('ran', () => {
    expect(result.code, result.stderr).toBe(0);
  });

  it.each(['-f link -lnp', '-f link -lp', '-f link -anp'])('agrees with iproute2: ss %s', (args) => {
    const ss = parts.get(`ss ${args}`) ?? '';
    expect(ss).toMatch(/users:\(\("python3"/);
    expect(ss).toMatch(/users:\(\("tcpdump"/);
    expect(lines(parts.get(`rawsock ${args}`) ?? '')).toEqual(lines(ss));
  });

  it('agrees with iproute2 without -p, except for the empty Process header iproute2 6.1 still prints', () => {
    const ss = lines(parts.get('ss -f link -ln') ?? '');
    const ours = lines(parts.get('rawsock -f link -ln') ?? '');
    expect(ours.slice(1)).toEqual(ss.slice(1));
    expect(`${ours[0]}Process`).toBe(ss[0]);
  });

  it('shows protocols and interfaces as ss does', () => {
    const text = parts.get('rawsock -f link -lnp') ?? '';
    expect(text).toMatch(/^p_dgr +UNCONN +0 +0 +\[35020\]:lo +\* +users:\(\("python3",pid=\d+,fd=3\)\)$/m);
    expect(text).toMatch(/^p_raw +UNCONN +0 +0 +\[2054\]:\* +\* +users:\(\("python3",pid=\d+,fd=4\)\)$/m);
    expect(text).toMatch(/^p_raw +UNCONN +\d+ +0 +\*:lo +\* +users:\(\("tcpdump",pid=\d+,fd=\d+\)\)$/m);
    expect(parts.get('rawsock -f link -lp')).toMatch(/ LLDP:lo /);
  });

  it('the /proc/net/packet fallback prints the same table', () => {
    expect(lines(parts.get('fallback') ?? '')).toEqual(lines(parts.get('rawsock -f link -lnp') ?? ''));
  });

  it('--json carries the same sockets with their holders', () => {
    const json = JSON.parse(parts.get('json') ?? '{}');
    expect(json.sources).toEqual({ packet: 'netlink' });
    const python = json.sockets.find((s: { protocol: number }) => s.protocol === 0x88cc);
    expect(python).toMatchObject({ netid: 'p_dgr', interfaceName: 'lo', processes: [{ command: 'python3', fd: 3 }] });
  });
});

describe('rawsock ss -t -u', () => {
  it('-ti shows the congestion algorithm of each connection as ss -ti does', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const accepted = once(server, 'connection');
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    const [peer] = (await accepted) as [net.Socket];
    try {
      setCongestion(client, 'reno');
      const filter = `( sport = :${client.localPort} )`;
      const ss = await run('ss', ['-tinH', 'state', 'established', filter]);
      const ours = await rawsockSs(['-tinH']);
      const info = (text: string) => {
        const all = lines(text);
        const at = all.findIndex((line) => line.includes(`127.0.0.1:${client.localPort} `));
        return all[at + 1]?.trim().split(/\s+/)[0];
      };
      expect(info(ss.stdout)).toBe('reno');
      expect(info(ours.stdout), ours.stdout + ours.stderr).toBe('reno');
    } finally {
      client.destroy();
      peer.destroy();
      server.close();
    }
  });

  it('-tlnp and -ulnp show our listener and bound UDP socket with this process', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    try {
      const tcp = await rawsockSs(['-tlnp']);
      expect(tcp.stdout).toMatch(
        new RegExp(
          `^LISTEN +0 +511 +127\\.0\\.0\\.1:${port} +0\\.0\\.0\\.0:\\* +users:\\(\\("node",pid=\\d+,fd=\\d+\\)\\)$`,
          'm',
        ),
      );
    } finally {
      server.close();
    }
  });

  it('rejects an unknown family and unknown options with usage', async () => {
    const bad = await rawsockSs(['-f', 'unix']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"unix" is invalid family');
    const unknown = await rawsockSs(['--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Usage: rawsock ss');
  });
});

describe('privileges', () => {
  it('says so when a holder cannot be seen, instead of showing nothing', async () => {
    // A non-dumpable process: reading its /proc/PID/fd needs CAP_SYS_PTRACE (proc(5)).
    const child = spawn(
      'python3',
      [
        '-c',
        `
import ctypes, os, socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x88b7))
s.bind(("lo", 0x88b7))
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
print(os.fstat(s.fileno()).st_ino, flush=True)
sys.stdin.read()`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const inode = line.toString().trim();
      const argv = [...CLI, '-f', 'link', '-lnp'];
      const withCaps = await run(process.execPath, argv, { env: { ...process.env, COLUMNS: '' } });
      expect(withCaps.stdout).toMatch(/\[34999\]:lo +\* +users:\(\("python3",pid=\d+,fd=3\)\)/);
      const without = await runWithoutCaps(['sys_ptrace'], process.execPath, argv, {
        env: { ...process.env, COLUMNS: '' },
      });
      expect(without.code, without.stderr).toBe(0);
      expect(without.stdout).toMatch(/\[34999\]:lo +\* +users:\(\?\)$/m);
      expect(without.stderr).toContain('process information is partial');
      expect(without.stderr).toContain('CAP_SYS_PTRACE');
      const json = await runWithoutCaps(['sys_ptrace'], process.execPath, [...argv, '--json']);
      const socket = JSON.parse(json.stdout).sockets.find((s: { inode: string }) => s.inode === inode);
      expect(socket).toMatchObject({ processes: [], processesComplete: false });
      expect(JSON.parse(json.stdout).processes.unreadable).toContain(child.pid);
    } finally {
      child.stdin.end();
    }
  });
});
