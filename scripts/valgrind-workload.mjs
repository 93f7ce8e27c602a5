// The receive/send workload scripts/valgrind-workload.sh runs under valgrind: the addon only
// (no TypeScript loader, so valgrind sees little besides Node and rawsock), inside a namespace.
// UDP SocketHandle receive (recvmmsg, also with receive coalescing) and send, the error queue
// (MSG_ERRQUEUE records, closed from inside their callback), a ping socket with control messages, a packet socket with the TPACKET_V3 ring and one
// with the recvmmsg packet reader, filters attached/read back, socket options, errors, closes
// from inside callbacks, and sockets left for the garbage collector and for process exit.
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const b = process.env.RAWSOCK_ADDON ? require(process.env.RAWSOCK_ADDON) : require('node-gyp-build')(root);
const c = b.constants;
const ROUNDS = Number(process.env.WORKLOAD_ROUNDS ?? 20);

function inet4(port) {
  const a = Buffer.alloc(16);
  a.writeUInt16LE(c.AF_INET, 0);
  a.writeUInt16BE(port, 2);
  a.set([127, 0, 0, 1], 4);
  return a;
}
function sll(protocol, ifindex) {
  const a = Buffer.alloc(20);
  a.writeUInt16LE(c.AF_PACKET, 0);
  a.writeUInt16BE(protocol, 2);
  a.writeInt32LE(ifindex, 4);
  return a;
}
// ret #0xffff, and ldh [12]; jeq #0x800; ret #0xffff; ret #0 as packed sock_filter.
function program(insns) {
  const out = Buffer.alloc(insns.length * 8);
  insns.forEach(([code, jt, jf, k], i) => {
    out.writeUInt16LE(code, i * 8);
    out[i * 8 + 2] = jt;
    out[i * 8 + 3] = jf;
    out.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return out;
}
const ipv4Only = program([
  [0x28, 0, 0, 12],
  [0x15, 0, 1, 0x800],
  [0x06, 0, 0, 0xffff],
  [0x06, 0, 0, 0],
]);

async function udpRound() {
  const rx = new b.SocketHandle(c.AF_INET, c.SOCK_DGRAM, 0);
  b.bind(rx.fd, inet4(0));
  const port = b.getsockname(rx.fd).readUInt16BE(2);
  b.setsockopt(rx.fd, c.SOL_SOCKET, c.SO_RCVBUF, 1 << 16);
  b.getsockopt(rx.fd, c.SOL_SOCKET, c.SO_RCVBUF, 'int');
  b.getsockopt(rx.fd, c.SOL_SOCKET, c.SO_TYPE, 'bytes');
  let got = 0;
  const done = new Promise((resolve) => {
    rx.onMessages = (_data, meta) => {
      got += meta.length / 8;
      if (got >= 50) {
        rx.close(); // from inside the callback
        resolve();
        return false;
      }
      return true;
    };
  });
  rx.startReceiving({ slots: 8, slotSize: 256, flags: c.MSG_TRUNC });
  const tx = new b.SocketHandle(c.AF_INET, c.SOCK_DGRAM, 0);
  for (let i = 0; i < 50; i++) {
    while (tx.send(Buffer.alloc(300, i), inet4(port)) < 0) await new Promise((r) => setImmediate(r));
  }
  try {
    tx.send(Buffer.from('x'));
  } catch {} // EDESTADDRREQ
  await done;
  tx.close();
  tx.close();
}

// Receive coalescing: reads rest 2 ms after emptying the queue (a uv timer beside the poll);
// closes once during a rest and once from inside the callback, before the rest starts.
async function coalesceRound(closeWhileResting) {
  const rx = new b.SocketHandle(c.AF_INET, c.SOCK_DGRAM, 0);
  b.bind(rx.fd, inet4(0));
  const port = b.getsockname(rx.fd).readUInt16BE(2);
  let got = 0;
  const done = new Promise((resolve) => {
    rx.onMessages = (_data, meta) => {
      got += meta.length / 8;
      if (got < 50) return true;
      if (closeWhileResting) {
        setTimeout(() => {
          rx.close();
          resolve();
        }, 1);
      } else {
        rx.close();
        resolve();
      }
      return true;
    };
  });
  rx.startReceiving({ slots: 8, slotSize: 256, coalesceMs: 2 });
  const tx = new b.SocketHandle(c.AF_INET, c.SOCK_DGRAM, 0);
  for (let i = 0; i < 50; i++) {
    while (tx.send(Buffer.alloc(64, i), inet4(port)) < 0) await new Promise((r) => setImmediate(r));
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 1));
  }
  await done;
  tx.close();
}

