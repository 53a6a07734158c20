/**
 * Per-inode sizes, compact/extended choice, placement with tail padding, and data block
 * assignment (erofs.md §4.6, §5.5–§5.7, §6.7, §6.8).
 */
import { placeDataBlocks, roundUp } from '../placement.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type Mtime } from '../../tree/node.js';
import {
  BLOCK_BITS, BLOCK_SIZE, CHUNK_MAP_ENTRY_SIZE, DIRENT_SIZE, DIR_TAIL_MAX, INODES_START, INODE_COMPACT_SIZE,
  INODE_EXTENDED_SIZE, LAYOUT_CHUNK_BASED, LAYOUT_FLAT_INLINE, LAYOUT_FLAT_PLAIN, MAX_CHUNK_BITS, SLOT_SIZE,
  type DataLayout,
} from '../format.js';
import type { WNode } from './model.js';
import type { XattrPlan } from './xattrs.js';

export const Kind = {
  Dir: 0,
  Symlink: 1,
  InlineFile: 2,
  ExternalFile: 3,
  /** empty files, devices, fifos, sockets, stubs */
  Plain: 4,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export interface InodeLayout {
  readonly kind: Kind;
  layout: DataLayout;
  readonly extended: boolean;
  readonly inodeSize: number;
  readonly xattrSize: number;
  /** data blocks of this inode (after placement) */
  nBlocks: number;
  /** inline tail bytes right after inode + xattrs (after placement) */
  tailLen: number;
  /** i_size as written */
  readonly iSize: bigint;
  /** Directories: start index (into the entries) of each full block, then of the tail. */
  readonly dirBounds: number[] | undefined;
  /** External files: chunkbits − 12 and the chunk count. */
  readonly chunkFormat: number;
  readonly chunks: number;
  /** External file whose chunk map did not fit next to the inode (§6.8 huge-file quirk). */
  hugeChunkMap: boolean;
  /** byte offset of the inode */
  offset: number;
  /** first data block (0 if none) */
  blkaddr: number;
}

export interface ImageLayout {
  readonly inodes: InodeLayout[];
  /** 32-aligned end of the inode table = start of the shared xattr table */
  readonly inodesEnd: number;
  /** first data block byte offset */
  readonly dataStart: number;
  /** total blocks = file size / 4096 */
  readonly blocks: number;
}

export class LayoutError extends RangeError {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}


/** Splits sorted directory entries into full blocks and a tail (§5.5). */
export function splitDirectory(names: ReadonlyArray<{ readonly name: string }>): { bounds: number[]; nBlocks: number; tailLen: number } {
  const bounds = [0];
  let used = 0;
  for (let i = 0; i < names.length; i++) {
    const sz = DIRENT_SIZE + names[i]!.name.length;
    if (used + sz > BLOCK_SIZE) {
      bounds.push(i);
      used = 0;
    }
    used += sz;
  }
  if (used > DIR_TAIL_MAX) {
    bounds.push(names.length);
    used = 0;
  }
  return { bounds, nBlocks: bounds.length - 1, tailLen: used };
}

/** chunkbits for an external file of `size` > 0 bytes: ceil(log2 size), clamped to 12..43. */
export function chunkBitsFor(size: bigint): number {
  let bits = size <= 1n ? BLOCK_BITS : Math.max(BLOCK_BITS, (size - 1n).toString(2).length);
  if (bits > MAX_CHUNK_BITS) bits = MAX_CHUNK_BITS;
  return bits;
}

const U16_MAX = 0xffff;
const U32_MAX = 0xffffffffn;

export function computeLayout(inodes: readonly WNode[], minMtime: Mtime, xattrs: XattrPlan): ImageLayout {
  const out: InodeLayout[] = new Array(inodes.length);
  let pos = INODES_START;
  for (let i = 0; i < inodes.length; i++) {
    const n = inodes[i]!;
    const type = n.mode & S_IFMT;
    let kind: Kind;
    let nBlocks = 0;
    let tailLen = 0;
    let iSize = 0n;
    let sizeForCompact = n.size;
    let dirBounds: number[] | undefined;
    let chunkFormat = 0;
    let chunks = 0;
    if (type === S_IFDIR) {
      kind = Kind.Dir;
      const s = splitDirectory(n.entries!);
      dirBounds = s.bounds;
      nBlocks = s.nBlocks;
      tailLen = s.tailLen;
      iSize = BigInt(nBlocks * BLOCK_SIZE + tailLen);
      sizeForCompact = iSize;
    } else if (type === S_IFLNK) {
      kind = Kind.Symlink;
      tailLen = n.payload!.length;
      iSize = BigInt(tailLen);
      sizeForCompact = iSize;
    } else if (type === S_IFREG) {
      iSize = n.size;
      if (n.content !== undefined) {
        kind = Kind.InlineFile;
        const len = n.content.length;
        nBlocks = Math.floor(len / BLOCK_SIZE);
        tailLen = len % BLOCK_SIZE;
        if (tailLen > DIR_TAIL_MAX) {
          nBlocks++;
          tailLen = 0;
        }
      } else if (n.size > 0n) {
        kind = Kind.ExternalFile;
        const cb = chunkBitsFor(n.size);
        const c = ((n.size - 1n) >> BigInt(cb)) + 1n;
        if (c > 1024n) throw new LayoutError(`file of ${n.size} bytes needs ${c} chunks (> 1024): EFBIG`, 'EFBIG');
        chunks = Number(c);
        chunkFormat = cb - BLOCK_BITS;
        tailLen = chunks * CHUNK_MAP_ENTRY_SIZE;
      } else {
        kind = Kind.Plain;
      }
    } else {
      kind = Kind.Plain;
    }

    const extended =
      n.mtime.sec !== minMtime.sec || n.mtime.nsec !== minMtime.nsec ||
      n.nlink > U16_MAX || n.uid > U16_MAX || n.gid > U16_MAX || sizeForCompact > U32_MAX;
    const inodeSize = extended ? INODE_EXTENDED_SIZE : INODE_COMPACT_SIZE;
    const xattrSize = xattrs.perInode[i]!.size;
    const h = inodeSize + xattrSize;

    // Placement (§6.8).
    pos = roundUp(pos, SLOT_SIZE);
    let hugeChunkMap = false;
    if (kind === Kind.Symlink) {
      const total = h + tailLen;
      if (total >= BLOCK_SIZE) {
        nBlocks = 1;
        tailLen = 0;
      }
      if (Math.floor(pos / BLOCK_SIZE) !== Math.floor((pos + total - 1) / BLOCK_SIZE)) pos = roundUp(pos, BLOCK_SIZE);
    } else if (tailLen > 0) {
      const room = BLOCK_SIZE - ((pos + h) % BLOCK_SIZE);
      if (room < tailLen) {
        const pad = roundUp(room, SLOT_SIZE);
        if (tailLen <= BLOCK_SIZE - ((pos + h + pad) % BLOCK_SIZE)) {
          pos += pad;
        } else {
          nBlocks++;
          tailLen = 0;
          hugeChunkMap = kind === Kind.ExternalFile;
          pos = roundUp(pos, BLOCK_SIZE);
        }
      }
    }

    let layout: DataLayout;
    if (kind === Kind.ExternalFile) layout = LAYOUT_CHUNK_BASED;
    else layout = tailLen > 0 ? LAYOUT_FLAT_INLINE : LAYOUT_FLAT_PLAIN;

    out[i] = {
      kind, layout, extended, inodeSize, xattrSize, nBlocks, tailLen, iSize, dirBounds, chunkFormat, chunks,
      hugeChunkMap, offset: pos, blkaddr: 0,
    };
    pos += h + tailLen;
  }

  const placed = placeDataBlocks(out, pos, xattrs.sharedSize);
  if (placed.blocks > 0xffffffff) throw new LayoutError(`image of ${placed.blocks} blocks is too large`, 'EFBIG');
  return { inodes: out, ...placed };
}
