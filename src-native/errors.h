// Errors shaped like Node's own system errors (node:fs, node:net): a message such as
// "EPERM: operation not permitted, socket" and the properties code, errno (negative, as libuv
// reports it) and syscall.
#pragma once
#include <napi.h>

namespace rawsock {

// The error for a failed system call; `err` is the positive errno value.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall);

// Argument errors thrown before any system call, with Node's codes.
Napi::TypeError ArgTypeError(Napi::Env env, const char* what);
Napi::RangeError ArgRangeError(Napi::Env env, const char* what);
Napi::TypeError ArgValueError(Napi::Env env, const char* what);  // right type, meaningless value

// Reads a file descriptor argument: a non-negative integer.
int FdArg(const Napi::CallbackInfo& info, size_t index);

// Reads an integer argument (any int32).
int32_t IntArg(const Napi::CallbackInfo& info, size_t index, const char* name);

// Reads options[key]: `fallback` when undefined, else an integer in [min, max] (ERR_INVALID_ARG_TYPE
// for a non-number, ERR_OUT_OF_RANGE otherwise, worded as lib/core/validate.ts words them). The one
// check of numeric reader options (socket_handle.cc, packet_ring.cc); JS has checked the user's
// values already, so this guards the internal interface.
uint32_t UintOption(Napi::Object options, const char* key, uint32_t fallback, uint32_t min, uint32_t max);

// A byte range borrowed from a Buffer, TypedArray, DataView or ArrayBuffer argument.
struct Bytes {
  uint8_t* data = nullptr;
  size_t length = 0;
};
bool IsBytes(const Napi::Value& value);
Bytes BytesArg(const Napi::Value& value, const char* name);

}  // namespace rawsock
