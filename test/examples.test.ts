// The examples users run first: they must keep working.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPcap } from '../lib/pcap/index.js';
import { run, tsxNode } from './helpers/netns.js';

describe('examples', () => {
  it('the udp-sniffer demo: listener and sniffer see the same datagrams, pcap written', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rawsock-demo-'));
    try {
      const pcap = path.join(dir, 'demo.pcap');
      const result = await run(process.execPath, [
        ...tsxNode,
        'examples/udp-sniffer.ts',
        '--demo',
        '--port',
        '0',
        '--count',
        '3',
        '--pcap',
        pcap,
      ]);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/listener on 127\.0\.0\.1:\d+ received 3 datagrams: hello 0, hello 1, hello 2/);
      expect(result.stdout).toContain('sniffer saw 3 datagrams');
      expect(result.stdout.match(/-> 127\.0\.0\.1:\d+ on lo: "hello \d"/g)).toHaveLength(3);
      expect(existsSync(pcap)).toBe(true);
      const file = readPcap(readFileSync(pcap));
      expect(file.packets).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the congestion-server demo switches a connection to reno', async () => {
    const result = await run(process.execPath, [...tsxNode, 'examples/congestion-server.ts', '--demo']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/switched to reno/);
    expect(result.stdout).toContain('client received: congestion control: reno');
  });

  it('examples/ping.ts prints what iputils ping prints (times aside)', async () => {
    // Ping sockets for this namespace's root group (see test/icmp-ping.test.ts for why "0 0").
    writeFileSync('/proc/sys/net/ipv4/ping_group_range', '0 0');
    const result = await run(process.execPath, [...tsxNode, 'examples/ping.ts', '-c', '2', '-i', '0.05', '127.0.0.1']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      /^64 bytes from 127\.0\.0\.1: icmp_seq=1 ttl=64 time=[\d.]+ ms\n64 bytes from 127\.0\.0\.1: icmp_seq=2/,
    );
    expect(result.stdout).toContain(
      '--- 127.0.0.1 ping statistics ---\n2 packets transmitted, 2 received, 0% packet loss',
    );
    expect(result.stdout).toMatch(/rtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms/);
  });

  it('examples/traceroute.ts prints the one hop to loopback', async () => {
    const result = await run(process.execPath, [...tsxNode, 'examples/traceroute.ts', '-q', '2', '::1']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      /^traceroute to ::1 \(::1\), 30 hops max, 80 byte packets\n 1 {2}::1 {2}[\d.]+ ms {2}[\d.]+ ms\n$/,
    );
  });

  it('examples/udp-pktinfo.ts answers each request from the address it was sent to', async () => {
    const result = await run(process.execPath, [...tsxNode, 'examples/udp-pktinfo.ts', '--port', '0', '--demo']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      /^echo server on 0\.0\.0\.0:(\d+)\nrequest to 127\.0\.0\.1:\1 on lo from 127\.0\.0\.1:\d+ \(ttl 64\): reply from 127\.0\.0\.1\nclient: "hello 127\.0\.0\.1" answered by 127\.0\.0\.1:\1\nrequest to 127\.0\.0\.2:\1 on lo from 127\.0\.0\.1:\d+ \(ttl 64\): reply from 127\.0\.0\.2\nclient: "hello 127\.0\.0\.2" answered by 127\.0\.0\.2:\1\n$/,
    );
  });
  it('examples/statsd-unix.ts sends statsd lines to a Python agent: every metric, in order', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rawsock-statsd-'));
    try {
      const socketPath = path.join(dir, 'dsd.socket');
      // The agent: reads N datagrams from its socket and prints each (statsd lines are text).
      const agent = [
        'import socket, sys',
        's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
        's.bind(sys.argv[1])',
        'print("READY", flush=True)',
        'for _ in range(int(sys.argv[2])): print(s.recv(65536).decode(), flush=True)',
      ].join('\n');
      const python = spawn('python3', ['-c', agent, socketPath, '8'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      python.stdout.on('data', (chunk) => {
        out += chunk;
      });
      const exited = new Promise<number | null>((resolve) => python.on('close', resolve));
      for (let i = 0; i < 200 && !out.includes('READY'); i++) await new Promise((r) => setTimeout(r, 25));
      const result = await run(process.execPath, [
        ...tsxNode,
        'examples/statsd-unix.ts',
        socketPath,
        '--requests',
        '3',
      ]);
      expect(result).toMatchObject({
        code: 0,
        stderr: `statsd-unix: 8 metrics sent to ${socketPath}, 0 failed\n`,
      });
      expect(await exited).toBe(0);
      expect(out.split('\n').slice(1, -1)).toEqual([
        'shop.requests:1|c|#service:web,route:/',
        'shop.latency:10|ms|@0.5|#service:web',
        'shop.requests:1|c|#service:web,route:/cart',
        'shop.latency:11|ms|@0.5|#service:web',
        'shop.requests:1|c|#service:web,route:/',
        'shop.latency:12|ms|@0.5|#service:web',
        'shop.queue.depth:0|g|#service:web',
        'shop.workers:4|g|#service:web',
      ]);
      const missing = await run(process.execPath, [...tsxNode, 'examples/statsd-unix.ts', path.join(dir, 'none')]);
      expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/^statsd-unix: ENOENT.*no socket at/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
