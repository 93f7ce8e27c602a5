// After the lease: renewLease() (RFC 2131 §4.4.5, RENEWING: a DHCPREQUEST unicast to the server
// that granted the lease, from the leased address) and releaseLease() (§4.4.6, DHCPRELEASE). The
// interface has its address by then, so an ordinary UDP socket bound to it on port 68 does, as
// udhcpc uses its "kernel" listen mode for renewals.
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { abortError, firstEvent } from '../core/abort.js';
import { checkInteger, checkOptions, invalidArgType } from '../core/validate.js';
import { DhcpNakError, DhcpTimeoutError } from './errors.js';
import { type DhcpLease, leaseFromAck } from './lease.js';
import {
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  type DhcpMessage,
  decodeDhcpMessage,
  encodeDhcpMessage,
} from './message.js';
import { backoff, DEFAULT_PARAMETERS } from './retransmit.js';

/**
 * Options of {@link renewLease}.
 * @example await renewLease(lease, { attempts: 3, signal: AbortSignal.timeout(60_000) })
 */
export interface RenewLeaseOptions {
  /** DHCPREQUESTs before giving up (default 4). */
  attempts?: number;
  /** Wait after the first, in ms, doubled each time up to 64 s (default 4000). */
  retransmitMs?: number;
  /** Ends the renewal: renewLease rejects with an AbortError. */
  signal?: AbortSignal;
}

function checkLease(lease: unknown): DhcpLease {
  if (lease === null || typeof lease !== 'object' || typeof (lease as DhcpLease).address !== 'string') {
    throw invalidArgType('lease', 'a lease from requestLease()', lease);
  }
  return lease as DhcpLease;
}

const clientIdentifier = (lease: DhcpLease) =>
  Buffer.from([1, ...lease.hardwareAddress.split(':').map((h) => Number.parseInt(h, 16))]);

/** A UDP socket on the leased address, port 68: where the server's unicast answers go. */
async function leaseSocket(lease: DhcpLease): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(DHCP_CLIENT_PORT, lease.address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

/**
 * Extends a lease at the server that granted it (RFC 2131 §4.4.5 RENEWING): a DHCPREQUEST with
 * ciaddr set and neither server identifier nor requested address, unicast from the leased
 * address to the server, until its DHCPACK. Apply the result again (applyLease) to move the
 * address's lifetime. The interface must still have the address.
 * @throws DhcpTimeoutError (phase 'ack') when the server does not answer (then rebind or start
 * over with requestLease); DhcpNakError when it refuses (the address must be given up);
 * EADDRNOTAVAIL when the interface no longer has the address.
 * @example lease = await renewLease(lease); await applyLease(lease);
 */
export async function renewLease(lease: DhcpLease, options: RenewLeaseOptions = {}): Promise<DhcpLease> {
  checkLease(lease);
  checkOptions('options', options, ['attempts', 'retransmitMs', 'signal'], 'renewLease()');
  const attempts = checkInteger('options.attempts', options.attempts ?? 4, 1, 100);
  const retransmitMs = checkInteger('options.retransmitMs', options.retransmitMs ?? 4000, 10, 64_000);
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  }
  if (signal?.aborted) throw abortError(signal);
  const socket = await leaseSocket(lease);
  const xid = randomInt(1, 0xffffffff);
  const started = Date.now();
  const request = (): Buffer =>
    encodeDhcpMessage({
      op: 'request',
      transactionId: xid,
      clientHardwareAddress: lease.hardwareAddress,
      clientAddress: lease.address,
      seconds: Math.min(Math.floor((Date.now() - started) / 1000), 0xffff),
      options: {
        messageType: 'request',
        clientIdentifier: clientIdentifier(lease),
        maxMessageSize: 576,
        parameterRequestList: DEFAULT_PARAMETERS,
      },
    });
  try {
    for (let attempt = 0; attempt < attempts; attempt++) {
      await new Promise<void>((resolve, reject) =>
        socket.send(request(), DHCP_SERVER_PORT, lease.serverIdentifier, (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      const reply = await replyTo(socket, xid, lease.hardwareAddress, backoff(retransmitMs, attempt), signal);
      if (reply === null) continue;
      if (reply.options.messageType === 'nak') {
        throw new DhcpNakError(reply.options.serverIdentifier ?? lease.serverIdentifier, reply.options.message ?? null);
      }
      return leaseFromAck(reply, lease);
    }
    throw new DhcpTimeoutError(lease.interfaceName, 'ack', attempts, Date.now() - started);
  } finally {
    socket.close();
  }
}

/** The first DHCPACK or DHCPNAK for `xid` and `mac` within `ms`, else null. */
function replyTo(
  socket: Socket,
  xid: number,
  mac: string,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<DhcpMessage | null> {
  const pick = (data: Buffer): DhcpMessage | null => {
    let message: DhcpMessage;
    try {
      message = decodeDhcpMessage(data);
    } catch {
      return null; // not DHCP: ignore, as every client does
    }
    const type = message.options.messageType;
    if (message.op !== 'reply' || message.transactionId !== xid || message.clientHardwareAddress !== mac) return null;
    return type === 'ack' || type === 'nak' ? message : null;
  };
  return firstEvent(socket, 'message', pick, ms, signal);
}

/**
 * Gives the address back (RFC 2131 §4.4.6): one DHCPRELEASE unicast to the server, which expects
 * no answer. The interface keeps the address until you remove it (deleteAddress).
 * @example await releaseLease(lease); await deleteAddress({ interface: lease.interfaceIndex, address: lease.address, prefixLength: lease.prefixLength });
 */
export async function releaseLease(lease: DhcpLease): Promise<void> {
  checkLease(lease);
  const socket = await leaseSocket(lease);
  try {
    const release = encodeDhcpMessage({
      op: 'request',
      transactionId: randomInt(1, 0xffffffff),
      clientHardwareAddress: lease.hardwareAddress,
      clientAddress: lease.address,
      options: {
        messageType: 'release',
        serverIdentifier: lease.serverIdentifier,
        clientIdentifier: clientIdentifier(lease),
      },
    });
    await new Promise<void>((resolve, reject) =>
      socket.send(release, DHCP_SERVER_PORT, lease.serverIdentifier, (error) => (error ? reject(error) : resolve())),
    );
  } finally {
    socket.close();
  }
}
