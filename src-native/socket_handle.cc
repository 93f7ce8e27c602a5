#include "socket_handle.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "batch_layout.h"
#include "errors.h"
#include "modules.h"
#include "page_buffer.h"
#include "send.h"

namespace rawsock {

// The libuv side of a socket. It is separate from SocketHandle because libuv finishes closing a
// handle later, in a callback, possibly after the JS object was collected. It also carries the
// environment-teardown hook: the hook stays registered until the poll handle is fully closed, so
// a worker's event loop is never closed with our handle still in it.
struct Watch {
  uv_poll_t poll;
  uv_timer_t timer;  // receive coalescing (SocketHandle::Rest)
  bool poll_initialised = false;
  bool timer_initialised = false;
  unsigned open_handles = 0;  // initialised handles not yet closed by libuv
  bool closing = false;
  SocketHandle* owner = nullptr;  // cleared when the owner closes
  napi_async_cleanup_hook_handle hook = nullptr;

  static void Finish(Watch* watch) {
    if (watch->hook != nullptr) napi_remove_async_cleanup_hook(watch->hook);
    delete watch;
  }

  static void OnClosed(uv_handle_t* handle) {
    Watch* watch = static_cast<Watch*>(handle->data);
    if (--watch->open_handles == 0) Finish(watch);
  }

  // Stops watching and frees this Watch once libuv is done with its handles. Idempotent.
  static void Shutdown(Watch* watch) {
    if (watch->closing) return;
    watch->closing = true;
    watch->owner = nullptr;
    if (watch->open_handles == 0) {
      Finish(watch);
      return;
    }
    if (watch->poll_initialised) {
      uv_poll_stop(&watch->poll);
      uv_close(reinterpret_cast<uv_handle_t*>(&watch->poll), OnClosed);
    }
    if (watch->timer_initialised) {
      uv_timer_stop(&watch->timer);
      uv_close(reinterpret_cast<uv_handle_t*>(&watch->timer), OnClosed);
    }
  }

  // The Node environment (main thread or worker) is shutting down: close the socket now.
  static void OnTeardown(napi_async_cleanup_hook_handle, void* arg) {
    Watch* watch = static_cast<Watch*>(arg);
    if (watch->owner != nullptr) {
      watch->owner->CloseNow();  // calls Shutdown
    } else {
      Shutdown(watch);  // no-op when already closing: Finish removes the hook later
    }
  }
};

namespace {

// recvmmsg(2) batch reader: up to `slots` datagrams per call, `budget` calls per wake-up. Each
// batch is copied, compacted, into fresh JS buffers, so no view handed to JS ever aliases memory
// that the next batch reuses.
class MessageReader : public Reader {
 public:
  MessageReader(PageBuffer data, unsigned slots, size_t slot_size, size_t control_size, int flags, unsigned budget)
      : slots_(slots),
        slot_size_(slot_size),
        control_size_(control_size),
        flags_(flags),
        budget_(budget),
        data_(std::move(data)),
        names_(slots),
        control_(slots * control_size),
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

  bool OnReadable(SocketHandle& handle) override {
    return ReceiveRounds(handle, msgs_.data(), slots_, budget_, flags_, sizeof(sockaddr_storage), control_.data(),
                         control_size_, [&](unsigned count) { return DeliverBatch(handle, count); });
  }

