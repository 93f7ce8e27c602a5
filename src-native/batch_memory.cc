#include "batch_memory.h"

#include <sys/mman.h>

#include <cerrno>

#include "errors.h"

namespace rawsock {

// What a Buffer's finalizer needs to give its chunk back: the pool stays alive while any of its
// chunks is lent out, even after the socket (and its reader) is gone.
struct BatchMemory::Lease {
  std::shared_ptr<BatchMemory> pool;
  Chunk chunk;
};

namespace {

size_t SizeClass(size_t size, size_t smallest) {
  size_t capacity = smallest;
  while (capacity < size) capacity <<= 1;
  return capacity;
}

}  // namespace

BatchMemory::~BatchMemory() {
  for (const Chunk& chunk : free_) munmap(chunk.data, chunk.capacity);
}

Napi::Buffer<uint8_t> BatchMemory::Take(Napi::Env env, size_t size) {
  const size_t capacity = SizeClass(size == 0 ? 1 : size, kSmallestClass);
  Chunk chunk{nullptr, capacity};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = 0; i < free_.size(); i++) {
      if (free_[i].capacity != capacity) continue;
      chunk = free_[i];
      free_[i] = free_.back();
      free_.pop_back();
      free_bytes_ -= capacity;
      break;
    }
  }
  if (chunk.data != nullptr) {
    recycled_++;
  } else {
    fresh_++;
    void* map = mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) throw ErrnoError(env, errno, "mmap");
    chunk.data = static_cast<uint8_t*>(map);
  }
  auto* lease = new Lease{shared_from_this(), chunk};
  Napi::Buffer<uint8_t> buffer;
  try {
    // NewOrCopy: where external buffers are not allowed (a V8 sandbox) it copies and finalizes
    // at once, so the chunk simply goes back to the pool.
    buffer = Napi::Buffer<uint8_t>::NewOrCopy(env, chunk.data, size, Finalize, lease);
  } catch (...) {
    Give(chunk);
    delete lease;
    throw;
  }
  return buffer;
}

void BatchMemory::Finalize(Napi::Env, uint8_t*, Lease* lease) {
  lease->pool->Give(lease->chunk);
  delete lease;
}

void BatchMemory::Give(Chunk chunk) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_bytes_ + chunk.capacity <= keep_bytes_) {
      free_.push_back(chunk);
      free_bytes_ += chunk.capacity;
      return;
    }
  }
  munmap(chunk.data, chunk.capacity);
}

}  // namespace rawsock
