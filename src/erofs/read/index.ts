/**
 * The composefs EROFS image reader: image bytes → the tree model of src/tree/node.ts, as C
 * `composefs-info` / `lcfs_load_node_from_image` 1.0.8 reconstruct it (erofs.md §8), for V1 (C
 * mkcomposefs) and V2 (composefs-rs) layouts.
 *
 * Safe on hostile input: every offset, size, nid, name length and xattr count is checked against
 * the image; the walk is iterative (no recursion depth limit to hit); a directory reached twice
 * (a loop, or a hard-linked directory) is rejected; nothing is allocated from an unchecked size
 * field and xattr values / content are views into the image, so memory stays proportional to the
 * image size. Every violation throws an `ImageError`.
 *
 * Differences from C 1.0.8, on purpose (see also composefs-info.ts):
 *  * the `trusted.overlay.redirect` payload is the value minus exactly one leading `/` (C reads two
 *    bytes past the value, erofs.md §6.12);
 *  * a final inline xattr entry with an empty name suffix and an empty value (an empty ACL) is
 *    kept (C's loop condition drops it);
 *  * V2 images (composefs_version 2): a char device 0/0 is a user whiteout and is kept (C drops
 *    every char device 0/0 as if it were one of V1's `00`–`ff` stubs);
 *  * structural checks C lacks (bounds, loops, sorted unique names, superblock restrictions, …).
 */
import {
  BLOCK_SIZE, CHUNK_FORMAT_BLKBITS_MASK, CHUNK_FORMAT_INDEXES, CHUNK_INDEX_SIZE, CHUNK_MAP_ENTRY_SIZE, BLOCK_BITS,
  LAYOUT_CHUNK_BASED, MAX_INLINE_CONTENT, OVERLAY_ESCAPED_PREFIX, OVERLAY_PREFIX, PATH_MAX, XATTR_ESCAPED_WHITEOUT,
  XATTR_ESCAPED_WHITEOUTS, XATTR_METACOPY, XATTR_REDIRECT, XATTR_USER_WHITEOUT, XATTR_USER_WHITEOUTS, METACOPY_HEADER_SIZE,
} from '../format.js';
import {
  S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type ByteString, type Node,
} from '../../tree/node.js';
import { readDirEntries, type DirEntry } from './dir.js';
import { ImageError, where } from './errors.js';
import { checkRange, decodeRawInode, flatData, type RawInode } from './inode.js';
import { openImage, type ImageContext } from './superblock.js';
import { readRawXattrs } from './xattrs.js';

export { ImageError } from './errors.js';
export { openImage, type ImageContext, type LayoutFamily } from './superblock.js';
export { decodeRawInode, type RawInode } from './inode.js';
export { readRawXattrs, type RawXattr } from './xattrs.js';
export { readDirEntries, type DirEntry } from './dir.js';

export interface ReadOptions {
  /** Only load these top-level entries (names, as byte strings), like `composefs-info --filter`. */
  filter?: ByteString[];
}

/** Largest per-inode xattr total C accepts (`12 + Σ(7 + len(name) + len(value))`, UINT16_MAX). */
export const MAX_NODE_XATTR_BYTES = 0xffff;
/** Digest length of a `trusted.overlay.metacopy` value the reader takes (sha256). */
const METACOPY_DIGEST_SIZE = 32;

function concat(ctx: ImageContext, pieces: Array<[number, number]>): Buffer {
  if (pieces.length === 1) return ctx.buf.subarray(pieces[0]![0], pieces[0]![0] + pieces[0]![1]);
  return Buffer.concat(pieces.map(([o, l]) => ctx.buf.subarray(o, o + l)));
}

/**
 * Applies the §8.3 mapping of stored xattrs to node fields, in C's order (inline entries first,
 * then shared; a whiteout marker changes the type, which later entries see).
 */