 private:
  // Batches are copied into an arena: a JS Buffer filled from the front, batch after batch, and
  // replaced by a new one when full, never rewound. So no view handed to JS is ever overwritten,
  // and a small batch (the common case when the reader keeps up with the sender: a few datagrams
  // per wake-up) costs no allocation of its own. Per batch: the datagrams back to back, then each
  // one's address and control data (aux), then message_layout::kStride uint32 of metadata per
  // message (batch_layout.h). Offsets are from the start of the arena, which JS gets as `data`,
  // with a Uint32Array view of the metadata: onMessages(data, meta). Arenas are zeroed when made: nothing uninitialized
  // is ever reachable from JS.
  bool DeliverBatch(SocketHandle& handle, unsigned count) {
    Napi::Env env = handle.HandleEnv();
    size_t data_total = 0, aux_total = 0;
    for (unsigned i = 0; i < count; i++) {
      data_total += Captured(i);
      aux_total += AddressLength(i) + ControlLength(i);
    }
    const size_t meta_offset = (data_total + aux_total + 3) & ~static_cast<size_t>(3);
    const size_t need = meta_offset + count * message_layout::kStride * sizeof(uint32_t);
    size_t start = (arena_used_ + 7) & ~static_cast<size_t>(7);
    if (arena_.IsEmpty() || start + need > arena_.Value().Length()) {
      // 64 KiB: below malloc's mmap threshold, so arenas come from (and return to) its heap;
      // and a message kept for long holds at most that much memory alive.
      const size_t size = need > kArenaSize ? need : kArenaSize;
      Napi::Buffer<uint8_t> fresh = Napi::Buffer<uint8_t>::New(env, size);
      memset(fresh.Data(), 0, size);
      arena_ = Napi::Persistent(fresh);
      start = 0;
    }
    Napi::Buffer<uint8_t> arena = arena_.Value();
    uint8_t* out = arena.Data();
    uint32_t* m = reinterpret_cast<uint32_t*>(out + start + meta_offset);
    size_t data_at = start, aux_at = start + data_total;
    for (unsigned i = 0; i < count; i++, m += message_layout::kStride) {
      const msghdr& hdr = msgs_[i].msg_hdr;
      size_t captured = Captured(i), address = AddressLength(i), control = ControlLength(i);
      if (captured) memcpy(out + data_at, iov_[i].iov_base, captured);
      if (address) memcpy(out + aux_at, &names_[i], address);
      if (control) memcpy(out + aux_at + address, hdr.msg_control, control);
      using namespace message_layout;
      m[kDataOffset] = static_cast<uint32_t>(data_at);
      m[kCaptured] = static_cast<uint32_t>(captured);
      m[kLength] = msgs_[i].msg_len;  // with MSG_TRUNC: the datagram's real length
      m[kFlags] = static_cast<uint32_t>(hdr.msg_flags);
      m[kAuxOffset] = static_cast<uint32_t>(aux_at);
      m[kAddressLength] = static_cast<uint32_t>(address);
      m[kControlLength] = static_cast<uint32_t>(control);
      data_at += captured;
      aux_at += address + control;
    }
    arena_used_ = start + need;
    Napi::Uint32Array meta = Napi::Uint32Array::New(env, count * message_layout::kStride, arena.ArrayBuffer(),
                                                    arena.ByteOffset() + start + meta_offset);
    return handle.Deliver(SocketHandle::Batch::kMessages, {arena, meta});
  }

  size_t Captured(unsigned i) const { return msgs_[i].msg_len < slot_size_ ? msgs_[i].msg_len : slot_size_; }
  size_t AddressLength(unsigned i) const {
    socklen_t length = msgs_[i].msg_hdr.msg_namelen;
    return length < sizeof(sockaddr_storage) ? length : sizeof(sockaddr_storage);
  }
  size_t ControlLength(unsigned i) const {
    size_t length = msgs_[i].msg_hdr.msg_controllen;
    return length < control_size_ ? length : control_size_;
  }

