// The kernel's wall clock with nanoseconds: what SO_TIMESTAMPNS stamps received datagrams with
// (socket(7): "the time of the last packet ... CLOCK_REALTIME"). A round-trip time measured as
// the reply's kernel timestamp minus this clock read just before sending is what iputils ping
// reports (it stamps its requests with gettimeofday). JavaScript has no such clock: Date.now()
// has milliseconds and process.hrtime() is CLOCK_MONOTONIC.
#include <time.h>

#include "modules.h"

namespace rawsock {

namespace {

Napi::Value RealtimeNs(const Napi::CallbackInfo& info) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  const uint64_t ns = static_cast<uint64_t>(now.tv_sec) * 1000000000ULL + static_cast<uint64_t>(now.tv_nsec);
  return Napi::BigInt::New(info.Env(), ns);
}

}  // namespace

void InitClock(Napi::Env env, Napi::Object exports) {
  exports.Set("realtimeNs", Napi::Function::New(env, RealtimeNs, "realtimeNs"));
}

}  // namespace rawsock
