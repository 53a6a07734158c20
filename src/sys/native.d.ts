/**
 * Shape of the `cfsboot.node` addon (native/src). Every function is a thin,
 * synchronous wrapper over one Linux system call. On failure each throws a
 * plain `Error` (see `SysError` in ./errors) whose message reads like
 * `openat(dirfd=5, "objects/ab", flags=0x0): No such file or directory`.
 *
 * Paths and names accept a string (UTF-8) or a Uint8Array/Buffer (raw bytes,
 * no NUL). File descriptors are plain integers usable with node:fs.
 * Only src/sys/addon.ts loads the addon; use the wrappers in src/sys instead.
 */

export type NativePath = string | Uint8Array;
export type NativeBytes = string | Uint8Array;

export interface StatxTimestamp {
  sec: number;
  nsec: number;
}

/**
 * Result of statx(2). `ino` is a bigint (overlayfs/btrfs inode numbers may
 * exceed 2^53); every other 64-bit field is a number (exact below 2^53).
 */
export interface NativeStatx {
  mask: number;
  blksize: number;
  attributes: number;
  nlink: number;
  uid: number;
  gid: number;
  /** File type and permission bits (st_mode). */
  mode: number;
  ino: bigint;
  size: number;
  blocks: number;
  attributesMask: number;
  atime: StatxTimestamp;
  btime: StatxTimestamp;
  ctime: StatxTimestamp;
  mtime: StatxTimestamp;
  rdevMajor: number;
  rdevMinor: number;
  devMajor: number;
  devMinor: number;
  mntId: number;
  dioMemAlign: number;
  dioOffsetAlign: number;
}

export interface NativeOpenHow {
  flags?: number | bigint;
  mode?: number | bigint;
  resolve?: number | bigint;
}

export interface NativeLoopConfig {
  readOnly?: boolean;
  autoclear?: boolean;
  directIo?: boolean;
  partscan?: boolean;
  /** Logical block size; 0/undefined keeps the default. */
  blockSize?: number;
  offset?: number | bigint;
  sizeLimit?: number | bigint;
  /** Informational lo_file_name (truncated to 63 bytes). */
  fileName?: string;
}

export interface NativeMountAttr {
  attrSet?: number | bigint;
  attrClr?: number | bigint;
  /** One of MS_PRIVATE, MS_SLAVE, MS_SHARED, MS_UNBINDABLE or 0. */
  propagation?: number | bigint;
  usernsFd?: number | bigint;
}

export interface NativeMeasurement {
  /** FS_VERITY_HASH_ALG_* value. */
  algorithm: number;
  digest: Buffer;
}