  unsigned slots_;
  size_t slot_size_;
  size_t control_size_;
  int flags_;
  unsigned budget_;
  PageBuffer data_;  // slots * slot_size bytes, faulted in only where datagrams land
  std::vector<sockaddr_storage> names_;
  std::vector<uint8_t> control_;
  std::vector<iovec> iov_;
  std::vector<mmsghdr> msgs_;
  static constexpr size_t kArenaSize = 64 * 1024;
  Napi::Reference<Napi::Buffer<uint8_t>> arena_;
  size_t arena_used_ = 0;
};

// Reports an exception caught in a libuv callback as uncaught. In an environment being torn down
// (a worker terminated while data arrives: Node's CleanupHandles still runs the loop) a wrapper's
// allocation fails and even reading the error's value throws; nothing can be reported then, and
// an exception must not unwind into libuv (std::terminate).
void ReportUncaught(napi_env env, const Napi::Error& error) {
  try {
    napi_fatal_exception(env, error.Value());
  } catch (...) {
  }
}

bool IsRetryable(int err) {
  return err == EAGAIN || err == EWOULDBLOCK;
}

}  // namespace

Napi::Function SocketHandle::Define(Napi::Env env) {
  return DefineClass(env, "SocketHandle",
                     {
                         InstanceAccessor<&SocketHandle::GetFd>("fd"),
                         InstanceMethod<&SocketHandle::Close>("close"),
                         InstanceMethod<&SocketHandle::StartReceiving>("startReceiving"),
                         InstanceMethod<&SocketHandle::Pause>("pause"),
                         InstanceMethod<&SocketHandle::Resume>("resume"),
                         InstanceMethod<&SocketHandle::Send>("send"),
                         InstanceMethod<&SocketHandle::SendBatch>("sendBatch"),
                         InstanceMethod<&SocketHandle::SendStaged>("sendStaged"),
                         InstanceMethod<&SocketHandle::AwaitWritable>("awaitWritable"),
                         InstanceMethod<&SocketHandle::Drain>("drain"),
                         InstanceMethod<&SocketHandle::SetRef>("setRef"),
                     });
}

SocketHandle::SocketHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SocketHandle>(info) {
  Napi::Env env = info.Env();
  int domain = IntArg(info, 0, "domain");
  int type = IntArg(info, 1, "type");
  int protocol = IntArg(info, 2, "protocol");
  // Non-blocking from birth (readiness comes from libuv) and never inherited by child processes.
  fd_ = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd_ < 0) throw ErrnoError(env, errno, "socket");
  // No destructor runs for a constructor that throws, and every N-API call below can fail: a
  // worker being terminated refuses napi_set_element (it cannot run JS) while its code is still in
  // here. The descriptor must not outlive such a failure.
  try {
    async_context_ = std::make_unique<Napi::AsyncContext>(env, "rawsock:SocketHandle");
    const char* names[kCallbackCount] = {"onMessages", "onPackets", "onErrorQueue", "onWritable", "onError"};
    Napi::Array keys = Napi::Array::New(env, kCallbackCount);
    for (uint32_t i = 0; i < kCallbackCount; i++) keys.Set(i, Napi::String::New(env, names[i]));
    callback_keys_ = Napi::Persistent(static_cast<Napi::Object>(keys));
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
  watch_ = new Watch();
  watch_->owner = this;
  napi_status status = napi_add_async_cleanup_hook(env, Watch::OnTeardown, watch_, &watch_->hook);
  if (status != napi_ok) {
    delete watch_;
    watch_ = nullptr;
    ::close(fd_);
    fd_ = -1;
    throw Napi::Error::New(env, "rawsock: cannot register the environment cleanup hook");
  }
}

SocketHandle::~SocketHandle() {
  // The collector finalizes an object only once nothing references it, so object_ref_ is false
  // here and CloseNow() makes no N-API call that could throw; the catch keeps a destructor from
  // ever letting an exception out (std::terminate) should that assumption break.
  try {
    CloseNow();
  } catch (...) {
  }
}

void SocketHandle::CloseNow() {
  if (fd_ < 0) return;
  receiving_ = false;
  want_writable_ = false;
  poll_events_ = 0;
  if (watch_ != nullptr) {
    Watch* watch = watch_;
    watch_ = nullptr;
    Watch::Shutdown(watch);  // stops the poll before the descriptor is closed
  }
  ::close(fd_);
  fd_ = -1;
  // The reader's buffers (recvmmsg slots up to 64 MiB, the packet ring's slabs) go now, not when
  // the garbage collector finalizes this object: V8 cannot see that memory, so a program that
  // opens and closes sockets would otherwise hold gigabytes before a collection happens.
  SetReader(nullptr);
  if (object_ref_) {
    object_ref_ = false;
    Unref();
  }
}

void SocketHandle::SetReader(std::unique_ptr<Reader> reader) {
  // From inside the current reader's OnReadable (JS closed the socket or changed the receive
  // options in a callback) the old reader's frames are still on the stack: keep it alive until
  // OnPoll is back (it stops there, as Receiving() or its own checks say).
  if (dispatching_ && reader_) retired_ = std::move(reader_);
  reader_ = std::move(reader);
}

void SocketHandle::UpdatePoll() {
  if (fd_ < 0 || watch_ == nullptr) return;
  const bool reading = receiving_ && reader_;
  int events = 0;
  if (reading && !resting_) events |= UV_READABLE;
  if (want_writable_) events |= UV_WRITABLE;
  // The JS object stays referenced while it reads (resting included) or waits to write.
  const bool wanted = reading || want_writable_;
  if (wanted && !object_ref_) {
    object_ref_ = true;
    Ref();
  } else if (!wanted && object_ref_) {
    object_ref_ = false;
    Unref();
  }
  if (events == poll_events_) return;
  if (events == 0) {
    uv_poll_stop(&watch_->poll);
    poll_events_ = 0;
    return;
  }
  if (!watch_->poll_initialised) {
    uv_loop_t* loop = EventLoop();
    if (loop == nullptr) throw Napi::Error::New(Env(), "rawsock: no event loop");
    int rc = uv_poll_init_socket(loop, &watch_->poll, fd_);
    if (rc != 0) throw ErrnoError(Env(), -rc, "uv_poll_init");
    Adopt(reinterpret_cast<uv_handle_t*>(&watch_->poll));
    watch_->poll_initialised = true;
  }
  int rc = uv_poll_start(&watch_->poll, events, OnPoll);
  if (rc != 0) throw ErrnoError(Env(), -rc, "uv_poll_start");
  poll_events_ = events;
}

uv_loop_t* SocketHandle::EventLoop() {
  uv_loop_t* loop = nullptr;
  return napi_get_uv_event_loop(Env(), &loop) == napi_ok ? loop : nullptr;
}

// A handle of watch_ just initialised: closed with the Watch (Shutdown), and keeping the loop
// alive only as setRef() says.
void SocketHandle::Adopt(uv_handle_t* handle) {
  handle->data = watch_;
  watch_->open_handles++;
  if (!loop_ref_) uv_unref(handle);
}

// Receive coalescing: stop reading for coalesce_ms_, then read again (OnRested). While resting
// the timer keeps the loop alive as the poll did (unless setRef(false)).
void SocketHandle::Rest() {
  if (watch_ == nullptr) return;
  if (!watch_->timer_initialised) {
    uv_loop_t* loop = EventLoop();
    if (loop == nullptr || uv_timer_init(loop, &watch_->timer) != 0) return;
    Adopt(reinterpret_cast<uv_handle_t*>(&watch_->timer));
    watch_->timer_initialised = true;
  }
  if (uv_timer_start(&watch_->timer, OnRested, coalesce_ms_, 0) != 0) return;  // then read at once
  resting_ = true;
  UpdatePoll();
}

void SocketHandle::OnRested(uv_timer_t* timer) {
  Watch* watch = static_cast<Watch*>(timer->data);
  SocketHandle* self = watch->owner;
  if (self == nullptr || self->fd_ < 0) return;
  Napi::HandleScope scope(self->Env());
  self->resting_ = false;
  try {
    self->UpdatePoll();
  } catch (const Napi::Error& error) {
    ReportUncaught(self->Env(), error);
  }
}

void SocketHandle::OnPoll(uv_poll_t* poll, int status, int events) {
  Watch* watch = static_cast<Watch*>(poll->data);
  SocketHandle* self = watch->owner;
  if (self == nullptr || self->fd_ < 0) return;
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  try {
    if (status < 0) {
      // libuv turns EPOLLERR into UV_EBADF and stops the handle. On a live socket EPOLLERR means
      // a pending socket error (an ICMP port unreachable makes ECONNREFUSED on a connected
      // datagram socket): read it with SO_ERROR, which also clears it, report that error as
      // node:dgram does ("ECONNREFUSED: connection refused, recvmsg"), and keep watching.
      // With IP_RECVERR / IPV6_RECVERR the errors wait in the error queue, which keeps EPOLLERR
      // raised until it is read: error_queue.cc drains it into JS first (true: it read records).
      self->poll_events_ = -1;  // libuv stopped the poll: make UpdatePoll restart (or stop) it
      const bool queued = status == UV_EBADF && self->error_reader_ && self->error_reader_->OnReadable(*self);
      if (self->fd_ < 0) return;  // closed by JS from an error-queue callback
      int pending = 0;
      socklen_t length = sizeof(pending);
      if (status == UV_EBADF &&
          (queued || (getsockopt(self->fd_, SOL_SOCKET, SO_ERROR, &pending, &length) == 0 && pending != 0))) {
        self->UpdatePoll();
        if (pending != 0) self->ReportError(pending, "recvmsg");
        return;
      }
      // The descriptor cannot be watched any more: stop instead of spinning, and say why.
      self->receiving_ = false;
      self->want_writable_ = false;
      self->UpdatePoll();
      self->ReportError(-status, "poll");
      return;
    }
    if ((events & UV_WRITABLE) && self->want_writable_) {
      // The poll is updated after the callback, not before: a sender that fills the queue again
      // in it and waits once more (awaitWritable) keeps the poll as it is, instead of two
      // epoll_ctl calls per wait. Also when the callback throws (libuv polls level-triggered).
      self->want_writable_ = false;
      try {
        self->Call(kOnWritable, {});
      } catch (const Napi::Error&) {
        self->UpdatePoll();
        throw;
      }
      self->UpdatePoll();
    }
    if ((events & (UV_READABLE | UV_DISCONNECT)) && self->Receiving() && self->reader_) {
      struct Dispatch {  // also on the exception path: a JS callback may throw through the reader
        SocketHandle* handle;
        ~Dispatch() {
          handle->dispatching_ = false;
          handle->retired_.reset();
        }
      } dispatch{self};
      self->dispatching_ = true;
      self->wake_received_ = 0;
      const bool drained = self->reader_->OnReadable(*self);
      // Rest only once the queue was seen empty: resting with datagrams left would let the
      // queue grow by a budget's worth every period until the kernel drops. Busy-only: a
      // wake-up that found a single datagram is a quiet socket (one request at a time), whose
      // next datagram should not wait.
      const bool busy = !self->coalesce_busy_only_ || self->wake_received_ > 1;
      if (drained && busy && self->coalesce_ms_ > 0 && self->Receiving()) self->Rest();
    }
  } catch (const Napi::Error& error) {
    // A JS callback threw: report it like any exception thrown from an event-loop callback.
    ReportUncaught(env, error);
  }
}

// The C API, status checked, rather than node-addon-api's throwing wrappers: in a worker being
// terminated (or a process exiting) JS can no longer run, and the wrappers would then build an
// Error object, which itself fails and aborts the process. Returns an empty value when the call
// did not complete: the callback threw (reported as an uncaught exception, like any event-loop
// callback) or JS cannot run any more (reading stops; teardown closes the socket).
Napi::Value SocketHandle::Call(Callback callback, const std::initializer_list<napi_value>& args) {
  napi_env env = Env();
  napi_value self = Value();
  napi_value key = nullptr;
  napi_value fn = nullptr;
  napi_valuetype type = napi_undefined;
  napi_value result = nullptr;
  if (self != nullptr && napi_get_element(env, callback_keys_.Value(), callback, &key) == napi_ok &&
      napi_get_property(env, self, key, &fn) == napi_ok && napi_typeof(env, fn, &type) == napi_ok) {
    if (type != napi_function) return Env().Undefined();
    if (napi_make_callback(env, *async_context_, self, fn, args.size(), args.begin(), &result) == napi_ok) {
      return Napi::Value(env, result);
    }
  }
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value error = nullptr;
    if (napi_get_and_clear_last_exception(env, &error) == napi_ok && error != nullptr) {
      napi_fatal_exception(env, error);
    }
    return Napi::Value();
  }
  receiving_ = false;
  want_writable_ = false;
  return Napi::Value();
}

