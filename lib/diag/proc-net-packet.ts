// /proc/net/packet (per network namespace): the fallback when NETLINK_SOCK_DIAG is refused.
// Parsed by header name so that columns added by later kernels do not shift the ones we read.
import { DiagParseError } from './netlink.js';

/** One line of /proc/net/packet. */
export interface ProcPacketRecord {
  inode: string;
  /** SOCK_RAW (3) or SOCK_DGRAM (2). */
  socketType: number;
  /** Host-order EtherType (printed as hex); 0 = not hooked. */
  protocol: number;
  /** 0 = every interface. */
  interfaceIndex: number;
  running: boolean;
  /** Bytes queued for reading (sk_rmem_alloc). */
  receiveQueue: number;
  uid: number;
}

const REQUIRED = ['Type', 'Proto', 'Iface', 'R', 'Rmem', 'User', 'Inode'] as const;

function decimal(text: string, column: string, line: number): number {
  if (!/^\d+$/.test(text)) throw new DiagParseError(`/proc/net/packet line ${line}: ${column} is '${text}'`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new DiagParseError(`/proc/net/packet line ${line}: ${column} is too large`);
  return value;
}

/**
 * Parses the whole file. The first line names the columns; every following non-empty line is a
 * socket. Inodes stay decimal strings: the kernel prints an unsigned long.
 */
export function parseProcNetPacket(text: string): ProcPacketRecord[] {
  const lines = text.split('\n');
  const header = (lines[0] ?? '').trim().split(/\s+/);
  const column = new Map<string, number>();
  header.forEach((name, index) => {
    if (!column.has(name)) column.set(name, index);
  });
  for (const name of REQUIRED) {
    if (!column.has(name)) throw new DiagParseError(`/proc/net/packet: no '${name}' column in '${lines[0] ?? ''}'`);
  }
  const at = (name: (typeof REQUIRED)[number]) => column.get(name) as number;
  const records: ProcPacketRecord[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const fields = line.split(/\s+/);
    if (fields.length < header.length) {
      throw new DiagParseError(`/proc/net/packet line ${i + 1}: ${fields.length} fields, header has ${header.length}`);
    }
    const inode = fields[at('Inode')];
    if (!/^\d+$/.test(inode)) throw new DiagParseError(`/proc/net/packet line ${i + 1}: Inode is '${inode}'`);
    const proto = fields[at('Proto')];
    if (!/^[0-9a-fA-F]{1,4}$/.test(proto))
      throw new DiagParseError(`/proc/net/packet line ${i + 1}: Proto is '${proto}'`);
    records.push({
      inode: BigInt(inode).toString(), // canonical: no leading zeros
      socketType: decimal(fields[at('Type')], 'Type', i + 1),
      protocol: Number.parseInt(proto, 16),
      interfaceIndex: decimal(fields[at('Iface')], 'Iface', i + 1),
      running: decimal(fields[at('R')], 'R', i + 1) !== 0,
      receiveQueue: decimal(fields[at('Rmem')], 'Rmem', i + 1),
      uid: decimal(fields[at('User')], 'User', i + 1),
    });
  }
  return records;
}
