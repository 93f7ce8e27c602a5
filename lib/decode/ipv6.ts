/**
 * IPv6 headers (RFC 8200) and the extension-header chain up to the upper-layer protocol.
 *
 * Fixed header (40 bytes): version/traffic class/flow label, payload length, next header, hop
 * limit, source, destination. Extension headers followed here: hop-by-hop options (0), routing
 * (43), fragment (44, fixed 8 bytes), destination options (60) — all with a "header extension
 * length" in 8-octet units not counting the first 8 — and the authentication header (51, RFC 4302,
 * length in 4-octet units minus 2). 59 means no next header.
 */
import { formatIPv6 } from './address.js';
import { asBuffer, type Decoded, fail } from './result.js';

/** Next-header value of the hop-by-hop options header (RFC 8200 §4.3), one of those `decodeIPv6` walks. */
export const IPV6_HOP_BY_HOP = 0;
/** Next-header value of the routing header (RFC 8200 §4.4). */
export const IPV6_ROUTING = 43;
/** Next-header value of the fragment header (RFC 8200 §4.5). */
export const IPV6_FRAGMENT = 44;
/** Next-header value of the IPsec authentication header (RFC 4302). */
export const IPV6_AUTHENTICATION = 51;
/** Next-header value meaning nothing follows (RFC 8200 §4.7). */
export const IPV6_NO_NEXT_HEADER = 59;
/** Next-header value of the destination options header (RFC 8200 §4.6). */
export const IPV6_DESTINATION_OPTIONS = 60;

/** Most extension headers followed before the packet is called malformed. */
export const MAX_IPV6_EXTENSION_HEADERS = 16;

/** The extension header kinds, in the user's words. */
export type IPv6ExtensionName = 'hop-by-hop' | 'routing' | 'fragment' | 'destination-options' | 'authentication';

/** One extension header in the chain. */
export interface IPv6ExtensionHeader {
  /** Which extension header it is ('fragment', 'routing', …). */
  name: IPv6ExtensionName;
  /** Its next-header number (0, 43, 44, 60 or 51). */
  type: number;
  /** Offset from the start of the IPv6 header. */
  offset: number;
  /** Its length in bytes. */
  length: number;
  /** The whole extension header (a view). */
  data: Buffer;
}

/** Fields of the fragment header (RFC 8200 §4.5). */
export interface IPv6Fragment {
  /** Offset of this fragment's data in the original payload, in bytes. */
  offset: number;
  /** The M flag: more fragments follow. */
  moreFragments: boolean;
  /** Identification: fragments of one packet share it (32 bits). */
  identification: number;
}

/** Fields of a routing header (RFC 8200 §4.4). */
export interface IPv6Routing {
  /** Routing type (3 RPL source route, 4 segment routing, …). */
  routingType: number;
  /** Route segments still to visit. */
  segmentsLeft: number;
}

/** A decoded IPv6 header with its extension headers. */
export interface IPv6Header {
  /** Always 'ipv6'. */
  layer: 'ipv6';
  /** The version field: always 6 (anything else is a decode error). */
  version: 6;
  /** The traffic class byte (DSCP << 2 | ECN). */
  trafficClass: number;
  /** Differentiated services code point (upper 6 bits of the traffic class). */
  dscp: number;
  /** ECN bits (lower 2 bits of the traffic class). */
  ecn: number;
  /** Flow label, 20 bits (0 when the sender set none). */
  flowLabel: number;
  /** Payload length field: bytes after the fixed 40-byte header (0 for a jumbogram). */
  payloadLength: number;
  /** The fixed header's next-header field. */
  nextHeader: number;
  /** Hop limit: hops left before a router drops the packet. */
  hopLimit: number;
  /** Source address in the canonical compressed form. */
  source: string;
  /** Destination address in the canonical compressed form. */
  destination: string;
  /** Raw source address bytes (a view). */
  sourceBytes: Buffer;
  /** Raw destination address bytes (a view). */
  destinationBytes: Buffer;
  /** Extension headers in order. */
  extensionHeaders: IPv6ExtensionHeader[];
  /** Present when there is a fragment header. */
  fragment?: IPv6Fragment;
  /** Present when there is a routing header. */
  routing?: IPv6Routing;
  /** True when a fragment header is present (any fragment, first or not). */
  isFragment: boolean;
  /**
   * The upper-layer protocol after the extension headers (6 TCP, 17 UDP, 58 ICMPv6, 136
   * UDP-Lite, 59 none). For a non-first fragment the chain stops at the fragment header and this
   * is its next-header value, though the payload is not that protocol's header.
   */
  protocol: number;
  /** Bytes before `payload`: 40 plus the extension headers. */
  headerLength: number;
  /** Upper-layer bytes, up to the payload length (a view). */
  payload: Buffer;
  /** True when the data ends before the payload length says. */
  truncated: boolean;
}

