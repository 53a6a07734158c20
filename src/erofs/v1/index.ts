/**
 * The composefs V1 image writer: byte-identical to C mkcomposefs 1.0.8 (erofs.md §6).
 * Pipeline: version selection → working copy + rewrite → BFS order → xattr plan → layout → emit.
 */
import type { Node } from '../../tree/node.js';
import { emitImage } from './emit.js';
import { computeLayout, type ImageLayout } from './layout.js';
import type { WriteV1Options } from './model.js';
import { bfsOrder, type Ordered } from './order.js';
import { buildWorkingTree } from './rewrite.js';
import { selectVersion } from './version.js';
import { planXattrs, type XattrPlan } from './xattrs.js';

export type { WriteV1Options } from './model.js';
export { TreeError } from './rewrite.js';
export { LayoutError } from './layout.js';
export { VersionError, selectVersion, resolveVersionRange } from './version.js';

/** Everything the writer decided, before emission (used by `writeImageV1` and diagnostics). */
export interface ImagePlanV1 {
  readonly version: number;
  readonly ordered: Ordered;
  readonly xattrs: XattrPlan;
  readonly layout: ImageLayout;
}

/** Runs every stage but the emission. `root` is not modified. */
export function planImageV1(root: Node, opts: WriteV1Options = {}): ImagePlanV1 {
  const version = selectVersion(root, opts);
  const wroot = buildWorkingTree(root, version, opts);
  const ordered = bfsOrder(wroot);
  const xattrs = planXattrs(ordered.xattrs);
  const layout = computeLayout(ordered.inodes, ordered.minMtime, xattrs);
  return { version, ordered, xattrs, layout };
}

/** Emits a planned image. */
export function emitPlannedImageV1(plan: ImagePlanV1): Buffer {
  const { ordered, layout, xattrs, version } = plan;
  return emitImage({
    inodes: ordered.inodes, layout, xattrs, minMtime: ordered.minMtime, hasAcl: ordered.hasAcl, version,
  });
}

/**
 * Writes the composefs V1 EROFS image of `root` as `mkcomposefs` 1.0.8 would (`--from-file` with
 * the dumpfile of this tree). `root` is not modified.
 */
export function writeImageV1(root: Node, opts: WriteV1Options = {}): Buffer {
  return emitPlannedImageV1(planImageV1(root, opts));
}
