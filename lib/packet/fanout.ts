// PACKET_FANOUT (packet(7)): several packet sockets with the same group id, type, protocol and
// device share the traffic; the kernel hands each packet to exactly one member.
import { checkInteger, checkOneOf, checkOptions, optionalBoolean } from '../core/validate.js';

/**
 * How the kernel picks the member for a packet:
 * - `hash` (PACKET_FANOUT_HASH): by flow hash, so a flow stays on one member;
 * - `load-balance` (PACKET_FANOUT_LB): round robin;
 * - `cpu` (PACKET_FANOUT_CPU): by the CPU the packet arrived on;
 * - `rollover` (PACKET_FANOUT_ROLLOVER): fill one member, move on when it is full;
 * - `random` (PACKET_FANOUT_RND);
 * - `queue` (PACKET_FANOUT_QM): by the NIC's receive queue.
 */
export type FanoutMode = 'hash' | 'load-balance' | 'cpu' | 'rollover' | 'random' | 'queue';

/**
 * Joining a fanout group.
 * @example PacketSocket.create({ interface: 'eth0', fanout: { group: 42, mode: 'cpu', rollover: true } }) // one per worker thread
 */
export interface FanoutOptions {
  /** Group id, 0..65535, per network namespace. Every member uses the same one. */
  group: number;
  /** Default 'hash'. */
  mode?: FanoutMode;
  /**
   * PACKET_FANOUT_FLAG_DEFRAG: reassemble IP fragments before hashing, so all fragments of a
   * datagram reach the same member (only meaningful with 'hash').
   */
  defrag?: boolean;
  /** PACKET_FANOUT_FLAG_ROLLOVER: when the chosen member is full, try the others before dropping. */
  rollover?: boolean;
}

const MODES: Record<FanoutMode, number> = {
  hash: 0,
  'load-balance': 1,
  cpu: 2,
  rollover: 3,
  random: 4,
  queue: 5,
};

/** PACKET_FANOUT_FLAG_ROLLOVER, in the mode half of the PACKET_FANOUT value: what `rollover: true` sets. */
export const FANOUT_FLAG_ROLLOVER = 0x1000;
export const FANOUT_FLAG_UNIQUEID = 0x2000;
/** PACKET_IGNORE_OUTGOING does not apply to fanout members; this flag does (Linux >= 4.20). */
export const FANOUT_FLAG_IGNORE_OUTGOING = 0x4000;
/** PACKET_FANOUT_FLAG_DEFRAG, in the mode half of the PACKET_FANOUT value: what `defrag: true` sets. */
export const FANOUT_FLAG_DEFRAG = 0x8000;

/** Checks fanout options; returns them normalised. */
export function checkFanout(value: unknown): Required<FanoutOptions> {
  const options = checkOptions('fanout', value, ['group', 'mode', 'defrag', 'rollover'], 'fanout');
  const group = checkInteger('fanout.group', options.group, 0, 0xffff);
  // Includes compares with ===: 'constructor' or 'toString' never match an Object.prototype key.
  const mode = checkOneOf('fanout.mode', options.mode ?? 'hash', Object.keys(MODES) as FanoutMode[]);
  const defrag = optionalBoolean('fanout.defrag', options.defrag);
  const rollover = optionalBoolean('fanout.rollover', options.rollover);
  return { group, mode, defrag, rollover };
}

/** The PACKET_FANOUT value: `group | (mode | flags) << 16`. */
export function fanoutValue(options: Required<FanoutOptions>, ignoreOutgoing: boolean): number {
  let type = MODES[options.mode];
  if (options.defrag) type |= FANOUT_FLAG_DEFRAG;
  if (options.rollover) type |= FANOUT_FLAG_ROLLOVER;
  if (ignoreOutgoing) type |= FANOUT_FLAG_IGNORE_OUTGOING;
  return options.group | (type << 16) | 0;
}