export interface NativeConstants {
  readonly O_RDONLY: number;
  readonly O_WRONLY: number;
  readonly O_RDWR: number;
  readonly O_CREAT: number;
  readonly O_EXCL: number;
  readonly O_TRUNC: number;
  readonly O_APPEND: number;
  readonly O_NONBLOCK: number;
  readonly O_NOCTTY: number;
  readonly O_SYNC: number;
  readonly O_DIRECT: number;
  readonly O_NOATIME: number;
  readonly O_PATH: number;
  readonly O_TMPFILE: number;
  readonly O_DIRECTORY: number;
  readonly O_NOFOLLOW: number;
  readonly O_CLOEXEC: number;
  readonly AT_FDCWD: number;
  readonly AT_EMPTY_PATH: number;
  readonly AT_SYMLINK_NOFOLLOW: number;
  readonly AT_SYMLINK_FOLLOW: number;
  readonly AT_REMOVEDIR: number;
  readonly AT_RECURSIVE: number;
  readonly AT_NO_AUTOMOUNT: number;
  readonly AT_STATX_SYNC_AS_STAT: number;
  readonly AT_STATX_FORCE_SYNC: number;
  readonly AT_STATX_DONT_SYNC: number;
  readonly RENAME_NOREPLACE: number;
  readonly RENAME_EXCHANGE: number;
  readonly RENAME_WHITEOUT: number;
  readonly RESOLVE_NO_XDEV: number;
  readonly RESOLVE_NO_MAGICLINKS: number;
  readonly RESOLVE_NO_SYMLINKS: number;
  readonly RESOLVE_BENEATH: number;
  readonly RESOLVE_IN_ROOT: number;
  readonly RESOLVE_CACHED: number;
  readonly LOCK_SH: number;
  readonly LOCK_EX: number;
  readonly LOCK_NB: number;
  readonly LOCK_UN: number;
  readonly XATTR_CREATE: number;
  readonly XATTR_REPLACE: number;
  readonly STATX_TYPE: number;
  readonly STATX_MODE: number;
  readonly STATX_NLINK: number;
  readonly STATX_UID: number;
  readonly STATX_GID: number;
  readonly STATX_ATIME: number;
  readonly STATX_MTIME: number;
  readonly STATX_CTIME: number;
  readonly STATX_INO: number;
  readonly STATX_SIZE: number;
  readonly STATX_BLOCKS: number;
  readonly STATX_BASIC_STATS: number;
  readonly STATX_BTIME: number;
  readonly STATX_MNT_ID: number;
  readonly STATX_DIOALIGN: number;
  readonly STATX_ATTR_COMPRESSED: number;
  readonly STATX_ATTR_IMMUTABLE: number;
  readonly STATX_ATTR_APPEND: number;
  readonly STATX_ATTR_NODUMP: number;
  readonly STATX_ATTR_ENCRYPTED: number;
  readonly STATX_ATTR_AUTOMOUNT: number;
  readonly STATX_ATTR_MOUNT_ROOT: number;
  readonly STATX_ATTR_VERITY: number;
  readonly STATX_ATTR_DAX: number;
  readonly FS_VERITY_HASH_ALG_SHA256: number;
  readonly FS_VERITY_HASH_ALG_SHA512: number;
  readonly FSOPEN_CLOEXEC: number;
  readonly FSMOUNT_CLOEXEC: number;
  readonly FSPICK_CLOEXEC: number;
  readonly FSPICK_SYMLINK_NOFOLLOW: number;
  readonly FSPICK_NO_AUTOMOUNT: number;
  readonly FSPICK_EMPTY_PATH: number;
  readonly FSCONFIG_SET_FLAG: number;
  readonly FSCONFIG_SET_STRING: number;
  readonly FSCONFIG_SET_BINARY: number;
  readonly FSCONFIG_SET_PATH: number;
  readonly FSCONFIG_SET_PATH_EMPTY: number;
  readonly FSCONFIG_SET_FD: number;
  readonly FSCONFIG_CMD_CREATE: number;
  readonly FSCONFIG_CMD_RECONFIGURE: number;
  readonly FSCONFIG_CMD_CREATE_EXCL: number;
  readonly MOUNT_ATTR_RDONLY: number;
  readonly MOUNT_ATTR_NOSUID: number;
  readonly MOUNT_ATTR_NODEV: number;
  readonly MOUNT_ATTR_NOEXEC: number;
  readonly MOUNT_ATTR__ATIME: number;
  readonly MOUNT_ATTR_RELATIME: number;
  readonly MOUNT_ATTR_NOATIME: number;
  readonly MOUNT_ATTR_STRICTATIME: number;
  readonly MOUNT_ATTR_NODIRATIME: number;
  readonly MOUNT_ATTR_IDMAP: number;
  readonly MOUNT_ATTR_NOSYMFOLLOW: number;
  readonly MOVE_MOUNT_F_SYMLINKS: number;
  readonly MOVE_MOUNT_F_AUTOMOUNTS: number;
  readonly MOVE_MOUNT_F_EMPTY_PATH: number;
  readonly MOVE_MOUNT_T_SYMLINKS: number;
  readonly MOVE_MOUNT_T_AUTOMOUNTS: number;
  readonly MOVE_MOUNT_T_EMPTY_PATH: number;
  readonly MOVE_MOUNT_SET_GROUP: number;
  readonly OPEN_TREE_CLONE: number;
  readonly OPEN_TREE_CLOEXEC: number;
  readonly MS_RDONLY: number;
  readonly MS_NOSUID: number;
  readonly MS_NODEV: number;
  readonly MS_NOEXEC: number;
  readonly MS_SYNCHRONOUS: number;
  readonly MS_REMOUNT: number;
  readonly MS_MANDLOCK: number;
  readonly MS_DIRSYNC: number;
  readonly MS_NOSYMFOLLOW: number;
  readonly MS_NOATIME: number;
  readonly MS_NODIRATIME: number;
  readonly MS_BIND: number;
  readonly MS_MOVE: number;
  readonly MS_REC: number;
  readonly MS_SILENT: number;
  readonly MS_POSIXACL: number;
  readonly MS_UNBINDABLE: number;
  readonly MS_PRIVATE: number;
  readonly MS_SLAVE: number;
  readonly MS_SHARED: number;
  readonly MS_RELATIME: number;
  readonly MS_I_VERSION: number;
  readonly MS_STRICTATIME: number;
  readonly MS_LAZYTIME: number;
  readonly MNT_FORCE: number;
  readonly MNT_DETACH: number;
  readonly MNT_EXPIRE: number;
  readonly UMOUNT_NOFOLLOW: number;
  readonly LO_FLAGS_READ_ONLY: number;
  readonly LO_FLAGS_AUTOCLEAR: number;
  readonly LO_FLAGS_PARTSCAN: number;
  readonly LO_FLAGS_DIRECT_IO: number;
}

