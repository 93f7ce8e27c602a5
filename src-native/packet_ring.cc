// Receive paths of packet sockets (packet(7)): the TPACKET_V3 mmap ring, and a recvmmsg reader
// for when the ring cannot be set up. Both hand JS the same batch, onPackets(data, meta,
// byteLength): the packets copied back to back into a Buffer, and packet_layout::kStride uint32
// of metadata per packet (batch_layout.h; read by lib/core/batch-layout.ts). Nothing handed to JS
// aliases the ring or a reused receive buffer, except with ring.reuseBatchMemory, where JS was
// told the batch is valid only during the callback.
#include "packet_ring.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "batch_layout.h"
#include "batch_memory.h"
#include "errors.h"
#include "modules.h"
#include "page_buffer.h"
#include "socket_handle.h"

#ifndef TP_STATUS_VLAN_TPID_VALID
#define TP_STATUS_VLAN_TPID_VALID (1 << 6)
#endif

namespace rawsock {

namespace {

constexpr uint32_t kPacketMetaStride = packet_layout::kStride;

// Identifies PacketReader for Reader::As (its address is the id; the value is never read).
constexpr char kPacketReaderType = 0;

struct PacketFields {
  uint32_t captured;
  uint32_t len;
  uint32_t sec;
  uint32_t nsec;
  uint32_t status;
  uint32_t vlan_tci;
  uint16_t vlan_tpid;
  uint16_t net_offset;
  bool stale;
};

inline __attribute__((always_inline)) void WriteMeta(uint32_t* m, uint32_t offset, const PacketFields& f,
                                                     const sockaddr_ll& sll) {
  // packet(7) / tpacket_rcv(): TP_STATUS_VLAN_VALID says a tag was stripped (a TCI of 0 is a
  // valid tag then); older kernels set only the TCI, so a non-zero TCI counts too (as libpcap).
  const bool vlan = (f.status & TP_STATUS_VLAN_VALID) != 0 || f.vlan_tci != 0;
  uint16_t tpid = 0;
  if (vlan) tpid = (f.status & TP_STATUS_VLAN_TPID_VALID) != 0 && f.vlan_tpid != 0 ? f.vlan_tpid : ETH_P_8021Q;
  using namespace packet_layout;
  const uint32_t flags = (vlan ? kFlagVlan : 0) | (f.stale ? kFlagStale : 0);
  const uint32_t halen = sll.sll_halen <= 8 ? sll.sll_halen : 8;
  uint8_t address[8] = {0};
  std::memcpy(address, sll.sll_addr, halen);
  m[kDataOffset] = offset;
  m[kCaptured] = f.captured;
  m[kLength] = f.len;
  m[kSeconds] = f.sec;
  m[kNanoseconds] = f.nsec;
  m[kInterfaceIndex] = sll.sll_ifindex > 0 ? static_cast<uint32_t>(sll.sll_ifindex) : 0;
  m[kTypeAddressFlags] = (sll.sll_pkttype & 0xffu) | (halen << 8) | (flags << 16);
  // packet(7): sll_protocol is in network byte order; JS sees host order.
  m[kProtocolHatype] = static_cast<uint32_t>(ntohs(sll.sll_protocol)) | (static_cast<uint32_t>(sll.sll_hatype) << 16);
  m[kVlan] = (f.vlan_tci & 0xffffu) | (static_cast<uint32_t>(tpid) << 16);
  m[kAddressLow] = address[0] | (address[1] << 8) | (address[2] << 16) | (static_cast<uint32_t>(address[3]) << 24);
  m[kAddressHigh] = address[4] | (address[5] << 8) | (address[6] << 16) | (static_cast<uint32_t>(address[7]) << 24);
  m[kNetworkStatus] = f.net_offset | ((f.status & 0xffffu) << 16);
}

// What both packet readers offer JS besides reading.
class PacketReader : public Reader {
 public:
  void* As(const void* type_id) override { return type_id == &kPacketReaderType ? this : nullptr; }
  // Flags what was captured under the old filter so JS re-checks it with the new one; returns
  // how many ring blocks that covers (0 for the recvmmsg reader, which drains instead).
  virtual unsigned MarkStale(unsigned extra_blocks) = 0;
  virtual const char* Kind() const = 0;
  // The recycled batch memory, when the reader has one.
  virtual const BatchMemory* Memory() const { return nullptr; }
  double malformed_blocks = 0;
};

// --- TPACKET_V3 ring ----------------------------------------------------------------------------

class RingReader : public PacketReader {
 public:
  RingReader(uint8_t* map, size_t block_size, unsigned block_count, uint32_t snaplen, unsigned batch_blocks, bool reuse)
      : map_(map),
        block_size_(block_size),
        block_count_(block_count),
        snaplen_(snaplen),
        batch_blocks_(batch_blocks),
        reuse_(reuse),
        memory_(reuse ? nullptr : std::make_shared<BatchMemory>(static_cast<size_t>(block_size) * block_count)) {}
  // The ring goes with its reader: SocketHandle::CloseNow() drops the reader when the socket
  // closes (after the current callback, if JS closed it from one), not when the GC collects it.
  ~RingReader() override {
    if (map_ != nullptr) munmap(map_, block_size_ * block_count_);
  }

