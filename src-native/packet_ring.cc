// TPACKET_V3 receive ring for packet sockets (filled in by the packet-socket work).
#include "modules.h"

namespace rawsock {

void InitPacketRing(Napi::Env, Napi::Object) {}

}  // namespace rawsock
