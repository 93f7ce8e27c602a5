/**
 * Ethernet II frames (IEEE 802.3 with an EtherType) and their 802.1Q / 802.1ad VLAN tags.
 *
 * Layout: destination MAC (6), source MAC (6), then either the EtherType (2) or one or more 4-byte
 * tags, each a TPID (0x8100 802.1Q C-tag, 0x88a8 802.1ad S-tag, 0x9100 pre-standard Q-in-Q)
 * followed by the TCI (priority 3 bits, drop eligible 1 bit, VLAN id 12 bits). The FCS is not
 * part of what Linux packet sockets or pcap files hold.
 */
import { formatMac } from './address.js';
import { ETHERTYPES } from './ethertypes.js';
import { asBuffer, type Decoded, fail } from './result.js';

/** EtherType of IPv4 (ETH_P_IP). */
export const ETHERTYPE_IPV4 = ETHERTYPES.ipv4;
/** EtherType of ARP (ETH_P_ARP). */
export const ETHERTYPE_ARP = ETHERTYPES.arp;
/** TPID of an 802.1Q VLAN tag (ETH_P_8021Q). */
export const ETHERTYPE_VLAN = ETHERTYPES.vlan;
/** EtherType of IPv6 (ETH_P_IPV6). */
export const ETHERTYPE_IPV6 = ETHERTYPES.ipv6;
/** TPID of an 802.1ad service tag, the outer tag of QinQ (ETH_P_8021AD). */
export const ETHERTYPE_QINQ = ETHERTYPES.qinq;
/** TPID some older switches used for QinQ outer tags before 802.1ad (ETH_P_QINQ1). */
export const ETHERTYPE_QINQ_OLD = ETHERTYPES.qinqOld;

/** Most tags `decodeEthernet` follows before calling the frame malformed (Linux allows 8 levels). */
export const MAX_VLAN_TAGS = 8;

/**
 * One 802.1Q / 802.1ad tag, outermost first in {@link EthernetHeader.vlans}.
 * @inline
 */
export interface VlanTag {
  /** Tag protocol identifier: 0x8100 (802.1Q), 0x88a8 (802.1ad service tag) or 0x9100. */
  tpid: number;
  /** Priority code point (802.1p), 0–7. */
  priority: number;
  /** Drop eligible indicator (formerly CFI). */
  dropEligible: boolean;
  /** VLAN identifier, 0–4095 (0: priority tag only). */
  id: number;
}

/** A decoded Ethernet II header. */
export interface EthernetHeader {
  /** Always 'ethernet'. */
  layer: 'ethernet';
  /** Destination MAC address, `aa:bb:cc:dd:ee:ff`. */
  destination: string;
  /** Source MAC address. */
  source: string;
  /** VLAN tags between the addresses and the EtherType, outermost first; empty when untagged. */
  vlans: VlanTag[];
  /**
   * EtherType of the payload after all tags (0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP, …). Values
   * ≤ 1500 are an IEEE 802.3 length field instead (LLC frames); the payload is then left as is.
   */
  etherType: number;
  /** Bytes before the payload: 14 + 4 per tag. */
  headerLength: number;
  /** The bytes after the header (a view, not a copy); may include Ethernet padding. */
  payload: Buffer;
}

/** @internal True for the TPIDs that announce a VLAN tag. */
export function isVlanTpid(value: number): boolean {
  return value === ETHERTYPE_VLAN || value === ETHERTYPE_QINQ || value === ETHERTYPE_QINQ_OLD;
}

/** VLAN tags and the EtherType after them, as {@link decodeVlanTags} finds them. */
export interface VlanTags {
  /** Tags outermost first. */
  vlans: VlanTag[];
  /** EtherType after the last tag. */
  etherType: number;
  /** Bytes the tags take in the input (4 per tag). */
  length: number;
  /** The bytes after the tags (a view). */
  payload: Buffer;
}

/**
 * Decodes VLAN tags that follow an EtherType field holding the TPID `tpid`: each tag is the TCI
 * (2 bytes) and the next EtherType or TPID (2 bytes). This is how the tags appear after a Linux
 * cooked header whose protocol is 0x8100 / 0x88a8 (libpcap puts the kernel-stripped tag back
 * there). A `tpid` that is not a VLAN TPID gives no tags.
 * @example decodeVlanTags(payload, 0x8100) // the tags of a cooked packet whose protocol is 802.1Q
 */
export function decodeVlanTags(data: Uint8Array, tpid: number): Decoded<VlanTags> {
  const b = asBuffer(data);
  const vlans: VlanTag[] = [];
  let offset = 0;
  let type = tpid;
  while (isVlanTpid(type)) {
    if (vlans.length === MAX_VLAN_TAGS) {
      // Point at the TPID that announces one tag too many (2 bytes before its TCI).
      return fail('vlan', 'malformed', offset - 2, `more than ${MAX_VLAN_TAGS} VLAN tags`);
    }
    if (offset + 4 > b.length) {
      return fail('vlan', 'truncated', b.length, `VLAN tag at offset ${offset} runs past the end of the data`);
    }
    const tci = b.readUInt16BE(offset);
    vlans.push({ tpid: type, priority: tci >> 13, dropEligible: (tci & 0x1000) !== 0, id: tci & 0x0fff });
    type = b.readUInt16BE(offset + 2);
    offset += 4;
  }
  return { ok: true, vlans, etherType: type, length: offset, payload: b.subarray(offset) };
}

/**
 * Decodes an Ethernet II header and any stacked VLAN tags.
 * @example
 * const eth = decodeEthernet(frame);
 * if (eth.ok && eth.etherType === ETHERTYPE_IPV4) console.log(eth.source, '->', eth.destination, eth.vlans);
 */
export function decodeEthernet(data: Uint8Array): Decoded<EthernetHeader> {
  const b = asBuffer(data);
  if (b.length < 14) return fail('ethernet', 'truncated', b.length, `Ethernet header needs 14 bytes, got ${b.length}`);
  const tags = decodeVlanTags(b.subarray(14), b.readUInt16BE(12));
  if (!tags.ok) return fail('vlan', tags.error.reason, tags.error.offset + 14, tags.error.message);
  const headerLength = 14 + tags.length;
  return {
    ok: true,
    layer: 'ethernet',
    destination: formatMac(b, 0),
    source: formatMac(b, 6),
    vlans: tags.vlans,
    etherType: tags.etherType,
    headerLength,
    payload: b.subarray(headerLength),
  };
}
