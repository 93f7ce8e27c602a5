// pcap-filter(7) expressions ("tcp port 80 and not host 10.0.0.1") compiled by libpcap itself.
import { addon } from '../core/addon.js';
import { DEFAULT_SNAPLEN } from '../pcap/format.js';
import { fromBytes, type Instruction } from './instruction.js';

/** Link-layer types (DLT_*, pcap-linktype(7)) by the names compile() accepts. */
export const LINK_TYPES = {
  /** DLT_EN10MB (1): Ethernet headers; what a SOCK_RAW packet socket on Ethernet or `lo` sees. */
  ethernet: 1,
  /**
   * DLT_RAW (12): packets start with the IP header; what a SOCK_DGRAM ("cooked") packet socket
   * sees for IP traffic (the program tells IPv4 from IPv6 by the version nibble).
   */
  raw: 12,
  /** DLT_LINUX_SLL (113): libpcap's own 16-byte cooked header; for pcap files, not sockets. */
  'linux-sll': 113,
} as const;
/** A link-layer type name compile() accepts: a key of {@link LINK_TYPES}. */
export type LinkTypeName = keyof typeof LINK_TYPES;

/** Netmask value for "unknown" (PCAP_NETMASK_UNKNOWN): `ip broadcast` then fails to compile. */
export const PCAP_NETMASK_UNKNOWN = 0xffffffff;

/** Where compile() looks for libpcap by default, in order. */
export const LIBPCAP_NAMES: readonly string[] = ['libpcap.so.1', 'libpcap.so.0.8', 'libpcap.so'];

/**
 * Options of compile().
 * @example bpf.compile('ip broadcast', { linkType: 'raw', netmask: '255.255.255.0', optimize: false })
 */
export interface CompileOptions {
  /** Link-layer type the program reads: a name or a DLT_* number (default 'ethernet'). */
  linkType?: LinkTypeName | number;
  /** Bytes to keep of each accepted packet, the accepting `ret` (default 262144, as tcpdump). */
  snaplen?: number;
  /** Run libpcap's optimiser (default true, as tcpdump). */
  optimize?: boolean;
  /**
   * IPv4 netmask of the capture network, used only by `ip broadcast` (default
   * PCAP_NETMASK_UNKNOWN). A number, or dotted quad "255.255.255.0".
   */
  netmask?: number | string;
  /** libpcap shared objects to try instead of LIBPCAP_NAMES (names or paths for dlopen). */
  libpcap?: string | readonly string[];
}

interface PcapNative {
  pcapCompile(
    expression: string,
    linkType: number,
    snaplen: number,
    optimize: boolean,
    netmask: number,
    libraries: readonly string[],
  ): Buffer;
}

function netmaskValue(netmask: number | string | undefined): number {
  if (netmask === undefined) return PCAP_NETMASK_UNKNOWN;
  if (typeof netmask === 'number') {
    if (Number.isInteger(netmask) && netmask >= 0 && netmask <= 0xffffffff) return netmask;
  } else {
    const parts = netmask.split('.');
    if (parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
      return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
    }
  }
  throw Object.assign(
    new TypeError(`The "netmask" option must be a 32-bit number or a dotted quad. Received ${String(netmask)}`),
    { code: 'ERR_INVALID_ARG_VALUE' },
  );
}

/**
 * Compiles a pcap-filter expression (the language of tcpdump) into a classic BPF program, with
 * the libpcap installed on the system (loaded at run time: pcap_open_dead + pcap_compile, no
 * device and no privileges needed). The result is what `tcpdump -y LINKTYPE -dd EXPR` prints.
 *
 * Note that libpcap compiling for a dead handle does not know it will run on a Linux socket:
 * `vlan` checks only tags still in the frame (Linux usually strips them; see builders' vlan()),
 * and `inbound`/`outbound` are refused for Ethernet.
 *
 * @throws Error with code 'ERR_PCAP_COMPILE' and libpcap's message for a bad expression, or
 *   'ERR_LIBPCAP_MISSING' when libpcap cannot be loaded (Debian/Ubuntu package libpcap0.8, Fedora
 *   libpcap).
 * @example
 * const filter = bpf.compile('udp dst port 67 and not src net 10.0.0.0/8');
 * const cooked = bpf.compile('tcp port 443', { linkType: 'raw', snaplen: 128 }); // for a cooked socket
 */
export function compile(expression: string, options: CompileOptions = {}): Instruction[] {
  if (typeof expression !== 'string') {
    throw Object.assign(
      new TypeError(`The "expression" argument must be of type string. Received ${typeof expression}`),
      {
        code: 'ERR_INVALID_ARG_TYPE',
      },
    );
  }
  const linkType = options.linkType ?? 'ethernet';
  const dlt = typeof linkType === 'number' ? linkType : LINK_TYPES[linkType];
  if (dlt === undefined || !Number.isInteger(dlt) || dlt < 0 || dlt > 0x7fffffff) {
    throw Object.assign(new TypeError(`Unknown link type: ${String(linkType)}`), { code: 'ERR_INVALID_ARG_VALUE' });
  }
  const snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
  if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0x7fffffff) {
    throw Object.assign(
      new RangeError(
        `The value of "snaplen" is out of range. It must be an integer from 1 to 2147483647. Received ${snaplen}`,
      ),
      { code: 'ERR_OUT_OF_RANGE' },
    );
  }
  const libraries = options.libpcap === undefined ? LIBPCAP_NAMES : [options.libpcap].flat();
  // The addon is loaded here, at the first compile(), so the rest of rawsock/bpf needs none.
  const bytes = (addon() as unknown as PcapNative).pcapCompile(
    expression,
    dlt,
    snaplen,
    options.optimize ?? true,
    netmaskValue(options.netmask),
    libraries,
  );
  return fromBytes(bytes);
}
