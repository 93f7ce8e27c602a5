// node_cap.cjs IFACE 'FILTER' [BUFSIZE] - the `cap` npm package (libpcap binding):
// Cap.open(IFACE, FILTER, BUFSIZE, buffer), counting 'packet' events.
// cap sets pcap immediate mode (so libpcap 1.10 uses a TPACKET_V2 ring whose frames are
// sized for cap's 65535-byte snaplen: BUFSIZE/64 KiB frames) and non-blocking mode, and
// reads one packet per pcap_dispatch() call from a uv_poll callback.
// cap has no pcap_stats() binding, so no kernel drop counter is printed.
// NOTE: cap does not keep a reference to `buffer`; it must stay reachable from JS or
// the GC frees it while libpcap still copies packets into it (heap corruption).
// The handler reads the packet's last byte, like the C receivers.
// Prints READY, received=N on SIGINT/SIGTERM.
'use strict';
const { Cap } = require('cap');
const [iface, filter] = [process.argv[2], process.argv[3]];
const bufSize = Number(process.argv[4] || 4 << 20);
const c = new Cap();
const buffer = Buffer.alloc(65535);
let n = 0;
let acc = 0;
const linkType = c.open(iface, filter, bufSize, buffer);
c.setMinBytes?.(0);
c.on('packet', (nbytes) => {
  n++;
  acc += buffer[nbytes - 1];
});
console.log(`READY linktype=${linkType}`);
function done() {
  console.log(`received=${n} acc=${acc}`);
  c.close();
  process.exit(0);
}
process.on('SIGINT', done);
process.on('SIGTERM', done);
