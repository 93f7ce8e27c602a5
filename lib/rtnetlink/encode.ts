// Building netlink attributes (struct rtattr), the counterpart of lib/diag/netlink.ts's parsers.
import { align4, LITTLE_ENDIAN, NLA_HDRLEN, viewOf } from '../diag/netlink.js';

/** One attribute: 4-byte header (length counting header and value, type), value, padding to 4. */
export function attribute(type: number, value: Uint8Array): Uint8Array {
  const length = NLA_HDRLEN + value.length;
  const out = new Uint8Array(align4(length));
  viewOf(out).setUint16(0, length, LITTLE_ENDIAN);
  viewOf(out).setUint16(2, type, LITTLE_ENDIAN);
  out.set(value, NLA_HDRLEN);
  return out;
}

/** A u32 attribute in host byte order. */
export function attributeU32(type: number, value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  viewOf(bytes).setUint32(0, value, LITTLE_ENDIAN);
  return attribute(type, bytes);
}

/** The parts back to back (each already padded to 4 bytes). */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
