#!/usr/bin/env node
// Runs a command inside a fresh user + network namespace (`unshare --user --map-root-user --net`)
// with `lo` up. In there an ordinary user is root over the namespace only: packet sockets,
// sysctls and veth pairs work, and the host's network is never touched. `npm test` uses it.
import { spawnSync } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node scripts/in-netns.mjs COMMAND [ARGS...]');
  process.exit(2);
}

// `ip` comes from iproute2 and `unshare` from util-linux; .ci/run and scripts/install-test-deps.sh install them.
const script = 'ip link set lo up && exec "$@"';
const result = spawnSync(
  'unshare',
  ['--user', '--map-root-user', '--net', '--', 'sh', '-c', script, 'in-netns', command, ...args],
  { stdio: 'inherit', env: { ...process.env, RAWSOCK_TEST_NETNS: '1' } },
);
if (result.error) {
  console.error(`in-netns: cannot run unshare: ${result.error.message} (install util-linux and iproute2)`);
  process.exit(2);
}
if (result.signal) process.kill(process.pid, result.signal);
process.exit(result.status ?? 1);
