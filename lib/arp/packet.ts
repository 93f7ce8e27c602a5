// ARP messages for IPv4 over Ethernet (RFC 826): the 28 bytes after the Ethernet header.
//   htype 2 (1) | ptype 2 (0x0800) | hlen 1 (6) | plen 1 (4) | op 2 | sha 6 | spa 4 | tha 6 | tpa 4
import { formatIPv4, formatMac, parseIPv4, parseMac } from '../decode/address.js';
import { invalidArgValue } from '../errors.js';

/** Bytes of an Ethernet/IPv4 ARP message. */
export const ARP_LENGTH = 28;
/** ARP operations (RFC 826): 1 request, 2 reply. */
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

/** An Ethernet/IPv4 ARP message. */
export interface ArpMessage {
  /** 'request' (op 1) or 'reply' (op 2). */
  operation: 'request' | 'reply';
  /** Sender hardware address (sha). */
  senderMac: string;
  /** Sender protocol address (spa); '0.0.0.0' in an RFC 5227 probe. */
  senderIp: string;
  /** Target hardware address (tha); all zero in a request. */
  targetMac: string;
  /** Target protocol address (tpa). */
  targetIp: string;
}

/**
 * Decodes an ARP message; null when the bytes are not Ethernet/IPv4 ARP (other hardware or
 * protocol types, short, an operation other than request or reply).
 */
export function decodeArp(data: Uint8Array): ArpMessage | null {
  if (data.length < ARP_LENGTH) return null;
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.readUInt16BE(0) !== 1 || b.readUInt16BE(2) !== 0x0800 || b[4] !== 6 || b[5] !== 4) return null;
  const op = b.readUInt16BE(6);
  if (op !== ARP_REQUEST && op !== ARP_REPLY) return null;
  return {
    operation: op === ARP_REQUEST ? 'request' : 'reply',
    senderMac: formatMac(b, 8),
    senderIp: formatIPv4(b, 14),
    targetMac: formatMac(b, 18),
    targetIp: formatIPv4(b, 24),
  };
}

/** Encodes an Ethernet/IPv4 ARP message (28 bytes). */
export function encodeArp(message: ArpMessage): Buffer {
  if (message.operation !== 'request' && message.operation !== 'reply') {
    throw invalidArgValue('operation', "must be 'request' or 'reply'", message.operation);
  }
  const out = Buffer.alloc(ARP_LENGTH);
  out.writeUInt16BE(1, 0); // ARPHRD_ETHER
  out.writeUInt16BE(0x0800, 2);
  out[4] = 6;
  out[5] = 4;
  out.writeUInt16BE(message.operation === 'request' ? ARP_REQUEST : ARP_REPLY, 6);
  parseMac(message.senderMac).copy(out, 8);
  parseIPv4(message.senderIp).copy(out, 14);
  parseMac(message.targetMac).copy(out, 18);
  parseIPv4(message.targetIp).copy(out, 24);
  return out;
}
