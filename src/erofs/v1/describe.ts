/**
 * Diagnostics: which part of a planned V1 image a byte offset belongs to. Used by the
 * differential tests to report the first differing byte.
 */
import type { ByteString } from '../../tree/node.js';
import { BLOCK_SIZE, SLOT_BITS, SUPERBLOCK_OFFSET } from '../format.js';
import type { WNode } from './model.js';
import type { ImagePlanV1 } from './index.js';

/** Path of every inode (by ino), from the owning entries. */
export function inodePaths(plan: ImagePlanV1): ByteString[] {
  const { inodes } = plan.ordered;
  const paths: ByteString[] = new Array(inodes.length);
  paths[0] = '/';
  for (const n of inodes) {
    if (n.entries === undefined) continue;
    const base = n.ino === 0 ? '' : paths[n.ino]!;
    for (const e of n.entries) if (!e.isLink) paths[e.target.ino] = `${base}/${e.name}`;
  }
  return paths;
}

/** Human-readable region of `offset` in the planned image. */
export function describeOffset(plan: ImagePlanV1, offset: number): string {
  const { layout, xattrs } = plan;
  if (offset < 32) return `composefs header (+0x${offset.toString(16)})`;
  if (offset < SUPERBLOCK_OFFSET) return 'zero area after the header';
  if (offset < SUPERBLOCK_OFFSET + 128) return `superblock (+0x${(offset - SUPERBLOCK_OFFSET).toString(16)})`;
  const paths = inodePaths(plan);
  const describe = (n: WNode): string => {
    const l = layout.inodes[n.ino]!;
    return `inode nid ${l.offset >>> SLOT_BITS} (ino ${n.ino}, ${JSON.stringify(paths[n.ino])}, ${l.extended ? 'extended' : 'compact'}, xattrs ${l.xattrSize} B, tail ${l.tailLen} B)`;
  };
  if (offset < layout.inodesEnd) {
    let lo = 0;
    let hi = layout.inodes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (layout.inodes[mid]!.offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    const l = layout.inodes[lo]!;
    const rel = offset - l.offset;
    const h = l.inodeSize + l.xattrSize;
    const part = rel < l.inodeSize ? 'header' : rel < h ? 'xattrs' : rel < h + l.tailLen ? 'tail' : 'padding after';
    return `${describe(plan.ordered.inodes[lo]!)} ${part} +0x${rel.toString(16)}`;
  }
  if (offset < layout.inodesEnd + xattrs.sharedSize) return `shared xattr table +0x${(offset - layout.inodesEnd).toString(16)}`;
  if (offset < layout.dataStart) return 'zero padding before the data blocks';
  const block = Math.floor(offset / BLOCK_SIZE);
  for (let i = 0; i < layout.inodes.length; i++) {
    const l = layout.inodes[i]!;
    if (l.nBlocks > 0 && block >= l.blkaddr && block < l.blkaddr + l.nBlocks) {
      return `data block ${block} (#${block - l.blkaddr} of ${describe(plan.ordered.inodes[i]!)}) +0x${(offset % BLOCK_SIZE).toString(16)}`;
    }
  }
  return `data block ${block} (unassigned)`;
}
