// The non-blocking send calls shared by SocketHandle (socket_handle.cc) and the fd-level
// exports (syscalls.cc).
#pragma once
#include <napi.h>

#include <sys/socket.h>

namespace rawsock {

// sendmsg(2) on `fd` of info[first] (the bytes), to info[first + 1] (an address; optional) with
// info[first + 2] (control data; optional). Returns the bytes sent, or -1 when the kernel has no
// room (EAGAIN: the caller waits instead of dropping); other errors throw.
Napi::Value SendDatagram(const Napi::CallbackInfo& info, int fd, size_t first);

// sendmmsg(2) of `count` messages, retried on EINTR: how many the kernel took, or -1 with errno.
int SendMessages(int fd, mmsghdr* msgs, unsigned count);

}  // namespace rawsock
