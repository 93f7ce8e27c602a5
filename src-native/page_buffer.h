// PageBuffer: a receive buffer of whole pages, mapped with mmap(2) and unmapped when it goes.
//
// Why not std::vector: a vector zero-fills, so every open socket made its whole receive area
// resident at once (64 slots x 64 KiB: 4 MiB for a packet socket's recvmmsg reader) before a
// single datagram arrived. Anonymous pages are faulted in only where the kernel writes a
// datagram. And malloc keeps freed multi-MiB blocks in per-thread arenas (its mmap threshold
// rises after the first large free), so closed sockets' memory stayed in the process; munmap
// gives it back to the system the moment the reader is destroyed.
//
// Nothing uninitialized reaches JS: readers copy out only the bytes recvmmsg reported written.
#pragma once
#include <sys/mman.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace rawsock {

class PageBuffer {
 public:
  PageBuffer() = default;
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;
  PageBuffer(PageBuffer&& other) noexcept : data_(other.data_), size_(other.size_) {
    other.data_ = nullptr;
    other.size_ = 0;
  }
  ~PageBuffer() { Unmap(); }

  // Maps `size` bytes (at least one page). Returns 0, or the errno of mmap (ENOMEM).
  int Map(size_t size) {
    Unmap();
    if (size == 0) size = 1;
    void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) return errno;
    data_ = static_cast<uint8_t*>(map);
    size_ = size;
    return 0;
  }

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void Unmap() {
    if (data_ != nullptr) munmap(data_, size_);
    data_ = nullptr;
    size_ = 0;
  }

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace rawsock
