import { describe, expect, it } from 'vitest';
import {
  CmdlineError,
  NO_COMPOSEFS_KARG_MESSAGE,
  collectSetupRootKargs,
  parseComposefsDigestValue,
  parseComposefsValue,
  parseSetupRootKargs,
  type ComposefsKarg,
} from '../../../src/cmdline/index.js';
import { H128, H64, H64B, OTHER_SHA256, SHA256_HEX, SHA512_HEX, thrown } from './fixtures.js';

function pairs(cmdline: string): Array<[string, boolean]> {
  return parseSetupRootKargs(cmdline).map((k) => [k.hex, k.insecure]);
}

function chainOf(cmdline: string): readonly string[] {
  const err = thrown(() => parseSetupRootKargs(cmdline));
  expect(err).toBeInstanceOf(CmdlineError);
  return (err as CmdlineError).chain;
}

const A = H64;
const B = H128;
const C = H64B;

describe('conformance table (boot.md §1.11)', () => {
  it.each(['', 'foo', 'composefs', 'root=UUID=abc quiet'])('%j → no composefs karg found', (cmdline) => {
    expect(collectSetupRootKargs(cmdline)).toEqual([]);
    expect(chainOf(cmdline)).toEqual([NO_COMPOSEFS_KARG_MESSAGE]);
    expect(NO_COMPOSEFS_KARG_MESSAGE).toBe('no composefs karg found in kernel cmdline');
  });

  const rows: Array<[string, Array<[string, boolean]>]> = [
    [`root=UUID=abc quiet splash composefs.digest=v1-sha256-12:${H64} rw`, [[H64, false]]],
    [`composefs.digest=v1-sha256-12:${A} composefs.digest=v1-sha512-12:${B} composefs=${C}`, [[A, false], [B, false], [C, false]]],
    [`composefs=${C} composefs.digest=v1-sha512-12:${B} composefs.digest=v1-sha256-12:${A}`, [[C, false], [B, false], [A, false]]],
    [`composefs.digest=?v1-sha256-12:${A} composefs.digest=v1-sha512-12:${B}`, [[A, true], [B, false]]],
    [`composefs=?${H128}`, [[H128, true]]],
    [`-- composefs=${H64}`, [[H64, false]]],
  ];
  it.each(rows)('%s', (cmdline, expected) => {
    expect(pairs(cmdline)).toEqual(expected);
  });

  it('composefs="H64" is an error (the quote is part of the hex)', () => {
    // 66 bytes: neither 64 nor 128
    expect(chainOf(`composefs="${H64}"`)).toEqual(['invalid composefs= digest length: 66']);
    // with a 62-digit body the length is 64 and the quote is the bad character
    expect(chainOf(`composefs="${H64.slice(2)}"`)).toEqual([
      'parsing composefs= sha256 digest',
      `Invalid character '"' at position 0`,
    ]);
  });
});

