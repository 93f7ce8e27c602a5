// pcap-filter expressions compiled by libpcap itself, loaded at run time with dlopen so neither
// building nor installing rawsock needs libpcap: pcap_open_dead() + pcap_compile() need no
// capture device and no privileges. The result is the program as packed struct sock_filter
// entries (libpcap's struct bpf_insn has the same layout), ready for SO_ATTACH_FILTER.
#include <dlfcn.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "errors.h"
#include "modules.h"

namespace rawsock {

namespace {

// The few libpcap types used, declared here since pcap.h is not a build dependency. They follow
// pcap/bpf.h: struct bpf_insn { u_short code; u_char jt; u_char jf; bpf_u_int32 k; } and
// struct bpf_program { u_int bf_len; struct bpf_insn *bf_insns; }.
struct PcapInsn {
  uint16_t code;
  uint8_t jt;
  uint8_t jf;
  uint32_t k;
};
static_assert(sizeof(PcapInsn) == 8, "struct bpf_insn is 8 bytes");
struct PcapProgram {
  unsigned int bf_len;
  PcapInsn* bf_insns;
};
struct Pcap;

using OpenDeadFn = Pcap* (*)(int linktype, int snaplen);
using CompileFn = int (*)(Pcap*, PcapProgram*, const char*, int optimize, uint32_t netmask);
using FreeCodeFn = void (*)(PcapProgram*);
using GetErrFn = char* (*)(Pcap*);
using CloseFn = void (*)(Pcap*);

Napi::Error CodedError(Napi::Env env, const std::string& message, const char* code) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

// Everything one call opens, released in reverse order whatever happens. RTLD_NODELETE keeps the
// library mapped after dlclose, so later calls find it already loaded.
struct Session {
  void* library = nullptr;
  Pcap* pcap = nullptr;
  PcapProgram program{0, nullptr};
  bool compiled = false;
  FreeCodeFn freecode = nullptr;
  CloseFn close = nullptr;

  ~Session() {
    if (compiled && freecode != nullptr) freecode(&program);
    if (pcap != nullptr && close != nullptr) close(pcap);
    if (library != nullptr) dlclose(library);
  }
};

template <typename Fn>
Fn Symbol(Napi::Env env, void* library, const char* name, const std::string& path) {
  void* symbol = dlsym(library, name);
  if (symbol == nullptr) {
    throw CodedError(
        env,
        path + " has no " + name +
            ": this libpcap is too old; install libpcap 1.x (Debian/Ubuntu package libpcap0.8, Fedora libpcap)",
        "ERR_LIBPCAP_MISSING");
  }
  return reinterpret_cast<Fn>(symbol);
}

// pcapCompile(expression, linkType, snaplen, optimize, netmask, libraries) -> Buffer
Napi::Value PcapCompile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw ArgTypeError(env, "expression must be a string");
  std::string expression = info[0].As<Napi::String>().Utf8Value();
  if (expression.find('\0') != std::string::npos) {
    throw ArgTypeError(env, "expression must not contain NUL characters");
  }
  int linkType = IntArg(info, 1, "linkType");
  int snaplen = IntArg(info, 2, "snaplen");
  if (!info[3].IsBoolean()) throw ArgTypeError(env, "optimize must be a boolean");
  bool optimize = info[3].As<Napi::Boolean>().Value();
  if (!info[4].IsNumber()) throw ArgTypeError(env, "netmask must be a number");
  double netmaskValue = info[4].As<Napi::Number>().DoubleValue();
  if (netmaskValue < 0 || netmaskValue > 4294967295.0 || netmaskValue != static_cast<uint32_t>(netmaskValue)) {
    throw ArgRangeError(env, "netmask must be an unsigned 32-bit integer");
  }
  uint32_t netmask = static_cast<uint32_t>(netmaskValue);
  if (!info[5].IsArray()) throw ArgTypeError(env, "libraries must be an array of strings");
  Napi::Array names = info[5].As<Napi::Array>();

  Session session;
  std::string path;
  std::string failures;
  for (uint32_t i = 0; i < names.Length() && session.library == nullptr; i++) {
    Napi::Value name = names.Get(i);
    if (!name.IsString()) throw ArgTypeError(env, "libraries must be an array of strings");
    path = name.As<Napi::String>().Utf8Value();
    session.library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (session.library == nullptr) {
      const char* why = dlerror();
      failures += "\n  " + (why != nullptr ? std::string(why) : path);
    }
  }
  if (session.library == nullptr) {
    throw CodedError(env,
                     "libpcap is needed to compile filter expressions but could not be loaded; install it "
                     "(Debian/Ubuntu: apt install libpcap0.8, Fedora: dnf install libpcap)" +
                         failures,
                     "ERR_LIBPCAP_MISSING");
  }
  auto openDead = Symbol<OpenDeadFn>(env, session.library, "pcap_open_dead", path);
  auto compile = Symbol<CompileFn>(env, session.library, "pcap_compile", path);
  auto geterr = Symbol<GetErrFn>(env, session.library, "pcap_geterr", path);
  session.freecode = Symbol<FreeCodeFn>(env, session.library, "pcap_freecode", path);
  session.close = Symbol<CloseFn>(env, session.library, "pcap_close", path);

  session.pcap = openDead(linkType, snaplen);
  if (session.pcap == nullptr) {
    throw CodedError(env, "pcap_open_dead failed (out of memory?)", "ERR_PCAP_COMPILE");
  }
  if (compile(session.pcap, &session.program, expression.c_str(), optimize ? 1 : 0, netmask) != 0) {
    const char* message = geterr(session.pcap);
    throw CodedError(env, message != nullptr && *message != '\0' ? message : "pcap_compile failed", "ERR_PCAP_COMPILE");
  }
  session.compiled = true;
  size_t length = session.program.bf_len;
  if (length > 0 && session.program.bf_insns == nullptr) {
    throw CodedError(env, "pcap_compile returned no instructions", "ERR_PCAP_COMPILE");
  }
  Napi::Buffer<uint8_t> result = Napi::Buffer<uint8_t>::New(env, length * sizeof(PcapInsn));
  if (length > 0) std::memcpy(result.Data(), session.program.bf_insns, length * sizeof(PcapInsn));
  return result;
}

}  // namespace

void InitPcapCompile(Napi::Env env, Napi::Object exports) {
  exports.Set("pcapCompile", Napi::Function::New(env, PcapCompile, "pcapCompile"));
}

}  // namespace rawsock