bool SocketHandle::Deliver(Batch kind, const std::initializer_list<napi_value>& args) {
  const uint64_t resumes = resumes_;
  const Callback callback = kind == Batch::kPackets      ? kOnPackets
                            : kind == Batch::kErrorQueue ? kOnErrorQueue
                                                         : kOnMessages;
  Napi::Value result = Call(callback, args);
  if (result.IsEmpty() || !Receiving()) return false;
  if (result.IsBoolean() && !result.As<Napi::Boolean>().Value()) {
    // false asks to pause. But the microtasks that napi_make_callback runs before returning may
    // already have consumed the backlog and called resume(): then that later resume wins, or the
    // socket would stay paused with JS believing it reads (a loop stalled for good).
    if (resumes_ == resumes) {
      receiving_ = false;
      UpdatePoll();
    }
    return false;
  }
  return true;
}

void SocketHandle::ReportError(int err, const char* syscall) {
  Call(kOnError, {ErrnoError(Env(), err, syscall).Value()});
}

Napi::Value SocketHandle::GetFd(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), fd_);
}

Napi::Value SocketHandle::Close(const Napi::CallbackInfo& info) {
  CloseNow();
  return info.Env().Undefined();
}

static void RequireOpen(const Napi::CallbackInfo& info, int fd) {
  if (fd < 0) {
    Napi::Error error = Napi::Error::New(info.Env(), "Socket is closed");
    error.Set("code", Napi::String::New(info.Env(), "ERR_SOCKET_CLOSED"));
    throw error;
  }
}

