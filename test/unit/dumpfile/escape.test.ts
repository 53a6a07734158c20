import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EscapeError, escapeField, unescapeBytes, unescapeLatin1 } from '../../../src/dumpfile/index.js';

const u = (s: string): string => unescapeLatin1(Buffer.from(s, 'latin1'));
const reason = (s: string): string => {
  try {
    u(s);
  } catch (e) {
    if (e instanceof EscapeError) return e.reason;
    throw e;
  }
  return 'no error';
};

describe('unescape (reader rules, §10.2)', () => {
  it('decodes the four named escapes and \\xHH in either case', () => {
    expect(u('a\\\\b\\nc\\rd\\te')).toBe('a\\b\nc\rd\te');
    expect(u('\\x41\\x4a\\x4A\\xff\\x00')).toBe('AJJ\xff\x00');
    expect(u('plain=text-/')).toBe('plain=text-/');
    expect(u('')).toBe('');
  });
  it('passes any other byte literally (including non-UTF-8)', () => {
    expect(u('\xe9\x01\x7f')).toBe('\xe9\x01\x7f');
  });
  it('rejects bad escapes with C reason texts', () => {
    expect(reason('a\\')).toBe('No character after escape');
    expect(reason('\\q')).toBe('Unsupported escape type q');
    expect(reason('\\0')).toBe('Unsupported escape type 0');
    expect(reason('\\x')).toBe('No hex characters after hex escape');
    expect(reason('\\x4')).toBe('No hex characters after hex escape');
    expect(reason('\\x4g')).toBe('Invalid hex characters after hex escape');
    expect(reason('\\xg4')).toBe('Invalid hex characters after hex escape');
  });
  it('unescapes a sub-range and returns a copy', () => {
    const src = Buffer.from('xx\\x41yy', 'latin1');
    expect(unescapeBytes(src, 2, 6).toString('latin1')).toBe('A');
    const plain = Buffer.from('abc');
    const copy = unescapeBytes(plain, 0, 3);
    copy[0] = 0x7a;
    expect(plain.toString()).toBe('abc');
  });
});

describe('escape (writer rules, §10.2)', () => {
  it('escapes like composefs-info', () => {
    expect(escapeField('a b\\c\nd\re\tf', 'path')).toBe('a\\x20b\\\\c\\nd\\re\\tf');
    expect(escapeField('\x00\x7f\x80\xff~!', 'path')).toBe('\\x00\\x7f\\x80\\xff~!');
    expect(escapeField('k=v', 'path')).toBe('k=v');
    expect(escapeField('k=v', 'xattr')).toBe('k\\x3dv');
    expect(escapeField(Buffer.from('x=y'), 'xattr')).toBe('x\\x3dy');
  });
  it('writes a whole-field "-" PAYLOAD/CONTENT as \\x2d', () => {
    expect(escapeField('-', 'payload')).toBe('\\x2d');
    expect(escapeField(Buffer.from('-'), 'content')).toBe('\\x2d');
    expect(escapeField('--', 'payload')).toBe('--');
    expect(escapeField('-', 'xattr')).toBe('-');
    expect(escapeField('-', 'path')).toBe('-');
  });
  it('output is printable ASCII without spaces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('path', 'payload', 'content', 'xattr' as const), (a, kind) => {
        const e = escapeField(Buffer.from(a), kind);
        expect(/^[\x21-\x7e]*$/.test(e)).toBe(true);
        if (kind === 'xattr') expect(e.includes('=')).toBe(false);
      }),
    );
  });
  it('unescape(escape(x)) === x for every byte string and field kind', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('path', 'payload', 'content', 'xattr' as const), (a, kind) => {
        const buf = Buffer.from(a);
        const e = Buffer.from(escapeField(buf, kind), 'latin1');
        expect(unescapeBytes(e).equals(buf)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
  it('rejects code units above 0xFF', () => {
    expect(() => escapeField('\u0100', 'path')).toThrow(TypeError);
  });
});
