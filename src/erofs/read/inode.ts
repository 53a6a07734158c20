/**
 * Inode decoding with bounds checks (erofs.md §4, §8.2). Reads the fields at the offsets that
 * format.ts describes (INODE_COMPACT / INODE_EXTENDED), without building intermediate objects:
 * this is the hot path of the reader.
 */
import {
  BLOCK_SIZE, INODE_COMPACT, INODE_EXTENDED, I_DATALAYOUT_BIT, I_DATALAYOUT_MASK, I_VERSION_MASK, I_VERSION_EXTENDED,
  LAYOUT_CHUNK_BASED, LAYOUT_FLAT_INLINE, LAYOUT_FLAT_PLAIN, SLOT_BITS, xattrAreaSize,
} from '../format.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../../tree/node.js';
import { ImageError, where } from './errors.js';
import type { ImageContext } from './superblock.js';

const C = INODE_COMPACT.fields;
const E = INODE_EXTENDED.fields;
/** i_format bits that mean something: version (bit 0) and layout (bits 1–3). */
const KNOWN_FORMAT_BITS = I_VERSION_MASK | (I_DATALAYOUT_MASK << I_DATALAYOUT_BIT);

export interface RawInode {
  nid: number;
  /** byte offset of the inode */
  offset: number;
  extended: boolean;
  /** 32 or 64 */
  inodeSize: number;
  layout: number;
  mode: number;
  nlink: number;
  size: bigint;
  /** raw_blkaddr / rdev / chunk format */
  u: number;
  uid: number;
  gid: number;
  mtime: { sec: bigint; nsec: number };
  /** byte offset and size of the xattr area (size 0 = none) */
  xattrOffset: number;
  xattrSize: number;
  /** byte offset right after inode + xattrs (where inline data / chunk maps start) */
  inlineOffset: number;
}

const VALID_TYPES = new Set([S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK]);

/** Byte offset of a nid, checked against the image (nids come from u64 dirent fields). */
export function nidOffset(ctx: ImageContext, nid: bigint | number, need = INODE_COMPACT.size): number {
  const len = ctx.buf.length;
  // fast path: nids are < 2^32 in any image that fits in memory
  if (typeof nid === 'number' || nid <= 0xffffffffn) {
    const off = ctx.metaBase + Number(nid) * (1 << SLOT_BITS);
    if (off >= 0 && off + need <= len) return off;
  }
  throw new ImageError(`inode ${where(nid)} lies beyond the image (${len} bytes)`, nid);
}

export function decodeRawInode(ctx: ImageContext, nidIn: bigint | number): RawInode {
  const buf = ctx.buf;
  const off = nidOffset(ctx, nidIn);
  const nid = Number(nidIn);
  const format = buf.readUInt16LE(off + C.i_format.offset);
  if ((format & ~KNOWN_FORMAT_BITS) !== 0) throw new ImageError(`inode ${where(nid, off)}: unknown i_format bits 0x${format.toString(16)}`, nid, off);
  const extended = (format & I_VERSION_MASK) === I_VERSION_EXTENDED;
  const layout = (format >> I_DATALAYOUT_BIT) & I_DATALAYOUT_MASK;
  if (layout !== LAYOUT_FLAT_PLAIN && layout !== LAYOUT_FLAT_INLINE && layout !== LAYOUT_CHUNK_BASED) {
    throw new ImageError(`inode ${where(nid, off)}: unsupported data layout ${layout}`, nid, off);
  }
  const inodeSize = extended ? INODE_EXTENDED.size : INODE_COMPACT.size;
  if (off + inodeSize > buf.length) throw new ImageError(`inode ${where(nid, off)}: ${inodeSize}-byte inode runs past the image end`, nid, off);
  let r: RawInode;
  if (extended) {
    r = {
      nid, offset: off, extended, inodeSize, layout,
      mode: buf.readUInt16LE(off + E.i_mode.offset),
      nlink: buf.readUInt32LE(off + E.i_nlink.offset),
      size: buf.readBigUInt64LE(off + E.i_size.offset),
      u: buf.readUInt32LE(off + E.i_u.offset),
      uid: buf.readUInt32LE(off + E.i_uid.offset),
      gid: buf.readUInt32LE(off + E.i_gid.offset),
      mtime: { sec: buf.readBigInt64LE(off + E.i_mtime.offset), nsec: buf.readUInt32LE(off + E.i_mtime_nsec.offset) },
      xattrOffset: off + inodeSize, xattrSize: xattrAreaSize(buf.readUInt16LE(off + E.i_xattr_icount.offset)), inlineOffset: 0,
    };
  } else {
    r = {
      nid, offset: off, extended, inodeSize, layout,
      mode: buf.readUInt16LE(off + C.i_mode.offset),
      nlink: buf.readUInt16LE(off + C.i_nlink.offset),
      size: BigInt(buf.readUInt32LE(off + C.i_size.offset)),
      u: buf.readUInt32LE(off + C.i_u.offset),
      uid: buf.readUInt16LE(off + C.i_uid.offset),
      gid: buf.readUInt16LE(off + C.i_gid.offset),
      mtime: ctx.buildTime,
      xattrOffset: off + inodeSize, xattrSize: xattrAreaSize(buf.readUInt16LE(off + C.i_xattr_icount.offset)), inlineOffset: 0,
    };
  }
  if (!VALID_TYPES.has(r.mode & S_IFMT)) throw new ImageError(`inode ${where(nid, off)}: invalid file type in mode 0${r.mode.toString(8)}`, nid, off);
  r.inlineOffset = r.xattrOffset + r.xattrSize;
  if (r.inlineOffset > buf.length) throw new ImageError(`inode ${where(nid, off)}: xattr area of ${r.xattrSize} bytes runs past the image end`, nid, off);
  charge(ctx, r, r.xattrSize, 'xattr area');
  return r;
}

