/**
 * Importing a directory tree the way composefs-rs 0.9's `cfsctl create-image` / `compute-id` /
 * `compute-karg` do (boot.md §2.8, §1.10).
 *
 * Rules (composefs-rs f22ecda; paths relative to the repository root):
 *  1. Walk: every directory is read fully, entries sorted by name (BTreeMap), `.`/`..` skipped;
 *     nothing is followed (O_NOFOLLOW), mount points are descended. (crates/composefs/src/fs.rs
 *     `FilesystemScanner::scan_directory`.)
 *  2. Stat: mode = st_mode & 0o7777 (+ the type), uid, gid, mtime sec + nsec from fstat; xattrs:
 *     ALL of them (listxattr/getxattr), kept sorted by name (BTreeMap). (fs.rs `stat_fd`,
 *     `read_xattrs`.)
 *  3. Hard links: non-directories are keyed by (st_dev, st_ino); a second entry of the same key
 *     reuses the first leaf (one inode, nlink = number of entries). (fs.rs `scan_leaf`,
 *     `HardlinkBehavior::Tracked`, the default of `read_filesystem`.)
 *  4. Regular files with st_size > 64 (`INLINE_CONTENT_MAX_V0`) become external objects
 *     (`RegularFile::External(id, size)`): stored with `ensure_object_from_fd` when a repository
 *     is given (create-image), else only their fs-verity digest is computed (compute-id). Files
 *     ≤ 64 bytes are inline. (fs.rs `scan_leaf_content`, `read_filesystem_impl`.)
 *  5. Unless `--no-propagate-usr-to-root`: `transform_for_oci` = (a) copy mode, uid, gid, mtime and
 *     ALL xattrs of `/usr` to `/` (error if /usr is missing or not a directory);
 *     (b) `/run`, if present, is emptied and gets /usr's mtime; (c) xattrs are filtered on every
 *     inode: keep only `security.capability` (`--xattrs allowlist-only`, default) or also `user.*`
 *     (`keep-user-xattrs`); (d) leaves only reachable from /run are dropped. With
 *     `--no-propagate-usr-to-root` NONE of this happens (all xattrs are kept).
 *     (crates/composefs/src/generic_tree.rs `transform_for_oci`, `copy_root_metadata_from_usr`,
 *     `canonicalize_run`, `CONTAINER_XATTR_ALLOWLIST`; crates/composefs-ctl/src/lib.rs
 *     `load_filesystem_from_ondisk_fs`.)
 *  6. Images: FormatVersion V0 = C mkcomposefs default, V1 = C `--min-version=1` (header
 *     composefs_version 1), V2 = composefs-rs native (crates/composefs/src/erofs/writer.rs module
 *     doc). External files get `trusted.overlay.metacopy` = {0, len, 0, kernel algo id, full
 *     digest} — for sha512 repositories the FULL 64-byte digest (len 68, algo 2), unlike C which
 *     truncates to 32 — and `trusted.overlay.redirect` = `/xx/yyyy…` of the full digest.
 *     (writer.rs `InodeCollector::push_inode`, crates/composefs/src/erofs/composefs.rs
 *     `OverlayMetacopy`.)
 *  7. create-image commits an image per configured format (default first, then extras); NAME is
 *     given to the default format's image only; prints `to_id()` (`sha512:<hex>`).
 *     (crates/composefs/src/filesystem_ops.rs `commit_images`/`commit_image`.)
 *  8. compute-id / compute-karg open no repository: hash = --hash, else the hash of an existing
 *     repository at the resolved path, else sha512; format = --erofs-version, else V1; compute-id
 *     prints bare hex, compute-karg `toCmdlineArg` (V0/V1 → composefs.digest=v1-…, V2 →
 *     composefs=…, `?` with --insecure). (composefs-ctl/src/lib.rs `run_app`,
 *     `run_cmd_without_repo`.)
 *
 *  9. `--bootable` (always for compute-karg): after rule 5, `transform_for_boot`
 *     (src/repository/boot-transform.ts): /boot and /sysroot emptied, SELinux labels from the
 *     tree's policy — read from the tree (external files from the repository) by create-image,
 *     from the directory on disk by compute-id/compute-karg, as upstream.
 */
import * as fs from 'node:fs';
import { S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, forEachInode, isDir, type ByteString, type Node } from '../tree/node.js';
import { llistxattr, lgetxattr } from '../sys/xattr.js';
import { DigestPool } from '../verity/pool.js';
import type { HashName } from '../verity/algorithm.js';
import { writeImageV1, writeImageV2 } from '../erofs/index.js';
import { readAllFd, type Repository } from './repository.js';
import { verityDigestOfBuffer } from '../verity/merkle.js';
import { ImportError } from './import-error.js';
import { topDir, transformForBoot } from './boot-transform.js';
import { dirPolicySource, treePolicySource } from './selinux.js';