export interface NativeAddon {
  readonly constants: NativeConstants;

  /** errno number -> symbolic name ("ENOENT"), or null if unknown. */
  errnoName(errno: number): string | null;
  /** errno number -> human readable text. */
  strerror(errno: number): string;

  // --- *at() family (native/src/fs_at.cc, statx.cc) ---
  /** Returns the new fd. Flags are passed unchanged (no implicit O_CLOEXEC). */
  openat(dirfd: number, path: NativePath, flags: number, mode?: number): number;
  openat2(dirfd: number, path: NativePath, how: NativeOpenHow): number;
  /** mode defaults to 0o777. */
  mkdirat(dirfd: number, path: NativePath, mode?: number): void;
  linkat(olddirfd: number, oldpath: NativePath, newdirfd: number, newpath: NativePath, flags?: number): void;
  renameat2(olddirfd: number, oldpath: NativePath, newdirfd: number, newpath: NativePath, flags?: number): void;
  symlinkat(target: NativePath, newdirfd: number, linkpath: NativePath): void;
  /** Link target decoded as UTF-8. */
  readlinkat(dirfd: number, path: NativePath): string;
  /** Link target as raw bytes. */
  readlinkatBuffer(dirfd: number, path: NativePath): Buffer;
  unlinkat(dirfd: number, path: NativePath, flags?: number): void;
  fchmodat(dirfd: number, path: NativePath, mode: number, flags?: number): void;
  fsync(fd: number): void;
  syncfs(fd: number): void;
  flock(fd: number, operation: number): void;
  close(fd: number): void;
  /** mask defaults to STATX_BASIC_STATS | STATX_BTIME. */
  statx(dirfd: number, path: NativePath, flags?: number, mask?: number): NativeStatx;

  // --- xattrs (native/src/xattr.cc); l* variants never follow symlinks ---
  /** Names as latin1 byte strings (one code unit per byte). */
  llistxattr(path: NativePath): string[];
  flistxattr(fd: number): string[];
  lgetxattr(path: NativePath, name: NativePath): Buffer;
  fgetxattr(fd: number, name: NativePath): Buffer;
  lsetxattr(path: NativePath, name: NativePath, value: NativeBytes, flags?: number): void;
  fsetxattr(fd: number, name: NativePath, value: NativeBytes, flags?: number): void;
  lremovexattr(path: NativePath, name: NativePath): void;
  fremovexattr(fd: number, name: NativePath): void;

  // --- fs-verity (native/src/verity.cc) ---
  /** FS_IOC_ENABLE_VERITY, version 1, no salt, no signature. blockSize defaults to 4096. */
  fsverityEnable(fd: number, hashAlgorithm: number, blockSize?: number): void;
  /** FS_IOC_MEASURE_VERITY. maxDigestSize defaults to 64. */
  fsverityMeasure(fd: number, maxDigestSize?: number): NativeMeasurement;

  // --- loop devices (native/src/loop.cc) ---
  /** LOOP_CTL_GET_FREE on /dev/loop-control; returns N of /dev/loopN. */
  loopCtlGetFree(controlFd: number): number;
  /** LOOP_CONFIGURE with struct loop_config. */
  loopConfigure(loopFd: number, backingFd: number, config?: NativeLoopConfig): void;
  loopClrFd(loopFd: number): void;

  // --- mount API (native/src/mount.cc) ---
  fsopen(fsname: string, flags?: number): number;
  fspick(dirfd: number, path: NativePath, flags?: number): number;
  /**
   * Generic fsconfig(2). `value` is passed NUL-terminated (null -> NULL).
   * FSCONFIG_SET_BINARY needs aux = value length; FSCONFIG_SET_FD takes the
   * fd in aux with a null value.
   */
  fsconfig(fsfd: number, cmd: number, key: string | null, value: NativeBytes | null, aux?: number): void;
  fsmount(fsfd: number, flags?: number, attrFlags?: number): number;
  moveMount(fromDirfd: number, fromPath: NativePath, toDirfd: number, toPath: NativePath, flags?: number): void;
  openTree(dirfd: number, path: NativePath, flags?: number): number;
  mountSetattr(dirfd: number, path: NativePath, flags: number, attr: NativeMountAttr): void;
  /** Drains an fs context's message log ("e overlay: ..."); never throws for ENODATA/EAGAIN. */
  fsReadMessages(fsfd: number): string[];
  mount(source: NativePath | null, target: NativePath, fstype: string | null, flags?: number, data?: NativeBytes | null): void;
  umount2(target: NativePath, flags?: number): void;
}
