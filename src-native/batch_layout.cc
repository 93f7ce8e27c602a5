// native.layouts: the field indices and strides of batch_layout.h, for lib/core/batch-layout.ts.
#include "batch_layout.h"

#include <napi.h>

#include "modules.h"

namespace rawsock {

namespace {

Napi::Object MessageLayout(Napi::Env env) {
  using namespace message_layout;
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("stride", kStride);
  layout.Set("dataOffset", static_cast<uint32_t>(kDataOffset));
  layout.Set("captured", static_cast<uint32_t>(kCaptured));
  layout.Set("length", static_cast<uint32_t>(kLength));
  layout.Set("flags", static_cast<uint32_t>(kFlags));
  layout.Set("auxOffset", static_cast<uint32_t>(kAuxOffset));
  layout.Set("addressLength", static_cast<uint32_t>(kAddressLength));
  layout.Set("controlLength", static_cast<uint32_t>(kControlLength));
  return layout;
}

Napi::Object PacketLayout(Napi::Env env) {
  using namespace packet_layout;
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("stride", kStride);
  layout.Set("dataOffset", static_cast<uint32_t>(kDataOffset));
  layout.Set("captured", static_cast<uint32_t>(kCaptured));
  layout.Set("length", static_cast<uint32_t>(kLength));
  layout.Set("seconds", static_cast<uint32_t>(kSeconds));
  layout.Set("nanoseconds", static_cast<uint32_t>(kNanoseconds));
  layout.Set("interfaceIndex", static_cast<uint32_t>(kInterfaceIndex));
  layout.Set("typeAddressFlags", static_cast<uint32_t>(kTypeAddressFlags));
  layout.Set("protocolHatype", static_cast<uint32_t>(kProtocolHatype));
  layout.Set("vlan", static_cast<uint32_t>(kVlan));
  layout.Set("addressLow", static_cast<uint32_t>(kAddressLow));
  layout.Set("addressHigh", static_cast<uint32_t>(kAddressHigh));
  layout.Set("networkStatus", static_cast<uint32_t>(kNetworkStatus));
  layout.Set("flagVlan", kFlagVlan);
  layout.Set("flagStale", kFlagStale);
  return layout;
}

}  // namespace

void InitBatchLayout(Napi::Env env, Napi::Object exports) {
  Napi::Object layouts = Napi::Object::New(env);
  layouts.Set("message", MessageLayout(env));
  layouts.Set("packet", PacketLayout(env));
  exports.Set("layouts", layouts);
}

}  // namespace rawsock
