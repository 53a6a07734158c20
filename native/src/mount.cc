// New mount API (fsopen & co.), mount(2) and umount2(2).
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <vector>

#include "args.h"
#include "errors.h"
#include "module.h"

#ifndef FSCONFIG_CMD_CREATE_EXCL
#define FSCONFIG_CMD_CREATE_EXCL 8
#endif

namespace cfs {

static std::string OptQuote(const std::optional<std::string> &s) {
  return s ? Quote(*s) : std::string("NULL");
}

// fsopen(fsname, flags = 0) -> fd
static Napi::Value FsOpen(const Napi::CallbackInfo &info) {
  std::string fsname = ArgPath(info, 0, "fsname");
  unsigned flags = ArgUint(info, 1, "flags", 0);
  int fd = ::fsopen(fsname.c_str(), flags);
  if (fd < 0) {
    ThrowErrno(info.Env(), errno,
               SysCall{"fsopen", Quote(fsname) + ", " + FlagsArg("flags", flags),
                       std::nullopt, std::nullopt, std::nullopt});
  }
  return Napi::Number::New(info.Env(), fd);
}

// Shared shape of fspick and open_tree: (dirfd, path, flags = 0) -> fd.
static Napi::Value DirfdPathFlagsToFd(const Napi::CallbackInfo &info,
                                      const char *name,
                                      int (*call)(int, const char *,
                                                  unsigned)) {
  int dirfd = ArgInt(info, 0, "dirfd");
  std::string path = ArgPath(info, 1, "path");
  unsigned flags = ArgUint(info, 2, "flags", 0);
  int fd = call(dirfd, path.c_str(), flags);
  if (fd < 0) {
    SysCall c{name,
              FdArg("dirfd", dirfd) + ", " + Quote(path) + ", " +
                  FlagsArg("flags", flags),
              path, std::nullopt, std::nullopt};
    SetDirfd(c, dirfd);
    ThrowErrno(info.Env(), errno, c);
  }
  return Napi::Number::New(info.Env(), fd);
}

// fspick(dirfd, path, flags = 0) -> fd
static Napi::Value FsPick(const Napi::CallbackInfo &info) {
  return DirfdPathFlagsToFd(info, "fspick", [](int d, const char *p, unsigned f) {
    return ::fspick(d, p, f);
  });
}

static const char *FsconfigCmdName(unsigned cmd) {
  switch (cmd) {
    case FSCONFIG_SET_FLAG: return "FSCONFIG_SET_FLAG";
    case FSCONFIG_SET_STRING: return "FSCONFIG_SET_STRING";
    case FSCONFIG_SET_BINARY: return "FSCONFIG_SET_BINARY";
    case FSCONFIG_SET_PATH: return "FSCONFIG_SET_PATH";
    case FSCONFIG_SET_PATH_EMPTY: return "FSCONFIG_SET_PATH_EMPTY";
    case FSCONFIG_SET_FD: return "FSCONFIG_SET_FD";
    case FSCONFIG_CMD_CREATE: return "FSCONFIG_CMD_CREATE";
    case FSCONFIG_CMD_RECONFIGURE: return "FSCONFIG_CMD_RECONFIGURE";
    case FSCONFIG_CMD_CREATE_EXCL: return "FSCONFIG_CMD_CREATE_EXCL";
    default: return nullptr;
  }
}

// fsconfig(fsfd, cmd, key | null, value: string | Buffer | null, aux = 0)
// A value is passed NUL-terminated; for FSCONFIG_SET_BINARY pass its length
// as aux.
static Napi::Value FsConfig(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fsfd = ArgInt(info, 0, "fsfd");
  unsigned cmd = ArgUint(info, 1, "cmd");
  std::optional<std::string> key = ArgOptPath(info, 2, "key");
  std::optional<std::vector<char>> value;
  if (!info[3].IsNull() && !info[3].IsUndefined()) {
    value = ArgBytes(info, 3, "value");
    value->push_back('\0');
  }
  int aux = ArgInt(info, 4, "aux", 0);
  if (::fsconfig(fsfd, cmd, key ? key->c_str() : nullptr,
                 value ? value->data() : nullptr, aux) < 0) {
    int err = errno;
    const char *cmd_name = FsconfigCmdName(cmd);
    std::string args = "fsfd=" + std::to_string(fsfd) + ", " +
                       (cmd_name ? cmd_name : std::to_string(cmd)) + ", " +
                       OptQuote(key) + ", ";
    std::optional<std::string> path;
    if (!value) {
      args += "NULL";
    } else if (cmd == FSCONFIG_SET_BINARY) {
      args += "<" + std::to_string(value->size() - 1) + " bytes>";
    } else {
      std::string text(value->data(), value->size() - 1);
      args += Quote(text);
      if (cmd == FSCONFIG_SET_PATH || cmd == FSCONFIG_SET_PATH_EMPTY) {
        path = text;
      }
    }
    args += ", aux=" + std::to_string(aux);
    ThrowErrno(env, err, SysCall{"fsconfig", args, path, std::nullopt, fsfd});
  }
  return env.Undefined();
}

// fsmount(fsfd, flags = 0, attrFlags = 0) -> mount fd
static Napi::Value FsMount(const Napi::CallbackInfo &info) {
  int fsfd = ArgInt(info, 0, "fsfd");
  unsigned flags = ArgUint(info, 1, "flags", 0);
  unsigned attr = ArgUint(info, 2, "attrFlags", 0);
  int fd = ::fsmount(fsfd, flags, attr);
  if (fd < 0) {
    ThrowErrno(info.Env(), errno,
               SysCall{"fsmount",
                       "fsfd=" + std::to_string(fsfd) + ", " +
                           FlagsArg("flags", flags) + ", " +
                           FlagsArg("attr_flags", attr),
                       std::nullopt, std::nullopt, fsfd});
  }
  return Napi::Number::New(info.Env(), fd);
}

// moveMount(fromDirfd, fromPath, toDirfd, toPath, flags = 0)
static Napi::Value MoveMount(const Napi::CallbackInfo &info) {
  int from_dirfd = ArgInt(info, 0, "fromDirfd");
  std::string from_path = ArgPath(info, 1, "fromPath");
  int to_dirfd = ArgInt(info, 2, "toDirfd");
  std::string to_path = ArgPath(info, 3, "toPath");
  unsigned flags = ArgUint(info, 4, "flags", 0);
  if (::move_mount(from_dirfd, from_path.c_str(), to_dirfd, to_path.c_str(),
                   flags) < 0) {
    SysCall c{"move_mount",
              FdArg("from_dirfd", from_dirfd) + ", " + Quote(from_path) + ", " +
                  FdArg("to_dirfd", to_dirfd) + ", " + Quote(to_path) + ", " +
                  FlagsArg("flags", flags),
              from_path, to_path, std::nullopt};
    SetDirfd(c, from_dirfd);
    ThrowErrno(info.Env(), errno, c);
  }
  return info.Env().Undefined();
}

// openTree(dirfd, path, flags = 0) -> fd
static Napi::Value OpenTree(const Napi::CallbackInfo &info) {
  return DirfdPathFlagsToFd(info, "open_tree", [](int d, const char *p, unsigned f) {
    return ::open_tree(d, p, f);
  });
}

// mountSetattr(dirfd, path, flags, { attrSet, attrClr, propagation, usernsFd })
static Napi::Value MountSetattr(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int dirfd = ArgInt(info, 0, "dirfd");
  std::string path = ArgPath(info, 1, "path");
  unsigned flags = ArgUint(info, 2, "flags", 0);
  Napi::Object o = ArgOptObject(info, 3, "attr");
  struct mount_attr attr = {};
  attr.attr_set = ValueU64(env, o.Get("attrSet"), "attr.attrSet", 0);
  attr.attr_clr = ValueU64(env, o.Get("attrClr"), "attr.attrClr", 0);
  attr.propagation = ValueU64(env, o.Get("propagation"), "attr.propagation", 0);
  attr.userns_fd = ValueU64(env, o.Get("usernsFd"), "attr.usernsFd", 0);
  if (::mount_setattr(dirfd, path.c_str(), flags, &attr, sizeof attr) < 0) {
    SysCall c{"mount_setattr",
              FdArg("dirfd", dirfd) + ", " + Quote(path) + ", " +
                  FlagsArg("flags", flags) + ", " +
                  FlagsArg("attr_set", attr.attr_set) + ", " +
                  FlagsArg("attr_clr", attr.attr_clr),
              path, std::nullopt, std::nullopt};
    SetDirfd(c, dirfd);
    ThrowErrno(env, errno, c);
  }
  return env.Undefined();
}

// fsReadMessages(fsfd) -> string[]; drains the fs context's message log.
// ENODATA/EAGAIN end the list; other read errors throw.
static Napi::Value FsReadMessages(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = ArgInt(info, 0, "fsfd");
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  std::vector<char> buf(16384);
  for (;;) {
    ssize_t got = RetryEintr([&] { return ::read(fd, buf.data(), buf.size()); });
    if (got < 0) {
      if (errno == ENODATA || errno == EAGAIN) break;
      if (errno == EMSGSIZE) {
        out.Set(n++, "(fs context message too long)");
        continue;
      }
      ThrowErrno(env, errno,
                 SysCall{"read", "fsfd=" + std::to_string(fd), std::nullopt,
                         std::nullopt, fd});
    }
    if (got == 0) break;
    size_t len = static_cast<size_t>(got);
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\0')) --len;
    out.Set(n++, Napi::String::New(env, buf.data(), len));
  }
  return out;
}

// mount(source | null, target, fstype | null, flags = 0, data | null)
static Napi::Value Mount(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::optional<std::string> source = ArgOptPath(info, 0, "source");
  std::string target = ArgPath(info, 1, "target");
  std::optional<std::string> fstype = ArgOptPath(info, 2, "fstype");
  unsigned long flags = ArgU64(info, 3, "flags", 0);
  std::optional<std::vector<char>> data;
  if (!info[4].IsNull() && !info[4].IsUndefined()) {
    data = ArgBytes(info, 4, "data");
    data->push_back('\0');
  }
  if (::mount(source ? source->c_str() : nullptr, target.c_str(),
              fstype ? fstype->c_str() : nullptr, flags,
              data ? data->data() : nullptr) < 0) {
    ThrowErrno(env, errno,
               SysCall{"mount",
                       OptQuote(source) + ", " + Quote(target) + ", " +
                           OptQuote(fstype) + ", " + FlagsArg("flags", flags),
                       target, std::nullopt, std::nullopt});
  }
  return env.Undefined();
}

// umount2(target, flags = 0)
static Napi::Value Umount2(const Napi::CallbackInfo &info) {
  std::string target = ArgPath(info, 0, "target");
  int flags = ArgInt(info, 1, "flags", 0);
  if (::umount2(target.c_str(), flags) < 0) {
    ThrowErrno(info.Env(), errno,
               SysCall{"umount2", Quote(target) + ", " + FlagsArg("flags", flags),
                       target, std::nullopt, std::nullopt});
  }
  return info.Env().Undefined();
}

void InitMount(Napi::Env env, Napi::Object exports) {
  exports.Set("fsopen", Napi::Function::New(env, FsOpen, "fsopen"));
  exports.Set("fspick", Napi::Function::New(env, FsPick, "fspick"));
  exports.Set("fsconfig", Napi::Function::New(env, FsConfig, "fsconfig"));
  exports.Set("fsmount", Napi::Function::New(env, FsMount, "fsmount"));
  exports.Set("moveMount", Napi::Function::New(env, MoveMount, "moveMount"));
  exports.Set("openTree", Napi::Function::New(env, OpenTree, "openTree"));
  exports.Set("mountSetattr",
              Napi::Function::New(env, MountSetattr, "mountSetattr"));
  exports.Set("fsReadMessages",
              Napi::Function::New(env, FsReadMessages, "fsReadMessages"));
  exports.Set("mount", Napi::Function::New(env, Mount, "mount"));
  exports.Set("umount2", Napi::Function::New(env, Umount2, "umount2"));
}

}  // namespace cfs
