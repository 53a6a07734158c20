/**
 * *at() family, statx, fsync/syncfs, flock and close. Every fd-returning
 * wrapper adds O_CLOEXEC. Paths are strings (UTF-8) or raw byte buffers.
 */
import { addon } from './addon';
import type { NativeOpenHow, NativePath, NativeStatx } from './native';

export type Path = NativePath;
export type Statx = NativeStatx;
export type { StatxTimestamp } from './native';

export interface OpenHow {
  flags: number;
  mode?: number;
  /** RESOLVE_* flags. */
  resolve?: number;
}

/** openat(2) with O_CLOEXEC added; mode (default 0o666) applies with O_CREAT/O_TMPFILE. */
export function openat(dirfd: number, path: Path, flags: number, mode = 0o666): number {
  const a = addon();
  return a.openat(dirfd, path, flags | a.constants.O_CLOEXEC, mode);
}

/** openat2(2) with O_CLOEXEC added. */
export function openat2(dirfd: number, path: Path, how: OpenHow): number {
  const a = addon();
  const native: NativeOpenHow = {
    flags: how.flags | a.constants.O_CLOEXEC,
    mode: how.mode ?? 0,
    resolve: how.resolve ?? 0,
  };
  return a.openat2(dirfd, path, native);
}

export function mkdirat(dirfd: number, path: Path, mode = 0o777): void {
  addon().mkdirat(dirfd, path, mode);
}

/** linkat(2); flags: AT_SYMLINK_FOLLOW and/or AT_EMPTY_PATH. */
export function linkat(olddirfd: number, oldpath: Path, newdirfd: number, newpath: Path, flags = 0): void {
  addon().linkat(olddirfd, oldpath, newdirfd, newpath, flags);
}

/** renameat2(2); flags: RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT. */
export function renameat2(olddirfd: number, oldpath: Path, newdirfd: number, newpath: Path, flags = 0): void {
  addon().renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
}

/** Creates `linkpath` (relative to newdirfd) pointing at `target`. */
export function symlinkat(target: Path, newdirfd: number, linkpath: Path): void {
  addon().symlinkat(target, newdirfd, linkpath);
}

/** Symlink target decoded as UTF-8. */
export function readlinkat(dirfd: number, path: Path): string {
  return addon().readlinkat(dirfd, path);
}

/** Symlink target as raw bytes. */
export function readlinkatBuffer(dirfd: number, path: Path): Buffer {
  return addon().readlinkatBuffer(dirfd, path);
}

/** unlinkat(2); pass AT_REMOVEDIR to remove a directory. */
export function unlinkat(dirfd: number, path: Path, flags = 0): void {
  addon().unlinkat(dirfd, path, flags);
}

export function fchmodat(dirfd: number, path: Path, mode: number, flags = 0): void {
  addon().fchmodat(dirfd, path, mode, flags);
}

export function fsync(fd: number): void {
  addon().fsync(fd);
}

export function syncfs(fd: number): void {
  addon().syncfs(fd);
}

/** flock(2); operation is LOCK_SH/LOCK_EX/LOCK_UN, optionally | LOCK_NB. */
export function flock(fd: number, operation: number): void {
  addon().flock(fd, operation);
}

export function close(fd: number): void {
  addon().close(fd);
}

/**
 * statx(2). flags: AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, AT_STATX_*;
 * mask defaults to STATX_BASIC_STATS | STATX_BTIME. `ino` is a bigint.
 */
export function statx(dirfd: number, path: Path, flags = 0, mask?: number): Statx {
  return addon().statx(dirfd, path, flags, mask);
}

/** statx() of an open fd (AT_EMPTY_PATH). */
export function fstatx(fd: number, mask?: number): Statx {
  const a = addon();
  return a.statx(fd, '', a.constants.AT_EMPTY_PATH, mask);
}