void SocketHandle::SetCoalesce(const Napi::Object& options) {
  coalesce_ms_ = UintOption(options, "coalesceMs", 0, 0, 1000);
  coalesce_busy_only_ = options.Get("coalesceBusyOnly").ToBoolean().Value();
}

// startReceiving({ slots, slotSize, controlSize, flags, budget, coalesceMs, coalesceBusyOnly }) installs the
// recvmmsg reader;
// startReceiving() with no options starts the reader already installed (e.g. the packet ring).
Napi::Value SocketHandle::StartReceiving(const Napi::CallbackInfo& info) {
  RequireOpen(info, fd_);
  if (info[0].IsObject()) {
    Napi::Object options = info[0].As<Napi::Object>();
    uint32_t slots = UintOption(options, "slots", 64, 1, 1024);
    uint32_t slot_size = UintOption(options, "slotSize", 65536, 1, 16 << 20);
    uint32_t control_size = UintOption(options, "controlSize", 0, 0, 4096);
    uint32_t flags = UintOption(options, "flags", 0, 0, 0x7fffffff);
    uint32_t budget = UintOption(options, "budget", 4, 1, 1024);
    SetCoalesce(options);
    if (static_cast<uint64_t>(slots) * slot_size > (64u << 20)) {
      throw ArgRangeError(info.Env(), "slots * slotSize must not exceed 64 MiB");
    }
    PageBuffer data;
    if (int err = data.Map(static_cast<size_t>(slots) * slot_size)) throw ErrnoError(info.Env(), err, "mmap");
    SetReader(std::make_unique<MessageReader>(std::move(data), slots, slot_size, control_size, static_cast<int>(flags),
                                              budget));
  } else if (!reader_) {
    throw ArgTypeError(info.Env(), "startReceiving needs receive options");
  }
  receiving_ = true;
  resumes_++;
  UpdatePoll();
  return info.Env().Undefined();
}

