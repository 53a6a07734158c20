/**
 * fs-verity digests of files: a synchronous streaming path for small files, and for large ones
 * the digest pool, which splits the data-block (leaf) level across worker threads — the leaves
 * are independent and are almost all of the work; the upper levels are 1/128 (SHA-256) or 1/64
 * (SHA-512) of it and are built on the calling thread.
 */
import * as fs from 'node:fs';
import { PARALLEL_THRESHOLD, READ_CHUNK } from './chunks.js';
import type { HashName } from './hashes.js';
import { FsVerityHasher } from './merkle.js';

export { PARALLEL_THRESHOLD, READ_CHUNK };

/** Digest of everything readable from `fd` (from offset 0), on the calling thread. */
export function verityDigestOfFd(fd: number, hash: HashName, label = `fd ${fd}`): Buffer {
  const hasher = new FsVerityHasher(hash);
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  let pos = 0;
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, READ_CHUNK, pos);
    } catch (e) {
      throw annotate(e, `reading ${label}`);
    }
    if (n === 0) break;
    hasher.update(buf.subarray(0, n));
    pos += n;
  }
  return hasher.digest();
}

/** Digest of a file by path, on the calling thread. */
export function verityDigestOfFileSync(path: string, hash: HashName): Buffer {
  const fd = openRegular(path);
  try {
    return verityDigestOfFd(fd, hash, path);
  } finally {
    fs.closeSync(fd);
  }
}

export interface DigestOptions {
  /** Worker threads for one large file; 1 disables threading. Default: available cores. */
  threads?: number;
}

/** Digest of a file by path; large files are hashed in parallel. */
export async function verityDigestOfFile(path: string, hash: HashName, opts: DigestOptions = {}): Promise<Buffer> {
  const threads = Math.max(1, opts.threads ?? (await import('node:os')).availableParallelism());
  const fd = openRegular(path);
  try {
    const size = fs.fstatSync(fd).size;
    if (threads === 1 || size < PARALLEL_THRESHOLD) return verityDigestOfFd(fd, hash, path);
    // worker threads are loaded only for large files (the boot path never needs them)
    const { DigestPool, PoolFileError } = await import('./pool.js');
    const pool = new DigestPool({ threads, hash });
    try {
      return await pool.digest(path, hash, size);
    } catch (e) {
      if (e instanceof PoolFileError) throw Object.assign(new Error(`hashing ${path}: ${e.detail}`), { code: e.code, cause: e });
      throw annotate(e, `hashing ${path}`);
    } finally {
      await pool.close();
    }
  } finally {
    fs.closeSync(fd);
  }
}

function openRegular(path: string): number {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOCTTY);
  } catch (e) {
    throw annotate(e, `opening ${path}`);
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new Error(`${path}: not a regular file`);
  }
  return fd;
}

function annotate(e: unknown, what: string): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as NodeJS.ErrnoException).code;
  const out = new Error(`${what}: ${code ?? err.message}`);
  Object.assign(out, { code, cause: err });
  return out;
}
