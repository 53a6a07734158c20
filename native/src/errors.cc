#include "errors.h"

#include <fcntl.h>
#include <string.h>

#include <cstdio>

#include "args.h"

namespace cfs {

std::string ErrnoName(int err) {
  const char *name = strerrorname_np(err);
  return name != nullptr ? std::string(name) : std::string();
}

static std::string ErrnoCode(int err) {
  std::string name = ErrnoName(err);
  return name.empty() ? "E" + std::to_string(err) : name;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

std::string FdArg(const char *label, int fd) {
  if (fd == AT_FDCWD) return "AT_FDCWD";
  return std::string(label) + "=" + std::to_string(fd);
}

std::string FlagsArg(const char *label, unsigned long long flags) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", flags);
  return std::string(label) + "=" + buf;
}

void SetDirfd(SysCall &call, int dirfd) {
  if (dirfd != AT_FDCWD) call.fd = dirfd;
}

void ThrowErrno(Napi::Env env, int err, const SysCall &call) {
  char buf[256];
  const char *text = strerror_r(err, buf, sizeof buf);
  std::string message =
      std::string(call.name) + "(" + call.args + "): " + text;
  Napi::Error error = Napi::Error::New(env, message);
  Napi::Object obj = error.Value();
  obj.Set("code", ErrnoCode(err));
  obj.Set("errno", err);
  obj.Set("syscall", call.name);
  if (call.path) obj.Set("path", *call.path);
  if (call.dest) obj.Set("dest", *call.dest);
  if (call.fd) obj.Set("fd", *call.fd);
  throw error;
}

static Napi::Value JsErrnoName(const Napi::CallbackInfo &info) {
  std::string name = ErrnoName(ArgInt(info, 0, "errno"));
  if (name.empty()) return info.Env().Null();
  return Napi::String::New(info.Env(), name);
}

static Napi::Value JsStrerror(const Napi::CallbackInfo &info) {
  char buf[256];
  const char *text = strerror_r(ArgInt(info, 0, "errno"), buf, sizeof buf);
  return Napi::String::New(info.Env(), text);
}

void InitErrors(Napi::Env env, Napi::Object exports) {
  exports.Set("errnoName", Napi::Function::New(env, JsErrnoName, "errnoName"));
  exports.Set("strerror", Napi::Function::New(env, JsStrerror, "strerror"));
}

}  // namespace cfs