Napi::Value SocketHandle::Pause(const Napi::CallbackInfo& info) {
  receiving_ = false;
  UpdatePoll();
  return info.Env().Undefined();
}

Napi::Value SocketHandle::Resume(const Napi::CallbackInfo& info) {
  RequireOpen(info, fd_);
  resumes_++;
  if (reader_) {
    receiving_ = true;
    UpdatePoll();
  }
  return info.Env().Undefined();
}

// Neither undefined nor null.
static bool IsPresent(const Napi::Value& value) {
  napi_valuetype type;
  if (napi_typeof(value.Env(), value, &type) != napi_ok) return false;
  return type != napi_undefined && type != napi_null;
}

// send(data, address?, control?) -> bytes sent, or -1 when the socket buffer is full (EAGAIN):
// the caller then waits with awaitWritable() instead of dropping the datagram.
Napi::Value SocketHandle::Send(const Napi::CallbackInfo& info) {
  RequireOpen(info, fd_);
  return SendDatagram(info, fd_, 0);
}

// sendBatch(datas, addresses, controls, start, limit?) -> how many of datas[start..] the kernel took,
// with sendmmsg(2); `addresses` and `controls` are arrays of the same length whose entries may be
// null, or null for none at all (then no entry of theirs is read: a connected socket's sends). Fewer than asked means
// the socket buffer filled (EAGAIN) or a later datagram failed: the caller waits for writability or calls again from
// there, and an error on the first datagram of a call is thrown. sendmmsg(2): "if an error occurs after at least one
// message has been sent, the call succeeds, and returns the number of messages sent"; the next call then reports it.
Napi::Value SocketHandle::SendBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(info, fd_);
  if (!info[0].IsArray()) throw ArgTypeError(env, "sendBatch needs arrays of data, addresses and control messages");
  Napi::Array datas = info[0].As<Napi::Array>();
  const uint32_t total = datas.Length();
  int32_t start = IntArg(info, 3, "start");
  if (start < 0 || static_cast<uint32_t>(start) > total) throw ArgRangeError(env, "start is outside the batch");
  // limit (optional): send at most this many (the caller's guess of what the kernel has room
  // for, so a long queue at a full receiver is not prepared 1,024 entries at a time).
  uint32_t limit = kMaxPerSendmmsg;
  if (info.Length() > 4 && IsPresent(info[4])) {
    int32_t asked = IntArg(info, 4, "limit");
    if (asked < 1) throw ArgRangeError(env, "limit must be at least 1");
    if (static_cast<uint32_t>(asked) < limit) limit = static_cast<uint32_t>(asked);
  }
  const uint32_t count = total - static_cast<uint32_t>(start) < limit ? total - start : limit;
  PrepareMessages(count);
  for (uint32_t i = 0; i < count; i++) {
    Bytes data = BytesArg(datas.Get(static_cast<uint32_t>(start) + i), "data");
    send_iov_[i] = {data.data, data.length};
  }
  AddAddressesAndControls(info, 1, total, static_cast<uint32_t>(start), count);
  return SendPrepared(env, count);
}

