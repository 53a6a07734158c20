/**
 * Directory scanner: turns a directory into the tree model the way C `mkcomposefs DIR IMG` 1.0.8
 * reads it (erofs.md §6.1, §6.10, §6.11), so that an image written from the result is byte-for-byte
 * the image C writes.
 *
 * What C does, and what this does:
 *  - every entry is `lstat`ed; mode, uid, gid, rdev, size and mtime (ns) come from there, mtime is
 *    0.0 with `useEpoch`;
 *  - non-directories get nlink 1: hard links are not detected, every name is its own inode
 *    (directories get 2 + number of subdirectories, the value every writer computes anyway);
 *    only the digest of a hard-linked inode is computed once and shared by its names;
 *  - symlinks: payload = the raw target bytes, size = target length;
 *  - regular files: size 0 → nothing; 1..64 bytes → the content is read and kept inline;
 *    more → fs-verity digest (worker pool) and payload = object path `xx/yyyy…`.
 *    (C also digests the 1..64-byte files and keeps digest and payload in memory, but an inline
 *    file is never written as external, so neither reaches the image; they are not computed here.)
 *  - xattrs from llistxattr/lgetxattr in list order (raw values); none with `skipXattrs`,
 *    only `user.*` with `userXattrs` (both together are rejected, as C does with EINVAL);
 *  - `skipDevices` drops char and block devices (whiteouts `c 0 0` included); fifos and sockets
 *    are kept;
 *  - names, payloads and xattr keys are byte strings (latin1), so non-UTF-8 names survive.
 *
 * Mount points: C 1.0.8 descends into mounted filesystems as if they were plain directories
 * (observed with a tmpfs and a bind mount inside `unshare -m`). This scanner does NOT cross them
 * by default: a directory on another device than the root, or on another mount (statx mnt_id,
 * which also catches bind mounts of the same filesystem), is kept as an empty directory with the
 * attributes `lstat` reports for it (those of the mounted root, exactly what C records for that
 * directory). `crossMounts: true` descends like C does.
 *
 * Errors: the first failure aborts the scan with `scan: <path>: <ERRNO>` (`ScanError`).
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { addon } from '../sys/addon';
import { llistxattr, lgetxattr } from '../sys/xattr';
import { DigestPool, PoolFileError } from '../verity/pool.js';
import type { HashName } from '../verity/hashes.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type ByteString, type Mtime, type Node } from './node.js';

export interface ScanOptions {
  /** All mtimes 0.0 (`--use-epoch`). */
  useEpoch?: boolean;
  /** Read no xattrs (`--skip-xattrs`). */
  skipXattrs?: boolean;
  /** Read only `user.*` xattrs (`--user-xattrs`). */
  userXattrs?: boolean;
  /** Leave out char and block devices (`--skip-devices`). */
  skipDevices?: boolean;
  /** Digest worker threads (`--threads`). Default: available cores. Ignored when `pool` is given. */
  threads?: number;
  /** fs-verity hash of external files. Default sha256. */
  hash?: HashName;
  /** Regular files of 1..inlineThreshold bytes are stored inline. Default 64 (C's value). */
  inlineThreshold?: number;
  /** Descend into other mounts like C 1.0.8 does. Default false: mount points stay empty. */
  crossMounts?: boolean;
  /** Called now and then with entries completed / entries found so far, and once at the end. */
  onProgress?: (done: number, total: number) => void;
  /** Use this pool instead of starting (and closing) one. */
  pool?: DigestPool;
}

export class ScanError extends Error {
  constructor(
    /** The failing path, as text (non-UTF-8 bytes shown as U+FFFD). */
    readonly path: string,
    /** errno name when known (ENOENT, EACCES…). */
    readonly code: string | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`scan: ${path}: ${detail}`, options);
    this.name = 'ScanError';
  }
}

/** Object path of a digest: hex of byte 0, `/`, hex of the rest. */
export function digestObjectPath(digest: Uint8Array): ByteString {
  const hex = Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('hex');
  return `${hex.slice(0, 2)}/${hex.slice(2)}`;
}

