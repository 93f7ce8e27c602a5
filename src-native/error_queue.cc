// The socket error queue (ip(7) IP_RECVERR, ipv6(7) IPV6_RECVERR): with that option set, the
// kernel queues every ICMP error (and local errors such as EMSGSIZE) that concerns a datagram the
// socket sent, and keeps EPOLLERR raised until the queue is read with recvmsg(MSG_ERRQUEUE).
// libuv reports EPOLLERR as status UV_EBADF and stops the poll; SocketHandle::OnPoll then calls
// this reader (its only hook), which drains the queue and hands JS each record as the recvmmsg
// reader hands datagrams: the original packet's start as data, the original destination as the
// address (ip(7): "msg_name ... the address of the original destination"), and the control
// messages (the IP_RECVERR / IPV6_RECVERR cmsg holding struct sock_extended_err followed by the
// offender's address, SO_EE_OFFENDER). The TypeScript layer parses the control messages.
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "batch_layout.h"
#include "errors.h"
#include "modules.h"
#include "socket_handle.h"

namespace rawsock {

namespace {

// An ICMP error quotes at most 576 bytes of the original packet (RFC 1812) over IPv4 and 1280
// over IPv6 (RFC 4443); a local error (EMSGSIZE) carries the whole datagram, which is cut here and
// flagged with MSG_TRUNC and its real length, as the recvmmsg reader does.
constexpr size_t kDataSize = 2048;
// sock_extended_err (16) + offender sockaddr_in6 (28) in one cmsg, plus room for the cmsgs the
// socket asked for besides (IP_TTL / IPV6_HOPLIMIT, IP_PKTINFO, timestamps).
constexpr size_t kControlSize = 512;
// Records read per wake-up: EPOLLERR stays raised while more wait, so the rest come on the next
// turn of the event loop instead of starving it.
constexpr unsigned kBudget = 64;

class ErrorQueueReader : public Reader {
 public:
  // Returns true when it read at least one record (the poll is then restarted); false when the
  // queue was empty, so the caller goes on to look at SO_ERROR.
  bool OnReadable(SocketHandle& handle) override {
    bytes_.clear();
    meta_.clear();
    unsigned count = 0;
    while (count < kBudget && handle.Fd() >= 0) {
      sockaddr_storage name{};
      iovec iov{data_, sizeof(data_)};
      msghdr msg{};
      msg.msg_name = &name;
      msg.msg_namelen = sizeof(name);
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control_;
      msg.msg_controllen = sizeof(control_);
      ssize_t n = recvmsg(handle.Fd(), &msg, MSG_ERRQUEUE | MSG_DONTWAIT | MSG_TRUNC);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        handle.ReportError(errno, "recvmsg");
        return false;
      }
      // Every length the kernel reports is clamped to the buffer it filled.
      const size_t captured = static_cast<size_t>(n) < sizeof(data_) ? static_cast<size_t>(n) : sizeof(data_);
      const size_t address = msg.msg_namelen < sizeof(name) ? msg.msg_namelen : sizeof(name);
      const size_t control = msg.msg_controllen < sizeof(control_) ? msg.msg_controllen : sizeof(control_);
      Append(data_, captured, reinterpret_cast<const uint8_t*>(&name), address, control, static_cast<size_t>(n),
             msg.msg_flags);
      count++;
    }
    if (count == 0) return false;
    return Deliver(handle, count);
  }

 private:
  // Layout handed to JS, the recvmmsg reader's (batch_layout.h message_layout): per record its
  // data, then its address and control bytes, then message_layout::kStride uint32 of metadata.
  void Append(const uint8_t* data, size_t captured, const uint8_t* name, size_t address, size_t control, size_t length,
              int flags) {
    using namespace message_layout;
    const size_t at = bytes_.size();
    bytes_.insert(bytes_.end(), data, data + captured);
    bytes_.insert(bytes_.end(), name, name + address);
    bytes_.insert(bytes_.end(), control_, control_ + control);
    uint32_t* m = &*meta_.insert(meta_.end(), kStride, 0);
    m[kDataOffset] = static_cast<uint32_t>(at);
    m[kCaptured] = static_cast<uint32_t>(captured);
    m[kLength] = static_cast<uint32_t>(length);
    m[kFlags] = static_cast<uint32_t>(flags);
    m[kAuxOffset] = static_cast<uint32_t>(at + captured);
    m[kAddressLength] = static_cast<uint32_t>(address);
    m[kControlLength] = static_cast<uint32_t>(control);
  }

  // The C API, status checked, rather than node-addon-api's throwing wrappers: in a worker being
  // terminated JS can no longer run, a wrapper would then build an Error object, which itself
  // fails and aborts the process (see SocketHandle::Call). The records are dropped then.
  bool Deliver(SocketHandle& handle, unsigned count) {
    napi_env env = handle.HandleEnv();
    const size_t meta_offset = (bytes_.size() + 3) & ~static_cast<size_t>(3);
    const size_t total = meta_offset + meta_.size() * sizeof(uint32_t);
    void* out = nullptr;
    napi_value batch = nullptr;
    napi_value buffer = nullptr;
    napi_value meta = nullptr;
    size_t offset = 0;
    if (napi_create_buffer(env, total, &out, &batch) != napi_ok ||
        napi_get_typedarray_info(env, batch, nullptr, nullptr, nullptr, &buffer, &offset) != napi_ok ||
        napi_create_typedarray(env, napi_uint32_array, count * message_layout::kStride, buffer, offset + meta_offset,
                               &meta) != napi_ok) {
      return true;
    }
    uint8_t* bytes = static_cast<uint8_t*>(out);
    memset(bytes, 0, total);  // nothing uninitialized is reachable from JS
    if (!bytes_.empty()) memcpy(bytes, bytes_.data(), bytes_.size());
    memcpy(bytes + meta_offset, meta_.data(), meta_.size() * sizeof(uint32_t));
    handle.Deliver(SocketHandle::Batch::kErrorQueue, {batch, meta});
    return true;
  }

  uint8_t data_[kDataSize] = {};
  alignas(8) uint8_t control_[kControlSize] = {};
  std::vector<uint8_t> bytes_;
  std::vector<uint32_t> meta_;
};

// attachErrorQueue(handle): from now on EPOLLERR drains the error queue into onErrorQueue(data,
// meta). Idempotent. The caller sets IP_RECVERR / IPV6_RECVERR itself.
Napi::Value AttachErrorQueue(const Napi::CallbackInfo& info) {
  if (!info[0].IsObject()) throw ArgTypeError(info.Env(), "handle must be a SocketHandle");
  SocketHandle* handle = SocketHandle::Unwrap(info[0].As<Napi::Object>());
  if (handle == nullptr) throw ArgTypeError(info.Env(), "handle must be a SocketHandle");
  if (handle->Fd() < 0) {
    Napi::Error error = Napi::Error::New(info.Env(), "Socket is closed");
    error.Set("code", Napi::String::New(info.Env(), "ERR_SOCKET_CLOSED"));
    throw error;
  }
  // Never replaced once set: it may be on the stack (a JS callback calling attach again).
  if (handle->ErrorReader() == nullptr) handle->SetErrorReader(std::make_unique<ErrorQueueReader>());
  return info.Env().Undefined();
}

}  // namespace

void InitErrorQueue(Napi::Env env, Napi::Object exports) {
  exports.Set("attachErrorQueue", Napi::Function::New(env, AttachErrorQueue, "attachErrorQueue"));
}

}  // namespace rawsock
