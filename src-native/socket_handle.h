// SocketHandle: one owned, non-blocking socket descriptor watched by libuv on Node's own loop.
//
// - The descriptor is created by the constructor and closed exactly once: by close(), by the
//   garbage collector, or when the Node environment (main thread or worker) shuts down.
// - Readiness comes from a uv_poll_t (no thread per socket, no timers polling). The poll handle
//   lives in its own allocation that is freed in its close callback, so it can outlive this object.
// - Optional receive coalescing (startReceiving({ coalesceMs })): after a wake-up that emptied the
//   queue, reading rests for coalesceMs (a one-shot uv_timer_t) so that a busy socket is read in
//   larger batches, as a NIC's interrupt coalescing does; the first datagram after a quiet spell
//   is still read at once.
// - What "readable" means is delegated to a Reader: the recvmmsg batch reader here, or the
//   TPACKET_V3 ring reader in packet_ring.cc. Each wake-up does a bounded amount of work.
// - While the socket reads (resting included) or waits to write, the JS object is referenced so it
//   cannot be collected.
#pragma once
#include <napi.h>
#include <node_api.h>
#include <uv.h>

#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <vector>

namespace rawsock {

class SocketHandle;
struct Watch;

// UIO_MAXIOV (1024): the most messages one sendmmsg call takes.
constexpr uint32_t kMaxPerSendmmsg = 1024;

// Drains what is ready on a socket and hands it to JS through SocketHandle::Deliver.
class Reader {
 public:
  virtual ~Reader() = default;
  // Called on each readable wake-up with the handle's HandleScope open. Must not block and must
  // stop once handle.Receiving() turns false (JS paused or closed the socket in a callback).
  // Returns true when it saw the queue empty (not when it stopped for its budget or for JS).
  virtual bool OnReadable(SocketHandle& handle) = 0;
  // Reaches a reader's own interface without RTTI (node-gyp builds with -fno-rtti): returns this
  // reader as the type that `type_id` stands for, or nullptr when it is not one.
  virtual void* As(const void* /*type_id*/) { return nullptr; }
};

class SocketHandle : public Napi::ObjectWrap<SocketHandle> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new SocketHandle(domain, type, protocol). The callbacks are plain properties of the JS object
  // (onMessages, onPackets, onErrorQueue, onWritable, onError), so the closures they capture form an ordinary JS cycle
  // that the garbage collector can reclaim, instead of being pinned by native persistent references.
  explicit SocketHandle(const Napi::CallbackInfo& info);
  ~SocketHandle() override;

  int Fd() const { return fd_; }
  bool Receiving() const { return fd_ >= 0 && receiving_; }
  // Readers report what each read returned: busy-only coalescing rests after a wake-up that
  // found more than one datagram.
  void CountReceived(unsigned count) { wake_received_ += count; }
  // Receive coalescing from a reader's options ({ coalesceMs, coalesceBusyOnly }): startReceiving()
  // for the message reader, attachPacketReader() for the packet socket's recvmmsg reader.
  void SetCoalesce(const Napi::Object& options);
  Napi::Env HandleEnv() const { return Env(); }

  // Replaces the reader (nullptr: removes it). Safe from a callback of the current reader.
  void SetReader(std::unique_ptr<Reader> reader);
  // The installed reader, or nullptr.
  Reader* CurrentReader() const { return reader_.get(); }
  // The error-queue reader (error_queue.cc), run when libuv reports EPOLLERR. Set once; kept
  // until the handle is destroyed, since JS may close the socket from one of its callbacks.
  void SetErrorReader(std::unique_ptr<Reader> reader) { error_reader_ = std::move(reader); }
  Reader* ErrorReader() const { return error_reader_.get(); }

  // The JS callback a reader hands its batches to, one per layout (batch_layout.h):
  // onMessages(data, meta) for recvmmsg datagrams, onPackets(data, meta, byteLength) for packet
  // sockets, onErrorQueue(data, meta) for error-queue records (recvmmsg's layout).
  enum class Batch { kMessages, kPackets, kErrorQueue };

  // Calls the callback for `kind` with `args`. Returns false when JS asked to pause (returned
  // false), closed the socket, or threw (reported as uncaught, like any event-loop callback).
  bool Deliver(Batch kind, const std::initializer_list<napi_value>& args);