function applyXattrs(ctx: ImageContext, ino: RawInode, node: Node): void {
  let total = 0;
  for (const { name, value } of readRawXattrs(ctx, ino)) {
    const type = node.mode & S_IFMT;
    if (name === XATTR_REDIRECT) {
      if (type === S_IFREG) {
        let v = value;
        if (v.length > 1 && v[0] === 0x2f) v = v.subarray(1);
        const nul = v.indexOf(0);
        node.payload = v.toString('latin1', 0, nul < 0 ? v.length : nul); // a C string
      }
      continue;
    }
    if (name === XATTR_METACOPY) {
      if (type === S_IFREG && value.length === METACOPY_HEADER_SIZE + METACOPY_DIGEST_SIZE) node.digest = value.subarray(METACOPY_HEADER_SIZE);
      continue;
    }
    if (name === XATTR_ESCAPED_WHITEOUT && type === S_IFREG) {
      node.mode = (node.mode & ~S_IFMT) | S_IFCHR;
      node.rdev = 0n;
      node.size = 0n;
      delete node.content;
      continue;
    }
    if (name === XATTR_ESCAPED_WHITEOUTS || name === XATTR_USER_WHITEOUT || name === XATTR_USER_WHITEOUTS) continue;
    let key = name;
    if (name.startsWith(OVERLAY_PREFIX)) {
      if (!name.startsWith(OVERLAY_ESCAPED_PREFIX)) continue;
      key = OVERLAY_PREFIX + name.slice(OVERLAY_ESCAPED_PREFIX.length);
    }
    const old = node.xattrs.get(key);
    if (old !== undefined) {
      total -= 7 + key.length + old.length;
      node.xattrs.delete(key); // C unsets, then appends
    }
    total += 7 + key.length + value.length + (node.xattrs.size === 0 ? 12 : 0);
    if (total > MAX_NODE_XATTR_BYTES) {
      throw new ImageError(`inode ${where(ino.nid, ino.offset)}: xattrs exceed ${MAX_NODE_XATTR_BYTES} bytes`, ino.nid, ino.offset);
    }
    node.xattrs.set(key, value);
  }
}

/**
 * Decodes one inode into a Node (children not read yet). Returns undefined for a V1 whiteout stub
 * (a char device 0/0, dropped like C does).
 */
function decodeNode(ctx: ImageContext, nid: bigint | number): { node: Node; ino: RawInode } | undefined {
  const ino = decodeRawInode(ctx, nid);
  const type = ino.mode & S_IFMT;
  const rdev = type === S_IFCHR || type === S_IFBLK ? ino.u : 0;
  if (type === S_IFCHR && rdev === 0 && ctx.family === 'v1') return undefined;
  const node: Node = {
    mode: ino.mode,
    uid: ino.uid,
    gid: ino.gid,
    nlink: ino.nlink,
    rdev: BigInt(rdev),
    size: ino.size,
    mtime: ino.mtime,
    xattrs: new Map(),
  };
  const bad = (msg: string): never => {
    throw new ImageError(`inode ${where(ino.nid, ino.offset)}: ${msg}`, ino.nid, ino.offset);
  };
  if (type === S_IFDIR) {
    node.children = new Map();
  } else if (type === S_IFLNK) {
    if (ino.size === 0n || ino.size >= BigInt(PATH_MAX)) bad(`symlink target length ${ino.size} not in 1..${PATH_MAX - 1}`);
    if (ino.layout === LAYOUT_CHUNK_BASED) bad('chunk-based symlink');
    const target = concat(ctx, flatPieces(ctx, ino));
    if (target.includes(0)) bad('NUL byte in symlink target');
    node.payload = target.toString('latin1');
  } else if (type === S_IFREG && ino.size !== 0n) {
    if (ino.layout !== LAYOUT_CHUNK_BASED) {
      if (ino.size > BigInt(Math.min(MAX_INLINE_CONTENT, ctx.buf.length))) bad(`inline content of ${ino.size} bytes (max ${MAX_INLINE_CONTENT})`);
      node.content = concat(ctx, flatPieces(ctx, ino));
    } else {
      checkChunkMap(ctx, ino);
    }
  }
  applyXattrs(ctx, ino, node);
  return { node, ino };
}

