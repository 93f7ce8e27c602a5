// The examples users run first: they must keep working.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
});
