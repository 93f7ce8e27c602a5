// The numbers rawsock keeps in plain form for its addon-free parts (lib/decode, lib/bpf, lib/pcap)
// agree with the system headers the addon was compiled from, and each exists once.
import { describe, expect, it } from 'vitest';
import { ETHERTYPES as BPF_ETHERTYPES } from '../lib/bpf/builders.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_VLAN } from '../lib/decode/ethernet.js';
import { ETHERTYPES } from '../lib/decode/ethertypes.js';
import { ETH_P_ALL } from '../lib/diag/names.js';
import { constants } from '../lib/native.js';
import { DEFAULT_SNAPLEN as PACKET_SNAPLEN, PROTOCOLS } from '../lib/packet/options.js';
import { DEFAULT_SNAPLEN } from '../lib/pcap/format.js';
import { DEFAULT_SNAPLEN as WRITER_SNAPLEN } from '../lib/pcap/writer.js';

describe('one EtherType table', () => {
  it('matches <linux/if_ether.h> as the addon compiled it', () => {
    expect(ETHERTYPES).toMatchObject({
      all: constants.ETH_P_ALL,
      ipv4: constants.ETH_P_IP,
      arp: constants.ETH_P_ARP,
      vlan: constants.ETH_P_8021Q,
      ipv6: constants.ETH_P_IPV6,
      qinq: constants.ETH_P_8021AD,
      lldp: constants.ETH_P_LLDP,
    });
  });

  it('is the one the packet options, the BPF builders, the decoders and diag use', () => {
    expect(BPF_ETHERTYPES).toBe(ETHERTYPES);
    expect([ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN, ETHERTYPE_QINQ]).toEqual([
      ETHERTYPES.ipv4,
      ETHERTYPES.ipv6,
      ETHERTYPES.vlan,
      ETHERTYPES.qinq,
    ]);
    expect(ETH_P_ALL).toBe(ETHERTYPES.all);
    for (const [name, value] of Object.entries(PROTOCOLS)) {
      expect(Object.values(ETHERTYPES), name).toContain(value);
    }
  });
});

describe('one DEFAULT_SNAPLEN', () => {
  it("libpcap's MAXIMUM_SNAPLEN, exported where it was before", () => {
    expect(DEFAULT_SNAPLEN).toBe(262144);
    expect(PACKET_SNAPLEN).toBe(DEFAULT_SNAPLEN);
    expect(WRITER_SNAPLEN).toBe(DEFAULT_SNAPLEN);
  });
});