function flatPieces(ctx: ImageContext, ino: RawInode): Array<[number, number]> {
  const d = flatData(ctx, ino);
  return d.tail === undefined ? d.blocks : [...d.blocks, d.tail];
}

/** The chunk map of a CHUNK_BASED file must lie inside the image (its content is not used). */
function checkChunkMap(ctx: ImageContext, ino: RawInode): void {
  const chunkBits = BigInt(BLOCK_BITS + (ino.u & CHUNK_FORMAT_BLKBITS_MASK));
  const chunks = (ino.size + (1n << chunkBits) - 1n) >> chunkBits;
  const entry = BigInt((ino.u & CHUNK_FORMAT_INDEXES) !== 0 ? CHUNK_INDEX_SIZE : CHUNK_MAP_ENTRY_SIZE);
  const bytes = chunks * entry;
  if (bytes > BigInt(ctx.buf.length)) {
    throw new ImageError(`inode ${where(ino.nid, ino.offset)}: chunk map of ${chunks} chunks for i_size ${ino.size} cannot fit in the image`, ino.nid, ino.offset);
  }
  // The C writer's huge-file quirk (§6.8) moves maps of >1016 chunks to a data block; the
  // entries are never read, so only require that the map's bytes exist somewhere after the inode.
  checkRange(ctx, ino, ino.inlineOffset, Math.min(Number(bytes), BLOCK_SIZE), 'chunk map');
}

interface Pending {
  parent: Node;
  name: ByteString;
  nid: bigint;
}

/**
 * Reads a composefs image into a tree. Hard links (several dirents with the same nid) become one
 * shared Node; the first entry in a depth-first, name-ordered walk is where C's dump puts the
 * inode, and writers take that entry when `owner` is unset (it is left unset here).
 */
export function readImage(bytes: Uint8Array, opts: ReadOptions = {}): Node {
  const ctx = openImage(bytes);
  const filter = opts.filter === undefined ? undefined : new Set(opts.filter);
  const rootDecoded = decodeNode(ctx, ctx.rootNid);
  if (rootDecoded === undefined || (rootDecoded.node.mode & S_IFMT) !== S_IFDIR) {
    throw new ImageError(`root inode ${where(ctx.rootNid)} is not a directory`, ctx.rootNid);
  }
  const root = rootDecoded.node;
  // nid → Node (null: a dropped whiteout stub). Keys are numbers: a nid that does not fit is
  // beyond the image, and decodeNode rejects it.
  const byNid = new Map<number, Node | null>([[ctx.rootNid, root]]);
  const stack: Pending[] = [];
  const pushEntries = (dir: Node, ents: DirEntry[], names?: Set<ByteString>): void => {
    for (let i = ents.length - 1; i >= 0; i--) {
      const e = ents[i]!;
      if (names !== undefined && !names.has(e.name)) continue;
      stack.push({ parent: dir, name: e.name, nid: e.nid });
    }
  };
  pushEntries(root, readDirEntries(ctx, rootDecoded.ino), filter);
  while (stack.length > 0) {
    const { parent, name, nid: bigNid } = stack.pop()!;
    const nid = bigNid <= 0xffffffffn ? Number(bigNid) : -1;
    const seen = nid < 0 ? undefined : byNid.get(nid);
    if (seen !== undefined) {
      if (seen === null) continue;
      if (seen.children !== undefined) {
        throw new ImageError(`directory ${where(nid)} is reached a second time through entry ${JSON.stringify(name)} (directory loop or hard-linked directory)`, nid);
      }
      parent.children!.set(name, seen);
      continue;
    }
    const d = decodeNode(ctx, nid < 0 ? bigNid : nid);
    if (d === undefined) {
      byNid.set(nid, null);
      continue;
    }
    byNid.set(nid, d.node);
    parent.children!.set(name, d.node);
    if (d.node.children !== undefined) pushEntries(d.node, readDirEntries(ctx, d.ino));
  }
  return root;
}
