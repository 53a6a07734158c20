/**
 * Object naming and relative symlink targets inside a repository (boot.md §2.2).
 */
import type { HashName } from '../verity/hashes.js';
import { hexDigestLength } from '../verity/algorithm.js';

export const OBJECTS_DIR = 'objects';
export const IMAGES_DIR = 'images';
export const STREAMS_DIR = 'streams';
export const REFS_DIR = 'refs';

const LOWER_HEX = /^[0-9a-f]+$/;

/** True for a lowercase hex digest of the right length for `hash`. */
export function isDigestHex(hex: string, hash: HashName): boolean {
  return hex.length === hexDigestLength(hash) && LOWER_HEX.test(hex);
}

/** `XX/<rest>`: the object's path below `objects/`. */
export function objectPathname(hex: string): string {
  if (hex.length < 4 || !LOWER_HEX.test(hex)) throw new Error(`not a lowercase hex digest: '${hex}'`);
  return `${hex.slice(0, 2)}/${hex.slice(2)}`;
}

/** `objects/XX/<rest>`: the object's path below the repository root. */
export function objectRepoPath(hex: string): string {
  return `${OBJECTS_DIR}/${objectPathname(hex)}`;
}

/**
 * The digest named by `objects/<dir>/<name>`, or undefined when the names are not an object
 * name for `hash` (directory: 2 lowercase hex chars; file: the other 62/126).
 */
export function parseObjectName(dir: string, name: string, hash: HashName): string | undefined {
  if (dir.length !== 2 || !LOWER_HEX.test(dir)) return undefined;
  const hex = dir + name;
  return isDigestHex(hex, hash) ? hex : undefined;
}

/**
 * The digest at the end of a first-level link target (`…XX/<rest>`): upstream's GC reads the
 * trailing `2*size+1` characters. Undefined when they are not `XX/<rest>`.
 */
export function digestFromObjectLinkTarget(target: string, hash: HashName): string | undefined {
  const n = hexDigestLength(hash) + 1;
  if (target.length < n) return undefined;
  const tail = target.slice(target.length - n);
  if (target.length > n && target[target.length - n - 1] !== '/') return undefined;
  if (tail[2] !== '/') return undefined;
  return parseObjectName(tail.slice(0, 2), tail.slice(3), hash);
}

function components(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * Relative target for a symlink at `linkPath` pointing at `targetPath` (both relative to the
 * repository root): drop the leading components that the link's parent directory and the target
 * share, then prepend one `..` per remaining parent component.
 * `images/<hex>` → `../objects/XX/<rest>`; `images/refs/a/b` → `../../<hex>`.
 */
export function relativeLinkTarget(linkPath: string, targetPath: string): string {
  const parent = components(linkPath).slice(0, -1);
  const target = components(targetPath);
  let shared = 0;
  while (shared < parent.length && shared < target.length - 1 && parent[shared] === target[shared]) shared++;
  const ups = parent.length - shared;
  return [...Array<string>(ups).fill('..'), ...target.slice(shared)].join('/');
}

/**
 * Validates a ref name (`images/refs/<name>`): non-empty `/`-separated components, none empty,
 * `.` or `..`, no NUL. Returns the components. (Upstream does not validate; we refuse names that
 * would escape `refs/`.)
 */
export function refComponents(name: string): string[] {
  const parts = name.split('/');
  if (name === '' || name.includes('\0') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`invalid reference name '${name}'`);
  }
  return parts;
}
