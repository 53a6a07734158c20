import { addon } from './addon';

/**
 * Error thrown by every failing system call wrapper. The message is one line,
 * e.g. `openat(dirfd=5, "objects/ab", flags=0x0): No such file or directory`.
 */
export interface SysError extends Error {
  /** errno name, e.g. "ENOENT". */
  code: string;
  /** Positive errno value. */
  errno: number;
  /** System call name, e.g. "openat", "ioctl", "move_mount". */
  syscall: string;
  /** First path argument, when the call has one. */
  path?: string;
  /** Second path argument (linkat, renameat2, symlinkat, move_mount). */
  dest?: string;
  /** File descriptor argument (dirfd for *at calls unless AT_FDCWD). */
  fd?: number;
  /** Kernel fs-context messages drained after a failed fsconfig/fsmount. */
  fsMessages?: string[];
}

/** True if `e` is a SysError, optionally with one of the given codes. */
export function isSysError(e: unknown, code?: string | readonly string[]): e is SysError {
  if (!(e instanceof Error)) return false;
  const err = e as Partial<SysError>;
  if (typeof err.code !== 'string' || typeof err.errno !== 'number' || typeof err.syscall !== 'string') {
    return false;
  }
  if (code === undefined) return true;
  return typeof code === 'string' ? err.code === code : code.includes(err.code);
}

/** errno number to its symbolic name ("ENOENT"), or undefined if unknown. */
export function errnoName(errno: number): string | undefined {
  return addon().errnoName(errno) ?? undefined;
}

/** errno number to its description ("No such file or directory"). */
export function strerror(errno: number): string {
  return addon().strerror(errno);
}
