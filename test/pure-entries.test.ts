// rawsock/bpf, rawsock/decode and rawsock/pcap are pure JavaScript: they must load and work with no
// native addon at all, on any OS, and in a browser bundle. Only the socket classes (the root
// export) need the addon, and bpf.compile() needs it for libpcap.
//
// 1. A copy of the package in a temporary node_modules, compiled from lib/ with no build/ and no
//    prebuilds/ (node-gyp-build is there, so the root export fails the way a missing addon fails):
//    a child Node imports each entry by its package name with process.platform linux, darwin and
//    win32, and uses it.
// 2. esbuild bundles each entry for the browser platform (a `node:` import would fail the build)
//    with the `buffer` package as Buffer, as browser bundlers supply it; the bundle runs in a fresh
//    vm context that has no process, require or Buffer of Node's, and is used the same way.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isIPv4Text, isIPv6Text } from '../lib/decode/ip-text.js';
import { run } from './helpers/netns.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

// What each entry is used for: the body of an async function of `m` (the entry's module) and
// `Buffer`, returning what the tests compare. The same text runs in Node and in the vm context.
const uses = {
  bpf: `
    // Ethernet + IPv4 + UDP to port 53, by hand (rawsock/bpf alone has no packet builder).
    const frame = new Uint8Array(42);
    frame.set([0x08, 0x00], 12);
    frame[14] = 0x45;
    frame[23] = 17;
    frame.set([0, 53], 36);
    const program = m.toProgram(m.udpPort(53));
    const copy = m.fromBytes(m.toBytes(program));
    let compileError;
    try { m.compile('udp'); } catch (error) { compileError = String(error.message); }
    return {
      dns: m.run(program, frame),
      otherPort: m.run(m.toProgram(m.udpPort(54)), frame),
      valid: m.isValid(copy) && m.validate(copy).length === program.length,
      sameAfterBytes: m.disassemble(copy) === m.disassemble(program),
      assembled: m.run(m.assemble('ret #7'), frame),
      compileError,
    };`,
  decode: `
    const udp = m.buildUdpDatagram({ source: '192.0.2.1', destination: '192.0.2.2', sourcePort: 40000, destinationPort: 53, payload: Buffer.from('hi') });
    const ip = m.buildIPv4Packet({ source: '192.0.2.1', destination: '192.0.2.2', protocol: 17, payload: udp });
    const frame = m.buildEthernetFrame({ destination: '02:00:00:00:00:02', source: '02:00:00:00:00:01', etherType: 0x0800, payload: ip });
    const decoded = m.decodePacket(frame, { linkType: 'ethernet' });
    let badAddress;
    try { m.buildIPv4Packet({ source: '192.0.2.01', destination: '192.0.2.2', protocol: 17, payload: udp }); } catch (error) { badAddress = error.code; }
    return {
      ok: decoded.ok,
      destination: decoded.network.destination,
      port: decoded.transport.destinationPort,
      checksumValid: decoded.transport.checksumValid,
      payload: String.fromCharCode(...decoded.payload),
      v6: m.formatIPv6(m.parseIPv6('2001:db8::ffff:192.0.2.1')),
      badAddress,
    };`,
  pcap: `
    // A Writable's surface, as PcapWriter uses it: write(), end(), and 'finish'/'error' listeners.
    const chunks = [];
    const listeners = {};
    const sink = {
      writableNeedDrain: false,
      write(chunk) { chunks.push(chunk); return true; },
      end() { for (const f of listeners.finish ?? []) f(); },
      on(event, f) { (listeners[event] ??= []).push(f); return this; },
      once(event, f) { return this.on(event, f); },
      off(event, f) { listeners[event] = (listeners[event] ?? []).filter((g) => g !== f); return this; },
    };
    const writer = new m.PcapWriter(sink, { linkType: 'ethernet', snaplen: 64 });
    writer.write({ data: new Uint8Array(100).fill(7), timestampNs: 1_700_000_000_123_456_789n });
    await writer.close();
    const file = m.readPcap(Buffer.concat(chunks));
    let openError;
    try { await m.PcapWriter.open('/tmp/x.pcap'); } catch (error) { openError = error.code ?? String(error.message); }
    return {
      records: file.packets.length,
      captured: file.packets[0].data.length,
      original: file.packets[0].originalLength,
      timestampNs: String(file.packets[0].timestampNs),
      openError,
    };`,
} as const;
type Entry = keyof typeof uses;
const entries = Object.keys(uses) as Entry[];

