/**
 * Crash-safe writes into a repository (boot.md §2.5, §5.6). Nothing is ever visible under its
 * final name before it is complete: objects are written to an O_TMPFILE (or, where the
 * filesystem lacks O_TMPFILE, a `.tmp-object-XXXXXXXXXXXX` file) and then linked/renamed into
 * place without replacing anything; symlinks are replaced by rename; meta.json is linked from an
 * fsync'ed O_TMPFILE.
 */
import * as fs from 'node:fs';
import {
  close, constants, fsync, fstatx, linkat, mkdirat, openat, readlinkat, renameat2, statx, symlinkat, unlinkat,
} from '../sys/index.js';
import { measureVerity } from '../sys/verity.js';
import { enableVerityOnFd, VERITY_ABSENT } from '../verity/kernel.js';
import { isSysError } from '../sys/errors.js';
import type { HashName } from '../verity/hashes.js';
import { FsVerityHasher, verityDigestOfBuffer } from '../verity/merkle.js';
import { digestSize } from '../verity/algorithm.js';
import { objectPathname } from './paths.js';
import { RepositoryError, ioError } from './errors.js';

/** errnos meaning "this filesystem/kernel has no fs-verity". */
export const VERITY_UNSUPPORTED = ['ENOTTY', 'EOPNOTSUPP'] as const;
/** errnos of O_TMPFILE meaning "not supported here" (use the named temp-file fallback). */
const TMPFILE_UNSUPPORTED = ['EOPNOTSUPP', 'EISDIR', 'ENOSYS'] as const;

const TEMP_ATTEMPTS = 16;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 12 random alphanumerics (temp-name suffix). */
export function randomSuffix(n = 12): string {
  const b = process.getBuiltinModule('node:crypto').randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[b[i]! % ALNUM.length];
  return s;
}

export const TEMP_OBJECT_PREFIX = '.tmp-object-';
export const TEMP_SYMLINK_PREFIX = '.symlink-';

/** Test hooks: force the no-O_TMPFILE fallback; pause between steps (crash tests). */
export interface WriteOptions {
  noTmpfile?: boolean;
}

export function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
}

/** Reopens an fd read-only through /proc/self/fd/N (the only way to drop write access). */
export function reopenReadOnly(fd: number): number {
  return openat(constants.AT_FDCWD, `/proc/self/fd/${fd}`, constants.O_RDONLY);
}

export type EnableOutcome = 'enabled' | 'already' | 'unsupported';

/**
 * FS_IOC_ENABLE_VERITY on a read-only fd: EEXIST is success; ETXTBSY retried 3 times 1 ms apart
 * (then thrown, for the caller's copy fallback); ENOTTY/EOPNOTSUPP → 'unsupported' (the caller
 * decides whether that is acceptable). Other errors are thrown.
 */
export function enableVerityRetrying(fd: number, hash: HashName): EnableOutcome {
  try {
    return enableVerityOnFd(fd, hash);
  } catch (e) {
    if (isSysError(e, VERITY_UNSUPPORTED)) return 'unsupported';
    throw e;
  }
}

/**
 * FS_IOC_MEASURE_VERITY expecting `hash`: the digest, or undefined when the file has no
 * verity or the filesystem has none. A digest of the other algorithm is an error.
 */
export function measureOptional(fd: number, hash: HashName, label: string): Buffer | undefined {
  let m;
  try {
    m = measureVerity(fd);
  } catch (e) {
    if (isSysError(e, VERITY_ABSENT)) return undefined;
    throw ioError(label, 'measuring fs-verity digest', e);
  }
  if (m.algorithm !== hash || m.digest.length !== digestSize(hash)) {
    throw new RepositoryError('VerityMismatch', label, `fs-verity digest algorithm ${m.algorithm} does not match repository algorithm ${hash}`);
  }
  return m.digest;
}

interface TempFile {
  /** writable fd */
  fd: number;
  /** directory fd and name for the named fallback; undefined for O_TMPFILE */
  named?: { dirFd: number; name: string };
}

