// udplite-off COMMAND [ARGS...]: runs COMMAND as if the kernel had no UDP-Lite (Linux >= 7.1).
//
// A seccomp filter makes socket(AF_INET or AF_INET6, SOCK_DGRAM, 136) fail with EPROTONOSUPPORT,
// which is what inet_create() answers for a protocol the kernel does not have. Everything else,
// raw sockets of protocol 136 included, works as before. The filter is inherited by every child
// and cannot be removed, so the whole process tree sees a kernel without UDP-Lite.
// Needs no privilege: PR_SET_NO_NEW_PRIVS allows an unprivileged process to install a filter.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "udplite-off: add this architecture's AUDIT_ARCH value"
#endif

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "udplite-off: the argument offsets below assume a little-endian machine"
#endif

// Low 32 bits of syscall argument i.
#define ARG(i) (offsetof(struct seccomp_data, args) + 8 * (i))

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: udplite-off COMMAND [ARGS...]\n");
    return 2;
  }
  struct sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG(0)),  // domain
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 0, 6),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG(2)),  // protocol
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDPLITE, 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG(1)),  // type, without SOCK_NONBLOCK / SOCK_CLOEXEC
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOCK_DGRAM, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPROTONOSUPPORT & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog fprog = {.len = sizeof(program) / sizeof(program[0]), .filter = program};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    perror("udplite-off: prctl(PR_SET_NO_NEW_PRIVS)");
    return 126;
  }
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) != 0) {
    perror("udplite-off: prctl(PR_SET_SECCOMP)");
    return 126;
  }
  execvp(argv[1], argv + 1);
  perror("udplite-off: exec");
  return 127;
}
