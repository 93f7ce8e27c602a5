// node_unix_dgram.cjs PATH COUNT SIZE - npm unix-dgram, connected to PATH, the way hot-shots uses
// it: send(buf) per datagram; EAGAIN makes it emit 'congestion' (the datagram was not sent), and
// 'writable' once the receiver has room, when the same datagram is sent again.
'use strict';
const unix = require('unix-dgram');
const { go, finish, countAndPayload, fail } = require('./harness.cjs');

const path = process.argv[2];
const { count, payload } = countAndPayload(3);
const socket = unix.createSocket('unix_dgram');
let congested = false;
socket.on('error', fail);
socket.on('congestion', () => {
  congested = true;
});
socket.connect(path);

go().then((start) => {
  let sent = 0;
  const pump = () => {
    while (sent < count) {
      socket.send(payload);
      if (congested) {
        congested = false;
        socket.once('writable', pump);
        return;
      }
      sent++;
    }
    finish(sent, start);
  };
  pump();
});