/** `INLINE_CONTENT_MAX_V0`: regular files larger than this become objects. */
export const INLINE_MAX = 64;
export const CONTAINER_XATTR_ALLOWLIST: readonly string[] = ['security.capability'];

export type XattrFiltering = 'allowlist-only' | 'keep-user-xattrs';
export type ErofsVersion = 0 | 1 | 2;

export { ImportError };

export interface ReadOptions {
  hash: HashName;
  /** Store external files in this repository (create-image); otherwise digests only. */
  repo?: Repository;
  /** Default true (upstream's default: the OCI transform). */
  propagateUsrToRoot?: boolean;
  xattrs?: XattrFiltering;
  /** `--bootable`: the boot transform (rule 9). */
  bootable?: boolean;
  /** Digest worker threads for compute-id. */
  threads?: number;
  /** Called as the files larger than the inline limit are stored (create-image) or hashed. */
  onProgress?: (done: number, total: number) => void;
}

interface Pending {
  node: Node;
  path: Buffer;
  size: bigint;
}

const NS = 1_000_000_000n;

function typeBits(st: fs.BigIntStats): number {
  if (st.isDirectory()) return S_IFDIR;
  if (st.isFile()) return S_IFREG;
  if (st.isSymbolicLink()) return S_IFLNK;
  if (st.isCharacterDevice()) return S_IFCHR;
  if (st.isBlockDevice()) return S_IFBLK;
  if (st.isFIFO()) return S_IFIFO;
  if (st.isSocket()) return S_IFSOCK;
  throw new ImportError('unknown file type');
}

function readXattrs(path: Buffer): Map<ByteString, Buffer> {
  let names: string[];
  try {
    names = llistxattr(path);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOTSUP' || code === 'EOPNOTSUPP') return new Map();
    throw e;
  }
  const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const m = new Map<ByteString, Buffer>();
  for (const n of sorted) m.set(n, lgetxattr(path, n));
  return m;
}

function join(dir: Buffer, name: Buffer): Buffer {
  return Buffer.concat([dir, Buffer.from('/'), name]);
}

/** Rules 1–4, without object storage: the tree plus the external files still to digest/store. */
function scan(rootPath: string): { root: Node; pending: Pending[] } {
  const inodes = new Map<string, Node>();
  const pending: Pending[] = [];

  const statNode = (p: Buffer, st: fs.BigIntStats): Node => {
    let sec = st.mtimeNs / NS;
    let nsec = st.mtimeNs % NS;
    if (nsec < 0n) {
      sec -= 1n;
      nsec += NS;
    }
    return {
      mode: typeBits(st) | (Number(st.mode) & 0o7777),
      uid: Number(st.uid),
      gid: Number(st.gid),
      nlink: 1,
      rdev: 0n,
      size: 0n,
      mtime: { sec, nsec: Number(nsec) },
      xattrs: readXattrs(p),
    };
  };

  const scanDir = (p: Buffer, st: fs.BigIntStats): Node => {
    const node = statNode(p, st);
    node.children = new Map();
    const names = fs.readdirSync(p, { encoding: 'buffer' }).map((b) => b.toString('latin1')).sort();
    for (const name of names) {
      const cp = join(p, Buffer.from(name, 'latin1'));
      const cst = fs.lstatSync(cp, { bigint: true });
      node.children.set(name, cst.isDirectory() ? scanDir(cp, cst) : scanLeaf(cp, cst));
    }
    return node;
  };

  const scanLeaf = (p: Buffer, st: fs.BigIntStats): Node => {
    const key = `${st.dev}:${st.ino}`;
    const seen = inodes.get(key);
    if (seen !== undefined) return seen;
    const node = statNode(p, st);
    inodes.set(key, node);
    const type = node.mode & S_IFMT;
    if (type === S_IFREG) {
      node.size = st.size;
      if (st.size > BigInt(INLINE_MAX)) {
        pending.push({ node, path: p, size: st.size });
      } else if (st.size > 0n) {
        const buf = Buffer.alloc(Number(st.size));
        const fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
        try {
          // Like upstream: one read() of st_size bytes.
          const n = fs.readSync(fd, buf, 0, buf.length, 0);
          node.content = buf.subarray(0, n);
        } finally {
          fs.closeSync(fd);
        }
      }
    } else if (type === S_IFLNK) {
      const target = fs.readlinkSync(p, { encoding: 'buffer' }).toString('latin1');
      node.payload = target;
      node.size = BigInt(target.length);
    } else if (type === S_IFCHR || type === S_IFBLK) {
      node.rdev = st.rdev;
    }
    return node;
  };

  const rp = Buffer.from(rootPath);
  const st = fs.lstatSync(rp, { bigint: true });
  if (!st.isDirectory()) throw new ImportError(`${rootPath}: not a directory`);
  return { root: scanDir(rp, st), pending };
}

/** `to_object_pathname`: `xx/yyyy…`. */
function objectPathname(digest: Buffer): ByteString {
  const hex = digest.toString('hex');
  return `${hex.slice(0, 2)}/${hex.slice(2)}`;
}

