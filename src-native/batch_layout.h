// The batch layouts the native readers hand JS, defined once. Every reader writes its metadata
// through these names; batch_layout.cc exports them (native.layouts) and lib/core/batch-layout.ts
// is the one TypeScript module that reads them, so C++ and TS cannot disagree.
//
// A batch is a Buffer of bytes plus a Uint32Array `meta` with kStride uint32 per entry; an
// entry's field F is meta[i * kStride + F].
#pragma once
#include <cstdint>

namespace rawsock {

// recvmmsg(2) batches (MessageReader in socket_handle.cc) and error-queue records
// (error_queue.cc): per entry its data, then its address and control bytes ("aux"), all offsets
// from the start of the batch buffer.
namespace message_layout {
enum Field : uint32_t {
  kDataOffset = 0,     // where the datagram's bytes start
  kCaptured = 1,       // bytes kept (at most the slot size)
  kLength = 2,         // the datagram's real length (recvmmsg with MSG_TRUNC)
  kFlags = 3,          // msg_flags (MSG_TRUNC, MSG_CTRUNC, MSG_ERRQUEUE)
  kAuxOffset = 4,      // where its sender address starts; the control data follows it
  kAddressLength = 5,  // msg_namelen, clamped to sizeof(sockaddr_storage)
  kControlLength = 6,  // msg_controllen, clamped to the control slot
  // 7 is always 0, so an entry stays 32 bytes.
};
constexpr uint32_t kStride = 8;
}  // namespace message_layout

// Packet-socket batches (packet_ring.cc: the TPACKET_V3 ring and the recvmmsg packet reader).
namespace packet_layout {
enum Field : uint32_t {
  kDataOffset = 0,        // where the packet's bytes start
  kCaptured = 1,          // bytes captured (snap length applied)
  kLength = 2,            // length on the wire (tp_len)
  kSeconds = 3,           // capture time
  kNanoseconds = 4,       //
  kInterfaceIndex = 5,    // sll_ifindex
  kTypeAddressFlags = 6,  // sll_pkttype | sll_halen << 8 | flags << 16 (kFlag*)
  kProtocolHatype = 7,    // sll_protocol in host order | sll_hatype << 16
  kVlan = 8,              // VLAN TCI | TPID << 16 (valid with kFlagVlan)
  kAddressLow = 9,        // sll_addr bytes 0..3, byte 0 lowest
  kAddressHigh = 10,      // sll_addr bytes 4..7
  kNetworkStatus = 11,    // network header offset | tp_status << 16
};
constexpr uint32_t kStride = 12;
constexpr uint32_t kFlagVlan = 1;   // the kernel removed a VLAN tag (kVlan holds it)
constexpr uint32_t kFlagStale = 4;  // captured under a filter that has since been replaced
}  // namespace packet_layout

}  // namespace rawsock
