// Walking one TPACKET_V3 ring block. Free of Node and of the ring itself, so a fuzzer can call
// WalkBlock() with arbitrary bytes: every offset and length in the block is treated as hostile.
//
// Block layout (Documentation/networking/packet_mmap.rst, include/uapi/linux/if_packet.h):
//   struct tpacket_block_desc { version; offset_to_priv; struct tpacket_hdr_v1 bh1; }
//   bh1.num_pkts packets, the first at bh1.offset_to_first_pkt, each the next at tp_next_offset:
//   struct tpacket3_hdr, then (at TPACKET_ALIGN(sizeof(tpacket3_hdr))) the struct sockaddr_ll the
//   kernel fills in (tpacket_rcv()), then the frame at tp_mac, tp_snaplen bytes long.
#pragma once
#include <linux/if_packet.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace rawsock {

// One packet of a block, after its offsets were checked to lie inside the block.
struct RingPacket {
  const uint8_t* data;  // the frame (link header on SOCK_RAW, network header on SOCK_DGRAM)
  uint32_t snaplen;     // bytes at `data` (what the filter kept)
  uint32_t len;         // length on the wire
  uint32_t sec;
  uint32_t nsec;
  uint32_t status;  // tp_status: TP_STATUS_VLAN_VALID, _VLAN_TPID_VALID, _CSUMNOTREADY, ...
  uint32_t vlan_tci;
  uint16_t vlan_tpid;
  uint16_t net_offset;  // where the network header starts, relative to `data`
  sockaddr_ll address;  // ifindex, protocol (network order), hatype, pkttype, source address
};

// Offset of the sockaddr_ll behind each tpacket3_hdr (tpacket_rcv(): TPACKET_ALIGN(hdrlen)).
constexpr size_t kRingAddressOffset = TPACKET_ALIGN(sizeof(tpacket3_hdr));
// Nothing can start before the end of that address: the smallest sane tp_mac / tp_next_offset.
constexpr size_t kRingMinimumFrame = kRingAddressOffset + sizeof(sockaddr_ll);

// Calls visit(const RingPacket&) for each packet of the block at `block` (`size` bytes), in
// order. Stops at the first packet whose offsets leave the block and sets *malformed; packets
// before it were visited. Returns how many packets were visited. Never reads outside
// [block, block + size). The caller owns the block (block_status read with acquire ordering).
template <typename Visit>
size_t WalkBlock(const uint8_t* block, size_t size, Visit&& visit, bool* malformed) {
  *malformed = false;
  tpacket_block_desc desc;
  if (block == nullptr || size < sizeof(desc)) {
    *malformed = true;
    return 0;
  }
  std::memcpy(&desc, block, sizeof(desc));
  const uint32_t count = desc.hdr.bh1.num_pkts;
  size_t at = desc.hdr.bh1.offset_to_first_pkt;
  size_t visited = 0;
  for (uint32_t i = 0; i < count; i++) {
    // The header and the sockaddr_ll behind it must fit, and not overlap the block descriptor.
    if (at < sizeof(desc) || at > size || size - at < kRingMinimumFrame) {
      *malformed = true;
      return visited;
    }
    tpacket3_hdr header;
    std::memcpy(&header, block + at, sizeof(header));
    const size_t room = size - at;
    // The frame starts after the address and ends inside the block: tp_mac + tp_snaplen <= room.
    if (header.tp_mac < kRingMinimumFrame || header.tp_mac > room || header.tp_snaplen > room - header.tp_mac) {
      *malformed = true;
      return visited;
    }
    RingPacket packet;
    packet.data = block + at + header.tp_mac;
    packet.snaplen = header.tp_snaplen;
    packet.len = header.tp_len;
    packet.sec = header.tp_sec;
    packet.nsec = header.tp_nsec;
    packet.status = header.tp_status;
    packet.vlan_tci = header.hv1.tp_vlan_tci;
    packet.vlan_tpid = header.hv1.tp_vlan_tpid;
    packet.net_offset = header.tp_net >= header.tp_mac ? static_cast<uint16_t>(header.tp_net - header.tp_mac) : 0;
    std::memcpy(&packet.address, block + at + kRingAddressOffset, sizeof(packet.address));
    if (packet.address.sll_halen > sizeof(packet.address.sll_addr)) {
      packet.address.sll_halen = sizeof(packet.address.sll_addr);
    }
    visit(static_cast<const RingPacket&>(packet));
    visited++;
    if (i + 1 < count) {
      // Each packet must move forward by at least a header and stay inside the block; this
      // also bounds the loop by size / kRingMinimumFrame whatever num_pkts claims.
      const uint32_t next = header.tp_next_offset;
      if (next < kRingMinimumFrame || next > room) {
        *malformed = true;
        return visited;
      }
      at += next;
    }
  }
  return visited;
}

}  // namespace rawsock
