// `npm run test:arm64` (scripts/test-arm64.mjs): the suite's core subset, run by an arm64 Node
// under qemu-user with the cross-compiled arm64 prebuild (RAWSOCK_ADDON). What is here is what
// runs there unchanged: the pure-JS codecs, validators and the BPF interpreter, and the tests
// whose sockets qemu-user passes through (UDP-Lite and Unix datagrams, rtnetlink). Left out
// (docs/packaging.md says why): tests that start Node children (qemu-user without binfmt_misc
// cannot exec an arm64 binary), socket options qemu-user does not translate (SOL_UDPLITE and
// SOL_PACKET: ENOPROTOOPT), and libpcap's compiler (no arm64 libpcap in the cross sysroot).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/addon-arch.test.ts',
      'test/bpf-vm.test.ts',
      'test/decode.test.ts',
      'test/fuzz-bpf.test.ts',
      'test/fuzz-decode.test.ts',
      'test/fuzz-diag.test.ts',
      'test/hold-port.test.ts',
      'test/pcap.test.ts',
      'test/rtnetlink.test.ts',
      'test/validate.test.ts',
    ],
    // Worker threads, not forks: a forked child would be an arm64 Node exec'd without qemu.
    pool: 'threads',
    // Emulated code runs several times slower; no assertion here is timed.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    globalSetup: ['test/helpers/global-setup.ts', 'test/helpers/arm64-setup.ts'],
    reporters: ['default', './test/helpers/totals-reporter.ts'],
  },
});