  const char* Kind() const override { return "ring"; }
  const BatchMemory* Memory() const override { return memory_.get(); }

  unsigned MarkStale(unsigned extra_blocks) override {
    unsigned ready = 0;
    while (map_ != nullptr && ready < block_count_ && Ready((current_ + ready) % block_count_)) ready++;
    stale_blocks_ = ready + extra_blocks;
    return stale_blocks_;
  }

  bool OnReadable(SocketHandle& handle) override {
    // At most one lap of the ring per wake-up; batches of up to batch_blocks_ blocks.
    unsigned budget = block_count_;
    while (budget > 0 && map_ != nullptr && handle.Receiving()) {
      unsigned blocks = 0;
      while (blocks < batch_blocks_ && blocks < budget && Ready((current_ + blocks) % block_count_)) blocks++;
      if (blocks == 0) return true;
      budget -= blocks;
      if (!DeliverBlocks(handle, blocks)) return false;
    }
    return false;
  }

 private:
  uint8_t* BlockAt(unsigned index) const { return map_ + static_cast<size_t>(index) * block_size_; }

  // packet_mmap.rst: a block is ours while block_status != TP_STATUS_KERNEL (acquire, so the
  // kernel's writes to the block are visible), and goes back by storing TP_STATUS_KERNEL (release).
  bool Ready(unsigned index) const {
    auto* desc = reinterpret_cast<tpacket_block_desc*>(BlockAt(index));
    return __atomic_load_n(&desc->hdr.bh1.block_status, __ATOMIC_ACQUIRE) != TP_STATUS_KERNEL;
  }
  void Return(unsigned index) {
    auto* desc = reinterpret_cast<tpacket_block_desc*>(BlockAt(index));
    __atomic_store_n(&desc->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  }

  bool DeliverBlocks(SocketHandle& handle, unsigned blocks) {
    Napi::Env env = handle.HandleEnv();
    size_t bytes = 0, count = 0;
    bool malformed = false;
    if (reuse_) {
      // The reused buffer only needs room, not an exact size: bound the bytes and packets from
      // the block descriptors (no packet's data can exceed its block's used length) and walk
      // the blocks once, below.
      for (unsigned b = 0; b < blocks; b++) {
        tpacket_block_desc desc;
        std::memcpy(&desc, BlockAt((current_ + b) % block_count_), sizeof(desc));
        bytes += desc.hdr.bh1.blk_len < block_size_ ? desc.hdr.bh1.blk_len : block_size_;
        const size_t most = block_size_ / kRingMinimumFrame;
        count += desc.hdr.bh1.num_pkts < most ? desc.hdr.bh1.num_pkts : most;
      }
    } else {
      // Fresh memory per batch: size it exactly (a first walk), since every byte costs.
      for (unsigned b = 0; b < blocks; b++) {
        WalkBlock(
            BlockAt((current_ + b) % block_count_), block_size_,
            [&](const RingPacket& p) {
              bytes += p.snaplen < snaplen_ ? p.snaplen : snaplen_;
              count++;
            },
            &malformed);
      }
    }
    // Offsets into the batch are uint32: a batch is at most batch_blocks_ blocks (checked in JS
    // to stay far below 4 GiB), so this only guards against a broken geometry.
    if (bytes > UINT32_MAX) bytes = UINT32_MAX;
    Napi::Buffer<uint8_t> data;
    Napi::Uint32Array meta;
    uint32_t* m = nullptr;
    const size_t meta_at = (bytes + 7) & ~static_cast<size_t>(7);
    if (reuse_) {
      // ring.reuseBatchMemory: one buffer for every batch (JS promised to copy what it keeps),
      // so no fresh pages per batch. It only grows (zeroed once: nothing uninitialized is ever
      // reachable); bytes first, then the metadata, whose view is made after the walk so it
      // covers exactly the packets written now and never a previous batch's entries.
      const size_t need = meta_at + count * kPacketMetaStride * sizeof(uint32_t);
      if (reused_.IsEmpty() || reused_.Value().Length() < need) {
        const size_t size = need > 2 * block_size_ ? need : 2 * block_size_;
        Napi::Buffer<uint8_t> grown = Napi::Buffer<uint8_t>::New(env, size);
        std::memset(grown.Data(), 0, size);
        reused_ = Napi::Persistent(grown);
      }
      data = reused_.Value();
      m = reinterpret_cast<uint32_t*>(data.Data() + meta_at);
    } else if (count > 0) {
      // Recycled memory (batch_memory.h): the bytes, then the metadata, in one chunk, every
      // byte of it written below (the padding now), so nothing of an earlier batch shows through.
      data = memory_->Take(env, meta_at + count * kPacketMetaStride * sizeof(uint32_t));
      std::memset(data.Data() + bytes, 0, meta_at - bytes);
      m = reinterpret_cast<uint32_t*>(data.Data() + meta_at);
    }
    uint8_t* out = data.IsEmpty() ? nullptr : data.Data();
    size_t written = 0, at = 0;
    for (unsigned b = 0; b < blocks; b++) {
      const unsigned index = (current_ + b) % block_count_;
      const bool stale = stale_blocks_ > 0;
      if (stale) stale_blocks_--;
      WalkBlock(
          BlockAt(index), block_size_,
          [&](const RingPacket& p) {
            const uint32_t captured = p.snaplen < snaplen_ ? p.snaplen : snaplen_;
            // The block did not change since the first pass (it is ours), but never trust it
            // (and with no packets counted there is no memory: out is null).
            if (out == nullptr || written >= count || captured > bytes - at) return;
            std::memcpy(out + at, p.data, captured);
            PacketFields f{captured, p.len, p.sec, p.nsec, p.status, p.vlan_tci, p.vlan_tpid, p.net_offset, stale};
            WriteMeta(m + written * kPacketMetaStride, static_cast<uint32_t>(at), f, p.address);
            at += captured;
            written++;
          },
          &malformed);
      if (malformed) malformed_blocks++;
      Return(index);
    }
    current_ = (current_ + blocks) % block_count_;
    if (count == 0) return true;
    if (!reuse_) {
      // The walks agree (the blocks are ours), but after a malformed block less was written.
      std::memset(out + at, 0, bytes - at);
      std::memset(m + written * kPacketMetaStride, 0, (count - written) * kPacketMetaStride * sizeof(uint32_t));
    }
    if (written == 0) return true;
    meta = Napi::Uint32Array::New(env, written * kPacketMetaStride, data.ArrayBuffer(), data.ByteOffset() + meta_at);
    // byteLength: the buffer also holds the metadata (and, reused, may be larger than the batch).
    return handle.Deliver(SocketHandle::Batch::kPackets, {data, meta, Napi::Number::New(env, static_cast<double>(at))});
  }

  uint8_t* map_;
  size_t block_size_;
  unsigned block_count_;
  uint32_t snaplen_;
  unsigned batch_blocks_;
  unsigned current_ = 0;       // the next block the kernel hands over (blocks are filled in order)
  unsigned stale_blocks_ = 0;  // blocks still to flag as captured under the previous filter
  bool reuse_;
  Napi::Reference<Napi::Buffer<uint8_t>> reused_;
  // Batch memory when not reused. It keeps at most the ring's size of free chunks: the memory
  // budget the ring's geometry already chose.
  std::shared_ptr<BatchMemory> memory_;
};

// --- recvmmsg fallback ----------------------------------------------------------------------------

class MessagePacketReader : public PacketReader {
 public:
  MessagePacketReader(PageBuffer data, unsigned slots, size_t slot_size, uint32_t snaplen, unsigned budget)
      : slots_(slots),
        slot_size_(slot_size),
        snaplen_(snaplen),
        budget_(budget),
        data_(std::move(data)),
        names_(slots),
        control_(slots * kControlSize),
        iov_(slots),
        msgs_(slots) {
    for (unsigned i = 0; i < slots_; i++) {
      iov_[i].iov_base = data_.data() + i * slot_size_;
      iov_[i].iov_len = slot_size_;
      msgs_[i].msg_hdr.msg_iov = &iov_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
      msgs_[i].msg_hdr.msg_name = &names_[i];
    }
  }