const NS = 1_000_000_000n;
/** Largest inline content composefs accepts (LCFS_INLINE_CONTENT_MAX). */
export const INLINE_CONTENT_MAX = 5000;
const EPOCH: Mtime = Object.freeze({ sec: 0n, nsec: 0 });
/** Yield to the event loop (worker results, progress) after this much synchronous work. */
const YIELD_MS = 8;
const PROGRESS_MS = 100;

interface DirJob {
  node: Node;
  /** Path as a byte string. */
  path: ByteString;
}

/** Scans `root` (a directory) into a tree. */
export async function scanDirectory(root: string | Uint8Array, opts: ScanOptions = {}): Promise<Node> {
  if (opts.skipXattrs === true && opts.userXattrs === true) {
    throw new Error('scan: skipXattrs and userXattrs exclude each other');
  }
  const inlineThreshold = opts.inlineThreshold ?? 64;
  if (!Number.isInteger(inlineThreshold) || inlineThreshold < 0 || inlineThreshold > INLINE_CONTENT_MAX) {
    throw new RangeError(`scan: inlineThreshold must be an integer from 0 to ${INLINE_CONTENT_MAX}`);
  }
  const inlineMax = BigInt(inlineThreshold);
  const hash: HashName = opts.hash ?? 'sha256';
  const xattrMode = opts.skipXattrs === true ? 0 : opts.userXattrs === true ? 2 : 1;
  const useEpoch = opts.useEpoch === true;
  const skipDevices = opts.skipDevices === true;
  const crossMounts = opts.crossMounts === true;
  const onProgress = opts.onProgress;

  const rootPath: ByteString =
    typeof root === 'string' ? Buffer.from(root, 'utf8').toString('latin1') : Buffer.from(root.buffer, root.byteOffset, root.byteLength).toString('latin1');
  const rootBytes = Buffer.from(rootPath, 'latin1');
  const rootSt = lstat(rootBytes, rootPath);
  if ((Number(rootSt.mode) & S_IFMT) !== S_IFDIR) throw new ScanError(show(rootPath), 'ENOTDIR', 'ENOTDIR');
  const rootDev = rootSt.dev;
  const rootMnt = crossMounts ? undefined : mountId(rootBytes, rootPath);
  // Looking up the mount id of every directory is only needed when a mount may exist below.
  const checkMntIds = rootMnt !== undefined && mountsMayBeBelow(rootBytes, rootMnt);

  const ownPool = opts.pool === undefined;
  const pool = opts.pool ?? new DigestPool({ threads: opts.threads, hash });

  let total = 1;
  let done = 0;
  let firstError: unknown;
  let pending = 0;
  let lastProgress = performance.now();
  const progress = (force: boolean): void => {
    if (onProgress === undefined) return;
    const t = performance.now();
    if (!force && t - lastProgress < PROGRESS_MS) return;
    lastProgress = t;
    onProgress(done, total);
  };
  let wake: (() => void) | undefined;
  const fail = (e: unknown): void => {
    firstError ??= e;
    wake?.();
  };
  const settle = (): void => {
    pending--;
    done++;
    progress(false);
    if (pending === 0) wake?.();
  };

  try {
    const rootNode = makeNode(rootSt, useEpoch);
    readXattrs(rootNode, rootBytes, rootPath, xattrMode);
    done++;

    /** Hard-linked inodes being hashed: every name waiting for the digest (hashed once). */
    const sameInode = new Map<string, Array<(err: Error | null, d?: Buffer) => void>>();
    const stack: DirJob[] = [{ node: rootNode, path: rootPath }];
    let lastYield = performance.now();
    let sinceCheck = 0;

    while (stack.length > 0 && firstError === undefined) {
      const job = stack.pop() as DirJob;
      const names = readNames(job.path);
      const children = job.node.children as Map<ByteString, Node>;
      const prefix = job.path.endsWith('/') ? job.path : `${job.path}/`;
      let subdirs = 0;
      total += names.length;

      for (const name of names) {
        const path = prefix + name;
        const bytes = sysPath(path);
        const st = lstat(bytes, path);
        const type = Number(st.mode) & S_IFMT;
        if (skipDevices && (type === S_IFCHR || type === S_IFBLK)) {
          total--;
          continue;
        }
        const node = makeNode(st, useEpoch);
        if (type === S_IFDIR) {
          subdirs++;
          const boundary = !crossMounts && (st.dev !== rootDev || (checkMntIds && mountId(bytes, path) !== rootMnt));
          if (!boundary) stack.push({ node, path });
          else node.nlink = 2;
          done++;
        } else if (type === S_IFLNK) {
          let target: Buffer;
          try {
            target = fs.readlinkSync(bytes, { encoding: 'buffer' });
          } catch (e) {
            throw wrap(e, path);
          }
          node.payload = target.toString('latin1');
          node.size = BigInt(target.length);
          done++;
        } else if (type === S_IFREG && node.size > 0n) {
          pending++;
          if (node.size <= inlineMax) {
            pool.readContentCb(bytes, node.size, (err, c) => {
              if (err !== null) fail(wrap(err, path));
              else node.content = c;
              settle();
            });
          } else {
            const got = (err: Error | null, d?: Buffer): void => {
              if (err !== null) fail(wrap(err, path));
              else {
                node.digest = d;
                node.payload = digestObjectPath(d as Buffer);
              }
              settle();
            };
            if (st.nlink > 1n) {
              // Another name of an inode already being hashed: wait for that digest instead.
              const key = `${st.dev}:${st.ino}`;
              const waiting = sameInode.get(key);
              if (waiting !== undefined) {
                waiting.push(got);
              } else {
                const list = [got];
                sameInode.set(key, list);
                pool.digestCb(bytes, hash, node.size, (err, d) => {
                  for (const cb of list) cb(err, d);
                });
              }
            } else {
              pool.digestCb(bytes, hash, node.size, got);
            }
          }
        } else {
          done++;
        }
        readXattrs(node, bytes, path, xattrMode);
        children.set(name, node);

        if (++sinceCheck >= 64) {
          sinceCheck = 0;
          const t = performance.now();
          if (t - lastYield >= YIELD_MS) {
            progress(false);
            await new Promise<void>((r) => setImmediate(r));
            lastYield = performance.now();
            if (firstError !== undefined) break;
          }
        }
      }
      job.node.nlink = 2 + subdirs;
    }

    pool.flush();
    while (pending > 0 && firstError === undefined) {
      await new Promise<void>((r) => {
        wake = r;
      });
      wake = undefined;
    }
    if (firstError !== undefined) throw firstError;
    progress(true);
    return rootNode;
  } finally {
    if (ownPool) await pool.close();
  }
}

