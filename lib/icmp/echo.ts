// ICMP echo request and reply (RFC 792 types 8 / 0, RFC 4443 types 128 / 129): type, code 0,
// checksum, identifier, sequence number, then data that the peer returns unchanged.
import { endianness } from 'node:os';
import { checkInteger, invalidArgType } from '../core/validate.js';
import { internetChecksum } from '../decode/checksum.js';

const littleEndian = endianness() === 'LE';

/**
 * ICMP echo request type by address family: 8 for IPv4 (RFC 792), 128 for ICMPv6 (RFC 4443).
 * @example ECHO_REQUEST[6] // 128
 */
export const ECHO_REQUEST: Readonly<Record<4 | 6, number>> = { 4: 8, 6: 128 };
/**
 * ICMP echo reply type by address family: 0 for IPv4, 129 for ICMPv6.
 * @example ECHO_REPLY[4] // 0
 */
export const ECHO_REPLY: Readonly<Record<4 | 6, number>> = { 4: 0, 6: 129 };

/**
 * An echo request to send.
 * @example { sequence: 1, identifier: 0x1234, payload: Buffer.alloc(56) }
 */
export interface EchoRequestInput {
  /** Sequence number, 0..65535. */
  sequence: number;
  /**
   * Identifier, 0..65535 (default 0). On a ping socket (SOCK_DGRAM) the kernel replaces it with
   * the socket's identifier, its bound "port" (net/ipv4/ping.c ping_v4_sendmsg), whatever is given.
   */
  identifier?: number;
  /** The data after the 8-byte header (default: none). */
  payload?: Uint8Array;
}

function check16(name: string, value: unknown): number {
  return checkInteger(name, value, 0, 0xffff);
}

/**
 * Builds an echo request. For IPv4 the checksum is filled in (RFC 792: the one's complement sum
 * of the message); for IPv6 it is left 0, since the ICMPv6 checksum covers a pseudo-header with
 * the source address the kernel picks, and the kernel computes it on ICMPv6 sockets, raw ones
 * included (RFC 3542 §3.1; ipv6(7) IPV6_CHECKSUM is refused on them).
 * @example const request = buildEchoRequest(4, { sequence: 1, identifier: 7, payload: Buffer.from('hi') });
 */
export function buildEchoRequest(family: 4 | 6, input: EchoRequestInput): Buffer {
  if (input === null || typeof input !== 'object') throw invalidArgType('request', 'of type object', input);
  const sequence = check16('request.sequence', input.sequence);
  const identifier = check16('request.identifier', input.identifier ?? 0);
  const payload = input.payload ?? new Uint8Array(0);
  if (!(payload instanceof Uint8Array)) throw invalidArgType('request.payload', 'a Buffer or Uint8Array', payload);
  const message = Buffer.alloc(8 + payload.length);
  message[0] = ECHO_REQUEST[family];
  message.writeUInt16BE(identifier, 4);
  message.writeUInt16BE(sequence, 6);
  message.set(payload, 8);
  if (family === 4) message.writeUInt16BE(internetChecksum(message), 2);
  return message;
}

/** Identifier and sequence of an echo message of `type`, or null when `message` is not one. */
export function readEcho(
  message: Uint8Array,
  type: number,
): { identifier: number; sequence: number; payload: Buffer } | null {
  if (message.length < 8 || message[0] !== type || message[1] !== 0) return null;
  const b = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  return { identifier: b.readUInt16BE(4), sequence: b.readUInt16BE(6), payload: b.subarray(8) };
}

/**
 * The data iputils ping sends: the send time as a struct timeval (two 64-bit fields, seconds and
 * microseconds, in host order) when there is room for it, over data bytes that count up from 0
 * (ping_common.c fills byte i of the data with i). Peers echo it back unchanged.
 * @example echoPayload(56, native.realtimeNs())
 */
export function echoPayload(size: number, sentAtNs: bigint): Buffer {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = i & 0xff;
  if (size >= 16) {
    const seconds = sentAtNs / 1_000_000_000n;
    const microseconds = (sentAtNs % 1_000_000_000n) / 1000n;
    if (littleEndian) {
      payload.writeBigInt64LE(seconds, 0);
      payload.writeBigInt64LE(microseconds, 8);
    } else {
      payload.writeBigInt64BE(seconds, 0);
      payload.writeBigInt64BE(microseconds, 8);
    }
  }
  return payload;
}
