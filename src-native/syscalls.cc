// Thin wrappers over the socket system calls whose arguments are plain bytes. Socket addresses
// are built and parsed in TypeScript (lib/core/sockaddr.ts); here they are opaque byte ranges.
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "errors.h"
#include "modules.h"

namespace rawsock {

namespace {

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
  exports.Set("getsockname", Napi::Function::New(env, GetSockName, "getsockname"));
  exports.Set("getpeername", Napi::Function::New(env, GetPeerName, "getpeername"));
  exports.Set("ifNameToIndex", Napi::Function::New(env, IfNameToIndex, "ifNameToIndex"));
  exports.Set("ifIndexToName", Napi::Function::New(env, IfIndexToName, "ifIndexToName"));
}

}  // namespace rawsock
