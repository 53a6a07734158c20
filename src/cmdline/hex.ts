/**
 * Hex decoding with the semantics and error texts of the Rust `hex` crate (0.4), which composefs-rs
 * uses for digests (`FsVerityHashValue::from_hex` = `hex::decode_to_slice` into a fixed array).
 *
 * Everything works on the UTF-8 **bytes** of the input, as Rust does on `&str`/`&[u8]`:
 * lengths are byte lengths and positions are byte offsets; a non-ASCII byte is reported as the
 * Latin-1 character with that code (Rust's `byte as char`).
 *
 * Order of checks for a fixed-size target (`decodeHexFixed`), which is what makes every row of
 * boot.md §1.8 come out right:
 *   1. odd byte length                      → "Odd number of digits"    (`notahex`, 7 bytes)
 *   2. byte length / 2 ≠ target size        → "Invalid string length"   (128 hex for sha256)
 *   3. first non-hex byte, left to right    → "Invalid character 'x' at position N"
 * So an even-length string of the wrong size is a length error even if it also has bad digits,
 * and a bad digit is only reported for strings of exactly the right length.
 */

export type FromHexErrorKind = 'OddLength' | 'InvalidStringLength' | 'InvalidHexCharacter';

export class FromHexError extends Error {
  override readonly name = 'FromHexError';
  readonly kind: FromHexErrorKind;
  /** For `InvalidHexCharacter`: the offending byte as a character (Latin-1 for bytes ≥ 0x80). */
  readonly character: string | undefined;
  /** For `InvalidHexCharacter`: the byte offset. */
  readonly index: number | undefined;

  constructor(kind: FromHexErrorKind, character?: string, index?: number) {
    super(
      kind === 'OddLength'
        ? 'Odd number of digits'
        : kind === 'InvalidStringLength'
          ? 'Invalid string length'
          : `Invalid character ${rustCharDebug((character ?? '\0').codePointAt(0) ?? 0)} at position ${index ?? 0}`,
    );
    this.kind = kind;
    this.character = character;
    this.index = index;
  }
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string (lone surrogates become U+FFFD, which Rust strings cannot contain anyway). */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Rust's `str::len()`: the UTF-8 byte length. */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/**
 * Rust's `Debug` formatting of a `char` (`'x'`), for the code points the hex crate can report
 * (0..=255) and beyond in the simple cases: `\0 \t \r \n \' \\` escaped, other control characters,
 * U+00A0 and U+00AD as `\u{hex}`, everything else literal. (`"` is not escaped in a char literal.)
 */
export function rustCharDebug(codePoint: number): string {
  switch (codePoint) {
    case 0x00:
      return "'\\0'";
    case 0x09:
      return "'\\t'";
    case 0x0a:
      return "'\\n'";
    case 0x0d:
      return "'\\r'";
    case 0x27:
      return "'\\''";
    case 0x5c:
      return "'\\\\'";
    default:
      break;
  }
  // Cc (C0, DEL, C1), NBSP (Zs) and SOFT HYPHEN (Cf) are not "printable" for Rust's escape_debug.
  if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0xa0) || codePoint === 0xad) {
    return `'\\u{${codePoint.toString(16)}}'`;
  }
  return `'${String.fromCodePoint(codePoint)}'`;
}

function nibble(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  return -1;
}

function decodeBytes(data: Uint8Array, out: Uint8Array): void {
  for (let i = 0; i < out.length; i++) {
    const hiByte = data[2 * i] ?? 0;
    const hi = nibble(hiByte);
    if (hi < 0) throw new FromHexError('InvalidHexCharacter', String.fromCharCode(hiByte), 2 * i);
    const loByte = data[2 * i + 1] ?? 0;
    const lo = nibble(loByte);
    if (lo < 0) throw new FromHexError('InvalidHexCharacter', String.fromCharCode(loByte), 2 * i + 1);
    out[i] = (hi << 4) | lo;
  }
}

/**
 * `hex::decode_to_slice` into a buffer of `size` bytes (what `from_hex` on a fixed-size digest does).
 * Accepts lower- and uppercase digits. @throws FromHexError
 */
export function decodeHexFixed(text: string, size: number): Uint8Array {
  const data = utf8Bytes(text);
  if (data.length % 2 !== 0) throw new FromHexError('OddLength');
  if (data.length / 2 !== size) throw new FromHexError('InvalidStringLength');
  const out = new Uint8Array(size);
  decodeBytes(data, out);
  return out;
}

/** `hex::decode` (variable length): odd length first, then the first bad digit. @throws FromHexError */
export function decodeHex(text: string): Uint8Array {
  const data = utf8Bytes(text);
  if (data.length % 2 !== 0) throw new FromHexError('OddLength');
  const out = new Uint8Array(data.length / 2);
  decodeBytes(data, out);
  return out;
}

/** Lowercase hex encoding (`hex::encode`). */
export function encodeHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
