// Conversion of errno values into JS Error objects.
#pragma once

#include <napi.h>

#include <cerrno>

#include <optional>
#include <string>
#include <string_view>

namespace cfs {

// Describes a failed system call for the error message and properties.
struct SysCall {
  const char *name;                 // e.g. "openat"
  std::string args;                 // e.g. "dirfd=5, \"objects/ab\""
  std::optional<std::string> path;  // first path argument
  std::optional<std::string> dest;  // second path argument
  std::optional<int> fd;            // file descriptor argument
};

// Throws a JS Error carrying code/errno/syscall/path/dest/fd.
[[noreturn]] void ThrowErrno(Napi::Env env, int err, const SysCall &call);

// "ENOENT" for 2; empty string when unknown.
std::string ErrnoName(int err);

// Formats a string as a double-quoted, escaped literal.
std::string Quote(std::string_view s);

// "AT_FDCWD" for AT_FDCWD, otherwise "<label>=<fd>".
std::string FdArg(const char *label, int fd);

// Hexadecimal flag formatting: "flags=0x1".
std::string FlagsArg(const char *label, unsigned long long flags);

// Sets the fd on `call` unless it is AT_FDCWD.
void SetDirfd(SysCall &call, int dirfd);

// Calls `f` until it does not fail with EINTR.
template <typename F>
auto RetryEintr(F f) -> decltype(f()) {
  decltype(f()) r;
  do {
    r = f();
  } while (r < 0 && errno == EINTR);
  return r;
}

}  // namespace cfs
