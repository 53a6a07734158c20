// Extended attributes on paths (no symlink following) and fds.
#include <sys/xattr.h>

#include <vector>

#include "args.h"
#include "errors.h"
#include "module.h"

namespace cfs {

// Runs a list/get style call (buf, size) -> ssize_t, resizing on ERANGE
// (the value may grow between the size query and the read).
template <typename F>
static bool QueryLoop(F call, std::vector<char> &out) {
  out.resize(1024);
  for (int attempt = 0;; ++attempt) {
    ssize_t got = call(out.data(), out.size());
    if (got >= 0) {
      out.resize(static_cast<size_t>(got));
      return true;
    }
    if (errno != ERANGE || attempt >= 32) return false;
    ssize_t need = call(nullptr, 0);
    if (need < 0) return false;
    out.resize(static_cast<size_t>(need) + 256);
  }
}

// Names come back as latin1 "byte strings" (one UTF-16 code unit per byte), so that names that
// are not valid UTF-8 survive the round trip (pass them back as Buffer.from(name, 'latin1')).
static Napi::Array SplitNames(Napi::Env env, const std::vector<char> &buf) {
  Napi::Array names = Napi::Array::New(env);
  uint32_t n = 0;
  size_t start = 0;
  for (size_t i = 0; i < buf.size(); ++i) {
    if (buf[i] != '\0') continue;
    if (i > start) {
      napi_value name;
      NAPI_THROW_IF_FAILED(env,
                           napi_create_string_latin1(env, buf.data() + start,
                                                     i - start, &name),
                           Napi::Array());
      names.Set(n++, Napi::Value(env, name));
    }
    start = i + 1;
  }
  return names;
}

static SysCall PathCall(const char *name, const std::string &path,
                        const std::string *attr) {
  std::string args = Quote(path);
  if (attr) args += ", " + Quote(*attr);
  return SysCall{name, args, path, std::nullopt, std::nullopt};
}

static SysCall FdCall(const char *name, int fd, const std::string *attr) {
  std::string args = "fd=" + std::to_string(fd);
  if (attr) args += ", " + Quote(*attr);
  return SysCall{name, args, std::nullopt, std::nullopt, fd};
}

// llistxattr(path) -> string[]
static Napi::Value LListXattr(const Napi::CallbackInfo &info) {
  std::string path = ArgPath(info, 0, "path");
  std::vector<char> buf;
  if (!QueryLoop([&](char *b, size_t n) { return ::llistxattr(path.c_str(), b, n); },
                 buf)) {
    ThrowErrno(info.Env(), errno, PathCall("llistxattr", path, nullptr));
  }
  return SplitNames(info.Env(), buf);
}

// flistxattr(fd) -> string[]
static Napi::Value FListXattr(const Napi::CallbackInfo &info) {
  int fd = ArgInt(info, 0, "fd");
  std::vector<char> buf;
  if (!QueryLoop([&](char *b, size_t n) { return ::flistxattr(fd, b, n); }, buf)) {
    ThrowErrno(info.Env(), errno, FdCall("flistxattr", fd, nullptr));
  }
  return SplitNames(info.Env(), buf);
}

// lgetxattr(path, name) -> Buffer
static Napi::Value LGetXattr(const Napi::CallbackInfo &info) {
  std::string path = ArgPath(info, 0, "path");
  std::string name = ArgPath(info, 1, "name");
  std::vector<char> buf;
  if (!QueryLoop(
          [&](char *b, size_t n) {
            return ::lgetxattr(path.c_str(), name.c_str(), b, n);
          },
          buf)) {
    ThrowErrno(info.Env(), errno, PathCall("lgetxattr", path, &name));
  }
  return Napi::Buffer<char>::Copy(info.Env(), buf.data(), buf.size());
}

// fgetxattr(fd, name) -> Buffer
static Napi::Value FGetXattr(const Napi::CallbackInfo &info) {
  int fd = ArgInt(info, 0, "fd");
  std::string name = ArgPath(info, 1, "name");
  std::vector<char> buf;
  if (!QueryLoop(
          [&](char *b, size_t n) { return ::fgetxattr(fd, name.c_str(), b, n); },
          buf)) {
    ThrowErrno(info.Env(), errno, FdCall("fgetxattr", fd, &name));
  }
  return Napi::Buffer<char>::Copy(info.Env(), buf.data(), buf.size());
}

// lsetxattr(path, name, value, flags = 0)
static Napi::Value LSetXattr(const Napi::CallbackInfo &info) {
  std::string path = ArgPath(info, 0, "path");
  std::string name = ArgPath(info, 1, "name");
  std::vector<char> value = ArgBytes(info, 2, "value");
  int flags = ArgInt(info, 3, "flags", 0);
  if (::lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(),
                  flags) < 0) {
    ThrowErrno(info.Env(), errno, PathCall("lsetxattr", path, &name));
  }
  return info.Env().Undefined();
}

// fsetxattr(fd, name, value, flags = 0)
static Napi::Value FSetXattr(const Napi::CallbackInfo &info) {
  int fd = ArgInt(info, 0, "fd");
  std::string name = ArgPath(info, 1, "name");
  std::vector<char> value = ArgBytes(info, 2, "value");
  int flags = ArgInt(info, 3, "flags", 0);
  if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), flags) < 0) {
    ThrowErrno(info.Env(), errno, FdCall("fsetxattr", fd, &name));
  }
  return info.Env().Undefined();
}

// lremovexattr(path, name)
static Napi::Value LRemoveXattr(const Napi::CallbackInfo &info) {
  std::string path = ArgPath(info, 0, "path");
  std::string name = ArgPath(info, 1, "name");
  if (::lremovexattr(path.c_str(), name.c_str()) < 0) {
    ThrowErrno(info.Env(), errno, PathCall("lremovexattr", path, &name));
  }
  return info.Env().Undefined();
}

// fremovexattr(fd, name)
static Napi::Value FRemoveXattr(const Napi::CallbackInfo &info) {
  int fd = ArgInt(info, 0, "fd");
  std::string name = ArgPath(info, 1, "name");
  if (::fremovexattr(fd, name.c_str()) < 0) {
    ThrowErrno(info.Env(), errno, FdCall("fremovexattr", fd, &name));
  }
  return info.Env().Undefined();
}

void InitXattr(Napi::Env env, Napi::Object exports) {
  exports.Set("llistxattr", Napi::Function::New(env, LListXattr, "llistxattr"));
  exports.Set("flistxattr", Napi::Function::New(env, FListXattr, "flistxattr"));
  exports.Set("lgetxattr", Napi::Function::New(env, LGetXattr, "lgetxattr"));
  exports.Set("fgetxattr", Napi::Function::New(env, FGetXattr, "fgetxattr"));
  exports.Set("lsetxattr", Napi::Function::New(env, LSetXattr, "lsetxattr"));
  exports.Set("fsetxattr", Napi::Function::New(env, FSetXattr, "fsetxattr"));
  exports.Set("lremovexattr",
              Napi::Function::New(env, LRemoveXattr, "lremovexattr"));
  exports.Set("fremovexattr",
              Napi::Function::New(env, FRemoveXattr, "fremovexattr"));
}

}  // namespace cfs
