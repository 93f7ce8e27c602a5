// The socket of one UDP traceroute probe: a plain UDP socket (udp(7)) with a TTL and the error
// queue on, as Debian's traceroute opens one per probe. The answers it can get: an ICMP error
// about the probe (time exceeded from a router, port unreachable from the destination, …), or,
// when something listens on the port, a UDP reply.
import type { ErrorQueueRecord } from '../core/error-queue.js';
import { InetSocketBase, type ReceivedDatagram } from '../core/inet-base.js';
import { type IcmpErrorMessage, toIcmpError } from '../icmp/icmp-error.js';
import { constants } from '../native.js';

/** A UDP datagram that came back: the destination answered the probe. */
export interface UdpProbeReply {
  kind: 'udp-reply';
  address: string;
  receivedAt?: bigint;
}

/** Not exported from the package: traceroute's own. */
export class UdpProbeSocket extends InetSocketBase<IcmpErrorMessage | UdpProbeReply> {
  private constructor(family: 4 | 6) {
    super(family, constants.SOCK_DGRAM, constants.IPPROTO_UDP, { batchSize: 1, maxDatagramSize: 2048 });
  }

  static open(family: 4 | 6, ttl: number): UdpProbeSocket {
    const socket = new UdpProbeSocket(family);
    socket.configure({});
    try {
      socket.ttl = ttl;
      socket.enableErrorQueue();
    } catch (error) {
      socket.close();
      throw error;
    }
    return socket;
  }

  /** Sends the probe's payload to `address`:`port`. */
  probe(payload: Uint8Array, address: string, port: number): Promise<number> {
    return this.sendDatagram(payload, this.encodeDestination(address, port));
  }

  protected override decodeDatagram(datagram: ReceivedDatagram): UdpProbeReply | null {
    if (!datagram.peer) return null;
    return {
      kind: 'udp-reply',
      address: datagram.peer.address,
      ...(datagram.receivedAt === undefined ? {} : { receivedAt: datagram.receivedAt }),
    };
  }

  protected override decodeError(record: ErrorQueueRecord): IcmpErrorMessage {
    return toIcmpError(record, this.family);
  }
}