describe('error table (boot.md §1.8)', () => {
  const hexWithBadDigit = `${'a'.repeat(17)}x${'a'.repeat(46)}`;
  const rows: Array<[string, string[]]> = [
    ['composefs=foo', ['invalid composefs= digest length: 3']],
    ['composefs=', ['invalid composefs= digest length: 0']],
    ['composefs=?', ['invalid composefs= digest length: 0']],
    [`composefs=${hexWithBadDigit}`, ['parsing composefs= sha256 digest', "Invalid character 'x' at position 17"]],
    [
      `composefs=${'a'.repeat(127)}x`,
      ['parsing composefs= sha512 digest', "Invalid character 'x' at position 127"],
    ],
    [
      `composefs.digest=${H64}`,
      [`parsing composefs.digest= value: ${H64}`, `expected '<version>-<hash>-<blocksize>:<hex>', got: ${H64}`],
    ],
    [
      `composefs.digest=v1sha256:${H64}`,
      [`parsing composefs.digest= value: v1sha256:${H64}`, "expected 'v<N>-<hash>-<blocksize>', got: v1sha256"],
    ],
    [
      `composefs.digest=v3-sha256-12:${H64}`,
      [`parsing composefs.digest= value: v3-sha256-12:${H64}`, "unsupported format version 'v3'"],
    ],
    [
      `composefs.digest=v1-sha256-8:${H64}`,
      [
        `parsing composefs.digest= value: v1-sha256-8:${H64}`,
        "parsing algorithm from 'sha256-8'",
        'unsupported lg_blocksize 8 (only 12 is currently supported)',
      ],
    ],
    [
      `composefs.digest=v1-md5-12:${H64}`,
      [
        `parsing composefs.digest= value: v1-md5-12:${H64}`,
        "parsing algorithm from 'md5-12'",
        "unsupported hash algorithm 'md5' (expected sha256 or sha512)",
      ],
    ],
    ['composefs.digest=v1-sha256-12:notahex', ['parsing composefs.digest= sha256 digest', 'Odd number of digits']],
    [`composefs.digest=v1-sha256-12:${H128}`, ['parsing composefs.digest= sha256 digest', 'Invalid string length']],
  ];
  it.each(rows)('%s', (cmdline, chain) => {
    expect(chainOf(cmdline)).toEqual(chain);
  });

  it('prints like anyhow from main()', () => {
    const err = thrown(() => parseSetupRootKargs(`composefs.digest=v1-sha256-8:${H64}`)) as CmdlineError;
    expect(err.message).toBe(`parsing composefs.digest= value: v1-sha256-8:${H64}`);
    expect(err.formatChain()).toBe(
      `Error: parsing composefs.digest= value: v1-sha256-8:${H64}\n\nCaused by:\n` +
        "    0: parsing algorithm from 'sha256-8'\n" +
        '    1: unsupported lg_blocksize 8 (only 12 is currently supported)',
    );
    const hexErr = thrown(() => parseSetupRootKargs('composefs.digest=v1-sha256-12:notahex')) as CmdlineError;
    expect(hexErr.formatChain()).toBe('Error: parsing composefs.digest= sha256 digest\n\nCaused by:\n    Odd number of digits');
    expect(hexErr.oneLine()).toBe('parsing composefs.digest= sha256 digest: Odd number of digits');
    const none = thrown(() => parseSetupRootKargs('quiet')) as CmdlineError;
    expect(none.formatChain()).toBe('Error: no composefs karg found in kernel cmdline');
  });

  it('more descriptor and hex edge cases', () => {
    // the value context keeps the '?', the inner "got:" text does not
    expect(chainOf(`composefs.digest=?${H64}`)).toEqual([
      `parsing composefs.digest= value: ?${H64}`,
      `expected '<version>-<hash>-<blocksize>:<hex>', got: ${H64}`,
    ]);
    // '?' anywhere but directly after '=' is an error
    expect(chainOf(`composefs.digest=v1-?sha256-12:${H64}`)).toEqual([
      `parsing composefs.digest= value: v1-?sha256-12:${H64}`,
      "parsing algorithm from '?sha256-12'",
      "unsupported hash algorithm '?sha256' (expected sha256 or sha512)",
    ]);
    expect(chainOf(`composefs.digest=??v1-sha256-12:${H64}`)).toEqual([
      `parsing composefs.digest= value: ??v1-sha256-12:${H64}`,
      "unsupported format version '?v1'",
    ]);
    expect(chainOf(`composefs.digest=v1-sha256-12:?${H64}`)).toEqual([
      'parsing composefs.digest= sha256 digest',
      'Odd number of digits',
    ]);
    expect(chainOf(`composefs=??${H64}`)).toEqual(['invalid composefs= digest length: 65']);
    expect(chainOf(`composefs=${H64.slice(1)}?`)).toEqual([
      'parsing composefs= sha256 digest',
      "Invalid character '?' at position 63",
    ]);
    // version is case-sensitive and exact
    expect(chainOf(`composefs.digest=V1-sha256-12:${H64}`)[1]).toBe("unsupported format version 'V1'");
    expect(chainOf(`composefs.digest=v01-sha256-12:${H64}`)[1]).toBe("unsupported format version 'v01'");
    // first ':' splits (a second ':' lands in the hex), first '-' splits the version
    expect(chainOf(`composefs.digest=v1-sha256-12:${H64}:`)).toEqual([
      'parsing composefs.digest= sha256 digest',
      'Odd number of digits',
    ]);
    expect(chainOf(`composefs.digest=-v1-sha256-12:${H64}`)[1]).toBe("unsupported format version ''");
    expect(chainOf(`composefs.digest=v1-sha256:${H64}`)).toEqual([
      `parsing composefs.digest= value: v1-sha256:${H64}`,
      "parsing algorithm from 'sha256'",
      "algorithm must be 'fsverity-<hash>-<lg_blocksize>'",
    ]);
    expect(chainOf(`composefs.digest=v1-sha256-abc:${H64}`).slice(1)).toEqual([
      "parsing algorithm from 'sha256-abc'",
      "invalid lg_blocksize 'abc'",
    ]);
    // block size is validated before the hash name
    expect(chainOf(`composefs.digest=v1-md5-8:${H64}`)[2]).toBe('unsupported lg_blocksize 8 (only 12 is currently supported)');
    // the hex must match the NAMED hash
    expect(chainOf(`composefs.digest=v1-sha512-12:${H64}`)).toEqual(['parsing composefs.digest= sha512 digest', 'Invalid string length']);
    expect(chainOf('composefs.digest=')).toEqual([
      'parsing composefs.digest= value: ',
      "expected '<version>-<hash>-<blocksize>:<hex>', got: ",
    ]);
    expect(chainOf('composefs.digest=v1-sha256-12:')).toEqual(['parsing composefs.digest= sha256 digest', 'Invalid string length']);
    // lengths are UTF-8 byte lengths
    expect(chainOf(`composefs=${'a'.repeat(62)}é`)).toEqual(['parsing composefs= sha256 digest', "Invalid character 'Ã' at position 62"]);
    expect(chainOf(`composefs=${'a'.repeat(63)}é`)).toEqual(['invalid composefs= digest length: 65']);
    // odd numbers accepted by Rust u8 parsing are fine
    expect(pairs(`composefs.digest=v1-sha256-+12:${H64} composefs.digest=v2-sha512-012:${H128}`)).toEqual([
      [H64, false],
      [H128, false],
    ]);
  });

  it('the first malformed token aborts, even after valid ones', () => {
    expect(chainOf(`composefs=${H64} composefs=foo composefs=bar`)).toEqual(['invalid composefs= digest length: 3']);
    expect(chainOf(`composefs.digest=v1-sha256-12:${H64} composefs.digest=v9-x:y`)[1]).toBe("unsupported format version 'v9'");
  });
});

