// node_dgram.cjs PORT COUNT SIZE - node:dgram (UDP), connected to 127.0.0.1:PORT, send(buf, cb)
// in windows of 1,024 sends whose callbacks are all awaited before the next window.
'use strict';
const dgram = require('node:dgram');
const { go, finish, countAndPayload, fail } = require('./harness.cjs');

const port = Number(process.argv[2]);
const { count, payload } = countAndPayload(3);
const WINDOW = 1024;
const socket = dgram.createSocket('udp4');
socket.on('error', fail);
socket.connect(port, '127.0.0.1', () => {
  go().then((start) => {
    let sent = 0;
    const window = () => {
      const n = Math.min(WINDOW, count - sent);
      let pending = n;
      const done = (error) => {
        if (error) fail(error);
        if (--pending === 0) {
          sent += n;
          if (sent < count) window();
          else finish(sent, start);
        }
      };
      for (let i = 0; i < n; i++) socket.send(payload, done);
    };
    window();
  });
});