const expected = {
  bpf: { dns: 262144, otherPort: 0, valid: true, sameAfterBytes: true, assembled: 7 },
  decode: {
    ok: true,
    destination: '192.0.2.2',
    port: 53,
    checksumValid: true,
    payload: 'hi',
    v6: '2001:db8::ffff:c000:201',
    badAddress: 'ERR_INVALID_ARG_VALUE',
  },
  pcap: { records: 1, captured: 64, original: 100, timestampNs: '1700000000123456789' },
};

// The copy has no addon file; RAWSOCK_ADDON (set by scripts/test-sanitize.sh to its ASan build)
// would hand it one anyway, so the children run without it.
const { RAWSOCK_ADDON: _addonOverride, ...withoutAddon } = process.env;

describe('pure-JS entry points in Node without the addon', () => {
  let work: string;
  let project: string;

  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'rawsock-pure-'));
    project = path.join(work, 'project');
    const installed = path.join(project, 'node_modules', 'rawsock');
    mkdirSync(installed, { recursive: true });
    cpSync(path.join(root, 'package.json'), path.join(installed, 'package.json'));
    // A dist/ of today's lib/, with no addon anywhere near it.
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(installed, 'dist')],
      { cwd: root },
    );
    symlinkSync(
      path.join(root, 'node_modules', 'node-gyp-build'),
      path.join(project, 'node_modules', 'node-gyp-build'),
    );
    for (const entry of entries) {
      writeFileSync(
        path.join(project, `use-${entry}.mjs`),
        [
          'Object.defineProperty(process, "platform", { value: process.argv[2] });',
          `const m = await import('rawsock/${entry}');`,
          `const result = await (async (m, Buffer) => {${uses[entry]}})(m, Buffer);`,
          'console.log(JSON.stringify(result));',
        ].join('\n'),
      );
    }
    writeFileSync(
      path.join(project, 'use-root.mjs'),
      'Object.defineProperty(process, "platform", { value: process.argv[2] });\nawait import("rawsock");\n',
    );
  }, 120_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const addonError = {
    linux: 'No native build was found',
    darwin: 'rawsock works on Linux only',
    win32: 'rawsock works on Linux only',
  };

  describe.each(Object.keys(addonError) as (keyof typeof addonError)[])('process.platform %s', (platform) => {
    it.each(entries)(`rawsock/%s imports and works`, async (entry) => {
      const result = await run(process.execPath, [`use-${entry}.mjs`, platform], { cwd: project, env: withoutAddon });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const output = JSON.parse(result.stdout);
      expect(output).toMatchObject(expected[entry]);
      // The one function that needs the addon says why it cannot work, when it is called.
      if (entry === 'bpf') expect(output.compileError).toContain(addonError[platform]);
    });

    it('the root export, which needs the addon, fails with the loader error', async () => {
      const result = await run(process.execPath, ['use-root.mjs', platform], { cwd: project, env: withoutAddon });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(addonError[platform]);
    });
  });
});

