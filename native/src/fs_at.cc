// *at() family, fsync/syncfs/flock/close.
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "module.h"

namespace cfs {

static SysCall AtCall(const char *name, int dirfd, const std::string &path,
                      std::string extra = "") {
  SysCall c{name, FdArg("dirfd", dirfd) + ", " + Quote(path) + extra, path,
            std::nullopt, std::nullopt};
  SetDirfd(c, dirfd);
  return c;
}

static SysCall FdCall(const char *name, int fd, std::string extra = "") {
  return SysCall{name, "fd=" + std::to_string(fd) + extra, std::nullopt,
                 std::nullopt, fd};
}

// openat(dirfd, path, flags, mode = 0) -> fd
static Napi::Value OpenAt(const Napi::CallbackInfo &info) {
  int dirfd = ArgInt(info, 0, "dirfd");
  std::string path = ArgPath(info, 1, "path");
  int flags = ArgInt(info, 2, "flags");
  mode_t mode = ArgUint(info, 3, "mode", 0);
  int fd = RetryEintr([&] { return ::openat(dirfd, path.c_str(), flags, mode); });
  if (fd < 0) {
    ThrowErrno(info.Env(), errno,
               AtCall("openat", dirfd, path, ", " + FlagsArg("flags", flags)));
  }
  return Napi::Number::New(info.Env(), fd);
}

// openat2(dirfd, path, { flags, mode, resolve }) -> fd
static Napi::Value OpenAt2(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int dirfd = ArgInt(info, 0, "dirfd");
  std::string path = ArgPath(info, 1, "path");
  Napi::Object how_obj = ArgOptObject(info, 2, "how");
  struct open_how how = {};
  how.flags = ValueU64(env, how_obj.Get("flags"), "how.flags", 0);
  how.mode = ValueU64(env, how_obj.Get("mode"), "how.mode", 0);
  how.resolve = ValueU64(env, how_obj.Get("resolve"), "how.resolve", 0);
  long fd = RetryEintr([&] {
    return syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
  });
  if (fd < 0) {
    ThrowErrno(env, errno,
               AtCall("openat2", dirfd, path,
                      ", " + FlagsArg("flags", how.flags) + ", " +
                          FlagsArg("resolve", how.resolve)));
  }
  return Napi::Number::New(env, static_cast<double>(fd));
}

// mkdirat(dirfd, path, mode = 0o777)
static Napi::Value MkdirAt(const Napi::CallbackInfo &info) {
  int dirfd = ArgInt(info, 0, "dirfd");
  std::string path = ArgPath(info, 1, "path");
  mode_t mode = ArgUint(info, 2, "mode", 0777);
  if (::mkdirat(dirfd, path.c_str(), mode) < 0) {
    ThrowErrno(info.Env(), errno, AtCall("mkdirat", dirfd, path));
  }
  return info.Env().Undefined();
}

static SysCall TwoPathCall(const char *name, int olddirfd,
                           const std::string &oldpath, int newdirfd,
                           const std::string &newpath, unsigned flags) {
  SysCall c{name,
            FdArg("olddirfd", olddirfd) + ", " + Quote(oldpath) + ", " +
                FdArg("newdirfd", newdirfd) + ", " + Quote(newpath) + ", " +
                FlagsArg("flags", flags),
            oldpath, newpath, std::nullopt};
  SetDirfd(c, olddirfd);
  return c;
}

// linkat(olddirfd, oldpath, newdirfd, newpath, flags = 0)
static Napi::Value LinkAt(const Napi::CallbackInfo &info) {
  int olddirfd = ArgInt(info, 0, "olddirfd");
  std::string oldpath = ArgPath(info, 1, "oldpath");
  int newdirfd = ArgInt(info, 2, "newdirfd");
  std::string newpath = ArgPath(info, 3, "newpath");
  int flags = ArgInt(info, 4, "flags", 0);
  if (::linkat(olddirfd, oldpath.c_str(), newdirfd, newpath.c_str(), flags) <
      0) {
    ThrowErrno(info.Env(), errno,
               TwoPathCall("linkat", olddirfd, oldpath, newdirfd, newpath,
                           static_cast<unsigned>(flags)));
  }
  return info.Env().Undefined();
}

// renameat2(olddirfd, oldpath, newdirfd, newpath, flags = 0)
static Napi::Value RenameAt2(const Napi::CallbackInfo &info) {
  int olddirfd = ArgInt(info, 0, "olddirfd");
  std::string oldpath = ArgPath(info, 1, "oldpath");
  int newdirfd = ArgInt(info, 2, "newdirfd");
  std::string newpath = ArgPath(info, 3, "newpath");
  unsigned flags = ArgUint(info, 4, "flags", 0);
  if (::renameat2(olddirfd, oldpath.c_str(), newdirfd, newpath.c_str(),
                  flags) < 0) {
    ThrowErrno(info.Env(), errno,
               TwoPathCall("renameat2", olddirfd, oldpath, newdirfd, newpath,
                           flags));
  }
  return info.Env().Undefined();
}

// symlinkat(target, newdirfd, linkpath)
static Napi::Value SymlinkAt(const Napi::CallbackInfo &info) {
  std::string target = ArgPath(info, 0, "target");
  int newdirfd = ArgInt(info, 1, "newdirfd");
  std::string linkpath = ArgPath(info, 2, "linkpath");
  if (::symlinkat(target.c_str(), newdirfd, linkpath.c_str()) < 0) {
    SysCall c{"symlinkat",
              Quote(target) + ", " + FdArg("newdirfd", newdirfd) + ", " +
                  Quote(linkpath),
              target, linkpath, std::nullopt};
    SetDirfd(c, newdirfd);
    ThrowErrno(info.Env(), errno, c);
  }
  return info.Env().Undefined();
}

static std::string ReadLink(const Napi::CallbackInfo &info) {
  int dirfd = ArgInt(info, 0, "dirfd");
  std::string path = ArgPath(info, 1, "path");
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = ::readlinkat(dirfd, path.c_str(), buf.data(), buf.size());
    if (n < 0) ThrowErrno(info.Env(), errno, AtCall("readlinkat", dirfd, path));
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    buf.resize(buf.size() * 2);
  }
}

