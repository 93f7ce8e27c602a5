// RFC 5227 address conflict detection: probeAddress() asks whether anyone on the link has an address
// before we take it, announceAddress() claims it with gratuitous ARP once we have.
import { randomInt } from 'node:crypto';
import { abortError, delay } from '../core/abort.js';
import { checkInteger, checkOptions } from '../core/validate.js';
import { ArpLink, BROADCAST_MAC, checkSignal, type ReceivedArp, ZERO_MAC } from './link.js';
import { checkIPv4 } from './resolve.js';

/**
 * Options of {@link probeAddress}; the defaults are RFC 5227 §1.1's constants.
 * @example await probeAddress('192.0.2.10', { interface: 'eth0' })
 */
export interface ProbeOptions {
  /** The interface (name or index). */
  interface: string | number;
  /** Probes to send (PROBE_NUM, default 3). */
  probes?: number;
  /** Random delay before the first probe, up to this many ms (PROBE_WAIT, default 1000). */
  initialDelayMs?: number;
  /** Random gap between probes, from this (PROBE_MIN, default 1000) … */
  minIntervalMs?: number;
  /** … to this many ms (PROBE_MAX, default 2000). */
  maxIntervalMs?: number;
  /** Listen this long after the last probe (ANNOUNCE_WAIT, default 2000). */
  waitMs?: number;
  /** Ends the probe: probeAddress() rejects with an AbortError. */
  signal?: AbortSignal;
}

const PROBE_KEYS = ['interface', 'probes', 'initialDelayMs', 'minIntervalMs', 'maxIntervalMs', 'waitMs', 'signal'];

/** What a probe found. */
export interface ProbeResult {
  /** The address probed. */
  address: string;
  /** True when another host uses (or is probing for) the address: do not take it. */
  conflict: boolean;
  /** The other host's MAC when there is a conflict, else null. */
  conflictingMac: string | null;
  /** Probes sent (fewer than asked when a conflict ended the probe early). */
  probesSent: number;
}

/**
 * RFC 5227 §2.1.1: a conflict is any ARP message whose sender address is the candidate (a host
 * that has it), or a probe for the candidate from another MAC (a host that wants it too).
 */
function conflicts(address: string, ownMac: string) {
  return ({ message }: ReceivedArp) =>
    message.senderMac !== ownMac &&
    (message.senderIp === address ||
      (message.operation === 'request' && message.senderIp === '0.0.0.0' && message.targetIp === address));
}

/**
 * Probes whether an IPv4 address is free on the link (RFC 5227 §2.1): ARP requests with sender
 * address 0.0.0.0 for the address, at random intervals, then a last wait. A host that has the
 * address answers (Linux replies to such probes); a host probing for it at the same time
 * conflicts too. Does not configure anything. Needs CAP_NET_RAW.
 * @throws AbortError on `signal`; ENODEV for an unknown interface.
 * @example
 * const { conflict, conflictingMac } = await probeAddress('192.0.2.10', { interface: 'eth0' });
 * if (!conflict) await announceAddress('192.0.2.10', { interface: 'eth0' });
 */
export async function probeAddress(address: string, options: ProbeOptions): Promise<ProbeResult> {
  checkIPv4('address', address);
  checkOptions('options', options, PROBE_KEYS, 'probeAddress()');
  const probes = checkInteger('options.probes', options.probes ?? 3, 1, 100);
  const initialDelayMs = checkInteger('options.initialDelayMs', options.initialDelayMs ?? 1000, 0, 60_000);
  const minIntervalMs = checkInteger('options.minIntervalMs', options.minIntervalMs ?? 1000, 1, 60_000);
  const maxIntervalMs = checkInteger('options.maxIntervalMs', options.maxIntervalMs ?? 2000, minIntervalMs, 60_000);
  const waitMs = checkInteger('options.waitMs', options.waitMs ?? 2000, 1, 60_000);
  const signal = checkSignal(options.signal);
  if (signal?.aborted) throw abortError(signal);
  const link = new ArpLink(options.interface);
  try {
    const accept = conflicts(address, link.mac);
    // Listen from the start: a reply to one probe may come during the gap before the next.
    // `stop` ends both the listening and the schedule, whichever finishes first.
    const stop = new AbortController();
    const both = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    let found: ReceivedArp | null = null;
    let probesSent = 0;
    const listening = link.wait(accept, 2 ** 31 - 1, both).then(
      (hit) => {
        found = hit;
      },
      () => {},
    );
    const schedule = (async () => {
      await delay(randomInt(0, initialDelayMs + 1), both);
      for (let i = 0; i < probes; i++) {
        await link.send(
          { operation: 'request', senderMac: link.mac, senderIp: '0.0.0.0', targetMac: ZERO_MAC, targetIp: address },
          BROADCAST_MAC,
        );
        probesSent++;
        await delay(i < probes - 1 ? randomInt(minIntervalMs, maxIntervalMs + 1) : waitMs, both);
      }
    })().catch(() => {});
    await Promise.race([listening, schedule]);
    stop.abort();
    await Promise.all([listening, schedule]);
    if (signal?.aborted) throw abortError(signal);
    const hit = found as ReceivedArp | null;
    return {
      address,
      conflict: hit !== null,
      conflictingMac: hit?.message.senderMac ?? null,
      probesSent,
    };
  } finally {
    link.close();
  }
}

/**
 * Options of {@link announceAddress}; the defaults are RFC 5227 §1.1's ANNOUNCE_NUM and ANNOUNCE_INTERVAL.
 * @example await announceAddress('192.0.2.10', { interface: 'eth0', count: 2, intervalMs: 2000 })
 */
export interface AnnounceOptions {
  /** The interface (name or index). */
  interface: string | number;
  /** Announcements to send (default 2). */
  count?: number;
  /** Gap between them in ms (default 2000). */
  intervalMs?: number;
  /** Ends the announcements early: announceAddress() rejects with an AbortError. */
  signal?: AbortSignal;
}

/**
 * Announces that this host has the address (RFC 5227 §2.3, gratuitous ARP): broadcast ARP
 * requests with sender and target address both `address`, so other hosts update the MAC they
 * hold for it (Linux updates an existing neighbour entry; it creates none unless arp_accept).
 * Resolves with the number sent. Needs CAP_NET_RAW.
 * @example await announceAddress('192.0.2.10', { interface: 'eth0' })
 */
export async function announceAddress(address: string, options: AnnounceOptions): Promise<number> {
  checkIPv4('address', address);
  checkOptions('options', options, ['interface', 'count', 'intervalMs', 'signal'], 'announceAddress()');
  const count = checkInteger('options.count', options.count ?? 2, 1, 100);
  const intervalMs = checkInteger('options.intervalMs', options.intervalMs ?? 2000, 0, 60_000);
  const signal = checkSignal(options.signal);
  if (signal?.aborted) throw abortError(signal);
  const link = new ArpLink(options.interface);
  try {
    for (let i = 0; i < count; i++) {
      if (i > 0) await delay(intervalMs, signal);
      await link.send(
        { operation: 'request', senderMac: link.mac, senderIp: address, targetMac: ZERO_MAC, targetIp: address },
        BROADCAST_MAC,
      );
    }
    return count;
  } finally {
    link.close();
  }
}
