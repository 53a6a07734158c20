/**
 * Dumpfile field escaping (erofs.md §10.2), on raw bytes.
 *
 * Reader rules (what `mkcomposefs --from-file` accepts):
 *   `\\` `\n` `\r` `\t`, `\xHH` (either case), any other byte literally. Any other escape, a lone
 *   trailing `\`, or a short/invalid `\x` is an error.
 *
 * Writer rules (what `composefs-info dump` produces):
 *   `\` → `\\`, LF → `\n`, CR → `\r`, TAB → `\t`; every other byte outside 0x21–0x7E (including
 *   space) → `\xHH` lowercase; `=` → `\x3d` in xattr keys and values; a PAYLOAD/CONTENT field
 *   whose whole value is `-` → `\x2d`.
 *
 * Both directions are table driven and allocate at most one buffer per field: they run once per
 * field on dumpfiles of millions of lines.
 */

const BACKSLASH = 0x5c;

/** An escape error; `reason` is the C reader's text (the parser adds the line number). */
export class EscapeError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'EscapeError';
  }
}

/** Hex digit value of a byte, or -1. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[0x41 + i] = 10 + i;
  HEX_VALUE[0x61 + i] = 10 + i;
}

/** True if `src[start, end)` contains a backslash (i.e. unescaping would change it). */
export function needsUnescape(src: Buffer, start: number, end: number): boolean {
  const i = src.indexOf(BACKSLASH, start);
  return i >= 0 && i < end;
}

/**
 * Unescapes `src[start, end)` into a NEW buffer (never a view of `src`, so the result does not
 * keep a large input chunk alive). Throws {@link EscapeError}.
 */
export function unescapeBytes(src: Buffer, start = 0, end = src.length): Buffer {
  let bs = src.indexOf(BACKSLASH, start);
  if (bs < 0 || bs >= end) return Buffer.from(src.subarray(start, end));
  const out = Buffer.allocUnsafe(end - start);
  let o = src.copy(out, 0, start, bs);
  let i = bs;
  while (i < end) {
    const c = src[i]!;
    if (c !== BACKSLASH) {
      // Copy the literal run up to the next backslash in one go.
      bs = src.indexOf(BACKSLASH, i);
      const runEnd = bs < 0 || bs > end ? end : bs;
      o += src.copy(out, o, i, runEnd);
      i = runEnd;
      continue;
    }
    if (i + 1 >= end) throw new EscapeError('No character after escape');
    const e = src[i + 1]!;
    switch (e) {
      case BACKSLASH: out[o++] = BACKSLASH; i += 2; break;
      case 0x6e /* n */: out[o++] = 0x0a; i += 2; break;
      case 0x72 /* r */: out[o++] = 0x0d; i += 2; break;
      case 0x74 /* t */: out[o++] = 0x09; i += 2; break;
      case 0x78 /* x */: {
        if (i + 4 > end) throw new EscapeError('No hex characters after hex escape');
        const hi = HEX_VALUE[src[i + 2]!]!;
        const lo = HEX_VALUE[src[i + 3]!]!;
        if (hi < 0 || lo < 0) throw new EscapeError('Invalid hex characters after hex escape');
        out[o++] = (hi << 4) | lo;
        i += 4;
        break;
      }
      default:
        throw new EscapeError(`Unsupported escape type ${String.fromCharCode(e)}`);
    }
  }
  return out.subarray(0, o);
}

/**
 * Unescapes `src[start, end)` into a byte string (latin1). Throws {@link EscapeError}.
 */
export function unescapeLatin1(src: Buffer, start = 0, end = src.length): string {
  const bs = src.indexOf(BACKSLASH, start);
  if (bs < 0 || bs >= end) return src.toString('latin1', start, end);
  return unescapeBytes(src, start, end).toString('latin1');
}

/** Which dumpfile field a value is escaped for (only xattrs and PAYLOAD/CONTENT differ). */
export type EscapeKind = 'path' | 'payload' | 'content' | 'xattr';

/**
 * Per-byte escape table: 0 = literal, otherwise the escape is at ESCAPES[b] (2 or 4 bytes).
 * `=` is literal here; the xattr variant below escapes it.
 */
const ESCAPES: Array<Buffer | undefined> = new Array(256);
const HEX = '0123456789abcdef';
for (let b = 0; b < 256; b++) {
  if (b === BACKSLASH) ESCAPES[b] = Buffer.from('\\\\', 'latin1');
  else if (b === 0x0a) ESCAPES[b] = Buffer.from('\\n', 'latin1');
  else if (b === 0x0d) ESCAPES[b] = Buffer.from('\\r', 'latin1');
  else if (b === 0x09) ESCAPES[b] = Buffer.from('\\t', 'latin1');
  else if (b < 0x21 || b > 0x7e) ESCAPES[b] = Buffer.from(`\\x${HEX[b >> 4]}${HEX[b & 15]}`, 'latin1');
}
const ESCAPES_XATTR = ESCAPES.slice();
ESCAPES_XATTR[0x3d] = Buffer.from('\\x3d', 'latin1');
const DASH_ESCAPED = Buffer.from('\\x2d', 'latin1');

/** Upper bound of the escaped length of `len` bytes. */
export const maxEscapedLength = (len: number): number => len * 4;

/**
 * Escapes `src` into `out` at `pos` (the caller guarantees `maxEscapedLength(src.length)` bytes of
 * room) and returns the new position. A whole-field `-` PAYLOAD/CONTENT becomes `\x2d`.
 */
export function escapeInto(src: Buffer | string, kind: EscapeKind, out: Buffer, pos: number): number {
  const table = kind === 'xattr' ? ESCAPES_XATTR : ESCAPES;
  const isStr = typeof src === 'string';
  const len = src.length;
  if (len === 1 && (kind === 'payload' || kind === 'content')) {
    const b0 = isStr ? src.charCodeAt(0) : src[0]!;
    if (b0 === 0x2d) return pos + DASH_ESCAPED.copy(out, pos);
  }
  for (let i = 0; i < len; i++) {
    const b = isStr ? src.charCodeAt(i) : (src as Buffer)[i]!;
    if (b > 0xff) throw new TypeError('byte string contains a code unit above 0xFF');
    const esc = table[b];
    if (esc === undefined) out[pos++] = b;
    else {
      out[pos++] = esc[0]!;
      out[pos++] = esc[1]!;
      if (esc.length === 4) {
        out[pos++] = esc[2]!;
        out[pos++] = esc[3]!;
      }
    }
  }
  return pos;
}

/** Escapes bytes (or a byte string) for the given field kind; returns the escaped bytes. */
export function escapeBytes(src: Buffer | string, kind: EscapeKind): Buffer {
  const out = Buffer.allocUnsafe(maxEscapedLength(src.length) + 4);
  return out.subarray(0, escapeInto(src, kind, out, 0));
}

/** Escapes bytes (or a byte string) for the given field kind; returns an ASCII string. */
export function escapeField(src: Buffer | string, kind: EscapeKind): string {
  return escapeBytes(src, kind).toString('latin1');
}