// readlinkat(dirfd, path) -> string (UTF-8 decoded)
static Napi::Value ReadLinkAt(const Napi::CallbackInfo &info) {
  return Napi::String::New(info.Env(), ReadLink(info));
}

// readlinkatBuffer(dirfd, path) -> Buffer (raw bytes)
static Napi::Value ReadLinkAtBuffer(const Napi::CallbackInfo &info) {
  std::string target = ReadLink(info);
  return Napi::Buffer<char>::Copy(info.Env(), target.data(), target.size());
}

// unlinkat(dirfd, path, flags = 0)
static Napi::Value UnlinkAt(const Napi::CallbackInfo &info) {
  int dirfd = ArgInt(info, 0, "dirfd");
  std::string path = ArgPath(info, 1, "path");
  int flags = ArgInt(info, 2, "flags", 0);
  if (::unlinkat(dirfd, path.c_str(), flags) < 0) {
    ThrowErrno(info.Env(), errno,
               AtCall("unlinkat", dirfd, path, ", " + FlagsArg("flags", flags)));
  }
  return info.Env().Undefined();
}

// fchmodat(dirfd, path, mode, flags = 0)
static Napi::Value FchmodAt(const Napi::CallbackInfo &info) {
  int dirfd = ArgInt(info, 0, "dirfd");
  std::string path = ArgPath(info, 1, "path");
  mode_t mode = ArgUint(info, 2, "mode");
  int flags = ArgInt(info, 3, "flags", 0);
  if (::fchmodat(dirfd, path.c_str(), mode, flags) < 0) {
    char m[16];
    snprintf(m, sizeof m, ", 0%o", static_cast<unsigned>(mode));
    ThrowErrno(info.Env(), errno, AtCall("fchmodat", dirfd, path, m));
  }
  return info.Env().Undefined();
}

// fsync(fd)
static Napi::Value Fsync(const Napi::CallbackInfo &info) {
  int fd = ArgInt(info, 0, "fd");
  if (RetryEintr([&] { return ::fsync(fd); }) < 0) {
    ThrowErrno(info.Env(), errno, FdCall("fsync", fd));
  }
  return info.Env().Undefined();
}

// syncfs(fd)
static Napi::Value Syncfs(const Napi::CallbackInfo &info) {
  int fd = ArgInt(info, 0, "fd");
  if (::syncfs(fd) < 0) ThrowErrno(info.Env(), errno, FdCall("syncfs", fd));
  return info.Env().Undefined();
}

// flock(fd, operation)
static Napi::Value Flock(const Napi::CallbackInfo &info) {
  int fd = ArgInt(info, 0, "fd");
  int op = ArgInt(info, 1, "operation");
  if (RetryEintr([&] { return ::flock(fd, op); }) < 0) {
    ThrowErrno(info.Env(), errno,
               FdCall("flock", fd, ", " + FlagsArg("operation", op)));
  }
  return info.Env().Undefined();
}

// close(fd). EINTR is not retried: Linux always releases the descriptor.
static Napi::Value Close(const Napi::CallbackInfo &info) {
  int fd = ArgInt(info, 0, "fd");
  if (::close(fd) < 0 && errno != EINTR) {
    ThrowErrno(info.Env(), errno, FdCall("close", fd));
  }
  return info.Env().Undefined();
}

void InitFsAt(Napi::Env env, Napi::Object exports) {
  exports.Set("openat", Napi::Function::New(env, OpenAt, "openat"));
  exports.Set("openat2", Napi::Function::New(env, OpenAt2, "openat2"));
  exports.Set("mkdirat", Napi::Function::New(env, MkdirAt, "mkdirat"));
  exports.Set("linkat", Napi::Function::New(env, LinkAt, "linkat"));
  exports.Set("renameat2", Napi::Function::New(env, RenameAt2, "renameat2"));
  exports.Set("symlinkat", Napi::Function::New(env, SymlinkAt, "symlinkat"));
  exports.Set("readlinkat", Napi::Function::New(env, ReadLinkAt, "readlinkat"));
  exports.Set("readlinkatBuffer",
              Napi::Function::New(env, ReadLinkAtBuffer, "readlinkatBuffer"));
  exports.Set("unlinkat", Napi::Function::New(env, UnlinkAt, "unlinkat"));
  exports.Set("fchmodat", Napi::Function::New(env, FchmodAt, "fchmodat"));
  exports.Set("fsync", Napi::Function::New(env, Fsync, "fsync"));
  exports.Set("syncfs", Napi::Function::New(env, Syncfs, "syncfs"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
}

}  // namespace cfs
