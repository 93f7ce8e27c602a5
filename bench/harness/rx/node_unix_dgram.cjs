// node_unix_dgram.cjs PATH - the `unix-dgram` npm package: createSocket('unix_dgram')
// bound to PATH, counting 'message' events. Prints READY once bound
// ('listening'), received=N on SIGINT/SIGTERM.
'use strict';
const fs = require('node:fs');
const unix = require('unix-dgram');
const path = process.argv[2];
try {
  fs.unlinkSync(path);
} catch (_e) {
  /* not there */
}
let n = 0;
const s = unix.createSocket('unix_dgram', () => {
  n++;
});
s.on('error', (e) => {
  console.error(e);
  process.exit(1);
});
s.on('listening', () => {
  console.log('READY');
});
s.bind(path);
function done() {
  console.log(`received=${n}`);
  try {
    fs.unlinkSync(path);
  } catch (_e) {
    /* gone */
  }
  process.exit(0);
}
process.on('SIGINT', done);
process.on('SIGTERM', done);