  const char* Kind() const override { return "recvmmsg"; }
  unsigned MarkStale(unsigned) override { return 0; }

  bool OnReadable(SocketHandle& handle) override {
    // MSG_TRUNC: packet(7) then reports the real length of a packet longer than the slot.
    return ReceiveRounds(handle, msgs_.data(), slots_, budget_, MSG_TRUNC, sizeof(sockaddr_ll), control_.data(),
                         kControlSize, [&](unsigned count) { return DeliverBatch(handle, count); });
  }

 private:
  static constexpr size_t kControlSize = CMSG_SPACE(sizeof(tpacket_auxdata)) + CMSG_SPACE(sizeof(timespec)) + 64;

  uint32_t Captured(unsigned i) const {
    size_t captured = msgs_[i].msg_len;
    if (captured > slot_size_) captured = slot_size_;
    if (captured > snaplen_) captured = snaplen_;
    return static_cast<uint32_t>(captured);
  }

  bool DeliverBatch(SocketHandle& handle, unsigned count) {
    Napi::Env env = handle.HandleEnv();
    size_t bytes = 0;
    for (unsigned i = 0; i < count; i++) bytes += Captured(i);
    Napi::Buffer<uint8_t> data = Napi::Buffer<uint8_t>::New(env, bytes);
    Napi::Uint32Array meta = Napi::Uint32Array::New(env, count * kPacketMetaStride);
    size_t at = 0;
    timespec now{0, 0};
    for (unsigned i = 0; i < count; i++) {
      msghdr& hdr = msgs_[i].msg_hdr;
      const uint32_t captured = Captured(i);
      std::memcpy(data.Data() + at, iov_[i].iov_base, captured);
      sockaddr_ll sll{};
      std::memcpy(&sll, &names_[i], hdr.msg_namelen < sizeof(sll) ? hdr.msg_namelen : sizeof(sll));
      PacketFields f{captured, msgs_[i].msg_len, 0, 0, 0, 0, 0, 0, false};
      bool stamped = false;
      // CMSG_NXTHDR checks each header against msg_controllen, which the kernel set.
      for (cmsghdr* c = CMSG_FIRSTHDR(&hdr); c != nullptr; c = CMSG_NXTHDR(&hdr, c)) {
        if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA &&
            c->cmsg_len >= CMSG_LEN(sizeof(tpacket_auxdata))) {
          tpacket_auxdata aux;
          std::memcpy(&aux, CMSG_DATA(c), sizeof(aux));
          f.len = aux.tp_len;  // the length before the filter's snap length cut
          f.status = aux.tp_status;
          f.vlan_tci = aux.tp_vlan_tci;
          f.vlan_tpid = aux.tp_vlan_tpid;
          f.net_offset = aux.tp_net;
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
                   c->cmsg_len >= CMSG_LEN(sizeof(timespec))) {
          timespec ts;
          std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
          f.sec = static_cast<uint32_t>(ts.tv_sec);
          f.nsec = static_cast<uint32_t>(ts.tv_nsec);
          stamped = true;
        }
      }
      if (!stamped) {
        if (now.tv_sec == 0) clock_gettime(CLOCK_REALTIME, &now);
        f.sec = static_cast<uint32_t>(now.tv_sec);
        f.nsec = static_cast<uint32_t>(now.tv_nsec);
      }
      WriteMeta(meta.Data() + i * kPacketMetaStride, static_cast<uint32_t>(at), f, sll);
      at += captured;
    }
    return handle.Deliver(SocketHandle::Batch::kPackets, {data, meta, Napi::Number::New(env, static_cast<double>(at))});
  }

