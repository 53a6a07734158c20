import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  FromHexError,
  decodeHex,
  decodeHexFixed,
  encodeHex,
  rustCharDebug,
  utf8Length,
} from '../../../src/cmdline/index.js';
import { thrown } from './fixtures.js';

function hexError(fn: () => unknown): FromHexError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(FromHexError);
  return err as FromHexError;
}

describe('decodeHexFixed (hex::decode_to_slice)', () => {
  it('decodes lower- and uppercase', () => {
    expect([...decodeHexFixed('00ff7F80', 4)]).toEqual([0, 255, 127, 128]);
    expect([...decodeHexFixed('AbCd', 2)]).toEqual([0xab, 0xcd]);
    expect([...decodeHexFixed('', 0)]).toEqual([]);
  });

  it('checks odd length first', () => {
    expect(hexError(() => decodeHexFixed('notahex', 32)).message).toBe('Odd number of digits');
    expect(hexError(() => decodeHexFixed('lol', 32)).kind).toBe('OddLength');
    expect(hexError(() => decodeHexFixed('a'.repeat(63), 32)).message).toBe('Odd number of digits');
  });

  it('checks the length before the digits', () => {
    expect(hexError(() => decodeHexFixed('lolo', 32)).message).toBe('Invalid string length');
    expect(hexError(() => decodeHexFixed('a'.repeat(128), 32)).message).toBe('Invalid string length');
    expect(hexError(() => decodeHexFixed('', 32)).message).toBe('Invalid string length');
  });

  it('reports the first bad digit with its byte position', () => {
    const e = hexError(() => decodeHexFixed('x'.repeat(64), 32));
    expect(e.message).toBe("Invalid character 'x' at position 0");
    expect(e.kind).toBe('InvalidHexCharacter');
    expect(e.index).toBe(0);
    expect(hexError(() => decodeHexFixed('0g', 1)).message).toBe("Invalid character 'g' at position 1");
    expect(hexError(() => decodeHexFixed(`${'a'.repeat(10)}zz${'a'.repeat(52)}`, 32)).message).toBe(
      "Invalid character 'z' at position 10",
    );
    expect(hexError(() => decodeHexFixed(`"${'a'.repeat(62)}"`, 32)).message).toBe(`Invalid character '"' at position 0`);
  });

  it('works on UTF-8 bytes like Rust', () => {
    // 'é' is C3 A9: two bytes, reported as the Latin-1 char of the first byte
    expect(hexError(() => decodeHexFixed(`${'a'.repeat(62)}é`, 32)).message).toBe("Invalid character 'Ã' at position 62");
    expect(hexError(() => decodeHexFixed(`é${'a'.repeat(62)}`, 32)).message).toBe("Invalid character 'Ã' at position 0");
    // 63 ASCII + 'é' = 65 bytes → odd
    expect(hexError(() => decodeHexFixed(`${'a'.repeat(63)}é`, 32)).message).toBe('Odd number of digits');
    // NBSP is C2 A0: a lead byte is always reported first, so continuation bytes never show up
    expect(hexError(() => decodeHexFixed(`a\u00a0a`, 2)).message).toBe("Invalid character 'Â' at position 1");
    expect(hexError(() => decodeHexFixed(`aa\u00a0`, 2)).message).toBe("Invalid character 'Â' at position 2");
    expect(hexError(() => decodeHexFixed(`aaa\u00a0`, 2)).message).toBe('Odd number of digits');
  });
});

describe('decodeHex (variable length)', () => {
  it('decodes and reports errors', () => {
    expect([...decodeHex('0a0B')]).toEqual([10, 11]);
    expect(hexError(() => decodeHex('abc')).message).toBe('Odd number of digits');
    expect(hexError(() => decodeHex('ag')).message).toBe("Invalid character 'g' at position 1");
  });

  it('round-trips with encodeHex', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const hex = encodeHex(bytes);
        expect(hex).toMatch(/^[0-9a-f]*$/);
        expect([...decodeHex(hex)]).toEqual([...bytes]);
        expect([...decodeHex(hex.toUpperCase())]).toEqual([...bytes]);
        expect([...decodeHexFixed(hex, bytes.length)]).toEqual([...bytes]);
      }),
    );
  });
});

describe('rustCharDebug', () => {
  // Measured with rustc 1.95: `format!("{:?}", char::from(b))` escapes exactly these bytes.
  const escaped = new Set<number>([...Array(32).keys(), 39, 92, ...Array.from({ length: 34 }, (_, i) => 127 + i), 173]);

  it('escapes exactly the bytes Rust escapes', () => {
    for (let b = 0; b < 256; b++) {
      const s = rustCharDebug(b);
      expect(s.startsWith("'") && s.endsWith("'")).toBe(true);
      expect(s.includes('\\'), `byte ${b}: ${s}`).toBe(escaped.has(b));
      if (!escaped.has(b)) expect(s).toBe(`'${String.fromCharCode(b)}'`);
    }
  });

  it('uses the Rust escape spellings', () => {
    expect(rustCharDebug(0)).toBe("'\\0'");
    expect(rustCharDebug(9)).toBe("'\\t'");
    expect(rustCharDebug(10)).toBe("'\\n'");
    expect(rustCharDebug(13)).toBe("'\\r'");
    expect(rustCharDebug(11)).toBe("'\\u{b}'");
    expect(rustCharDebug(12)).toBe("'\\u{c}'");
    expect(rustCharDebug(0x1f)).toBe("'\\u{1f}'");
    expect(rustCharDebug(0x27)).toBe("'\\''");
    expect(rustCharDebug(0x5c)).toBe("'\\\\'");
    expect(rustCharDebug(0x22)).toBe(`'"'`);
    expect(rustCharDebug(0x7f)).toBe("'\\u{7f}'");
    expect(rustCharDebug(0xa0)).toBe("'\\u{a0}'");
    expect(rustCharDebug(0xad)).toBe("'\\u{ad}'");
    expect(rustCharDebug(0xa1)).toBe("'¡'");
    expect(rustCharDebug(0xff)).toBe("'ÿ'");
  });
});

describe('utf8Length', () => {
  it('counts UTF-8 bytes', () => {
    expect(utf8Length('')).toBe(0);
    expect(utf8Length('abc')).toBe(3);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('€')).toBe(3);
    expect(utf8Length('😀')).toBe(4);
  });
});
