import { describe, expect, it } from 'vitest';
import { getCmdlineValue, isRustAsciiWhitespace, splitCmdline, splitCmdlineWithOffsets } from '../../../src/cmdline/index.js';

describe('splitCmdline (boot.md §1.2)', () => {
  it('splits on single spaces', () => {
    expect(splitCmdline('root=UUID=abc quiet rw')).toEqual(['root=UUID=abc', 'quiet', 'rw']);
  });

  it('keeps empty tokens like Rust str::split', () => {
    expect(splitCmdline('')).toEqual(['']);
    expect(splitCmdline(' ')).toEqual(['', '']);
    expect(splitCmdline('a  b')).toEqual(['a', '', 'b']);
    expect(splitCmdline('a\n')).toEqual(['a', '']);
  });

  it('treats exactly U+0020, U+0009, U+000A, U+000C, U+000D as separators', () => {
    expect(splitCmdline('a b\tc\nd\fe\rf')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    for (const ch of [' ', '\t', '\n', '\f', '\r']) expect(isRustAsciiWhitespace(ch)).toBe(true);
  });

  it('does not split on U+000B, U+00A0 or other Unicode spaces', () => {
    expect(splitCmdline('a\u000bb')).toEqual(['a\u000bb']);
    expect(splitCmdline('a\u00a0b')).toEqual(['a\u00a0b']);
    expect(splitCmdline('a\u2003b\u3000c\u0085d')).toEqual(['a\u2003b\u3000c\u0085d']);
    for (const ch of ['\u000b', '\u00a0', '\u2003', '\u0085', '\u001c']) expect(isRustAsciiWhitespace(ch)).toBe(false);
  });

  it('keeps whitespace inside double quotes and keeps the quotes', () => {
    expect(splitCmdline('a "b c" d')).toEqual(['a', '"b c"', 'd']);
    expect(splitCmdline('foo="bar baz" x')).toEqual(['foo="bar baz"', 'x']);
    expect(splitCmdline('a"b c"d e')).toEqual(['a"b c"d', 'e']);
    // an unterminated quote swallows the rest
    expect(splitCmdline('a "b c d')).toEqual(['a', '"b c d']);
    // quotes toggle wherever they appear
    expect(splitCmdline('"a" "b c"')).toEqual(['"a"', '"b c"']);
    expect(splitCmdline('x"\n"y z')).toEqual(['x"\n"y', 'z']);
  });

  it('does not treat -- specially', () => {
    expect(splitCmdline('quiet -- composefs=x')).toEqual(['quiet', '--', 'composefs=x']);
  });

  it('reports offsets that slice back to the tokens', () => {
    const line = ' a  "b c"\td ';
    for (const t of splitCmdlineWithOffsets(line)) expect(line.slice(t.start, t.end)).toBe(t.text);
    expect(splitCmdlineWithOffsets(line).map((t) => t.text)).toEqual(splitCmdline(line));
  });
});

describe('getCmdlineValue', () => {
  it('returns the first match verbatim', () => {
    expect(getCmdlineValue('a composefs=1 composefs=2', 'composefs=')).toBe('1');
    expect(getCmdlineValue('composefs="x y"', 'composefs=')).toBe('"x y"');
    expect(getCmdlineValue('composefs composefs.digest=x', 'composefs=')).toBeUndefined();
    expect(getCmdlineValue('composefs=', 'composefs=')).toBe('');
  });
});