  unsigned slots_;
  size_t slot_size_;
  uint32_t snaplen_;
  unsigned budget_;
  PageBuffer data_;  // slots * slot_size bytes, faulted in only where datagrams land
  std::vector<sockaddr_ll> names_;
  std::vector<uint8_t> control_;
  std::vector<iovec> iov_;
  std::vector<mmsghdr> msgs_;
};

// --- bindings ----------------------------------------------------------------------------------------

SocketHandle* HandleArg(const Napi::CallbackInfo& info) {
  if (!info[0].IsObject()) throw ArgTypeError(info.Env(), "handle must be a SocketHandle");
  SocketHandle* handle = SocketHandle::Unwrap(info[0].As<Napi::Object>());
  if (handle == nullptr) throw ArgTypeError(info.Env(), "handle must be a SocketHandle");
  if (handle->Fd() < 0) {
    Napi::Error error = Napi::Error::New(info.Env(), "Socket is closed");
    error.Set("code", Napi::String::New(info.Env(), "ERR_SOCKET_CLOSED"));
    throw error;
  }
  return handle;
}

Napi::Object OptionsArg(const Napi::CallbackInfo& info) {
  if (!info[1].IsObject()) throw ArgTypeError(info.Env(), "options must be an object");
  return info[1].As<Napi::Object>();
}

// attachRing(handle, { blockSize, blockCount, frameSize, retireTimeoutMs, snapLength, batchBlocks })
// Sets PACKET_VERSION = TPACKET_V3 and PACKET_RX_RING, maps the ring and installs its reader.
// Call before bind(): allocating a ring on a bound socket drops packets (libpcap binds last too).
Napi::Value AttachRing(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SocketHandle* handle = HandleArg(info);
  Napi::Object options = OptionsArg(info);
  const uint32_t page = static_cast<uint32_t>(sysconf(_SC_PAGESIZE));
  const uint32_t block_size = UintOption(options, "blockSize", 1u << 20, page, 1u << 30);
  const uint32_t block_count = UintOption(options, "blockCount", 8, 1, 65536);
  const uint32_t frame_size = UintOption(options, "frameSize", 2048, TPACKET_ALIGNMENT, block_size);
  const uint32_t retire = UintOption(options, "retireTimeoutMs", 10, 0, 60000);
  const uint32_t snaplen = UintOption(options, "snapLength", 262144, 1, UINT32_MAX);
  const uint32_t batch_blocks = UintOption(options, "batchBlocks", 4, 1, 64);
  const bool reuse = options.Get("reuseBatchMemory").ToBoolean().Value();
  if (block_size % page != 0) throw ArgRangeError(env, "blockSize must be a multiple of the page size");
  if (frame_size % TPACKET_ALIGNMENT != 0) throw ArgRangeError(env, "frameSize must be a multiple of 16");
  if (static_cast<uint64_t>(block_size) * block_count > (1ull << 32)) {
    throw ArgRangeError(env, "blockSize * blockCount must not exceed 4 GiB");
  }
  const int fd = handle->Fd();
  int version = TPACKET_V3;
  if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) != 0) {
    throw ErrnoError(env, errno, "setsockopt");
  }
  tpacket_req3 req{};
  req.tp_block_size = block_size;
  req.tp_block_nr = block_count;
  req.tp_frame_size = frame_size;
  req.tp_frame_nr = (block_size / frame_size) * block_count;
  req.tp_retire_blk_tov = retire;  // 0: the kernel derives one from the link speed
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) != 0) {
    throw ErrnoError(env, errno, "setsockopt");
  }
  const size_t length = static_cast<size_t>(block_size) * block_count;
  void* map = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    int err = errno;
    tpacket_req3 none{};  // frees the ring again so the socket can still be read with recvmmsg
    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &none, sizeof(none));
    throw ErrnoError(env, err, "mmap");
  }
  handle->SetReader(
      std::make_unique<RingReader>(static_cast<uint8_t*>(map), block_size, block_count, snaplen, batch_blocks, reuse));
  return env.Undefined();
}