async function packetRound(ring) {
  const s = new b.SocketHandle(c.AF_PACKET, c.SOCK_RAW, 0);
  b.attachFilter(s.fd, ipv4Only);
  b.getFilter(s.fd);
  if (ring) {
    b.packet.attachRing(s, {
      blockSize: 8192,
      blockCount: 4,
      frameSize: 2048,
      retireTimeoutMs: 1,
      snapLength: 1500,
      batchBlocks: 2,
    });
  } else {
    b.packet.attachPacketReader(s, { slots: 8, slotSize: 2048, snapLength: 1500, budget: 2 });
  }
  b.bind(s.fd, sll(0x0003, b.ifNameToIndex('lo')));
  let packets = 0;
  const done = new Promise((resolve) => {
    s.onPackets = (_data, meta) => {
      packets += meta.length / b.layouts.packet.stride;
      if (packets >= 10) resolve();
      return true;
    };
  });
  s.startReceiving();
  const sender = dgram.createSocket('udp4');
  const timer = setInterval(() => sender.send('hello', 9, '127.0.0.1'), 2);
  await done;
  clearInterval(timer);
  sender.close();
  b.packet.info(s);
  b.packet.markStale(s, 1);
  s.close(); // unmaps the ring with its reader (native packet.release() is gone)
}

// The error queue (src-native/error_queue.cc): UDP datagrams to a closed port come back as ICMP
// port unreachable in MSG_ERRQUEUE; each record goes to onErrorQueue(data, meta); the last round's
// socket is closed from inside the error-queue callback, the others after it.
async function errorQueueRound(closeInCallback) {
  const s = new b.SocketHandle(c.AF_INET, c.SOCK_DGRAM, 0);
  b.setsockopt(s.fd, c.IPPROTO_IP, c.IP_RECVERR, 1);
  b.setsockopt(s.fd, c.SOL_SOCKET, c.SO_TIMESTAMPNS, 1);
  b.attachErrorQueue(s);
  b.attachErrorQueue(s); // idempotent
  let records = 0;
  let sent = 0;
  const done = new Promise((resolve) => {
    s.onErrorQueue = (_data, meta) => {
      records += meta.length / 8;
      if (records >= 3) {
        if (closeInCallback) s.close();
        resolve();
      }
      return true;
    };
    s.onError = () => {};
  });
  s.startReceiving({ slots: 4, slotSize: 256, controlSize: 128 });
  // Until three came back (a send may fail instead: ECONNREFUSED, the previous one's pending error).
  while (records < 3 && s.fd >= 0) {
    try {
      s.send(Buffer.alloc(20, sent++), inet4(9));
    } catch {}
    await new Promise((r) => setTimeout(r, 1));
  }
  await done;
  s.close();
}

// A ping socket (IPPROTO_ICMP, allowed below) with TTL and timestamp control messages.
async function pingRound() {
  const s = new b.SocketHandle(c.AF_INET, c.SOCK_DGRAM, c.IPPROTO_ICMP);
  b.setsockopt(s.fd, c.IPPROTO_IP, c.IP_RECVTTL, 1);
  b.setsockopt(s.fd, c.IPPROTO_IP, c.IP_RECVERR, 1);
  b.setsockopt(s.fd, c.SOL_SOCKET, c.SO_TIMESTAMPNS, 1);
  b.attachErrorQueue(s);
  const done = new Promise((resolve) => {
    s.onMessages = () => {
      resolve();
      return true;
    };
  });
  s.startReceiving({ slots: 2, slotSize: 2048, controlSize: 128, flags: c.MSG_TRUNC });
  const echo = Buffer.alloc(16);
  echo[0] = 8;
  s.send(echo, inet4(0));
  await done;
  b.realtimeNs();
  s.close();
}