function setExternal(node: Node, digest: Buffer): void {
  node.digest = digest;
  node.payload = objectPathname(digest);
}

/** Rule 5: `transform_for_oci`. */
export function transformForOci(root: Node, xattrs: XattrFiltering = 'allowlist-only'): void {
  const usr = topDir(root, 'usr');
  root.mode = S_IFDIR | (usr.mode & 0o7777);
  root.uid = usr.uid;
  root.gid = usr.gid;
  root.mtime = usr.mtime;
  root.xattrs = new Map(usr.xattrs);
  const run = root.children!.get('run');
  if (run !== undefined && isDir(run)) {
    run.mtime = usr.mtime;
    run.children = new Map();
  }
  const keep = (k: ByteString): boolean =>
    CONTAINER_XATTR_ALLOWLIST.includes(k) || (xattrs === 'keep-user-xattrs' && k.startsWith('user.'));
  forEachInode(root, (n) => {
    for (const k of [...n.xattrs.keys()]) if (!keep(k)) n.xattrs.delete(k);
  });
}

/** nlink: entries per leaf (upstream `nlinks()`), 2 + subdirectories for directories. */
function fixNlinks(root: Node): void {
  const refs = new Map<Node, number>();
  const visit = (d: Node): void => {
    let subdirs = 0;
    for (const c of d.children!.values()) {
      if (isDir(c)) {
        subdirs++;
        visit(c);
      } else {
        refs.set(c, (refs.get(c) ?? 0) + 1);
      }
    }
    d.nlink = 2 + subdirs;
  };
  visit(root);
  for (const [n, k] of refs) n.nlink = k;
}

/** Reads a directory tree with composefs-rs's rules (1–5); stores objects when `opts.repo` is set. */
export async function readFilesystem(path: string, opts: ReadOptions): Promise<Node> {
  const { root, pending } = scan(path);
  if (opts.repo !== undefined) {
    const repo = opts.repo;
    for (const [i, p] of pending.entries()) {
      const fd = fs.openSync(p.path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      try {
        setExternal(p.node, Buffer.from(repo.storeObjectFromFile(fd).hex, 'hex'));
      } finally {
        fs.closeSync(fd);
      }
      opts.onProgress?.(i + 1, pending.length);
    }
  } else if (pending.length > 0) {
    const pool = new DigestPool({ hash: opts.hash, ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
    let done = 0;
    const counted = (d: Buffer): Buffer => {
      opts.onProgress?.(++done, pending.length);
      return d;
    };
    try {
      const digests = await Promise.all(pending.map((p) => pool.digest(p.path, opts.hash, p.size).then(counted)));
      pending.forEach((p, i) => setExternal(p.node, digests[i]!));
    } finally {
      await pool.close();
    }
  }
  if (opts.propagateUsrToRoot !== false) transformForOci(root, opts.xattrs);
  if (opts.bootable === true) {
    const repo = opts.repo;
    const source = repo === undefined
      ? dirPolicySource(path)
      : treePolicySource(root, (n) => {
        const fd = repo.openObject(n.digest!.toString('hex'));
        try {
          return readAllFd(fd);
        } finally {
          fs.closeSync(fd);
        }
      });
    transformForBoot(root, source);
  }
  fixNlinks(root);
  return root;
}

/**
 * Rule 6: the image of `root` in a composefs-rs format. composefs-rs keeps all 64 bytes of a
 * sha512 digest in the metacopy xattr of V0/V1 images (C mkcomposefs truncates to 32).
 */
export function writeImage(root: Node, version: ErofsVersion): Buffer {
  if (version === 2) return writeImageV2(root);
  return writeImageV1(root, { ...(version === 1 ? { minVersion: 1 } : {}), fullDigests: true });
}

export interface ComputeOptions extends Omit<ReadOptions, 'repo'> {
  version?: ErofsVersion;
}

/** `cfsctl compute-id`: hex digest of the image (no writes). */
export async function computeId(path: string, opts: ComputeOptions): Promise<string> {
  const root = await readFilesystem(path, opts);
  return verityDigestOfBuffer(opts.hash, writeImage(root, opts.version ?? 1)).toString('hex');
}

/**
 * `cfsctl create-image`: stores external files as objects, commits an image per configured
 * format (NAME on the default one) and returns the default format's image digest (hex).
 */
export async function createImage(repo: Repository, path: string, name: string | undefined, opts: Omit<ReadOptions, 'repo' | 'hash'> = {}): Promise<string> {
  repo.checkWritable();
  const root = await readFilesystem(path, { ...opts, hash: repo.hash, repo });
  const versions: ErofsVersion[] = [repo.formats.default, ...repo.formats.extra] as ErofsVersion[];
  let first: string | undefined;
  for (const v of versions) {
    const hex = repo.writeImage(writeImage(root, v), first === undefined ? name : undefined);
    first ??= hex;
  }
  return first!;
}