  // Calls onError(err) with a Node-style errno error.
  void ReportError(int err, const char* syscall);

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value StartReceiving(const Napi::CallbackInfo& info);
  Napi::Value Pause(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value SendBatch(const Napi::CallbackInfo& info);
  Napi::Value SendStaged(const Napi::CallbackInfo& info);
  Napi::Value AwaitWritable(const Napi::CallbackInfo& info);
  Napi::Value Drain(const Napi::CallbackInfo& info);
  Napi::Value SetRef(const Napi::CallbackInfo& info);

  void PrepareMessages(uint32_t count);
  void AddAddressesAndControls(const Napi::CallbackInfo& info, size_t at, uint32_t total, uint32_t first,
                               uint32_t count);
  Napi::Value SendPrepared(Napi::Env env, uint32_t count);
  void UpdatePoll();
  void CloseNow();
  void Rest();
  uv_loop_t* EventLoop();
  void Adopt(uv_handle_t* handle);
  static void OnPoll(uv_poll_t* poll, int status, int events);
  static void OnRested(uv_timer_t* timer);
  friend struct Watch;
  enum Callback { kOnMessages, kOnPackets, kOnErrorQueue, kOnWritable, kOnError, kCallbackCount };
  Napi::Value Call(Callback callback, const std::initializer_list<napi_value>& args);

  int fd_ = -1;
  Watch* watch_ = nullptr;  // poll handle + teardown hook; freed by libuv's close callback
  int poll_events_ = 0;     // events the poll is started with (0 = stopped)
  bool receiving_ = false;
  uint64_t resumes_ = 0;             // startReceiving()/resume() calls, so Deliver can tell a newer one
  bool resting_ = false;             // coalescing: reading waits for the timer
  uint32_t coalesce_ms_ = 0;         // 0: read on every wake-up
  bool coalesce_busy_only_ = false;  // rest only after a wake-up that read more than one datagram
  unsigned wake_received_ = 0;       // datagrams read since the current wake-up began
  bool want_writable_ = false;
  bool loop_ref_ = true;     // whether an active poll keeps the event loop alive
  bool object_ref_ = false;  // whether we hold a reference on the JS object
  std::unique_ptr<Reader> reader_;
  bool dispatching_ = false;              // a reader's OnReadable is on the stack
  std::unique_ptr<Reader> retired_;       // a reader replaced meanwhile, freed when it returns
  std::unique_ptr<Reader> error_reader_;  // MSG_ERRQUEUE reader, or nullptr
  std::unique_ptr<Napi::AsyncContext> async_context_;
  // The callback property names, made once (an array, since N-API 8 references only objects):
  // building a property key from a C string on every batch costs more than a small batch itself.
  Napi::ObjectReference callback_keys_;
  // sendBatch()/sendStaged() scratch, grown to the largest call (at most kMaxPerSendmmsg).
  std::vector<iovec> send_iov_;
  std::vector<mmsghdr> send_msgs_;
};

// The recvmmsg(2) loop shared by the batch readers (socket_handle.cc, packet_ring.cc): at most
// `budget` calls per wake-up, each after resetting what the kernel overwrote in every slot (name
// and control lengths, flags; slot i's control area is control + i * control_size, or none).
// `deliver(count)` hands a batch to JS and returns false to stop. Stops when the queue is empty
// (a short batch or EAGAIN: returns true then); other errors go to JS as Node-style errors.
template <typename Deliver>
bool ReceiveRounds(SocketHandle& handle, mmsghdr* msgs, unsigned slots, unsigned budget, int flags, socklen_t name_size,
                   uint8_t* control, size_t control_size, Deliver&& deliver) {
  for (unsigned round = 0; round < budget && handle.Receiving(); round++) {
    for (unsigned i = 0; i < slots; i++) {
      msghdr& hdr = msgs[i].msg_hdr;
      hdr.msg_namelen = name_size;
      hdr.msg_control = control_size ? control + i * control_size : nullptr;
      hdr.msg_controllen = control_size;
      hdr.msg_flags = 0;
    }
    int count = recvmmsg(handle.Fd(), msgs, slots, MSG_DONTWAIT | flags, nullptr);
    if (count < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      handle.ReportError(errno, "recvmmsg");
      return false;
    }
    if (count == 0) return true;
    handle.CountReceived(static_cast<unsigned>(count));
    if (!deliver(static_cast<unsigned>(count))) return false;
    if (static_cast<unsigned>(count) < slots) return true;  // the queue is empty
  }
  return false;
}

}  // namespace rawsock
