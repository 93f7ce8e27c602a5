// Generic getsockopt/setsockopt on any descriptor: int, string and raw-bytes values. Used for the
// options Node does not expose (TCP_CONGESTION, UDPLITE_*_CSCOV, SO_ATTACH_FILTER, PACKET_*).
#include <linux/filter.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "errors.h"
#include "modules.h"

namespace rawsock {

namespace {

Napi::Value SetSockOpt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  int level = IntArg(info, 1, "level");
  int name = IntArg(info, 2, "option name");
  Napi::Value value = info[3];
  int rc;
  if (value.IsNumber() || value.IsBoolean()) {
    int number = value.IsBoolean() ? (value.As<Napi::Boolean>().Value() ? 1 : 0) : IntArg(info, 3, "option value");
    rc = setsockopt(fd, level, name, &number, sizeof(number));
  } else if (value.IsString()) {
    // String options (TCP_CONGESTION, SO_BINDTODEVICE) take the bytes without a terminator.
    std::string text = value.As<Napi::String>().Utf8Value();
    rc = setsockopt(fd, level, name, text.data(), static_cast<socklen_t>(text.size()));
  } else if (IsBytes(value)) {
    Bytes bytes = BytesArg(value, "option value");
    rc = setsockopt(fd, level, name, bytes.data, static_cast<socklen_t>(bytes.length));
  } else {
    throw ArgTypeError(env, "option value must be a number, boolean, string or Buffer");
  }
  if (rc != 0) throw ErrnoError(env, errno, "setsockopt");
  return env.Undefined();
}

// kind: "int" -> number, "string" -> string up to the first NUL, "bytes" -> Buffer of the length
// the kernel returned. `size` bounds string and bytes answers (default 256).
Napi::Value GetSockOpt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  int level = IntArg(info, 1, "level");
  int name = IntArg(info, 2, "option name");
  if (!info[3].IsString()) throw ArgTypeError(env, "kind must be 'int', 'string' or 'bytes'");
  std::string kind = info[3].As<Napi::String>().Utf8Value();
  int size = info[4].IsUndefined() ? 256 : IntArg(info, 4, "size");
  if (size < 1 || size > 65536) throw ArgRangeError(env, "size must be between 1 and 65536");

  if (kind == "int") {
    int number = 0;
    socklen_t length = sizeof(number);
    if (getsockopt(fd, level, name, &number, &length) != 0) {
      throw ErrnoError(env, errno, "getsockopt");
    }
    return Napi::Number::New(env, number);
  }
  if (kind != "string" && kind != "bytes") {
    throw ArgTypeError(env, "kind must be 'int', 'string' or 'bytes'");
  }
  std::vector<uint8_t> buffer(static_cast<size_t>(size), 0);
  socklen_t length = static_cast<socklen_t>(buffer.size());
  if (getsockopt(fd, level, name, buffer.data(), &length) != 0) {
    throw ErrnoError(env, errno, "getsockopt");
  }
  // Some options report how much they would have written; never trust it past our buffer.
  size_t used = length < buffer.size() ? length : buffer.size();
  if (kind == "string") {
    size_t end = strnlen(reinterpret_cast<char*>(buffer.data()), used);
    return Napi::String::New(env, reinterpret_cast<char*>(buffer.data()), end);
  }
  return Napi::Buffer<uint8_t>::Copy(env, buffer.data(), used);
}

// attachFilter(fd, program): SO_ATTACH_FILTER with a classic BPF program given as packed
// struct sock_filter (8 bytes each). struct sock_fprog holds a pointer, so it is built here.
Napi::Value AttachFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  Bytes program = BytesArg(info[1], "program");
  if (program.length == 0 || program.length % sizeof(sock_filter) != 0 ||
      program.length / sizeof(sock_filter) > BPF_MAXINSNS) {
    throw ArgRangeError(env, "program must hold 1 to 4096 instructions of 8 bytes");
  }
  // Copy into aligned storage: the JS bytes may sit at any offset of their ArrayBuffer.
  std::vector<sock_filter> filter(program.length / sizeof(sock_filter));
  memcpy(filter.data(), program.data, program.length);
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(filter.size());
  fprog.filter = filter.data();
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) != 0) {
    throw ErrnoError(env, errno, "setsockopt");
  }
  return env.Undefined();
}

// getFilter(fd) -> Buffer of packed sock_filter, or null when none is attached. socket(7):
// SO_GET_FILTER counts its length in instructions, not bytes.
Napi::Value GetFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  socklen_t count = 0;
  if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, nullptr, &count) != 0) {
    throw ErrnoError(env, errno, "getsockopt");
  }
  if (count == 0) return env.Null();
  std::vector<sock_filter> filter(count);
  socklen_t got = count;
  if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, filter.data(), &got) != 0) {
    throw ErrnoError(env, errno, "getsockopt");
  }
  if (got > count) got = count;
  return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<uint8_t*>(filter.data()), got * sizeof(sock_filter));
}

}  // namespace

void InitSockopt(Napi::Env env, Napi::Object exports) {
  exports.Set("setsockopt", Napi::Function::New(env, SetSockOpt, "setsockopt"));
  exports.Set("getsockopt", Napi::Function::New(env, GetSockOpt, "getsockopt"));
  exports.Set("attachFilter", Napi::Function::New(env, AttachFilter, "attachFilter"));
  exports.Set("getFilter", Napi::Function::New(env, GetFilter, "getFilter"));
}

}  // namespace rawsock
