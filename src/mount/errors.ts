/**
 * MountError: one line naming the step that failed, the system call with its errno, and the
 * kernel's fs-context messages (when there were any).
 */
import { isSysError, type SysError } from '../sys/errors.js';

export class MountError extends Error {
  override readonly name = 'MountError';
  constructor(
    /** What was being done, e.g. `mounting EROFS image /sysroot/composefs/images/ab…`. */
    readonly step: string,
    message: string,
    /** The underlying system call error, when there is one. */
    readonly sysError?: SysError,
  ) {
    super(message);
  }

  get code(): string | undefined {
    return this.sysError?.code;
  }
}

/** Wraps `e` with the step's text; a SysError keeps its one-line text (syscall, errno, messages). */
export function mountError(step: string, e: unknown): MountError {
  if (e instanceof MountError) return e;
  if (isSysError(e)) return new MountError(step, `${step}: ${e.message}`, e);
  return new MountError(step, `${step}: ${(e as Error)?.message ?? String(e)}`);
}

/** True when `e` (a SysError or a MountError around one) carries one of `codes`. */
export function hasErrno(e: unknown, codes: readonly string[]): boolean {
  if (e instanceof MountError) return e.sysError !== undefined && codes.includes(e.sysError.code);
  return isSysError(e, codes);
}