/** A path for system calls: ASCII byte strings go as they are (no Buffer), others as bytes. */
type SysPath = string | Buffer;
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

function sysPath(path: ByteString): SysPath {
  return NON_ASCII.test(path) ? Buffer.from(path, 'latin1') : path;
}

/**
 * Entry names of a directory as byte strings, sorted. Names are read as UTF-8 text first (no
 * Buffer per name); only a directory with a non-ASCII name is read again as raw bytes.
 */
function readNames(dir: ByteString): ByteString[] {
  const p = sysPath(dir);
  try {
    const text = fs.readdirSync(p);
    if (!text.some((n) => NON_ASCII.test(n))) return text.sort();
    return fs.readdirSync(p, { encoding: 'buffer' }).map((b) => b.toString('latin1')).sort();
  } catch (e) {
    throw wrap(e, dir);
  }
}

/**
 * Whether a mount may sit below `root` (whose mount id is `rootMnt`): true unless
 * /proc/self/mountinfo is readable, agrees that `root` lies on mount `rootMnt` (so paths resolve
 * as in our namespace: not so through /proc/PID/root) and lists no mount point under it.
 */
function mountsMayBeBelow(root: Buffer, rootMnt: number): boolean {
  let real: string;
  let info: string;
  try {
    real = fs.realpathSync.native(root, { encoding: 'latin1' });
    info = fs.readFileSync('/proc/self/mountinfo', 'latin1');
  } catch {
    return true;
  }
  const under = real.endsWith('/') ? real : `${real}/`;
  let best = '';
  let bestId = -1;
  for (const line of info.split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const mp = (f[4] as string).replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp.startsWith(under)) return true;
    const prefix = mp.endsWith('/') ? mp : `${mp}/`;
    // the mount containing `real`: the longest mount point that is a prefix (later lines win ties)
    if ((real === mp || under.startsWith(prefix)) && mp.length >= best.length) {
      best = mp;
      bestId = Number(f[0]);
    }
  }
  return bestId !== rootMnt;
}

