// Per-socket link-layer memberships (packet(7) PACKET_ADD_MEMBERSHIP / PACKET_DROP_MEMBERSHIP):
// promiscuous mode, all-multicast, and single multicast MACs. The kernel reference-counts each on
// the device (dev_set_promiscuity, dev_set_allmulti, dev_mc_add) and drops a socket's own when it
// closes (packet_flush_mclist), so a crashed program never leaves an interface promiscuous.
import { endianness } from 'node:os';
import { invalidArgType, invalidArgValue } from '../core/validate.js';
import { constants, native } from '../native.js';
import { parseHardwareAddress } from './link-address.js';

const littleEndian = endianness() === 'LE';

/** What a membership asks the device for. */
export type MembershipKind = 'promiscuous' | 'all-multicast' | 'multicast';

/**
 * struct packet_mreq { int mr_ifindex; unsigned short mr_type, mr_alen; unsigned char mr_address[8]; }
 * (16 bytes), for PACKET_MR_PROMISC, PACKET_MR_ALLMULTI or PACKET_MR_MULTICAST with its address.
 */
export function packetMreq(interfaceIndex: number, kind: MembershipKind, address?: Uint8Array): Buffer {
  const mreq = Buffer.alloc(16);
  const view = new DataView(mreq.buffer, mreq.byteOffset, mreq.byteLength);
  const type =
    kind === 'promiscuous'
      ? constants.PACKET_MR_PROMISC
      : kind === 'all-multicast'
        ? constants.PACKET_MR_ALLMULTI
        : constants.PACKET_MR_MULTICAST;
  view.setInt32(0, interfaceIndex, littleEndian);
  view.setUint16(4, type, littleEndian);
  if (address !== undefined) {
    view.setUint16(6, address.length, littleEndian);
    mreq.set(address, 8);
  }
  return mreq;
}

/** Adds or drops one membership on the socket `fd`; the kernel's refusal is thrown (EADDRNOTAVAIL: not held). */
export function changeMembership(
  fd: number,
  add: boolean,
  interfaceIndex: number,
  kind: MembershipKind,
  address?: Uint8Array,
): void {
  const option = add ? constants.PACKET_ADD_MEMBERSHIP : constants.PACKET_DROP_MEMBERSHIP;
  native.setsockopt(fd, constants.SOL_PACKET, option, packetMreq(interfaceIndex, kind, address));
}

/**
 * A multicast MAC given as text or 6 bytes. Its group bit (the low bit of the first octet) must be
 * set: a unicast address would be added to the device's multicast list, which means nothing.
 */
export function checkMulticastMac(name: string, value: unknown): Buffer {
  let bytes: Buffer;
  if (typeof value === 'string') bytes = parseHardwareAddress(value, name);
  else if (value instanceof Uint8Array) bytes = Buffer.from(value);
  else throw invalidArgType(name, "a MAC address such as '01:00:5e:00:00:fb'", value);
  if (bytes.length !== 6) throw invalidArgValue(name, 'must be a 6-byte MAC address', value);
  if (((bytes[0] as number) & 1) === 0) {
    throw invalidArgValue(name, 'is not a multicast MAC (the low bit of its first octet is 0)', value);
  }
  return bytes;
}

/** The `multicast` option: an array of multicast MACs, checked, duplicates removed. */
export function checkMulticastList(value: unknown): Buffer[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidArgType('multicast', 'an array of multicast MAC addresses', value);
  const seen = new Map<string, Buffer>();
  value.forEach((mac, i) => {
    const bytes = checkMulticastMac(`multicast[${i}]`, mac);
    seen.set(bytes.toString('hex'), bytes);
  });
  return [...seen.values()];
}
