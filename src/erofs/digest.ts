/**
 * The composefs image digest (erofs.md §12): the fs-verity sha256 digest (4096-byte blocks, no
 * salt) of the whole image file, as `mkcomposefs --print-digest` prints it.
 */
import { verityDigestOfBuffer } from '../verity/merkle.js';

/** fs-verity sha256 digest of the image bytes (32 bytes). */
export function imageDigest(image: Uint8Array): Buffer {
  return verityDigestOfBuffer('sha256', image);
}

/** The digest as 64 lowercase hex digits. */
export function imageDigestHex(image: Uint8Array): string {
  return imageDigest(image).toString('hex');
}

/** Exactly what `mkcomposefs --print-digest` writes to stdout: hex digest and a newline. */
export function printDigestLine(image: Uint8Array): string {
  return `${imageDigestHex(image)}\n`;
}