// sendStaged(data, lengths, count, addresses, controls, start) -> how many the kernel took, as
// sendBatch(), of `count` datagrams that lie back to back in `data` (datagram i is lengths[i]
// bytes). One N-API call for the data of all of them instead of two per datagram (the element
// read and its buffer's), which cost more than the copy of a small datagram into `data`.
// addresses[start + i] and controls[start + i] go with datagram i, as in sendBatch().
Napi::Value SocketHandle::SendStaged(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(info, fd_);
  Bytes data = BytesArg(info[0], "data");
  napi_typedarray_type type;
  size_t capacity = 0;
  void* raw = nullptr;
  if (napi_get_typedarray_info(env, info[1], &type, &capacity, &raw, nullptr, nullptr) != napi_ok ||
      type != napi_uint32_array) {
    throw ArgTypeError(env, "sendStaged needs a Uint32Array of lengths");
  }
  const uint32_t* lengths = static_cast<const uint32_t*>(raw);
  int32_t count = IntArg(info, 2, "count");
  if (count < 1 || static_cast<size_t>(count) > capacity || count > static_cast<int32_t>(kMaxPerSendmmsg)) {
    throw ArgRangeError(env, "count is outside the lengths");
  }
  PrepareMessages(static_cast<uint32_t>(count));
  size_t offset = 0;
  for (int32_t i = 0; i < count; i++) {
    if (lengths[i] > data.length - offset) throw ArgRangeError(env, "the lengths exceed the data");
    send_iov_[i] = {data.data + offset, lengths[i]};
    offset += lengths[i];
  }
  int32_t start = IntArg(info, 5, "start");
  if (start < 0) throw ArgRangeError(env, "start is outside the batch");
  AddAddressesAndControls(info, 3, UINT32_MAX, static_cast<uint32_t>(start), static_cast<uint32_t>(count));
  return SendPrepared(env, static_cast<uint32_t>(count));
}

// Resets the first `count` messages of the send scratch (kept between calls: a sendmmsg of a few
// datagrams then costs no allocation): one iovec each, no address, no control data.
void SocketHandle::PrepareMessages(uint32_t count) {
  if (send_msgs_.size() < count) {
    send_msgs_.resize(count);
    send_iov_.resize(count);
  }
  for (uint32_t i = 0; i < count; i++) {
    msghdr& hdr = send_msgs_[i].msg_hdr;
    hdr = msghdr{};
    hdr.msg_iov = &send_iov_[i];
    hdr.msg_iovlen = 1;
  }
}

