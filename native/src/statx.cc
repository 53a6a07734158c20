// statx(2).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "module.h"

namespace cfs {

static Napi::Object Timestamp(Napi::Env env, const struct statx_timestamp &t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("sec", Napi::Number::New(env, static_cast<double>(t.tv_sec)));
  o.Set("nsec", Napi::Number::New(env, t.tv_nsec));
  return o;
}

static Napi::Number Num(Napi::Env env, uint64_t v) {
  return Napi::Number::New(env, static_cast<double>(v));
}

// statx(dirfd, path, flags = 0, mask = STATX_BASIC_STATS | STATX_BTIME)
// ino is a bigint; every other 64-bit field is a number (exact below 2^53).
static Napi::Value Statx(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int dirfd = ArgInt(info, 0, "dirfd");
  std::string path = ArgPath(info, 1, "path");
  int flags = ArgInt(info, 2, "flags", 0);
  unsigned mask = ArgUint(info, 3, "mask", STATX_BASIC_STATS | STATX_BTIME);
  struct statx st = {};
  if (::statx(dirfd, path.c_str(), flags, mask, &st) < 0) {
    SysCall c{"statx",
              FdArg("dirfd", dirfd) + ", " + Quote(path) + ", " +
                  FlagsArg("flags", flags) + ", " + FlagsArg("mask", mask),
              path, std::nullopt, std::nullopt};
    SetDirfd(c, dirfd);
    ThrowErrno(env, errno, c);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("mask", Num(env, st.stx_mask));
  o.Set("blksize", Num(env, st.stx_blksize));
  o.Set("attributes", Num(env, st.stx_attributes));
  o.Set("nlink", Num(env, st.stx_nlink));
  o.Set("uid", Num(env, st.stx_uid));
  o.Set("gid", Num(env, st.stx_gid));
  o.Set("mode", Num(env, st.stx_mode));
  o.Set("ino", Napi::BigInt::New(env, static_cast<uint64_t>(st.stx_ino)));
  o.Set("size", Num(env, st.stx_size));
  o.Set("blocks", Num(env, st.stx_blocks));
  o.Set("attributesMask", Num(env, st.stx_attributes_mask));
  o.Set("atime", Timestamp(env, st.stx_atime));
  o.Set("btime", Timestamp(env, st.stx_btime));
  o.Set("ctime", Timestamp(env, st.stx_ctime));
  o.Set("mtime", Timestamp(env, st.stx_mtime));
  o.Set("rdevMajor", Num(env, st.stx_rdev_major));
  o.Set("rdevMinor", Num(env, st.stx_rdev_minor));
  o.Set("devMajor", Num(env, st.stx_dev_major));
  o.Set("devMinor", Num(env, st.stx_dev_minor));
  o.Set("mntId", Num(env, st.stx_mnt_id));
  o.Set("dioMemAlign", Num(env, st.stx_dio_mem_align));
  o.Set("dioOffsetAlign", Num(env, st.stx_dio_offset_align));
  return o;
}

void InitStatx(Napi::Env env, Napi::Object exports) {
  exports.Set("statx", Napi::Function::New(env, Statx, "statx"));
}

}  // namespace cfs
