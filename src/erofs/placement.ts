/** Layout steps shared by the V1 and V2 writers. */
import { BLOCK_SIZE, SLOT_SIZE } from './format.js';

export const roundUp = (x: number, a: number): number => Math.ceil(x / a) * a;

export interface DataPlacement {
  /** End of the inode area (slot-aligned); the shared xattr table starts here. */
  inodesEnd: number;
  /** First byte of the data blocks (block-aligned, after the shared xattr table). */
  dataStart: number;
  /** Total blocks of the image. */
  blocks: number;
}

/**
 * Given where the last inode ended, places the shared xattr table after the inodes and then each
 * inode's data blocks, in inode order, setting `blkaddr` on the inodes that have blocks.
 */
export function placeDataBlocks(inodes: Array<{ nBlocks: number; blkaddr: number }>, inodesEndPos: number, sharedXattrSize: number): DataPlacement {
  const inodesEnd = roundUp(inodesEndPos, SLOT_SIZE);
  const dataStart = roundUp(inodesEnd + sharedXattrSize, BLOCK_SIZE);
  let cur = dataStart / BLOCK_SIZE;
  for (const l of inodes) {
    if (l.nBlocks > 0) {
      l.blkaddr = cur;
      cur += l.nBlocks;
    }
  }
  return { inodesEnd, dataStart, blocks: cur };
}