describe('upstream main.rs unit tests (boot.md §6)', () => {
  it('empty cases', () => {
    for (const c of ['', 'foo', 'composefs', 'root=UUID=abc quiet']) expect(collectSetupRootKargs(c)).toEqual([]);
  });

  it('invalid digests error', () => {
    expect(() => parseSetupRootKargs('composefs=foo')).toThrow(CmdlineError);
    expect(() => parseSetupRootKargs('composefs.digest=v1-sha256-12:notahex')).toThrow(CmdlineError);
  });

  it('single kargs', () => {
    expect(parseSetupRootKargs(`composefs=${SHA256_HEX}`)).toEqual<ComposefsKarg[]>([
      { key: 'composefs', hex: SHA256_HEX, insecure: false, hash: 'sha256' },
    ]);
    expect(parseSetupRootKargs(`composefs=${SHA512_HEX}`)).toEqual<ComposefsKarg[]>([
      { key: 'composefs', hex: SHA512_HEX, insecure: false, hash: 'sha512' },
    ]);
    expect(parseSetupRootKargs(`composefs.digest=v1-sha256-12:${SHA256_HEX}`)).toEqual<ComposefsKarg[]>([
      { key: 'composefs.digest', hex: SHA256_HEX, insecure: false, hash: 'sha256', version: 1 },
    ]);
    expect(parseSetupRootKargs(`composefs.digest=v1-sha512-12:${SHA512_HEX}`)).toEqual<ComposefsKarg[]>([
      { key: 'composefs.digest', hex: SHA512_HEX, insecure: false, hash: 'sha512', version: 1 },
    ]);
    expect(parseSetupRootKargs(`composefs.digest=v2-sha512-12:${SHA512_HEX}`)).toEqual<ComposefsKarg[]>([
      { key: 'composefs.digest', hex: SHA512_HEX, insecure: false, hash: 'sha512', version: 2 },
    ]);
  });

  it('multiple kargs preserve order, both ways', () => {
    expect(
      pairs(`composefs.digest=v1-sha256-12:${SHA256_HEX} composefs.digest=v1-sha512-12:${SHA512_HEX} composefs=${OTHER_SHA256}`),
    ).toEqual([
      [SHA256_HEX, false],
      [SHA512_HEX, false],
      [OTHER_SHA256, false],
    ]);
    expect(
      pairs(`composefs=${OTHER_SHA256} composefs.digest=v1-sha512-12:${SHA512_HEX} composefs.digest=v1-sha256-12:${SHA256_HEX}`),
    ).toEqual([
      [OTHER_SHA256, false],
      [SHA512_HEX, false],
      [SHA256_HEX, false],
    ]);
  });

  it('insecure V1', () => {
    expect(parseSetupRootKargs(`composefs.digest=?v1-sha512-12:${SHA512_HEX}`)).toEqual<ComposefsKarg[]>([
      { key: 'composefs.digest', hex: SHA512_HEX, insecure: true, hash: 'sha512', version: 1 },
    ]);
  });

  it('mixed insecure and secure', () => {
    expect(pairs(`composefs.digest=?v1-sha256-12:${SHA256_HEX} composefs.digest=v1-sha512-12:${SHA512_HEX} composefs=?${OTHER_SHA256}`)).toEqual([
      [SHA256_HEX, true],
      [SHA512_HEX, false],
      [OTHER_SHA256, true],
    ]);
  });

  it('unrelated tokens are ignored', () => {
    expect(
      pairs(`BOOT_IMAGE=/vmlinuz root=UUID=abc ro quiet composefs.foo=bar composefsx=1 composefs console=ttyS0 composefs=${SHA256_HEX} rw splash`),
    ).toEqual([[SHA256_HEX, false]]);
  });
});

