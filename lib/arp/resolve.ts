// resolveMac(): which MAC has an IPv4 address on a link, asked the way arping does: a broadcast
// ARP request per interval until a reply from that address comes.
import { isIPv4 } from 'node:net';
import { abortError } from '../core/abort.js';
import { checkInteger, checkOptions, invalidArgType, invalidArgValue } from '../core/validate.js';
import { listAddresses } from '../rtnetlink/interfaces.js';
import { ArpTimeoutError } from './errors.js';
import { ArpLink, BROADCAST_MAC, checkSignal, ZERO_MAC } from './link.js';

/**
 * Options of {@link resolveMac}.
 * @example await resolveMac('192.0.2.1', { interface: 'eth0', attempts: 3, intervalMs: 1000 })
 */
export interface ResolveOptions {
  /** The interface to ask on (name or index). */
  interface: string | number;
  /** Requests to send before giving up (default 3). */
  attempts?: number;
  /** Wait for a reply this long after each request, in ms (default 1000, arping's interval). */
  intervalMs?: number;
  /**
   * Sender address of the requests (spa). Default: the interface's IPv4 address on the target's
   * subnet, else its first one, else 0.0.0.0 (a request that reveals nothing, as in a probe).
   */
  source?: string;
  /** Ends the wait: resolveMac() rejects with an AbortError. */
  signal?: AbortSignal;
}

/** Who has the address. */
export interface ArpResolution {
  /** The address asked for. */
  address: string;
  /** Its MAC (the reply's sender hardware address). */
  mac: string;
  /** The interface. */
  interfaceName: string;
  /** The sender address the request used. */
  source: string;
  /** Requests sent until the reply came. */
  attempts: number;
  /** Milliseconds from the last request to the reply. */
  rttMs: number;
}

const toNumber = (ip: string) => ip.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);

/** @internal The interface's IPv4 address to send from: one on `target`'s subnet, else the first. */
export async function sourceAddressFor(interfaceIndex: number, target: string): Promise<string> {
  const own = (await listAddresses()).filter((a) => a.family === 4 && a.interfaceIndex === interfaceIndex);
  const onSubnet = own.find((a) => {
    const mask = a.prefixLength === 0 ? 0 : (0xffffffff << (32 - a.prefixLength)) >>> 0;
    return ((toNumber(a.address) ^ toNumber(target)) & mask) === 0;
  });
  return (onSubnet ?? own[0])?.address ?? '0.0.0.0';
}

/** @internal Checks an IPv4 address argument. */
export function checkIPv4(name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (!isIPv4(value)) throw invalidArgValue(name, 'must be an IPv4 address', value);
  return value;
}

/**
 * Resolves an IPv4 address to the MAC of the host that has it on the link: an ARP request per
 * `intervalMs`, up to `attempts`, answered by that host's kernel. Needs CAP_NET_RAW. The kernel's
 * neighbour table is neither read nor changed.
 * @throws ArpTimeoutError (code ETIMEDOUT) when nobody answers; AbortError on `signal`; ENODEV
 * for an unknown interface; EPERM without CAP_NET_RAW.
 * @example const { mac, rttMs } = await resolveMac('192.0.2.1', { interface: 'eth0' });
 */
export async function resolveMac(address: string, options: ResolveOptions): Promise<ArpResolution> {
  checkIPv4('address', address);
  checkOptions('options', options, ['interface', 'attempts', 'intervalMs', 'source', 'signal'], 'resolveMac()');
  const attempts = checkInteger('options.attempts', options.attempts ?? 3, 1, 1000);
  const intervalMs = checkInteger('options.intervalMs', options.intervalMs ?? 1000, 1, 60_000);
  const signal = checkSignal(options.signal);
  if (options.source !== undefined) checkIPv4('options.source', options.source);
  if (signal?.aborted) throw abortError(signal);
  const link = new ArpLink(options.interface);
  try {
    const source = options.source ?? (await sourceAddressFor(link.socket.interfaceIndex, address));
    const begun = performance.now();
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const sent = performance.now();
      await link.send(
        { operation: 'request', senderMac: link.mac, senderIp: source, targetMac: ZERO_MAC, targetIp: address },
        BROADCAST_MAC,
      );
      const reply = await link.wait(
        ({ message }) => message.operation === 'reply' && message.senderIp === address,
        intervalMs,
        signal,
      );
      if (reply !== null) {
        return {
          address,
          mac: reply.message.senderMac,
          interfaceName: link.interfaceName,
          source,
          attempts: attempt,
          rttMs: reply.at - sent,
        };
      }
    }
    throw new ArpTimeoutError(address, link.interfaceName, attempts, performance.now() - begun);
  } finally {
    link.close();
  }
}
