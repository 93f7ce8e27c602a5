// Keeping the kernel quiet about a UDP port that only a packet socket watches.
//
// udp(7) / RFC 1122: a datagram to a port nobody has bound is answered with ICMP port
// unreachable (and a connected sender sees ECONNREFUSED). A sniffer is invisible to the UDP
// layer, so without a bound socket every datagram it captures also triggers an ICMP error. The
// fix is a placeholder socket on the port that is never read: a drop-all classic BPF filter
// (`ret #0`) discards each datagram as it arrives, so nothing queues and no memory is held.

import { encodeInet } from '../core/sockaddr.js';
import { checkOneOf } from '../core/validate.js';
import { constants, native } from '../native.js';

/**
 * Options of holdUdpPort().
 * @example holdUdpPort(5353, { family: 6, address: '::' })
 */
export interface HoldPortOptions {
  /** Address to bind (default: every address of the family, '0.0.0.0' or '::'). */
  address?: string;
  /** 4 or 6 (default 4). With 6 and the default address, IPv4 datagrams are held too. */
  family?: 4 | 6;
}

/** A UDP port held open so the kernel does not answer with ICMP port unreachable. */
export interface HeldPort {
  /** The port held. */
  readonly port: number;
  /** The address bound ('0.0.0.0', '::' or the one asked for). */
  readonly address: string;
  /** Releases the port. Idempotent. */
  close(): void;
}

/** sock_filter { code: BPF_RET|BPF_K, jt: 0, jf: 0, k: 0 }: keep 0 bytes, i.e. drop. */
function dropAllProgram(): Buffer {
  const instruction = Buffer.alloc(8);
  instruction.writeUInt16LE(0x06, 0);
  return instruction;
}

/**
 * Binds a placeholder UDP socket on `port` that discards everything it receives, so datagrams to
 * the port are no longer answered with ICMP port unreachable. Throws EADDRINUSE when another
 * socket already has the port (then nothing needs holding).
 * @example
 * const held = holdUdpPort(67);
 * // ... sniff the port with UdpSniffer or a PacketSocket ...
 * held.close();
 */
export function holdUdpPort(port: number, options: HoldPortOptions = {}): HeldPort {
  const family = options.family ?? 4;
  checkOneOf('family', family, [4, 6]);
  const address = options.address ?? (family === 4 ? '0.0.0.0' : '::');
  const sockaddr = encodeInet(family, address, port);
  const handle = new native.SocketHandle(
    family === 4 ? constants.AF_INET : constants.AF_INET6,
    constants.SOCK_DGRAM,
    constants.IPPROTO_UDP,
  );
  try {
    native.attachFilter(handle.fd, dropAllProgram());
    native.bind(handle.fd, sockaddr);
  } catch (error) {
    handle.close();
    throw error;
  }
  return {
    port,
    address,
    close: () => handle.close(),
  };
}
