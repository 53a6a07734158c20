/**
 * Format version selection (erofs.md §6.2).
 */
import { S_IFCHR, S_IFMT, type Node } from '../../tree/node.js';
import type { WriteV1Options } from './model.js';

/** Highest `composefs_version` C mkcomposefs 1.0.8 writes. */
export const MAX_FORMAT_VERSION = 1;

export class VersionError extends RangeError {
  readonly code = 'EINVAL';
}

function checkVersion(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > MAX_FORMAT_VERSION) {
    throw new VersionError(`${name} must be 0..${MAX_FORMAT_VERSION}, got ${v} (mkcomposefs: Invalid argument)`);
  }
  return v;
}

/** Resolves (min, max): if either is given the other defaults to 0, else min 0 and max 1. */
export function resolveVersionRange(opts: Pick<WriteV1Options, 'minVersion' | 'maxVersion'>): { min: number; max: number } {
  if (opts.minVersion === undefined && opts.maxVersion === undefined) return { min: 0, max: MAX_FORMAT_VERSION };
  const min = checkVersion('minVersion', opts.minVersion ?? 0);
  let max = checkVersion('maxVersion', opts.maxVersion ?? 0);
  if (max < min) max = min;
  return { min, max };
}

/** True if some node of the tree is a char device with rdev 0 (a user whiteout). */
export function hasWhiteout(root: Node): boolean {
  const seen = new Set<Node>();
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if ((n.mode & S_IFMT) === S_IFCHR && n.rdev === 0n) return true;
    if (n.children !== undefined) for (const c of n.children.values()) stack.push(c);
  }
  return false;
}

/** The `composefs_version` C mkcomposefs 1.0.8 writes for this tree and these flags. */
export function selectVersion(root: Node, opts: Pick<WriteV1Options, 'minVersion' | 'maxVersion'>): number {
  const { min, max } = resolveVersionRange(opts);
  let v = min;
  if (v < 1 && max >= 1 && hasWhiteout(root)) v = 1;
  return v;
}
