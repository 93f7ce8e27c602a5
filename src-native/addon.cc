// Module entry point. NODE_API_MODULE_INIT-style registration through Napi::Addon keeps the addon
// context-aware: every Node environment (main thread, each worker) gets its own instance and no
// state is shared between them.
#include <napi.h>

#include "modules.h"

namespace rawsock {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    InitErrors(env, exports);
    InitConstants(env, exports);
    InitSyscalls(env, exports);
    InitSockopt(env, exports);
    InitSocketHandle(env, exports);
    InitPacketRing(env, exports);
    InitPcapCompile(env, exports);
    InitErrorQueue(env, exports);
    InitClock(env, exports);
    InitBatchLayout(env, exports);
  }
};

}  // namespace rawsock

using RawsockAddon = rawsock::Addon;
NODE_API_ADDON(RawsockAddon)