function extensionName(type: number): IPv6ExtensionName | undefined {
  switch (type) {
    case IPV6_HOP_BY_HOP:
      return 'hop-by-hop';
    case IPV6_ROUTING:
      return 'routing';
    case IPV6_FRAGMENT:
      return 'fragment';
    case IPV6_DESTINATION_OPTIONS:
      return 'destination-options';
    case IPV6_AUTHENTICATION:
      return 'authentication';
    default:
      return undefined;
  }
}

/**
 * Decodes an IPv6 header and walks its extension headers to the upper-layer protocol.
 * @example
 * const ip6 = decodeIPv6(eth.payload);
 * if (ip6.ok) console.log(ip6.source, ip6.protocol, ip6.extensionHeaders.map((h) => h.name));
 */
export function decodeIPv6(data: Uint8Array): Decoded<IPv6Header> {
  const b = asBuffer(data);
  if (b.length < 40) return fail('ipv6', 'truncated', b.length, `IPv6 header needs 40 bytes, got ${b.length}`);
  const word = b.readUInt32BE(0);
  const version = word >>> 28;
  if (version !== 6) return fail('ipv6', 'malformed', 0, `IP version ${version} is not 6`);
  const trafficClass = (word >>> 20) & 0xff;
  const payloadLength = b.readUInt16BE(4);
  const nextHeader = b.readUInt8(6);
  // RFC 2675: a zero payload length with a hop-by-hop header is a jumbogram; its real length is
  // in a hop-by-hop option. Take what was captured.
  const jumbogram = payloadLength === 0 && nextHeader === IPV6_HOP_BY_HOP;
  const declaredEnd = jumbogram ? b.length : 40 + payloadLength;
  const end = Math.min(declaredEnd, b.length);
  const extensionHeaders: IPv6ExtensionHeader[] = [];
  let fragment: IPv6Fragment | undefined;
  let routing: IPv6Routing | undefined;
  let protocol = nextHeader;
  let offset = 40;
  for (let name = extensionName(protocol); name !== undefined; name = extensionName(protocol)) {
    if (extensionHeaders.length === MAX_IPV6_EXTENSION_HEADERS) {
      return fail('ipv6', 'malformed', offset, `more than ${MAX_IPV6_EXTENSION_HEADERS} extension headers`);
    }
    if (offset + 8 > declaredEnd) {
      return fail('ipv6', 'malformed', offset, `${name} header at offset ${offset} runs past the payload length`);
    }
    if (offset + 8 > end) {
      return fail('ipv6', 'truncated', end, `${name} header at offset ${offset} runs past the end of the data`);
    }
    const lengthField = b.readUInt8(offset + 1);
    let length: number;
    if (protocol === IPV6_FRAGMENT) length = 8;
    else if (protocol === IPV6_AUTHENTICATION) length = (lengthField + 2) * 4;
    else length = (lengthField + 1) * 8;
    if (offset + length > declaredEnd) {
      return fail('ipv6', 'malformed', offset + 1, `${name} header length ${length} runs past the payload length`);
    }
    if (offset + length > end) {
      return fail('ipv6', 'truncated', end, `${name} header length ${length} runs past the end of the data`);
    }
    extensionHeaders.push({ name, type: protocol, offset, length, data: b.subarray(offset, offset + length) });
    const following = b.readUInt8(offset);
    if (protocol === IPV6_ROUTING) {
      routing = { routingType: b.readUInt8(offset + 2), segmentsLeft: b.readUInt8(offset + 3) };
    }
    offset += length;
    protocol = following;
    if (name === 'fragment') {
      const field = b.readUInt16BE(offset - 6);
      fragment = {
        offset: field & 0xfff8,
        moreFragments: (field & 1) !== 0,
        identification: b.readUInt32BE(offset - 4),
      };
      // Only the first fragment carries the rest of the chain and the upper-layer header.
      if (fragment.offset !== 0) break;
    }
  }
  return {
    ok: true,
    layer: 'ipv6',
    version: 6,
    trafficClass,
    dscp: trafficClass >> 2,
    ecn: trafficClass & 0x03,
    flowLabel: word & 0xfffff,
    payloadLength,
    nextHeader,
    hopLimit: b.readUInt8(7),
    source: formatIPv6(b, 8),
    destination: formatIPv6(b, 24),
    sourceBytes: b.subarray(8, 24),
    destinationBytes: b.subarray(24, 40),
    extensionHeaders,
    ...(fragment ? { fragment } : {}),
    ...(routing ? { routing } : {}),
    isFragment: fragment !== undefined,
    protocol,
    headerLength: offset,
    payload: b.subarray(offset, end),
    truncated: declaredEnd > b.length,
  };
}
