// Who is listening on an interface? netstat, lsof and /proc/net/raw do not say which process
// holds a packet socket on which interface; the kernel's packet_diag and /proc/PID/fd do.
//   npx tsx examples/who-listens.ts [INTERFACE]
import { listPacketSockets } from '../lib/diag/index.js';

const only = process.argv[2];
const { sockets, processes } = await listPacketSockets();
for (const s of sockets) {
  const where = s.interfaceName ?? 'every interface';
  if (only && s.interfaceName !== only && s.interfaceName !== null) continue;
  const who = s.processes.map((p) => `${p.command} (pid ${p.pid}, fd ${p.fd})`).join(', ');
  const protocol = s.protocolName ?? `0x${s.protocol.toString(16).padStart(4, '0')}`;
  console.log(
    `${where}: ${s.type} ${protocol} socket held by ${who || (s.processesComplete ? 'no process' : 'a process we may not inspect')}`,
  );
}
if (!processes.complete) {
  console.log(`(${processes.unreadable.length} processes could not be inspected: run as root to see every holder)`);
}
