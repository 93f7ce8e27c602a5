// pcap-filter expressions compiled by libpcap, loaded at run time (filled in by the BPF work).
#include "modules.h"

namespace rawsock {

void InitPcapCompile(Napi::Env, Napi::Object) {}

}  // namespace rawsock
