// Thin wrappers over the socket system calls whose arguments are plain bytes. Socket addresses
// are built and parsed in TypeScript (lib/core/sockaddr.ts); here they are opaque byte ranges.
#include <net/if.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "errors.h"
#include "modules.h"
#include "send.h"

namespace rawsock {

namespace {

// Neither undefined nor null (one napi_typeof).
bool IsPresent(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index) return false;
  napi_valuetype type;
  if (napi_typeof(info.Env(), info[index], &type) != napi_ok) return false;
  return type != napi_undefined && type != napi_null;
}

}  // namespace

// These run once per datagram (or batch) sent, so each N-API call counts: a caller with no
// address or control data leaves those arguments out (no napi_typeof for them). The system calls
// go through syscall(2) rather than glibc's sendmsg()/sendmmsg(), which are thread cancellation
// points and switch the thread's cancellation state around every call (two atomic operations
// that cost as much as the rest of this function); nothing in Node cancels threads.
Napi::Value SendDatagram(const Napi::CallbackInfo& info, int fd, size_t first) {
  Bytes data = BytesArg(info[first], "data");
  iovec iov{data.data, data.length};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (IsPresent(info, first + 1)) {
    Bytes address = BytesArg(info[first + 1], "address");
    msg.msg_name = address.data;
    msg.msg_namelen = static_cast<socklen_t>(address.length);
  }
  if (IsPresent(info, first + 2)) {
    Bytes control = BytesArg(info[first + 2], "control");
    msg.msg_control = control.data;
    msg.msg_controllen = control.length;
  }
  long sent;
  do {
    sent = syscall(SYS_sendmsg, fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Number::New(info.Env(), -1);
    throw ErrnoError(info.Env(), errno, "sendmsg");
  }
  return Napi::Number::New(info.Env(), static_cast<double>(sent));
}

int SendMessages(int fd, mmsghdr* msgs, unsigned count) {
  long sent;
  do {
    sent = syscall(SYS_sendmmsg, fd, msgs, count, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  return static_cast<int>(sent);
}

namespace {

// sendmsg(fd, data, address?, control?): SocketHandle.send() for a descriptor the caller knows is
// open (a socket's hot path: no wrapped-object lookup per datagram, which costs as much as the
// system call's user-space side).
Napi::Value SendMsg(const Napi::CallbackInfo& info) {
  int32_t fd = -1;
  if (napi_get_value_int32(info.Env(), info[0], &fd) != napi_ok || fd < 0) fd = FdArg(info, 0);
  return SendDatagram(info, fd, 1);
}

Napi::Value Bind(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  Bytes addr = BytesArg(info[1], "address");
  if (bind(fd, reinterpret_cast<sockaddr*>(addr.data), static_cast<socklen_t>(addr.length)) != 0) {
    throw ErrnoError(info.Env(), errno, "bind");
  }
  return info.Env().Undefined();
}

// Datagram and packet sockets connect at once; a non-blocking stream connect would report
// EINPROGRESS, which is returned as `false` so the caller can wait for writability.
Napi::Value Connect(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  Bytes addr = BytesArg(info[1], "address");
  int rc;
  do {
    rc = connect(fd, reinterpret_cast<sockaddr*>(addr.data), static_cast<socklen_t>(addr.length));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno == EINPROGRESS) return Napi::Boolean::New(info.Env(), false);
    throw ErrnoError(info.Env(), errno, "connect");
  }
  return Napi::Boolean::New(info.Env(), true);
}

template <int (*Call)(int, sockaddr*, socklen_t*)>
Napi::Value SocketAddress(const Napi::CallbackInfo& info, const char* syscall) {
  int fd = FdArg(info, 0);
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  if (Call(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    throw ErrnoError(info.Env(), errno, syscall);
  }
  // The kernel reports the full length even when it truncated the copy; never read past ours.
  if (length > sizeof(storage)) length = sizeof(storage);
  return Napi::Buffer<uint8_t>::Copy(info.Env(), reinterpret_cast<uint8_t*>(&storage), length);
}

Napi::Value GetSockName(const Napi::CallbackInfo& info) {
  return SocketAddress<getsockname>(info, "getsockname");
}

Napi::Value GetPeerName(const Napi::CallbackInfo& info) {
  return SocketAddress<getpeername>(info, "getpeername");
}

Napi::Value IfNameToIndex(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw ArgTypeError(info.Env(), "interface name must be a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name.empty() || name.size() >= IF_NAMESIZE) {
    throw ArgRangeError(info.Env(), "interface name must be 1 to 15 bytes");
  }
  // The kernel reads a C string: "lo\0junk" would name lo.
  if (name.find('\0') != std::string::npos)
    throw ArgValueError(info.Env(), "interface name must not contain NUL bytes");
  unsigned index = if_nametoindex(name.c_str());
  if (index == 0) throw ErrnoError(info.Env(), errno, "if_nametoindex");
  return Napi::Number::New(info.Env(), index);
}

Napi::Value IfIndexToName(const Napi::CallbackInfo& info) {
  int32_t index = IntArg(info, 0, "interface index");
  if (index <= 0) throw ArgRangeError(info.Env(), "interface index must be positive");
  char name[IF_NAMESIZE] = {0};
  if (if_indextoname(static_cast<unsigned>(index), name) == nullptr) {
    throw ErrnoError(info.Env(), errno, "if_indextoname");
  }
  return Napi::String::New(info.Env(), name);
}

}  // namespace

void InitSyscalls(Napi::Env env, Napi::Object exports) {
  exports.Set("bind", Napi::Function::New(env, Bind, "bind"));
  exports.Set("connect", Napi::Function::New(env, Connect, "connect"));
  exports.Set("sendmsg", Napi::Function::New(env, SendMsg, "sendmsg"));
  exports.Set("getsockname", Napi::Function::New(env, GetSockName, "getsockname"));
  exports.Set("getpeername", Napi::Function::New(env, GetPeerName, "getpeername"));
  exports.Set("ifNameToIndex", Napi::Function::New(env, IfNameToIndex, "ifNameToIndex"));
  exports.Set("ifIndexToName", Napi::Function::New(env, IfIndexToName, "ifIndexToName"));
}

}  // namespace rawsock
