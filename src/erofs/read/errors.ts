/**
 * The one error type of the image reader: any structural problem of an image (hostile or just
 * corrupt) is reported as an `ImageError` with a one-line message naming where (nid and/or byte
 * offset) and what was wrong. Nothing else is thrown for bad input.
 */
export class ImageError extends Error {
  constructor(
    message: string,
    /** nid of the inode concerned, when there is one */
    readonly nid?: number | bigint,
    /** absolute byte offset concerned, when there is one */
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'ImageError';
  }
}

/** Formats "nid N (offset 0xX)" for messages. */
export function where(nid: number | bigint | undefined, offset?: number): string {
  const parts: string[] = [];
  if (nid !== undefined) parts.push(`nid ${nid}`);
  if (offset !== undefined) parts.push(`offset 0x${offset.toString(16)}`);
  return parts.join(' at ');
}
