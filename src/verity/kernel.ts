/**
 * Enabling and measuring fs-verity through the kernel (FS_IOC_ENABLE_VERITY /
 * FS_IOC_MEASURE_VERITY), with the errno meanings of boot.md §5.5 turned into one-line errors.
 */
import * as fs from 'node:fs';
import { enableVerity, measureVerity } from '../sys/verity.js';
import { isSysError } from '../sys/errors.js';
import type { HashName } from './hashes.js';

export class VerityError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'VerityError';
  }
}

const ENABLE_REASONS: Record<string, string> = {
  ENOTTY: 'the filesystem does not support fs-verity',
  EOPNOTSUPP: 'the filesystem does not support fs-verity (kernel or filesystem feature missing)',
  ETXTBSY: 'the file is open for writing',
  EINVAL: 'invalid arguments (not a regular file, or unsupported block size or algorithm)',
  EROFS: 'the filesystem is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted (append-only file or signature required)',
  ENOPKG: 'the kernel lacks this hash algorithm',
  EFBIG: 'the file is too large for fs-verity',
  EBUSY: 'fs-verity is being enabled on the file by another process',
  EKEYREJECTED: 'the built-in signature was rejected',
};

/** errnos of FS_IOC_MEASURE_VERITY meaning "no verity on this file" (or on this filesystem). */
export const VERITY_ABSENT = ['ENODATA', 'ENOTTY', 'EOPNOTSUPP'] as const;

const MEASURE_REASONS: Record<string, string> = {
  ENODATA: 'file does not have fs-verity enabled',
  ENOTTY: 'the filesystem does not support fs-verity',
  EOPNOTSUPP: 'the filesystem does not support fs-verity',
  EOVERFLOW: 'the digest is larger than expected',
};

function describe(e: unknown, path: string, op: string, reasons: Record<string, string>): VerityError {
  if (isSysError(e)) {
    const reason = reasons[e.code] ?? e.message.replace(/^.*?:\s*/, '');
    return new VerityError(`${op} ${path}: ${reason} (${e.code})`, path, e.code);
  }
  const err = e as NodeJS.ErrnoException;
  return new VerityError(`${op} ${path}: ${err.code ?? err.message}`, path, err.code);
}

export interface EnableResult {
  /** false when fs-verity was already enabled (EEXIST), which counts as success. */
  readonly newlyEnabled: boolean;
}

/**
 * FS_IOC_ENABLE_VERITY on an fd opened read-only (as the kernel requires): EEXIST is success
 * ('already'); ETXTBSY (a forked child may briefly hold a writable fd) is retried 3 times 1 ms
 * apart, then thrown like every other error.
 */
export function enableVerityOnFd(fd: number, hash: HashName): 'enabled' | 'already' {
  for (let attempt = 1; ; attempt++) {
    try {
      enableVerity(fd, hash);
      return 'enabled';
    } catch (e) {
      if (isSysError(e, 'EEXIST')) return 'already';
      if (!isSysError(e, 'ETXTBSY') || attempt >= 3) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** Enables fs-verity on a file by path; see `enableVerityOnFd`. */
export async function enableVerityOnFile(path: string, hash: HashName): Promise<EnableResult> {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOCTTY);
  } catch (e) {
    throw describe(e, path, 'enable', ENABLE_REASONS);
  }
  try {
    return { newlyEnabled: enableVerityOnFd(fd, hash) === 'enabled' };
  } catch (e) {
    throw describe(e, path, 'enable', ENABLE_REASONS);
  } finally {
    fs.closeSync(fd);
  }
}

export interface Measurement {
  readonly hash: HashName;
  readonly digest: Buffer;
}

/** Reads the fs-verity digest the kernel holds for a file. */
export function measureVerityOfFile(path: string): Measurement {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOCTTY);
  } catch (e) {
    throw describe(e, path, 'measure', MEASURE_REASONS);
  }
  try {
    const m = measureVerity(fd);
    return { hash: m.algorithm, digest: m.digest };
  } catch (e) {
    throw describe(e, path, 'measure', MEASURE_REASONS);
  } finally {
    fs.closeSync(fd);
  }
}