describe('other setup-root parsing details', () => {
  it('keeps uppercase hex raw', () => {
    const upper = SHA256_HEX.toUpperCase();
    expect(pairs(`composefs=${upper}`)).toEqual([[upper, false]]);
    const mixed = 'Ab'.repeat(64);
    expect(pairs(`composefs.digest=v1-sha512-12:${mixed}`)).toEqual([[mixed, false]]);
  });

  it('accepts tab, newline, CR and FF separators (e.g. /proc/cmdline trailing newline)', () => {
    expect(pairs(`quiet\tcomposefs=${H64}\ncomposefs.digest=v1-sha512-12:${H128}\r\f rw\n`)).toEqual([
      [H64, false],
      [H128, false],
    ]);
  });

  it('U+000B and U+00A0 are not separators', () => {
    expect(chainOf(`composefs=${H64}\u000brw`)).toEqual(['invalid composefs= digest length: 67']);
    expect(chainOf(`composefs=${H64}\u00a0rw`)).toEqual(['invalid composefs= digest length: 68']);
    // the whole word does not start with the key, so it is ignored
    expect(collectSetupRootKargs(`quiet\u000bcomposefs=${H64}`)).toEqual([]);
    expect(collectSetupRootKargs(`quiet\u00a0composefs=${H64}`)).toEqual([]);
  });

  it('quotes group words and are never stripped', () => {
    expect(collectSetupRootKargs(`foo="a composefs=${H64}" rw`)).toEqual([]);
    expect(pairs(`foo="a b" composefs=${H64}`)).toEqual([[H64, false]]);
    expect(chainOf(`composefs.digest="v1-sha256-12:${H64}"`)[1]).toBe(`unsupported format version '"v1'`);
    expect(collectSetupRootKargs(`"composefs=${H64}"`)).toEqual([]);
  });

  it('the bare word and look-alike keys are ignored', () => {
    expect(collectSetupRootKargs('composefs composefs.digest composefs.digest2=x Composefs=foo composefs:x')).toEqual([]);
  });

  it('parseComposefsValue / parseComposefsDigestValue directly', () => {
    expect(parseComposefsValue(`?${H128}`)).toEqual({ key: 'composefs', hex: H128, insecure: true, hash: 'sha512' });
    expect(parseComposefsDigestValue(`v2-sha256-12:${H64}`)).toEqual({
      key: 'composefs.digest',
      hex: H64,
      insecure: false,
      hash: 'sha256',
      version: 2,
    });
    expect((thrown(() => parseComposefsValue('foo')) as CmdlineError).chain).toEqual(['invalid composefs= digest length: 3']);
  });
});
