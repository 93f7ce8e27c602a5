// requestLease(): DHCPDISCOVER → DHCPOFFER → DHCPREQUEST → DHCPACK (RFC 2131 §3.1) the way
// busybox's udhcpc does it before the interface has an address: a cooked packet socket for
// ETH_P_IP with a BPF filter for UDP port 68 receives the replies (no UDP socket could: there is
// no address to bind yet), and every request leaves as a broadcast from 0.0.0.0:68 to
// 255.255.255.255:67, link destination ff:ff:ff:ff:ff:ff, padded to 300 bytes.
import { randomInt } from 'node:crypto';
import { type ProbeOptions, probeAddress } from '../arp/probe.js';
import { udpPort } from '../bpf/builders.js';
import { abortError, delay, firstEvent } from '../core/abort.js';
import { checkBoolean, checkInteger, checkOptions, invalidArgType } from '../core/validate.js';
import { buildIPv4Packet, buildUdpDatagram } from '../decode/build.js';
import { IPPROTO_UDP } from '../decode/checksum.js';
import { type Packet, PacketSocket } from '../packet/index.js';
import { DhcpConflictError, DhcpNakError, DhcpTimeoutError } from './errors.js';
import { type DhcpLease, leaseFromAck } from './lease.js';
import {
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  type DhcpMessage,
  decodeDhcpMessage,
  encodeDhcpMessage,
} from './message.js';
import type { DhcpMessageType, DhcpOptions } from './options.js';
import { backoff, DEFAULT_PARAMETERS } from './retransmit.js';

/**
 * Options of {@link requestLease}.
 * @example await requestLease({ interface: 'eth0', hostName: 'sensor-7', signal: AbortSignal.timeout(30_000) })
 */
export interface RequestLeaseOptions {
  /** The interface to configure (name or index). */
  interface: string | number;
  /** Host name to send (option 12), as `udhcpc -x hostname:NAME`. */
  hostName?: string;
  /** Ask for this address (option 50), e.g. the one of an earlier lease. */
  requestedAddress?: string;
  /** Vendor class identifier (option 60); default none. */
  vendorClassIdentifier?: string;
  /** Options to ask for (option 55); default subnet, router, DNS, host and domain name, broadcast, NTP, lease times. */
  parameterRequestList?: number[];
  /** Set the BROADCAST flag so servers broadcast their replies (udhcpc -B); default false. */
  broadcastFlag?: boolean;
  /** Transmissions of DHCPDISCOVER, and of DHCPREQUEST, before giving up (default 4). */
  attempts?: number;
  /**
   * Wait after the first transmission, in ms (default 4000, RFC 2131 §4.1); each retransmission
   * waits twice as long, up to 64 s, randomised by up to ±1 s (a quarter of the wait when shorter).
   */
  retransmitMs?: number;
  /**
   * Probe the acknowledged address with ARP before taking it (RFC 2131 §2.2, udhcpc -a): when
   * another host answers for it, send DHCPDECLINE, wait `declineWaitMs` and start over. `true`
   * probes with RFC 5227's timings; an object sets them (see probeAddress). Default false.
   */
  checkAddress?: boolean | Omit<ProbeOptions, 'interface' | 'signal'>;
  /** Wait after a DHCPDECLINE before the next DHCPDISCOVER (RFC 2131 §3.1 step 5: at least 10 s; default 10000). */
  declineWaitMs?: number;
  /** Ends the exchange: requestLease rejects with an AbortError. */
  signal?: AbortSignal;
}

const REQUEST_KEYS = [
  'interface',
  'hostName',
  'requestedAddress',
  'vendorClassIdentifier',
  'parameterRequestList',
  'broadcastFlag',
  'attempts',
  'retransmitMs',
  'checkAddress',
  'declineWaitMs',
  'signal',
];

function checkLeaseOptions(
  options: RequestLeaseOptions,
): Required<Pick<RequestLeaseOptions, 'attempts' | 'retransmitMs' | 'declineWaitMs'>> {
  checkOptions('options', options, REQUEST_KEYS, 'requestLease()');
  const attempts = checkInteger('options.attempts', options.attempts ?? 4, 1, 100);
  const retransmitMs = checkInteger('options.retransmitMs', options.retransmitMs ?? 4000, 10, 64_000);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', options.signal);
  }
  const declineWaitMs = checkInteger('options.declineWaitMs', options.declineWaitMs ?? 10_000, 0, 600_000);
  if (options.broadcastFlag !== undefined) checkBoolean('options.broadcastFlag', options.broadcastFlag);
  const check = options.checkAddress;
  if (check !== undefined && typeof check !== 'boolean' && (check === null || typeof check !== 'object')) {
    throw invalidArgType('options.checkAddress', 'a boolean or probe options', check);
  }
  return { attempts, retransmitMs, declineWaitMs };
}