// info[at] and info[at + 1]: arrays of addresses and control messages (entries may be null), or
// null for none; entry first + i goes with message i. `total`: the length they must have
// (UINT32_MAX: at least first + count).
void SocketHandle::AddAddressesAndControls(const Napi::CallbackInfo& info, size_t at, uint32_t total, uint32_t first,
                                           uint32_t count) {
  Napi::Env env = info.Env();
  for (size_t which = 0; which < 2; which++) {
    Napi::Value arg = info[at + which];
    if (!IsPresent(arg)) continue;
    if (!arg.IsArray()) throw ArgTypeError(env, "sendBatch needs arrays of data, addresses and control messages");
    Napi::Array entries = arg.As<Napi::Array>();
    const uint32_t length = entries.Length();
    if (total == UINT32_MAX ? length < first + count : length != total) {
      throw ArgValueError(env, "sendBatch arrays must have the same length");
    }
    for (uint32_t i = 0; i < count; i++) {
      Napi::Value entry = entries.Get(first + i);
      if (!IsPresent(entry)) continue;
      Bytes bytes = BytesArg(entry, which == 0 ? "address" : "control");
      msghdr& hdr = send_msgs_[i].msg_hdr;
      if (which == 0) {
        hdr.msg_name = bytes.data;
        hdr.msg_namelen = static_cast<socklen_t>(bytes.length);
      } else {
        hdr.msg_control = bytes.data;
        hdr.msg_controllen = bytes.length;
      }
    }
  }
}

// sendmmsg(2) of the first `count` prepared messages: how many the kernel took, 0 when its buffer
// is full (EAGAIN); other errors throw.
Napi::Value SocketHandle::SendPrepared(Napi::Env env, uint32_t count) {
  const int sent = SendMessages(fd_, send_msgs_.data(), count);
  if (sent < 0) {
    if (IsRetryable(errno)) return Napi::Number::New(env, 0);
    throw ErrnoError(env, errno, "sendmmsg");
  }
  return Napi::Number::New(env, sent);
}

// Calls onWritable once, the next time the socket can take a datagram.
Napi::Value SocketHandle::AwaitWritable(const Napi::CallbackInfo& info) {
  RequireOpen(info, fd_);
  want_writable_ = true;
  UpdatePoll();
  return info.Env().Undefined();
}

// Reads and discards everything queued now; returns how many datagrams that was. Used when a
// filter is replaced: packets queued under the old filter must never reach the user.
Napi::Value SocketHandle::Drain(const Napi::CallbackInfo& info) {
  RequireOpen(info, fd_);
  uint32_t count = 0;
  char byte;
  for (;;) {
    ssize_t n = recv(fd_, &byte, sizeof(byte), MSG_DONTWAIT | MSG_TRUNC);
    if (n >= 0) {
      count++;
      continue;
    }
    if (errno == EINTR) continue;
    if (IsRetryable(errno)) break;
    throw ErrnoError(info.Env(), errno, "recv");
  }
  return Napi::Number::New(info.Env(), count);
}

// setRef(false) lets the process exit while this socket is still being watched (like unref()).
Napi::Value SocketHandle::SetRef(const Napi::CallbackInfo& info) {
  loop_ref_ = info[0].ToBoolean().Value();
  if (watch_ == nullptr) return info.Env().Undefined();
  uv_handle_t* handles[] = {watch_->poll_initialised ? reinterpret_cast<uv_handle_t*>(&watch_->poll) : nullptr,
                            watch_->timer_initialised ? reinterpret_cast<uv_handle_t*>(&watch_->timer) : nullptr};
  for (uv_handle_t* handle : handles) {
    if (handle == nullptr) continue;
    if (loop_ref_) {
      uv_ref(handle);
    } else {
      uv_unref(handle);
    }
  }
  return info.Env().Undefined();
}

void InitSocketHandle(Napi::Env env, Napi::Object exports) {
  exports.Set("SocketHandle", SocketHandle::Define(env));
}

}  // namespace rawsock
