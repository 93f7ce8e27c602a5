// BatchMemory: the memory of the batches a packet socket hands JS, recycled once the garbage
// collector has proved that no view of it is left.
//
// Why: a batch must be memory of its own (a delivered packet's bytes never change), and fresh
// memory per batch was the largest cost of receiving after the copy: a few hundred KiB per batch
// is an mmap in malloc, so every 4 KiB of packets took a page fault and the kernel's zeroing, and
// later an munmap. Here a batch is an external Buffer over a pooled chunk; its finalizer (run on
// the JS thread once the ArrayBuffer is collected) gives the chunk back, already faulted in. V8
// counts each Buffer's bytes as external memory, as for any Buffer, so memory JS still holds
// pushes the GC as before.
//
// Chunks come in power-of-two size classes (64 KiB up), so a batch kept alive holds at most
// twice its size; at most `keep_bytes` of free chunks are kept, the rest go back to the system.
// Recycling needs the GC to run: loops that make an object per packet trigger young-generation
// collections often and nearly every chunk comes back (bench/capture: 13 of 256 batches fresh);
// a loop over whole batches allocates so little that chunks wait for a full collection.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace rawsock {

class BatchMemory : public std::enable_shared_from_this<BatchMemory> {
 public:
  explicit BatchMemory(size_t keep_bytes) : keep_bytes_(keep_bytes) {}
  ~BatchMemory();
  BatchMemory(const BatchMemory&) = delete;
  BatchMemory& operator=(const BatchMemory&) = delete;

  // A Buffer of exactly `size` bytes. Its contents are stale (an earlier batch's): the caller
  // writes every byte. Throws a JS error (ENOMEM) when no memory can be mapped.
  Napi::Buffer<uint8_t> Take(Napi::Env env, size_t size);

  // How many Take() calls mapped new memory, and how many got a chunk back from the pool.
  double Fresh() const { return static_cast<double>(fresh_); }
  double Recycled() const { return static_cast<double>(recycled_); }

 private:
  struct Chunk {
    uint8_t* data;
    size_t capacity;
  };
  struct Lease;
  static constexpr size_t kSmallestClass = 64 * 1024;
  static void Finalize(Napi::Env env, uint8_t* data, Lease* lease);
  void Give(Chunk chunk);

  const size_t keep_bytes_;
  std::mutex mutex_;  // finalizers run on the JS thread; the lock costs nothing uncontended
  std::vector<Chunk> free_;
  size_t free_bytes_ = 0;
  size_t fresh_ = 0, recycled_ = 0;
};

}  // namespace rawsock
