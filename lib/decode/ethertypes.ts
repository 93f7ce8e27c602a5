// The EtherTypes rawsock names, once (values from <linux/if_ether.h>, host byte order). Plain
// numbers rather than the addon's constants: lib/decode, lib/bpf and lib/pcap work without the
// addon. The packet socket's `protocol` names, the BPF builders and the decoders all read this.

/**
 * EtherTypes by name. `all` is not an EtherType but packet(7)'s ETH_P_ALL, "every protocol",
 * which packet sockets take in the same place.
 * @example ETHERTYPES.ipv6 // 0x86dd
 */
export const ETHERTYPES = Object.freeze({
  /** ETH_P_ALL: every protocol (packet sockets only). */
  all: 0x0003,
  /** ETH_P_IP: IPv4. */
  ipv4: 0x0800,
  /** ETH_P_ARP. */
  arp: 0x0806,
  /** ETH_P_8021Q: the TPID of an 802.1Q VLAN tag. */
  vlan: 0x8100,
  /** ETH_P_IPV6. */
  ipv6: 0x86dd,
  /** ETH_P_8021AD: the TPID of an 802.1ad service tag, the outer tag of QinQ. */
  qinq: 0x88a8,
  /** ETH_P_QINQ1: the TPID some older switches used for QinQ outer tags before 802.1ad. */
  qinqOld: 0x9100,
  /** ETH_P_LLDP: Link Layer Discovery Protocol. */
  lldp: 0x88cc,
});

/** A name in {@link ETHERTYPES}. */
export type EtherTypeName = keyof typeof ETHERTYPES;