// attachPacketReader(handle, { slots, slotSize, snapLength, budget, coalesceMs, coalesceBusyOnly }):
// the recvmmsg reader (coalescing as startReceiving's), with
// PACKET_AUXDATA (original length, VLAN tag, tp_status) and SO_TIMESTAMPNS turned on.
Napi::Value AttachPacketReader(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SocketHandle* handle = HandleArg(info);
  Napi::Object options = OptionsArg(info);
  const uint32_t slots = UintOption(options, "slots", 64, 1, 1024);
  const uint32_t slot_size = UintOption(options, "slotSize", 65600, 64, 1u << 20);
  const uint32_t snaplen = UintOption(options, "snapLength", 262144, 1, UINT32_MAX);
  const uint32_t budget = UintOption(options, "budget", 4, 1, 1024);
  if (static_cast<uint64_t>(slots) * slot_size > (64u << 20)) {
    throw ArgRangeError(env, "slots * slotSize must not exceed 64 MiB");
  }
  int on = 1;
  if (setsockopt(handle->Fd(), SOL_PACKET, PACKET_AUXDATA, &on, sizeof(on)) != 0 ||
      setsockopt(handle->Fd(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) != 0) {
    throw ErrnoError(env, errno, "setsockopt");
  }
  PageBuffer data;
  if (int err = data.Map(static_cast<size_t>(slots) * slot_size)) throw ErrnoError(env, err, "mmap");
  handle->SetCoalesce(options);
  handle->SetReader(std::make_unique<MessagePacketReader>(std::move(data), slots, slot_size, snaplen, budget));
  return env.Undefined();
}

PacketReader* PacketReaderOf(const Napi::CallbackInfo& info) {
  if (!info[0].IsObject()) throw ArgTypeError(info.Env(), "handle must be a SocketHandle");
  SocketHandle* handle = SocketHandle::Unwrap(info[0].As<Napi::Object>());
  Reader* reader = handle == nullptr ? nullptr : handle->CurrentReader();
  void* packet = reader == nullptr ? nullptr : reader->As(&kPacketReaderType);
  return static_cast<PacketReader*>(packet);
}

// markStale(handle, extraBlocks) -> ring blocks whose packets will carry the stale flag.
Napi::Value MarkStale(const Napi::CallbackInfo& info) {
  PacketReader* reader = PacketReaderOf(info);
  uint32_t extra = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
  if (extra > 64) extra = 64;
  return Napi::Number::New(info.Env(), reader == nullptr ? 0 : reader->MarkStale(extra));
}

// packetReaderInfo(handle) -> { kind: 'ring' | 'recvmmsg', malformedBlocks, freshBatches?,
// recycledBatches? } or null.
Napi::Value Info(const Napi::CallbackInfo& info) {
  PacketReader* reader = PacketReaderOf(info);
  if (reader == nullptr) return info.Env().Null();
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("kind", Napi::String::New(info.Env(), reader->Kind()));
  result.Set("malformedBlocks", Napi::Number::New(info.Env(), reader->malformed_blocks));
  if (const BatchMemory* memory = reader->Memory()) {
    result.Set("freshBatches", Napi::Number::New(info.Env(), memory->Fresh()));
    result.Set("recycledBatches", Napi::Number::New(info.Env(), memory->Recycled()));
  }
  return result;
}

}  // namespace

void InitPacketRing(Napi::Env env, Napi::Object exports) {
  Napi::Object packet = Napi::Object::New(env);
  packet.Set("attachRing", Napi::Function::New(env, AttachRing, "attachRing"));
  packet.Set("attachPacketReader", Napi::Function::New(env, AttachPacketReader, "attachPacketReader"));
  packet.Set("markStale", Napi::Function::New(env, MarkStale, "markStale"));
  packet.Set("info", Napi::Function::New(env, Info, "info"));
  packet.Set("pageSize", Napi::Number::New(env, static_cast<double>(sysconf(_SC_PAGESIZE))));
  exports.Set("packet", packet);
}

}  // namespace rawsock