/** Takes `len` bytes from the image's budget of inode-owned bytes (see ImageContext.budget). */
export function charge(ctx: ImageContext, ino: RawInode, len: number, what: string): void {
  ctx.budget -= len;
  if (ctx.budget < 0) {
    throw new ImageError(`inode ${where(ino.nid, ino.offset)}: ${what} of ${len} bytes overlaps data already read (inode data exceeds the image size)`, ino.nid, ino.offset);
  }
}

/** A checked byte range of the image. */
export function checkRange(ctx: ImageContext, ino: RawInode, start: number, len: number, what: string): void {
  if (!(start >= 0 && len >= 0 && start + len <= ctx.buf.length)) {
    throw new ImageError(`inode ${where(ino.nid, ino.offset)}: ${what} (${len} bytes at 0x${start.toString(16)}) lies beyond the image`, ino.nid, start);
  }
}

/**
 * The data of a FLAT_PLAIN / FLAT_INLINE inode as C reads it (§8.2): the byte ranges of its
 * out-of-line blocks and of its inline tail. Sizes are checked against the image before anything
 * is computed from them, so a huge i_size can never drive an allocation.
 */
export interface FlatData {
  /** [offset, length] of each out-of-line piece; C reads the last block of a FLAT_PLAIN inode as size mod 4096 bytes */
  blocks: Array<[number, number]>;
  /** [offset, length] of the inline tail, or undefined */
  tail?: [number, number];
}

export function flatData(ctx: ImageContext, ino: RawInode): FlatData {
  const size = ino.size;
  if (size > BigInt(ctx.buf.length)) {
    throw new ImageError(`inode ${where(ino.nid, ino.offset)}: i_size ${size} exceeds the image size`, ino.nid, ino.offset);
  }
  const n = Number(size);
  charge(ctx, ino, n, 'data');
  const inline = ino.layout === LAYOUT_FLAT_INLINE;
  const tailLen = inline ? n % BLOCK_SIZE : 0;
  const oobLen = n - tailLen;
  const out: FlatData = { blocks: [] };
  if (oobLen > 0) {
    const start = ino.u * BLOCK_SIZE;
    checkRange(ctx, ino, start, oobLen, `data at block ${ino.u}`);
    for (let at = 0; at < oobLen; at += BLOCK_SIZE) out.blocks.push([start + at, Math.min(BLOCK_SIZE, oobLen - at)]);
  }
  if (tailLen > 0) {
    checkRange(ctx, ino, ino.inlineOffset, tailLen, 'inline tail');
    out.tail = [ino.inlineOffset, tailLen];
  }
  return out;
}