function makeNode(st: fs.BigIntStats, useEpoch: boolean): Node {
  const mode = Number(st.mode);
  const node: Node = {
    mode,
    uid: Number(st.uid),
    gid: Number(st.gid),
    nlink: 1,
    rdev: st.rdev,
    size: st.size,
    mtime: useEpoch ? EPOCH : splitNs(st.mtimeNs),
    xattrs: new Map(),
  };
  if ((mode & S_IFMT) === S_IFDIR) node.children = new Map();
  return node;
}

/** Nanoseconds since the epoch → (sec, nsec) with 0 ≤ nsec < 1e9, also before 1970. */
function splitNs(ns: bigint): Mtime {
  let sec = ns / NS;
  let nsec = ns % NS;
  if (nsec < 0n) {
    nsec += NS;
    sec -= 1n;
  }
  return { sec, nsec: Number(nsec) };
}

function lstat(bytes: SysPath, path: ByteString): fs.BigIntStats {
  try {
    return fs.lstatSync(bytes, { bigint: true });
  } catch (e) {
    throw wrap(e, path);
  }
}

let mntIdMask: number | undefined;

/** Mount id of a path (not following symlinks), or undefined when the kernel does not report it. */
function mountId(bytes: SysPath, path: ByteString): number | undefined {
  const a = addon();
  mntIdMask ??= a.constants.STATX_MNT_ID;
  try {
    const sx = a.statx(a.constants.AT_FDCWD, bytes, a.constants.AT_SYMLINK_NOFOLLOW, a.constants.STATX_TYPE | mntIdMask);
    return (sx.mask & mntIdMask) !== 0 ? sx.mntId : undefined;
  } catch (e) {
    throw wrap(e, path);
  }
}

/** 0 = none, 1 = all, 2 = user.* only. */
function readXattrs(node: Node, bytes: SysPath, path: ByteString, mode: number): void {
  if (mode === 0) return;
  let names: string[];
  try {
    names = llistxattr(bytes);
  } catch (e) {
    // A filesystem without xattr support has none to offer; C 1.0.8 would fail here instead.
    if (errCode(e) === 'EOPNOTSUPP' || errCode(e) === 'ENOTSUP') return;
    throw wrap(e, path);
  }
  for (const name of names) {
    if (mode === 2 && !name.startsWith('user.')) continue;
    let value: Buffer;
    try {
      value = lgetxattr(bytes, name);
    } catch (e) {
      throw wrap(e, path);
    }
    node.xattrs.set(name, value); // names are byte strings already
  }
}

function errCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** A byte-string path as text for messages. */
function show(path: ByteString): string {
  return Buffer.from(path, 'latin1').toString('utf8');
}

function wrap(e: unknown, path: ByteString): Error {
  if (e instanceof ScanError) return e;
  const code = errCode(e);
  const msg = e instanceof Error ? e.message : String(e);
  const detail = code ?? (e instanceof PoolFileError ? e.detail : msg);
  return new ScanError(show(path), code, detail, { cause: e });
}