// sendmmsg (sendBatch) with per-message addresses and control messages (UDP_SEGMENT: a GSO send
// in the batch), into a socket with UDP_GRO and IP_PKTINFO whose control data is read back; bad
// batches (not arrays, lengths that differ, start outside, an entry that is no buffer) throw.
function cmsgU16(level, type, value) {
  const out = Buffer.alloc(c.CMSG_DATA_OFFSET + 8);
  out.writeBigUInt64LE(BigInt(c.CMSG_DATA_OFFSET + 2), 0);
  out.writeInt32LE(level, 8);
  out.writeInt32LE(type, 12);
  out.writeUInt16LE(value, c.CMSG_DATA_OFFSET);
  return out;
}
async function sendBatchRound() {
  const rx = new b.SocketHandle(c.AF_INET, c.SOCK_DGRAM, 0);
  b.bind(rx.fd, inet4(0));
  const port = b.getsockname(rx.fd).readUInt16BE(2);
  b.setsockopt(rx.fd, c.SOL_UDP, c.UDP_GRO, 1);
  b.setsockopt(rx.fd, c.IPPROTO_IP, c.IP_PKTINFO, 1);
  let got = 0;
  const done = new Promise((resolve) => {
    rx.onMessages = (_data, meta) => {
      got += meta.length / 8;
      if (got >= 20) {
        resolve();
        return false;
      }
      return true;
    };
  });
  rx.startReceiving({ slots: 4, slotSize: 65535, controlSize: 256, flags: c.MSG_TRUNC });
  const tx = new b.SocketHandle(c.AF_INET, c.SOCK_DGRAM, 0);
  const datas = Array.from({ length: 20 }, (_, i) => Buffer.alloc(i === 5 ? 3000 : 100, i));
  const addresses = datas.map(() => inet4(port));
  const controls = datas.map((_, i) => (i === 5 ? cmsgU16(c.SOL_UDP, c.UDP_SEGMENT, 1000) : null));
  let sent = 0;
  while (sent < datas.length) {
    sent += tx.sendBatch(datas, addresses, controls, sent);
    await new Promise((r) => setImmediate(r));
  }
  for (const bad of [
    () => tx.sendBatch('x', [], [], 0),
    () => tx.sendBatch([Buffer.alloc(1)], [], [], 0),
    () => tx.sendBatch(datas, addresses, controls, 21),
    () => tx.sendBatch([42], [null], [null], 0),
  ]) {
    try {
      bad();
    } catch {}
  }
  await done;
  rx.close();
  tx.close();
}

try {
  (await import('node:fs')).writeFileSync('/proc/sys/net/ipv4/ping_group_range', '0 0');
} catch {}
for (let i = 0; i < ROUNDS; i++) {
  await errorQueueRound(i % 2 === 0);
  await pingRound();
  await udpRound();
  await sendBatchRound();
  await coalesceRound(i % 2 === 0);
  await packetRound(true);
  await packetRound(false);
}
try {
  new b.SocketHandle(9999, c.SOCK_DGRAM, 0);
} catch {} // EAFNOSUPPORT
// Dropped without close: the garbage collector closes them.
// (A receiving socket stays referenced by the event loop, like a bound dgram socket, so these
// have readers installed and then paused.)
for (let i = 0; i < 20; i++) {
  const h = new b.SocketHandle(c.AF_INET, c.SOCK_DGRAM, 0);
  h.startReceiving({ slots: 2, slotSize: 64 });
  h.pause();
}
for (let i = 0; i < 20; i++) new b.SocketHandle(c.AF_INET, c.SOCK_DGRAM, 0);
globalThis.gc?.();
await new Promise((r) => setTimeout(r, 10));
// And some left open (one receiving) at exit.
const left = new b.SocketHandle(c.AF_INET, c.SOCK_DGRAM, 0);
left.onMessages = () => true;
left.startReceiving({ slots: 2, slotSize: 64 });
left.setRef(false);
console.log(`workload done: ${ROUNDS} rounds`);
