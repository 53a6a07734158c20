/**
 * The composefs-rs native "V2" EROFS writer (erofs.md §13), digest-compatible with composefs-rs
 * 0.9 `FormatVersion::V2`. Pipeline: DFS collection → xattr plan → placement → emission.
 * Shared with V1: the format module, xattr escaping, the directory block split.
 */
import type { Node } from '../../tree/node.js';
import { collectV2 } from './collect.js';
import { emitImageV2 } from './emit.js';
import { computeLayoutV2, type V2Layout } from './layout.js';
import type { V2Inode, WriteV2Options } from './model.js';
import { planXattrsV2, type V2XattrPlan } from './xattrs.js';

export { V2Error, V2Kind } from './model.js';
export type { WriteV2Options, V2Inode } from './model.js';
export { placeInlineV2 } from './layout.js';
export type { V2Layout, V2InodeLayout } from './layout.js';
export { objectPathname } from './collect.js';

/** Everything the V2 writer decided, before emission. */
export interface ImagePlanV2 {
  readonly inodes: V2Inode[];
  readonly xattrs: V2XattrPlan;
  readonly layout: V2Layout;
}

/** Runs every stage but the emission. `root` is not modified. */
export function planImageV2(root: Node, opts: WriteV2Options = {}): ImagePlanV2 {
  const inodes = collectV2(root, opts);
  const xattrs = planXattrsV2(inodes);
  const layout = computeLayoutV2(inodes, xattrs);
  return { inodes, xattrs, layout };
}

/** Writes the composefs-rs V2 EROFS image of `root` (header composefs_version 2). */
export function writeImageV2(root: Node, opts: WriteV2Options = {}): Buffer {
  const { inodes, xattrs, layout } = planImageV2(root, opts);
  return emitImageV2(inodes, xattrs, layout);
}
