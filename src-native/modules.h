// One Init function per native file; addon.cc calls each to fill the exports object.
#pragma once
#include <napi.h>

namespace rawsock {

void InitErrors(Napi::Env env, Napi::Object exports);        // errors.cc
void InitConstants(Napi::Env env, Napi::Object exports);     // constants.cc
void InitSyscalls(Napi::Env env, Napi::Object exports);      // syscalls.cc
void InitSockopt(Napi::Env env, Napi::Object exports);       // sockopt.cc
void InitSocketHandle(Napi::Env env, Napi::Object exports);  // socket_handle.cc
void InitPacketRing(Napi::Env env, Napi::Object exports);    // packet_ring.cc
void InitPcapCompile(Napi::Env env, Napi::Object exports);   // pcap_compile.cc
void InitErrorQueue(Napi::Env env, Napi::Object exports);    // error_queue.cc
void InitClock(Napi::Env env, Napi::Object exports);         // clock.cc
void InitBatchLayout(Napi::Env env, Napi::Object exports);   // batch_layout.cc

}  // namespace rawsock
