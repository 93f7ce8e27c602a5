#include "errors.h"

#include <uv.h>

#include <string>

#include "modules.h"

namespace rawsock {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  // libuv names and describes errors exactly as node:fs and node:net do (uv_err_name(-errno)).
  const char* name = uv_err_name(-err);
  std::string code =
      (name != nullptr && std::string(name) != "Unknown system error") ? std::string(name) : "E" + std::to_string(err);
  std::string message = code + ": " + uv_strerror(-err) + ", " + syscall;
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("code", Napi::String::New(env, code));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

Napi::TypeError ArgTypeError(Napi::Env env, const char* what) {
  Napi::TypeError error = Napi::TypeError::New(env, what);
  error.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
  return error;
}

Napi::RangeError ArgRangeError(Napi::Env env, const char* what) {
  Napi::RangeError error = Napi::RangeError::New(env, what);
  error.Set("code", Napi::String::New(env, "ERR_OUT_OF_RANGE"));
  return error;
}

Napi::TypeError ArgValueError(Napi::Env env, const char* what) {
  Napi::TypeError error = Napi::TypeError::New(env, what);
  error.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_VALUE"));
  return error;
}

int FdArg(const Napi::CallbackInfo& info, size_t index) {
  Napi::Value value = info[index];
  if (!value.IsNumber()) throw ArgTypeError(info.Env(), "file descriptor must be a number");
  double fd = value.As<Napi::Number>().DoubleValue();
  if (fd < 0 || fd > 2147483647 || fd != static_cast<int>(fd)) {
    throw ArgRangeError(info.Env(), "file descriptor must be a non-negative integer");
  }
  return static_cast<int>(fd);
}

int32_t IntArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value value = info[index];
  if (!value.IsNumber()) {
    throw ArgTypeError(info.Env(), (std::string(name) + " must be a number").c_str());
  }
  double n = value.As<Napi::Number>().DoubleValue();
  if (n < -2147483648.0 || n > 2147483647.0 || n != static_cast<int32_t>(n)) {
    throw ArgRangeError(info.Env(), (std::string(name) + " must be a 32-bit integer").c_str());
  }
  return static_cast<int32_t>(n);
}

uint32_t UintOption(Napi::Object options, const char* key, uint32_t fallback, uint32_t min, uint32_t max) {
  Napi::Value value = options.Get(key);
  if (value.IsUndefined()) return fallback;
  if (!value.IsNumber()) {
    throw ArgTypeError(options.Env(), ("The \"" + std::string(key) + "\" property must be of type number").c_str());
  }
  double n = value.As<Napi::Number>().DoubleValue();
  if (n != static_cast<double>(static_cast<int64_t>(n)) || n < min || n > max) {
    std::string what = "The value of \"" + std::string(key) +
                       "\" is out of range. It must be >= " + std::to_string(min) + " && <= " + std::to_string(max);
    throw ArgRangeError(options.Env(), what.c_str());
  }
  return static_cast<uint32_t>(n);
}

bool IsBytes(const Napi::Value& value) {
  return value.IsBuffer() || value.IsTypedArray() || value.IsArrayBuffer() || value.IsDataView();
}

// Bytes per element of a typed array type (napi_typedarray_type).
static size_t ElementSize(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return 1;
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    default:
      return 8;
  }
}

Bytes BytesArg(const Napi::Value& value, const char* name) {
  Bytes bytes;
  // The common case (every send passes a Uint8Array) in one N-API call: napi_get_typedarray_info
  // gives the data pointer with the view's offset applied, and fails without throwing for
  // anything that is not a typed array.
  napi_typedarray_type type;
  size_t elements;
  void* data;
  if (napi_get_typedarray_info(value.Env(), value, &type, &elements, &data, nullptr, nullptr) == napi_ok) {
    bytes.data = static_cast<uint8_t*>(data);
    bytes.length = elements * ElementSize(type);
    return bytes;
  }
  if (value.IsTypedArray()) {
    Napi::TypedArray array = value.As<Napi::TypedArray>();
    bytes.data = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    bytes.length = array.ByteLength();
  } else if (value.IsDataView()) {
    Napi::DataView view = value.As<Napi::DataView>();
    bytes.data = static_cast<uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
    bytes.length = view.ByteLength();
  } else if (value.IsArrayBuffer()) {
    Napi::ArrayBuffer buffer = value.As<Napi::ArrayBuffer>();
    bytes.data = static_cast<uint8_t*>(buffer.Data());
    bytes.length = buffer.ByteLength();
  } else {
    throw ArgTypeError(value.Env(), (std::string(name) + " must be a Buffer or Uint8Array").c_str());
  }
  return bytes;
}

// Exposed so the TypeScript layer builds errors from errno values it gets from native results
// (for example a status code in a batch) in exactly the same shape.
static Napi::Value MakeErrnoError(const Napi::CallbackInfo& info) {
  int err = IntArg(info, 0, "errno");
  std::string syscall = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "unknown";
  return ErrnoError(info.Env(), err < 0 ? -err : err, syscall.c_str()).Value();
}

void InitErrors(Napi::Env env, Napi::Object exports) {
  exports.Set("errnoError", Napi::Function::New(env, MakeErrnoError, "errnoError"));
}

}  // namespace rawsock
