/**
 * Which objects an EROFS image references: the backing-object paths (`XX/<rest>`, from each
 * external file's `trusted.overlay.redirect`, boot.md §5.7) of the image read by the hardened
 * image reader. Used by gc, fsck and `repo image-objects`.
 */
import { readImage, ImageError } from '../erofs/read/index.js';
import { isRegular, type Node } from '../tree/node.js';
import type { HashName } from '../verity/hashes.js';
import { parseObjectName } from './paths.js';

export class ImageParseError extends Error {
  override readonly name = 'ImageParseError';
}

/** Returns the object digests (lowercase hex) an image references, without duplicates. */
export type ImageObjectReader = (image: Uint8Array, hash: HashName) => string[];

function objectsOf(image: Uint8Array, hash: HashName): string[] {
  let root: Node;
  try {
    root = readImage(image);
  } catch (e) {
    if (e instanceof ImageError) throw new ImageParseError(e.message);
    throw e;
  }
  const out = new Set<string>();
  const seen = new Set<Node>();
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    if (node.children !== undefined) {
      for (const child of node.children.values()) stack.push(child);
    } else if (isRegular(node) && node.content === undefined && node.payload !== undefined) {
      const m = /^([^/]*)\/([^/]*)$/.exec(node.payload);
      const hex = m === null ? undefined : parseObjectName(m[1]!, m[2]!, hash);
      if (hex === undefined) throw new ImageParseError(`redirect '/${node.payload}' is not an object path`);
      out.add(hex);
    }
  }
  return [...out];
}

let reader: ImageObjectReader = objectsOf;

/** Replaces the image reader (tests). */
export function setImageObjectReader(r: ImageObjectReader | undefined): void {
  reader = r ?? objectsOf;
}

/** Object digests referenced by `image`. @throws ImageParseError (or the reader's own error). */
export function imageObjects(image: Uint8Array, hash: HashName): string[] {
  try {
    return reader(image, hash);
  } catch (e) {
    if (e instanceof ImageParseError) throw e;
    throw new ImageParseError((e as Error).message ?? String(e));
  }
}
