// libFuzzer target: rawsock::WalkBlock (src-native/packet_ring.h) over arbitrary bytes.
//
// The ring reader walks blocks the kernel wrote into shared memory; every count and offset in
// them is treated as hostile. The input is copied into a heap allocation of exactly its size, so
// AddressSanitizer reports any read outside the block, and each visited packet is checked
// against what WalkBlock promises (its frame lies inside the block; the walk is bounded by
// size / kRingMinimumFrame whatever num_pkts claims). Built and run by fuzz/build.sh.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "../src-native/packet_ring.h"

namespace {

void Check(bool ok) {
  if (!ok) abort();  // an invariant broke: libFuzzer saves the input as a crash
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<uint8_t[]> block(new uint8_t[size ? size : 1]);
  if (size) std::memcpy(block.get(), data, size);
  const uint8_t* begin = block.get();
  const uint8_t* end = begin + size;

  size_t seen = 0;
  uint64_t sum = 0;
  bool malformed = false;
  const size_t visited = rawsock::WalkBlock(
      size ? begin : nullptr, size,
      [&](const rawsock::RingPacket& p) {
        Check(p.data >= begin + rawsock::kRingMinimumFrame && p.data <= end);
        Check(p.snaplen <= static_cast<size_t>(end - p.data));
        Check(p.address.sll_halen <= sizeof(p.address.sll_addr));
        // Touch every byte the reader would copy to JS (ASan checks each access).
        for (uint32_t i = 0; i < p.snaplen; i++) sum += p.data[i];
        for (uint8_t i = 0; i < p.address.sll_halen; i++) sum += p.address.sll_addr[i];
        seen++;
      },
      &malformed);
  Check(visited == seen);
  Check(visited <= size / rawsock::kRingMinimumFrame + 1);
  if (size < sizeof(tpacket_block_desc)) Check(malformed && visited == 0);
  // RING_FUZZ_VERBOSE=1 (with -runs=0 over the seed corpus) shows that the seeds are well formed.
  static const bool verbose = std::getenv("RING_FUZZ_VERBOSE") != nullptr;
  if (verbose)
    std::fprintf(stderr, "ring_block_fuzzer: %zu bytes, %zu packets, malformed=%d\n", size, visited, malformed);
  // Keep `sum` observable so the reads are not optimised away.
  if (sum == 0xdeadbeefcafef00dULL) std::abort();
  return 0;
}