/** The DHCP message in a received packet, or null when it is not a sound reply to us. */
function replyIn(packet: Packet): DhcpMessage | null {
  const { network, transport } = packet.decode();
  if (network?.layer !== 'ipv4' || network.truncated || network.isFragment || !network.checksumValid) return null;
  if (transport?.layer !== 'udp' || transport.truncated || transport.destinationPort !== DHCP_CLIENT_PORT) return null;
  // On veth and loopback a reply a local UDP socket sent arrives with its checksum left to
  // offload (TP_STATUS_CSUMNOTREADY): decode() says 'not-computed', which is not wrong; udhcpc
  // accepts those too (PACKET_AUXDATA). Only a checksum that is there and wrong is refused.
  if (transport.checksumStatus === 'bad') return null;
  try {
    return decodeDhcpMessage(transport.payload);
  } catch {
    return null; // not a DHCP message: another program's traffic on port 68, or garbage
  }
}

/** Waits for the first reply `accept` takes, or null after `ms`; rejects on abort. */
function waitForReply(
  socket: PacketSocket,
  accept: (message: DhcpMessage) => boolean,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<DhcpMessage | null> {
  const pick = (packet: Packet) => {
    const message = replyIn(packet);
    return message !== null && accept(message) ? message : null;
  };
  return firstEvent(socket, 'packet', pick, ms, signal);
}

/**
 * Gets a lease from a DHCP server on the link: DHCPDISCOVER until an offer comes, DHCPREQUEST for
 * it until the DHCPACK, each retransmitted with exponential backoff. A DHCPNAK starts over from
 * DHCPDISCOVER (RFC 2131 §3.1 step 5), and so does an address that `checkAddress` finds in
 * use (after a DHCPDECLINE and `declineWaitMs`), at most three rounds in all. Needs CAP_NET_RAW (a packet socket);
 * the interface must be up, but needs no address. Applying the lease is a separate step:
 * {@link applyLease}.
 * @throws DhcpTimeoutError (code ETIMEDOUT, with `phase`) when no server answers; DhcpNakError
 * (ERR_RAWSOCK_DHCP_NAK) when the server keeps refusing; DhcpConflictError
 * (ERR_RAWSOCK_DHCP_CONFLICT) when every address offered was in use; AbortError on `signal`; EPERM without
 * CAP_NET_RAW; ENODEV for an unknown interface.
 * @example
 * const lease = await requestLease({ interface: 'eth0' });
 * console.log(lease.address, lease.prefixLength, lease.routers, lease.dnsServers, lease.leaseTime);
 */
export async function requestLease(options: RequestLeaseOptions): Promise<DhcpLease> {
  const { attempts, retransmitMs, declineWaitMs } = checkLeaseOptions(options);
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal);
  const socket = PacketSocket.create({
    mode: 'cooked',
    protocol: 'ipv4',
    interface: options.interface,
    filter: udpPort(DHCP_CLIENT_PORT, 'dst').toProgram({ framing: 'cooked' }),
    ignoreOutgoing: true,
    ring: false,
  });
  try {
    const mac = socket.hardwareAddress;
    const interfaceName = socket.interfaceName as string;
    const clientIdentifier = Buffer.from([1, ...mac.split(':').map((h) => Number.parseInt(h, 16))]);
    const started = Date.now();
    const common: DhcpOptions = {
      clientIdentifier,
      maxMessageSize: 576,
      ...(options.hostName === undefined ? {} : { hostName: options.hostName }),
      ...(options.vendorClassIdentifier === undefined ? {} : { vendorClassIdentifier: options.vendorClassIdentifier }),
    };
    const parameterRequestList = options.parameterRequestList ?? DEFAULT_PARAMETERS;
    // Check every option once before anything is sent.
    encodeDhcpMessage({ op: 'request', transactionId: 0, clientHardwareAddress: mac, options: common });

    const send = (transactionId: number, messageType: DhcpMessageType, extra: DhcpOptions) => {
      const dhcp = encodeDhcpMessage({
        op: 'request',
        transactionId,
        clientHardwareAddress: mac,
        seconds: Math.min(Math.floor((Date.now() - started) / 1000), 0xffff),
        broadcast: options.broadcastFlag === true,
        // RFC 2131 table 5: a DHCPDECLINE carries no parameter list, size, host name or vendor class.
        options:
          messageType === 'decline'
            ? { messageType, clientIdentifier, ...extra }
            : { messageType, ...common, ...extra, parameterRequestList },
      });
      const udp = buildUdpDatagram({
        source: '0.0.0.0',
        destination: '255.255.255.255',
        sourcePort: DHCP_CLIENT_PORT,
        destinationPort: DHCP_SERVER_PORT,
        payload: dhcp,
      });
      const ip = buildIPv4Packet({
        source: '0.0.0.0',
        destination: '255.255.255.255',
        protocol: IPPROTO_UDP,
        payload: udp,
        dontFragment: false,
      });
      return socket.send(ip, { destination: 'ff:ff:ff:ff:ff:ff' });
    };

    /** Sends until `accept` takes a reply; null after `attempts` sends. */
    const exchange = async (
      phase: 'offer' | 'ack',
      transmit: () => Promise<number>,
      accept: (m: DhcpMessage) => boolean,
    ): Promise<DhcpMessage> => {
      const begun = Date.now();
      for (let attempt = 0; attempt < attempts; attempt++) {
        await transmit();
        const reply = await waitForReply(socket, accept, backoff(retransmitMs, attempt), signal);
        if (reply !== null) return reply;
      }
      throw new DhcpTimeoutError(interfaceName, phase, attempts, Date.now() - begun);
    };

    /** Why the last round did not end in a lease: a DHCPNAK, or an address another host has. */
    let failure: Error | null = null;
    const probeOptions = options.checkAddress === true ? {} : options.checkAddress || null;
    for (let round = 0; round < 3; round++) {
      // A new transaction id per round: replies to an abandoned round are ignored (RFC 2131 §4.4.1).
      const xid = randomInt(1, 0xffffffff);
      const ours = (m: DhcpMessage) => m.op === 'reply' && m.transactionId === xid && m.clientHardwareAddress === mac;
      const offer = await exchange(
        'offer',
        () => send(xid, 'discover', options.requestedAddress ? { requestedAddress: options.requestedAddress } : {}),
        (m) =>
          ours(m) && m.options.messageType === 'offer' && m.yourAddress !== '0.0.0.0' && !!m.options.serverIdentifier,
      );
      const server = offer.options.serverIdentifier as string;
      const reply = await exchange(
        'ack',
        () => send(xid, 'request', { requestedAddress: offer.yourAddress, serverIdentifier: server }),
        // Another server's ACK/NAK answers its own offer, not ours (RFC 2131 §4.3.2).
        (m) =>
          ours(m) &&
          (m.options.messageType === 'ack' || m.options.messageType === 'nak') &&
          (m.options.serverIdentifier === undefined || m.options.serverIdentifier === server),
      );
      if (reply.options.messageType === 'nak') {
        failure = new DhcpNakError(reply.options.serverIdentifier ?? null, reply.options.message ?? null);
        continue;
      }
      if (probeOptions !== null) {
        const probed = await probeAddress(reply.yourAddress, {
          ...probeOptions,
          interface: socket.interfaceIndex,
          ...(signal === undefined ? {} : { signal }),
        });
        if (probed.conflict) {
          // RFC 2131 §3.1 step 5 / §4.4.1: DHCPDECLINE, then wait before starting over.
          failure = new DhcpConflictError(reply.yourAddress, probed.conflictingMac as string);
          await send(xid, 'decline', {
            requestedAddress: reply.yourAddress,
            serverIdentifier: server,
            message: `address in use by ${probed.conflictingMac}`,
          });
          await delay(declineWaitMs, signal);
          continue;
        }
      }
      return leaseFromAck(reply, { interfaceName, interfaceIndex: socket.interfaceIndex, hardwareAddress: mac });
    }
    throw failure as Error;
  } finally {
    socket.close();
  }
}
