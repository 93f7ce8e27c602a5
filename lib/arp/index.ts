// ARP for IPv4 on Ethernet links: resolve an address to a MAC, and RFC 5227 conflict detection
// (probe) and announcement (gratuitous ARP), over a packet socket. See docs/arp.md.
export { ArpTimeoutError } from './errors.js';
export { type ArpMessage, decodeArp, encodeArp } from './packet.js';
export { type AnnounceOptions, announceAddress, type ProbeOptions, type ProbeResult, probeAddress } from './probe.js';
export { type ArpResolution, type ResolveOptions, resolveMac } from './resolve.js';