describe('pure-JS entry points in a browser bundle', () => {
  async function bundle(entry: Entry) {
    const result = await build({
      entryPoints: [path.join(root, 'lib', entry, 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'entry',
      write: false,
      metafile: true,
      logLevel: 'silent',
      // Buffer from the `buffer` package, the way browser bundlers polyfill it.
      inject: [path.join(root, 'test', 'helpers', 'browser-buffer.js')],
      // A browser module's own URL; the addon loader reads it only when it loads the addon.
      define: { 'import.meta.url': '"https://example.invalid/rawsock.js"' },
    });
    return {
      text: result.outputFiles[0]?.text ?? '',
      inputs: Object.keys(result.metafile.inputs),
      warnings: result.warnings,
    };
  }

  it.each(entries)('rawsock/%s bundles for the browser with nothing of Node or the addon', async (entry) => {
    const { text, inputs, warnings } = await bundle(entry);
    expect(warnings).toEqual([]);
    // Only rawsock's own modules and the Buffer polyfill: no lib/native.ts, no node-gyp-build, no .node.
    const foreign = inputs.filter(
      (input) =>
        !/^(lib\/(core|bpf|decode|pcap)\/|lib\/errors\.ts$|test\/helpers\/browser-buffer\.js$|node_modules\/(buffer|base64-js|ieee754)\/)/.test(
          input,
        ),
    );
    expect(foreign).toEqual([]);
    expect(inputs).not.toContain('lib/native.ts');
    // esbuild's `var __require` shim stands in for a require() it could not resolve: none here.
    expect(text).not.toContain('var __require');
  });

  it.each(entries)('rawsock/%s works in a context with no process, require or Node Buffer', async (entry) => {
    const { text } = await bundle(entry);
    const context = vm.createContext({});
    const script = `${text}\n(async (m, Buffer) => {${uses[entry]}})(entry, globalThis.__rawsockBuffer)`;
    const output = await vm.runInContext(script, context);
    expect(vm.runInContext('typeof process + typeof require', context)).toBe('undefinedundefined');
    expect(JSON.parse(JSON.stringify(output))).toMatchObject(expected[entry]);
    if (entry === 'bpf') expect(output.compileError).toContain('(this is not Node.js)');
    if (entry === 'pcap') expect(output.openError).toBe('ERR_RAWSOCK_NEEDS_NODE');
  });
});

describe("decode's IP address text rules (no node:net) agree with node:net", () => {
  const v4Part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.stringMatching(/^[0-9]{1,4}$/));
  const v6Part = fc.oneof(
    fc.stringMatching(/^[0-9a-fA-F]{0,5}$/),
    v4Part.map((p) => `${p}.1.2.3`),
  );
  const v6Text = fc
    .tuple(
      fc.array(v6Part, { maxLength: 9 }),
      fc.integer({ min: -1, max: 9 }),
      fc.oneof(fc.constant(''), fc.stringMatching(/^%[a-z0-9.:%-]{0,4}$/)),
    )
    .map(([parts, gap, zone]) => {
      const text = parts.join(':');
      if (gap < 0 || gap > parts.length) return text + zone;
      return `${parts.slice(0, gap).join(':')}::${parts.slice(gap).join(':')}${zone}`;
    });

  it('isIPv4Text is net.isIPv4', () => {
    fc.assert(
      fc.property(fc.array(v4Part, { minLength: 1, maxLength: 5 }), (parts) => {
        const text = parts.join('.');
        expect(isIPv4Text(text)).toBe(net.isIPv4(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('isIPv6Text is net.isIPv6', () => {
    fc.assert(
      fc.property(v6Text, (text) => {
        expect(isIPv6Text(text)).toBe(net.isIPv6(text));
      }),
      { numRuns: 20000 },
    );
  });

  it.each([
    '::',
    '::1',
    '1::',
    '1:2:3:4:5:6:7::',
    '::2:3:4:5:6:7:8',
    '::ffff:1.2.3.4',
    'fe80::1%eth0',
    '1:2:3:4:5:6:1.2.3.4',
  ])('%s is IPv6 for both', (text) => {
    expect(isIPv6Text(text)).toBe(true);
    expect(net.isIPv6(text)).toBe(true);
  });

  it.each([
    ':::',
    '1:::2',
    ':1::',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1.2.3.4::',
    '::1%',
    '12345::',
    '1:2:3:4:5:6:7:1.2.3.4',
  ])('%s is not IPv6 for either', (text) => {
    expect(isIPv6Text(text)).toBe(false);
    expect(net.isIPv6(text)).toBe(false);
  });
});
