/**
 * V2 placement (erofs.md §13.3, §13.4): every inode extended (64 bytes), slot-aligned, in DFS
 * order; a FLAT_INLINE inode is moved when its last metadata byte and the (exclusive) end of its
 * inline data fall in different blocks; then the shared xattr table; then, from the next block,
 * the full directory blocks in inode order. Only directories have data blocks in V2.
 */
import { placeDataBlocks, roundUp } from '../placement.js';
import {
  BLOCK_SIZE, CHUNK_MAP_ENTRY_SIZE, INODES_START, INODE_EXTENDED_SIZE, LAYOUT_CHUNK_BASED, LAYOUT_FLAT_INLINE,
  LAYOUT_FLAT_PLAIN, SLOT_SIZE, type DataLayout,
} from '../format.js';
import { splitDirectory } from '../v1/layout.js';
import { V2Error, V2Kind, type V2Inode } from './model.js';
import type { V2XattrPlan } from './xattrs.js';

export interface V2InodeLayout {
  readonly layout: DataLayout;
  readonly xattrSize: number;
  /** i_size */
  readonly iSize: bigint;
  /** bytes written right after inode + xattrs (dir tail, symlink target, content, chunk map) */
  readonly tailLen: number;
  /** full directory blocks */
  readonly nBlocks: number;
  /** directories: start index (into the entries) of each full block, then of the tail */
  readonly dirBounds: number[] | undefined;
  /** byte offset of the inode (nid = offset / 32) */
  readonly offset: number;
  /** how many bytes the §13.3 rule moved the inode (0 if not moved) */
  readonly moved: number;
  /** first data block (directories with full blocks), else 0 */
  blkaddr: number;
}

export interface V2Layout {
  readonly inodes: V2InodeLayout[];
  /** slot-aligned end of the inode table = start of the shared xattr table */
  readonly inodesEnd: number;
  /** first data block byte offset */
  readonly dataStart: number;
  /** total blocks = file size / 4096 */
  readonly blocks: number;
}


/**
 * The §13.3 rule: for a FLAT_INLINE inode at slot-aligned `pos` with `h` bytes of inode +
 * xattrs and i_size `size`, the position it is actually written at.
 */
export function placeInlineV2(pos: number, h: number, size: bigint): number {
  const inlineStart = pos + h;
  const lastMeta = inlineStart - 1;
  const inlineEnd = inlineStart + Number(size % BigInt(BLOCK_SIZE)); // one past the end
  if (Math.floor(lastMeta / BLOCK_SIZE) === Math.floor(inlineEnd / BLOCK_SIZE)) return pos;
  return roundUp(pos + (BLOCK_SIZE - (lastMeta % BLOCK_SIZE)), SLOT_SIZE);
}

export function computeLayoutV2(inodes: readonly V2Inode[], xattrs: V2XattrPlan): V2Layout {
  const out: V2InodeLayout[] = new Array(inodes.length);
  let pos = INODES_START;
  for (let i = 0; i < inodes.length; i++) {
    const n = inodes[i]!;
    let layout: DataLayout = LAYOUT_FLAT_PLAIN;
    let iSize = n.size;
    let tailLen = 0;
    let nBlocks = 0;
    let dirBounds: number[] | undefined;
    switch (n.kind) {
      case V2Kind.Dir: {
        const s = splitDirectory(n.entries!);
        dirBounds = s.bounds;
        nBlocks = s.nBlocks;
        tailLen = s.tailLen;
        iSize = BigInt(nBlocks * BLOCK_SIZE + tailLen);
        layout = tailLen > 0 ? LAYOUT_FLAT_INLINE : LAYOUT_FLAT_PLAIN;
        break;
      }
      case V2Kind.Symlink:
      case V2Kind.InlineFile:
        tailLen = n.inline!.length;
        layout = LAYOUT_FLAT_INLINE;
        break;
      case V2Kind.External:
        tailLen = CHUNK_MAP_ENTRY_SIZE;
        layout = LAYOUT_CHUNK_BASED;
        break;
      case V2Kind.ExternalNoMap:
        layout = LAYOUT_CHUNK_BASED;
        break;
      default:
        break;
    }
    const xattrSize = xattrs.perInode[i]!.size;
    const h = INODE_EXTENDED_SIZE + xattrSize;
    pos = roundUp(pos, SLOT_SIZE);
    let moved = 0;
    if (layout === LAYOUT_FLAT_INLINE) {
      const p = placeInlineV2(pos, h, iSize);
      moved = p - pos;
      pos = p;
      // composefs-rs never produces more; anything longer would put the tail across a block.
      const start = pos + h;
      if (Math.floor(start / BLOCK_SIZE) !== Math.floor((start + tailLen - 1) / BLOCK_SIZE)) {
        throw new V2Error(`inline data of ${tailLen} bytes (after ${xattrSize} bytes of xattrs) does not fit in one block`, 'EFBIG');
      }
    }
    out[i] = { layout, xattrSize, iSize, tailLen, nBlocks, dirBounds, offset: pos, moved, blkaddr: 0 };
    pos += h + tailLen;
  }
  const placed = placeDataBlocks(out, pos, xattrs.sharedSize);
  if (placed.blocks > 0xffffffff) throw new V2Error(`image of ${placed.blocks} blocks is too large`, 'EFBIG');
  if (out[0]!.offset / SLOT_SIZE > 0xffff) throw new V2Error('root nid does not fit in 16 bits', 'EFBIG');
  return { inodes: out, ...placed };
}
