// harness.cjs - the sender side of the send suite's contract (bench/send/README.md), for the Node
// senders: print READY once set up, start on the driver's "go" line, print
// `sent=N elapsed_ns=E` after the last datagram left, and exit when the driver closes stdin (it
// reads the sender's CPU time in between, while the process still exists).
'use strict';

/** Resolves when the driver writes its go line; returns the start time (process.hrtime.bigint). */
function go() {
  console.log('READY');
  return new Promise((resolve) => {
    process.stdin.once('data', () => {
      process.stdin.pause();
      resolve(process.hrtime.bigint());
    });
  });
}

/** Reports `sent` datagrams since `start`, then waits for the driver to close stdin. */
function finish(sent, start) {
  const elapsed = process.hrtime.bigint() - start;
  console.log(`sent=${sent} elapsed_ns=${elapsed}`);
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('data', () => {});
  process.stdin.resume();
}

/** COUNT and SIZE arguments at argv[at], argv[at + 1]; the payload: SIZE bytes of 'x'. */
function countAndPayload(at) {
  const count = Number(process.argv[at]);
  const size = Number(process.argv[at + 1]);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(size) || size < 1) {
    console.error(`usage: ${process.argv[1]} ... COUNT SIZE`);
    process.exit(2);
  }
  return { count, payload: Buffer.alloc(size, 'x') };
}

function fail(error) {
  console.error(error);
  process.exit(1);
}

module.exports = { go, finish, countAndPayload, fail };
