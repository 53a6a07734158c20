// fs-verity ioctls.
#include <linux/fsverity.h>
#include <sys/ioctl.h>

#include <vector>

#include "args.h"
#include "errors.h"
#include "module.h"

namespace cfs {

// fsverityEnable(fd, hashAlgorithm, blockSize = 4096)
// Version 1 descriptor without salt or signature.
static Napi::Value FsverityEnable(const Napi::CallbackInfo &info) {
  int fd = ArgInt(info, 0, "fd");
  uint32_t alg = ArgUint(info, 1, "hashAlgorithm");
  uint32_t block_size = ArgUint(info, 2, "blockSize", 4096);
  struct fsverity_enable_arg arg = {};
  arg.version = 1;
  arg.hash_algorithm = alg;
  arg.block_size = block_size;
  if (RetryEintr([&] { return ::ioctl(fd, FS_IOC_ENABLE_VERITY, &arg); }) < 0) {
    ThrowErrno(info.Env(), errno,
               SysCall{"ioctl",
                       "fd=" + std::to_string(fd) +
                           ", FS_IOC_ENABLE_VERITY, alg=" + std::to_string(alg) +
                           ", block_size=" + std::to_string(block_size),
                       std::nullopt, std::nullopt, fd});
  }
  return info.Env().Undefined();
}

// fsverityMeasure(fd, maxDigestSize = 64) -> { algorithm, digest }
static Napi::Value FsverityMeasure(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = ArgInt(info, 0, "fd");
  uint32_t max = ArgUint(info, 1, "maxDigestSize", 64);
  if (max > 0xffff) {
    throw Napi::RangeError::New(env, "maxDigestSize must be at most 65535");
  }
  std::vector<uint8_t> buf(sizeof(struct fsverity_digest) + max);
  auto *d = reinterpret_cast<struct fsverity_digest *>(buf.data());
  d->digest_size = static_cast<uint16_t>(max);
  if (::ioctl(fd, FS_IOC_MEASURE_VERITY, d) < 0) {
    ThrowErrno(env, errno,
               SysCall{"ioctl",
                       "fd=" + std::to_string(fd) + ", FS_IOC_MEASURE_VERITY",
                       std::nullopt, std::nullopt, fd});
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("algorithm", Napi::Number::New(env, d->digest_algorithm));
  out.Set("digest",
          Napi::Buffer<uint8_t>::Copy(env, d->digest, d->digest_size));
  return out;
}

void InitVerity(Napi::Env env, Napi::Object exports) {
  exports.Set("fsverityEnable",
              Napi::Function::New(env, FsverityEnable, "fsverityEnable"));
  exports.Set("fsverityMeasure",
              Napi::Function::New(env, FsverityMeasure, "fsverityMeasure"));
}

}  // namespace cfs
