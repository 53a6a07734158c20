import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  AlgorithmParseError,
  DEFAULT_LG_BLOCKSIZE,
  HASH_NAMES,
  SHA256_ALGORITHM,
  SHA512_ALGORITHM,
  algorithmFor,
  digestSize,
  formatAlgorithmId,
  hashFromDigestSize,
  hashFromKernelAlgorithmId,
  hexDigestLength,
  isHashName,
  kernelAlgorithmId,
  parseAlgorithmId,
  parseRustU8,
  veritySuffix,
} from '../../../src/verity/algorithm.js';

function parseError(text: string): AlgorithmParseError {
  try {
    parseAlgorithmId(text);
  } catch (err) {
    expect(err).toBeInstanceOf(AlgorithmParseError);
    return err as AlgorithmParseError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}

describe('algorithm constants', () => {
  it('digest sizes, hex lengths and kernel ids', () => {
    expect(digestSize('sha256')).toBe(32);
    expect(digestSize('sha512')).toBe(64);
    expect(hexDigestLength('sha256')).toBe(64);
    expect(hexDigestLength('sha512')).toBe(128);
    expect(kernelAlgorithmId('sha256')).toBe(1);
    expect(kernelAlgorithmId('sha512')).toBe(2);
    expect(hashFromKernelAlgorithmId(1)).toBe('sha256');
    expect(hashFromKernelAlgorithmId(2)).toBe('sha512');
    expect(hashFromKernelAlgorithmId(0)).toBeUndefined();
    expect(hashFromKernelAlgorithmId(3)).toBeUndefined();
    expect(hashFromDigestSize(32)).toBe('sha256');
    expect(hashFromDigestSize(64)).toBe('sha512');
    expect(hashFromDigestSize(48)).toBeUndefined();
    expect(DEFAULT_LG_BLOCKSIZE).toBe(12);
    expect(HASH_NAMES).toEqual(['sha256', 'sha512']);
    expect(isHashName('sha256')).toBe(true);
    expect(isHashName('SHA256')).toBe(false);
    expect(algorithmFor('sha512')).toEqual({ hash: 'sha512', lgBlockSize: 12 });
  });

  it('formats identifiers', () => {
    expect(formatAlgorithmId(SHA256_ALGORITHM)).toBe('fsverity-sha256-12');
    expect(formatAlgorithmId(SHA512_ALGORITHM)).toBe('fsverity-sha512-12');
    expect(formatAlgorithmId('sha256')).toBe('fsverity-sha256-12');
    expect(veritySuffix('sha512')).toBe('sha512-12');
    expect(veritySuffix(SHA256_ALGORITHM)).toBe('sha256-12');
  });
});

describe('parseAlgorithmId', () => {
  it('parses the two valid identifiers', () => {
    expect(parseAlgorithmId('fsverity-sha256-12')).toEqual({ hash: 'sha256', lgBlockSize: 12 });
    expect(parseAlgorithmId('fsverity-sha512-12')).toEqual({ hash: 'sha512', lgBlockSize: 12 });
  });

  it('accepts what Rust u8::from_str accepts for the block size', () => {
    expect(parseAlgorithmId('fsverity-sha256-+12')).toEqual(SHA256_ALGORITHM);
    expect(parseAlgorithmId('fsverity-sha256-012')).toEqual(SHA256_ALGORITHM);
    expect(parseAlgorithmId('fsverity-sha512-0000000012')).toEqual(SHA512_ALGORITHM);
  });

  const cases: Array<[string, AlgorithmParseError['kind'], string]> = [
    ['sha256-12', 'MissingPrefix', "algorithm must start with 'fsverity-'"],
    ['FSVERITY-sha256-12', 'MissingPrefix', "algorithm must start with 'fsverity-'"],
    ['', 'MissingPrefix', "algorithm must start with 'fsverity-'"],
    ['fsverity-', 'MissingSeparator', "algorithm must be 'fsverity-<hash>-<lg_blocksize>'"],
    ['fsverity-sha256', 'MissingSeparator', "algorithm must be 'fsverity-<hash>-<lg_blocksize>'"],
    ['fsverity-sha256-', 'InvalidBlockSize', "invalid lg_blocksize ''"],
    ['fsverity-sha256-x', 'InvalidBlockSize', "invalid lg_blocksize 'x'"],
    ['fsverity-sha256-256', 'InvalidBlockSize', "invalid lg_blocksize '256'"],
    ['fsverity-sha256-+', 'InvalidBlockSize', "invalid lg_blocksize '+'"],
    ['fsverity-sha256- 12', 'InvalidBlockSize', "invalid lg_blocksize ' 12'"],
    ['fsverity-sha256-0x0c', 'InvalidBlockSize', "invalid lg_blocksize '0x0c'"],
    // rsplit at the LAST '-': "-12" splits into hash "sha256-" and lg "12"
    ['fsverity-sha256--12', 'UnknownHash', "unsupported hash algorithm 'sha256-' (expected sha256 or sha512)"],
    ['fsverity-sha256-8', 'UnsupportedBlockSize', 'unsupported lg_blocksize 8 (only 12 is currently supported)'],
    ['fsverity-sha512-255', 'UnsupportedBlockSize', 'unsupported lg_blocksize 255 (only 12 is currently supported)'],
    ['fsverity-sha256-0', 'UnsupportedBlockSize', 'unsupported lg_blocksize 0 (only 12 is currently supported)'],
    // block size is checked before the hash name
    ['fsverity-md5-8', 'UnsupportedBlockSize', 'unsupported lg_blocksize 8 (only 12 is currently supported)'],
    ['fsverity-md5-x', 'InvalidBlockSize', "invalid lg_blocksize 'x'"],
    ['fsverity-md5-12', 'UnknownHash', "unsupported hash algorithm 'md5' (expected sha256 or sha512)"],
    ['fsverity-SHA256-12', 'UnknownHash', "unsupported hash algorithm 'SHA256' (expected sha256 or sha512)"],
    ['fsverity--12', 'UnknownHash', "unsupported hash algorithm '' (expected sha256 or sha512)"],
    ['fsverity-sha-256-12', 'UnknownHash', "unsupported hash algorithm 'sha-256' (expected sha256 or sha512)"],
  ];
  it.each(cases)('%j → %s', (text, kind, message) => {
    const err = parseError(text);
    expect(err.kind).toBe(kind);
    expect(err.message).toBe(message);
  });

  it('round-trips with formatAlgorithmId', () => {
    for (const hash of HASH_NAMES) {
      expect(parseAlgorithmId(formatAlgorithmId(hash))).toEqual(algorithmFor(hash));
    }
  });

  it('only ever throws AlgorithmParseError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.tuple(fc.constantFrom('fsverity-', 'fsverity', ''), fc.string(), fc.constantFrom('-', ''), fc.string()).map((p) => p.join('')),
        ),
        (text) => {
          try {
            const alg = parseAlgorithmId(text);
            expect(text.startsWith('fsverity-')).toBe(true);
            expect(text.includes(alg.hash)).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(AlgorithmParseError);
          }
        },
      ),
    );
  });
});

describe('parseRustU8', () => {
  it('matches Rust u8::from_str', () => {
    expect(parseRustU8('0')).toBe(0);
    expect(parseRustU8('12')).toBe(12);
    expect(parseRustU8('+12')).toBe(12);
    expect(parseRustU8('012')).toBe(12);
    expect(parseRustU8('255')).toBe(255);
    expect(parseRustU8('00000255')).toBe(255);
    expect(parseRustU8('256')).toBeUndefined();
    expect(parseRustU8('-0')).toBeUndefined();
    expect(parseRustU8('-12')).toBeUndefined();
    expect(parseRustU8('+')).toBeUndefined();
    expect(parseRustU8('')).toBeUndefined();
    expect(parseRustU8('++1')).toBeUndefined();
    expect(parseRustU8('12\n')).toBeUndefined();
    expect(parseRustU8('١٢')).toBeUndefined();
  });

  it('agrees with a BigInt reference on digit strings', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 12 }), (plus, digits) => {
        const v = BigInt(digits);
        expect(parseRustU8((plus ? '+' : '') + digits)).toBe(v <= 255n ? Number(v) : undefined);
      }),
    );
  });
});