/** Creates an anonymous O_TMPFILE in `dirFd` (or a named temp file in `fallbackDirFd`). */
function createTemp(dirFd: number, fallbackDirFd: number, opts: WriteOptions): TempFile {
  if (opts.noTmpfile !== true) {
    try {
      return { fd: openat(dirFd, '.', constants.O_RDWR | constants.O_TMPFILE, 0o644) };
    } catch (e) {
      if (!isSysError(e, TMPFILE_UNSUPPORTED)) throw e;
    }
  }
  for (let i = 0; ; i++) {
    const name = TEMP_OBJECT_PREFIX + randomSuffix();
    try {
      const fd = openat(fallbackDirFd, name, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o644);
      return { fd, named: { dirFd: fallbackDirFd, name } };
    } catch (e) {
      if (isSysError(e, 'EEXIST') && i + 1 < TEMP_ATTEMPTS) continue;
      throw e;
    }
  }
}

function discardTemp(t: TempFile): void {
  if (t.named !== undefined) {
    try {
      unlinkat(t.named.dirFd, t.named.name);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Makes a writable temp file read-only with verity enabled when possible (§5.6): reopen RO,
 * close the writable fd, enable; on persistent ETXTBSY copy the data into a fresh temp file and
 * try again. Returns the read-only fd, the (possibly new) temp, and the outcome.
 */
function sealTemp(
  t: TempFile, dirFd: number, fallbackDirFd: number, hash: HashName, opts: WriteOptions,
): { ro: number; temp: TempFile; outcome: EnableOutcome } {
  for (;;) {
    const ro = reopenReadOnly(t.fd);
    close(t.fd);
    try {
      return { ro, temp: t, outcome: enableVerityRetrying(ro, hash) };
    } catch (e) {
      if (!isSysError(e, 'ETXTBSY')) {
        close(ro);
        discardTemp(t);
        throw e;
      }
      // Someone (a forked child) holds a writable fd to this inode: copy into a new one.
      const copy = createTemp(dirFd, fallbackDirFd, opts);
      try {
        const buf = Buffer.allocUnsafe(1 << 20);
        for (let pos = 0; ; ) {
          const n = fs.readSync(ro, buf, 0, buf.length, pos);
          if (n === 0) break;
          writeAll(copy.fd, buf.subarray(0, n));
          pos += n;
        }
      } finally {
        close(ro);
        discardTemp(t);
      }
      t = copy;
    }
  }
}

/** Publishes the sealed temp file as `objects/XX/<rest>`; false when it was already there. */
function publish(objectsFd: number, ro: number, temp: TempFile, hex: string): boolean {
  const rel = objectPathname(hex);
  const dir = rel.slice(0, 2);
  try {
    mkdirat(objectsFd, dir, 0o777);
  } catch (e) {
    if (!isSysError(e, 'EEXIST')) throw e;
  }
  if (temp.named !== undefined) {
    try {
      renameat2(temp.named.dirFd, temp.named.name, objectsFd, rel, constants.RENAME_NOREPLACE);
      return true;
    } catch (e) {
      discardTemp(temp);
      if (isSysError(e, 'EEXIST')) return false;
      throw e;
    }
  }
  try {
    linkat(constants.AT_FDCWD, `/proc/self/fd/${ro}`, objectsFd, rel, constants.AT_SYMLINK_FOLLOW);
    return true;
  } catch (e) {
    if (isSysError(e, 'EEXIST')) return false;
    throw e;
  }
}

export interface StoreResult {
  /** lowercase hex digest = object name */
  hex: string;
  /** false when the object was already present (deduplicated) */
  stored: boolean;
  /** whether the stored (or existing) object carries fs-verity */
  verity: boolean;
}

function existingSize(objectsFd: number, hex: string): number | undefined {
  try {
    const st = statx(objectsFd, objectPathname(hex), constants.AT_SYMLINK_NOFOLLOW);
    return st.size;
  } catch (e) {
    if (isSysError(e, 'ENOENT')) return undefined;
    throw e;
  }
}

/**
 * Streaming object write (§2.5 first two rows): `O_TMPFILE` in `objects/`, write `chunks`,
 * seal (verity unless unsupported and `insecure`), digest from the kernel or, without verity,
 * from userspace while writing; dedup by name and size; `linkat` (or the `.tmp-object-` +
 * RENAME_NOREPLACE fallback).
 */
export function storeObjectStreaming(
  objectsFd: number, chunks: Iterable<Uint8Array>, hash: HashName, insecure: boolean, label: string,
  opts: WriteOptions = {},
): StoreResult {
  const hasher = new FsVerityHasher(hash);
  let t: TempFile;
  try {
    t = createTemp(objectsFd, objectsFd, opts);
  } catch (e) {
    throw ioError(label, 'creating temporary object file', e);
  }
  let size = 0;
  try {
    for (const c of chunks) {
      writeAll(t.fd, c);
      hasher.update(c);
      size += c.length;
    }
  } catch (e) {
    close(t.fd);
    discardTemp(t);
    throw ioError(label, 'writing object', e);
  }
  const userDigest = hasher.digest();
  let sealed;
  try {
    sealed = sealTemp(t, objectsFd, objectsFd, hash, opts);
  } catch (e) {
    throw ioError(label, 'enabling fs-verity on new object', e);
  }
  const { ro, temp, outcome } = sealed;
  try {
    if (outcome === 'unsupported' && !insecure) {
      discardTemp(temp);
      throw new RepositoryError('VerityRequired', label, 'fs-verity is not supported by the filesystem, but the repository requires it');
    }
    let digest = userDigest;
    if (outcome !== 'unsupported') {
      const measured = measureOptional(ro, hash, label);
      if (measured === undefined) {
        if (!insecure) {
          discardTemp(temp);
          throw new RepositoryError('VerityRequired', label, 'fs-verity is not enabled on the new object');
        }
      } else {
        digest = measured;
      }
    }
    const hex = digest.toString('hex');
    if (existingSize(objectsFd, hex) === size) {
      discardTemp(temp);
      return { hex, stored: false, verity: outcome !== 'unsupported' };
    }
    const stored = publish(objectsFd, ro, temp, hex);
    return { hex, stored, verity: outcome !== 'unsupported' };
  } catch (e) {
    throw ioError(label, 'storing object', e);
  } finally {
    close(ro);
  }
}

/**
 * In-memory object write (`ensure_object`, §2.5 third row): digest computed first; an existing
 * object is checked (its verity digest must equal the name; in a secure repository verity is
 * enabled on it if missing); otherwise an O_TMPFILE inside `objects/XX/` is written, sealed,
 * re-measured, compared and linked. Verity is attempted even in insecure repositories.
 */
export function ensureObjectInMemory(
  objectsFd: number, bytes: Uint8Array, hash: HashName, insecure: boolean, label: string, opts: WriteOptions = {},
): StoreResult {
  const digest = verityDigestOfBuffer(hash, bytes);
  const hex = digest.toString('hex');
  const rel = objectPathname(hex);
  const where = `${label}/${rel}`;
  try {
    let existing: number | undefined;
    try {
      existing = openat(objectsFd, rel, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      if (!isSysError(e, 'ENOENT')) throw e;
    }
    if (existing !== undefined) {
      try {
        let measured = measureOptional(existing, hash, where);
        if (measured === undefined && !insecure) {
          if (enableVerityRetrying(existing, hash) === 'unsupported') {
            throw new RepositoryError('VerityRequired', where, 'fs-verity is not supported by the filesystem, but the repository requires it');
          }
          measured = measureOptional(existing, hash, where);
        }
        if (measured !== undefined && !measured.equals(digest)) {
          throw new RepositoryError('VerityMismatch', where, 'fs-verity content mismatch');
        }
        if (measured === undefined && fstatx(existing).size !== bytes.length) {
          throw new RepositoryError('Corrupt', where, `object has size ${fstatx(existing).size}, expected ${bytes.length}`);
        }
        return { hex, stored: false, verity: measured !== undefined };
      } finally {
        close(existing);
      }
    }
    const dir = rel.slice(0, 2);
    try {
      mkdirat(objectsFd, dir, 0o777);
    } catch (e) {
      if (!isSysError(e, 'EEXIST')) throw e;
    }
    const dirFd = openat(objectsFd, dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      const t = createTemp(dirFd, objectsFd, opts);
      try {
        writeAll(t.fd, bytes);
      } catch (e) {
        close(t.fd);
        discardTemp(t);
        throw e;
      }
      const { ro, temp, outcome } = sealTemp(t, dirFd, objectsFd, hash, opts);
      try {
        if (outcome === 'unsupported' && !insecure) {
          discardTemp(temp);
          throw new RepositoryError('VerityRequired', where, 'fs-verity is not supported by the filesystem, but the repository requires it');
        }
        if (outcome !== 'unsupported') {
          const measured = measureOptional(ro, hash, where);
          if (measured !== undefined && !measured.equals(digest)) {
            discardTemp(temp);
            throw new RepositoryError('VerityMismatch', where, 'fs-verity content mismatch');
          }
          if (measured === undefined && !insecure) {
            discardTemp(temp);
            throw new RepositoryError('VerityRequired', where, 'fs-verity is not enabled on the new object');
          }
        }
        const stored = publish(objectsFd, ro, temp, hex);
        return { hex, stored, verity: outcome !== 'unsupported' };
      } finally {
        close(ro);
      }
    } finally {
      close(dirFd);
    }
  } catch (e) {
    throw ioError(where, 'storing object', e);
  }
}

/**
 * Creates `name` (relative to `dirFd`) as a symlink to `target`; an existing link with the same
 * target is kept, another one is replaced atomically through `.symlink-<12 alnum>` + rename.
 */
export function replaceSymlink(dirFd: number, name: string, target: string): void {
  try {
    symlinkat(target, dirFd, name);
    return;
  } catch (e) {
    if (!isSysError(e, 'EEXIST')) throw e;
  }
  try {
    if (readlinkat(dirFd, name) === target) return;
  } catch (e) {
    if (!isSysError(e, ['EINVAL', 'ENOENT'])) throw e;
  }
  const slash = name.lastIndexOf('/');
  const prefix = slash >= 0 ? name.slice(0, slash + 1) : '';
  for (let i = 0; ; i++) {
    const tmp = `${prefix}${TEMP_SYMLINK_PREFIX}${randomSuffix()}`;
    try {
      symlinkat(target, dirFd, tmp);
    } catch (e) {
      if (isSysError(e, 'EEXIST') && i + 1 < TEMP_ATTEMPTS) continue;
      throw e;
    }
    try {
      renameat2(dirFd, tmp, dirFd, name, 0);
    } catch (e) {
      try {
        unlinkat(dirFd, tmp);
      } catch {
        /* ignore */
      }
      throw e;
    }
    return;
  }
}

/**
 * Writes `meta.json` (§2.5 last rows): O_TMPFILE, write, fsync, reopen read-only, enable verity
 * when `secure` (any failure is fatal then), link as `meta.json` (fails if it exists). Without
 * O_TMPFILE: O_CREAT|O_EXCL, write, fsync, reopen, enable.
 */
export function writeMetaFile(repoFd: number, text: string, secure: boolean, hash: HashName, label: string, opts: WriteOptions = {}): void {
  const bytes = Buffer.from(text, 'utf8');
  let wfd: number;
  let named = false;
  try {
    if (opts.noTmpfile === true) throw Object.assign(new Error('forced'), { code: 'EOPNOTSUPP', errno: 95, syscall: 'openat' });
    wfd = openat(repoFd, '.', constants.O_WRONLY | constants.O_TMPFILE, 0o644);
  } catch (e) {
    if (!isSysError(e, ['EOPNOTSUPP', 'ENOSYS', 'EISDIR'])) throw ioError(label, 'creating meta.json', e);
    try {
      wfd = openat(repoFd, 'meta.json', constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    } catch (e2) {
      throw ioError(label, 'creating meta.json', e2);
    }
    named = true;
  }
  let ro: number;
  try {
    writeAll(wfd, bytes);
    fsync(wfd);
    ro = reopenReadOnly(wfd);
  } catch (e) {
    if (named) unlinkQuiet(repoFd, 'meta.json');
    throw ioError(label, 'writing meta.json', e);
  } finally {
    close(wfd);
  }
  try {
    if (secure) {
      let outcome: EnableOutcome;
      try {
        outcome = enableVerityRetrying(ro, hash);
      } catch (e) {
        throw ioError(label, 'enabling fs-verity on meta.json', e);
      }
      if (outcome === 'unsupported') {
        throw new RepositoryError('VerityRequired', label, 'fs-verity is not supported by the filesystem (use --insecure)', { code: 'EOPNOTSUPP' });
      }
    }
    if (!named) {
      try {
        linkat(constants.AT_FDCWD, `/proc/self/fd/${ro}`, repoFd, 'meta.json', constants.AT_SYMLINK_FOLLOW);
      } catch (e) {
        throw ioError(label, 'linking meta.json', e);
      }
    }
  } catch (e) {
    if (named) unlinkQuiet(repoFd, 'meta.json');
    throw e;
  } finally {
    close(ro);
  }
}

function unlinkQuiet(dirFd: number, name: string): void {
  try {
    unlinkat(dirFd, name);
  } catch {
    /* ignore */
  }
}
