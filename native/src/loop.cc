// Loop device ioctls.
#include <linux/loop.h>
#include <sys/ioctl.h>

#include <cstring>

#include "args.h"
#include "errors.h"
#include "module.h"

namespace cfs {

static SysCall IoctlCall(int fd, const char *request, std::string extra = "") {
  return SysCall{"ioctl", "fd=" + std::to_string(fd) + ", " + request + extra,
                 std::nullopt, std::nullopt, fd};
}

// loopCtlGetFree(controlFd) -> device number N (for /dev/loopN)
static Napi::Value LoopCtlGetFree(const Napi::CallbackInfo &info) {
  int fd = ArgInt(info, 0, "controlFd");
  int n = ::ioctl(fd, LOOP_CTL_GET_FREE);
  if (n < 0) ThrowErrno(info.Env(), errno, IoctlCall(fd, "LOOP_CTL_GET_FREE"));
  return Napi::Number::New(info.Env(), n);
}

// loopConfigure(loopFd, backingFd, { readOnly, autoclear, directIo,
//   partscan, blockSize, offset, sizeLimit, fileName })
static Napi::Value LoopConfigure(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = ArgInt(info, 0, "loopFd");
  int backing = ArgInt(info, 1, "backingFd");
  Napi::Object opts = ArgOptObject(info, 2, "options");
  struct loop_config cfg = {};
  cfg.fd = static_cast<uint32_t>(backing);
  cfg.block_size = static_cast<uint32_t>(
      ValueU64(env, opts.Get("blockSize"), "options.blockSize", 0));
  cfg.info.lo_offset = ValueU64(env, opts.Get("offset"), "options.offset", 0);
  cfg.info.lo_sizelimit =
      ValueU64(env, opts.Get("sizeLimit"), "options.sizeLimit", 0);
  uint32_t flags = 0;
  if (PropBool(opts, "readOnly")) flags |= LO_FLAGS_READ_ONLY;
  if (PropBool(opts, "autoclear")) flags |= LO_FLAGS_AUTOCLEAR;
  if (PropBool(opts, "directIo")) flags |= LO_FLAGS_DIRECT_IO;
  if (PropBool(opts, "partscan")) flags |= LO_FLAGS_PARTSCAN;
  cfg.info.lo_flags = flags;
  Napi::Value name = opts.Get("fileName");
  if (name.IsString()) {
    std::string s = name.As<Napi::String>().Utf8Value();
    std::strncpy(reinterpret_cast<char *>(cfg.info.lo_file_name), s.c_str(),
                 LO_NAME_SIZE - 1);
  }
  if (::ioctl(fd, LOOP_CONFIGURE, &cfg) < 0) {
    ThrowErrno(env, errno,
               IoctlCall(fd, "LOOP_CONFIGURE",
                         ", backing_fd=" + std::to_string(backing)));
  }
  return env.Undefined();
}

// loopClrFd(loopFd)
static Napi::Value LoopClrFd(const Napi::CallbackInfo &info) {
  int fd = ArgInt(info, 0, "loopFd");
  if (::ioctl(fd, LOOP_CLR_FD) < 0) {
    ThrowErrno(info.Env(), errno, IoctlCall(fd, "LOOP_CLR_FD"));
  }
  return info.Env().Undefined();
}

void InitLoop(Napi::Env env, Napi::Object exports) {
  exports.Set("loopCtlGetFree",
              Napi::Function::New(env, LoopCtlGetFree, "loopCtlGetFree"));
  exports.Set("loopConfigure",
              Napi::Function::New(env, LoopConfigure, "loopConfigure"));
  exports.Set("loopClrFd", Napi::Function::New(env, LoopClrFd, "loopClrFd"));
}

}  // namespace cfs
