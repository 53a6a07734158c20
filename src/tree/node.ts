/**
 * The one in-memory filesystem model of cfsboot. Every input (dumpfile, directory scan,
 * repository, EROFS reader) produces it; every output (V1/V2 writers, dumpfile writer) consumes it.
 *
 * It mirrors a composefs node (erofs.md §6.1): a generic inode whose file type is in `mode`.
 * Names, paths, payloads and xattr keys are BYTE STRINGS: JavaScript strings whose code units are
 * all 0–255, one per byte ("latin1"/"binary" strings). That keeps non-UTF-8 names exact, makes
 * them usable as Map keys, and makes `<` on two byte strings the same order as C `strcmp`/
 * `memcmp` on the bytes. Convert with `Buffer.from(s, 'latin1')` / `buf.toString('latin1')`.
 *
 * Hard links are shared objects: the same `Node` reached through several directory entries.
 * Writers detect them by identity; `owner` says which entry owns the inode.
 * Values (content, digest, xattr values) may be shared between nodes: treat them as immutable.
 */

/** A string whose code units are bytes (0–255); see the module comment. */
export type ByteString = string;

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

export type FileKind = 'file' | 'dir' | 'symlink' | 'chr' | 'blk' | 'fifo' | 'sock';

export interface Mtime {
  /** Seconds since the epoch, signed 64-bit. */
  readonly sec: bigint;
  /** Nanoseconds, 0 ≤ nsec < 2^32 (dumpfiles may carry any u32). */
  readonly nsec: number;
}

export interface Node {
  /** Full st_mode: file type bits and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  /** As given by the source; writers may recompute it for directories. */
  nlink: number;
  /** Raw dev_t of a char/block device (0 otherwise). */
  rdev: bigint;
  /** File size in bytes; for symlinks the target length. */
  size: bigint;
  mtime: Mtime;
  /**
   * Symlink target, or the backing-object path of an external regular file
   * (`xx/yyyy…` relative to the object store). Undefined when absent.
   */
  payload?: ByteString;
  /** Inline content of a regular file (stored in the image); undefined when external/empty. */
  content?: Buffer;
  /** fs-verity digest of the backing object of an external file (32 or 64 bytes). */
  digest?: Buffer;
  /** Extended attributes: key (byte string) → raw value, in insertion order. */
  xattrs: Map<ByteString, Buffer>;
  /** Directory entries, name (byte string) → node; present iff this is a directory. */
  children?: Map<ByteString, Node>;
  /**
   * Only for a node reached through several entries (hard links): the entry that owns the inode,
   * i.e. where C mkcomposefs lays it out (a dumpfile's line without `@`). When unset, writers
   * take the first entry of a depth-first, name-ordered walk (what composefs-info dump writes).
   */
  owner?: { parent: Node; name: ByteString };
}

export function fileKind(mode: number): FileKind | undefined {
  switch (mode & S_IFMT) {
    case S_IFREG: return 'file';
    case S_IFDIR: return 'dir';
    case S_IFLNK: return 'symlink';
    case S_IFCHR: return 'chr';
    case S_IFBLK: return 'blk';
    case S_IFIFO: return 'fifo';
    case S_IFSOCK: return 'sock';
    default: return undefined;
  }
}

export const isDir = (n: Node): boolean => (n.mode & S_IFMT) === S_IFDIR;
export const isRegular = (n: Node): boolean => (n.mode & S_IFMT) === S_IFREG;
export const isSymlink = (n: Node): boolean => (n.mode & S_IFMT) === S_IFLNK;

/** A new node with everything zero/empty except the mode (a directory gets an empty child map). */
export function newNode(mode: number, init: Partial<Node> = {}): Node {
  const node: Node = {
    mode,
    uid: 0,
    gid: 0,
    nlink: 1,
    rdev: 0n,
    size: 0n,
    mtime: { sec: 0n, nsec: 0 },
    xattrs: new Map(),
    ...init,
  };
  if ((mode & S_IFMT) === S_IFDIR && node.children === undefined) node.children = new Map();
  return node;
}

/** Byte-string order, identical to C strcmp/memcmp on the bytes. */
export function compareBytes(a: ByteString, b: ByteString): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Directory entries sorted by name (byte order). */
export function sortedEntries(dir: Node): Array<[ByteString, Node]> {
  if (dir.children === undefined) return [];
  return [...dir.children.entries()].sort((x, y) => compareBytes(x[0], y[0]));
}

/** Calls `f` once per distinct inode reachable from `root` (depth first, hard links once). */
export function forEachInode(root: Node, f: (n: Node) => void): void {
  const seen = new Set<Node>();
  const visit = (n: Node): void => {
    if (seen.has(n)) return;
    seen.add(n);
    f(n);
    if (n.children !== undefined) for (const c of n.children.values()) visit(c);
  };
  visit(root);
}
