/**
 * fs-verity algorithm identifiers as used by composefs (boot.md §2.3, §1.4 step 4).
 *
 * The textual form is `fsverity-<hash>-<lg_blocksize>`, e.g. `fsverity-sha512-12`. It appears in
 * a repository's `meta.json` and (without the `fsverity-` prefix) in `composefs.digest=` kernel
 * arguments. Parsing reproduces composefs-rs 0.9 exactly, including the order of checks (block
 * size before hash name) and the error texts.
 */

import { HASHES, isHashName, type HashName } from './hashes.js';

export { isHashName, type HashName };

/** The only Merkle-tree block size composefs supports: log2(4096). */
export const DEFAULT_LG_BLOCKSIZE = 12 as const;

/** An fs-verity algorithm: hash function plus log2 of the Merkle block size (always 12). */
export interface VerityAlgorithm {
  readonly hash: HashName;
  readonly lgBlockSize: typeof DEFAULT_LG_BLOCKSIZE;
}

export const SHA256_ALGORITHM: VerityAlgorithm = Object.freeze({ hash: 'sha256', lgBlockSize: 12 });
export const SHA512_ALGORITHM: VerityAlgorithm = Object.freeze({ hash: 'sha512', lgBlockSize: 12 });

/** All supported hash names, SHA-256 first (kernel id order). */
export const HASH_NAMES: readonly HashName[] = Object.freeze(['sha256', 'sha512'] as const);

/** Digest size in bytes: 32 for SHA-256, 64 for SHA-512. */
export function digestSize(hash: HashName): 32 | 64 {
  return HASHES[hash].digestSize as 32 | 64;
}

/** Length of a hex-encoded digest: 64 for SHA-256, 128 for SHA-512. */
export function hexDigestLength(hash: HashName): 64 | 128 {
  return (HASHES[hash].digestSize * 2) as 64 | 128;
}

/** The kernel's `FS_VERITY_HASH_ALG_*` value: 1 for SHA-256, 2 for SHA-512. */
export function kernelAlgorithmId(hash: HashName): 1 | 2 {
  return HASHES[hash].kernelId as 1 | 2;
}

/** Inverse of {@link kernelAlgorithmId}; `undefined` for unknown ids. */
export function hashFromKernelAlgorithmId(id: number): HashName | undefined {
  return HASH_NAMES.find((h) => HASHES[h].kernelId === id);
}

/** The hash whose digest has `size` bytes (32 → sha256, 64 → sha512), else `undefined`. */
export function hashFromDigestSize(size: number): HashName | undefined {
  return HASH_NAMES.find((h) => HASHES[h].digestSize === size);
}

/** The algorithm object for a hash name (block size 12). */
export function algorithmFor(hash: HashName): VerityAlgorithm {
  return hash === 'sha256' ? SHA256_ALGORITHM : SHA512_ALGORITHM;
}

export type AlgorithmParseErrorKind =
  | 'MissingPrefix'
  | 'MissingSeparator'
  | 'InvalidBlockSize'
  | 'UnsupportedBlockSize'
  | 'UnknownHash';

/** A failure of {@link parseAlgorithmId}; `.message` is composefs-rs's `AlgorithmParseError` text. */
export class AlgorithmParseError extends Error {
  override readonly name = 'AlgorithmParseError';
  readonly kind: AlgorithmParseErrorKind;

  constructor(kind: AlgorithmParseErrorKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

const PREFIX = 'fsverity-';

/**
 * Rust's `u8::from_str`: optional single leading `+`, then one or more ASCII decimal digits
 * (leading zeros allowed), value at most 255. Anything else (including `-`, whitespace, empty)
 * is an error. Returns `undefined` on failure.
 */
export function parseRustU8(text: string): number | undefined {
  const m = /^\+?([0-9]+)$/.exec(text);
  if (m === null) return undefined;
  const digits = (m[1] ?? '').replace(/^0+(?=[0-9])/, '');
  if (digits.length > 3) return undefined;
  const value = Number(digits);
  return value <= 255 ? value : undefined;
}

/**
 * Parses `fsverity-<hash>-<lg_blocksize>`. Order of checks (as upstream):
 * 1. must start with `fsverity-` (case-sensitive);
 * 2. split the rest at the **last** `-` (none → MissingSeparator);
 * 3. block size text parsed as a Rust u8 (failure → `invalid lg_blocksize '<text>'`);
 * 4. block size must be 12 (`unsupported lg_blocksize N (only 12 is currently supported)`);
 * 5. hash name must be `sha256` or `sha512` (`unsupported hash algorithm '<h>' (expected sha256 or sha512)`).
 *
 * @throws AlgorithmParseError
 */
export function parseAlgorithmId(text: string): VerityAlgorithm {
  if (!text.startsWith(PREFIX)) {
    throw new AlgorithmParseError('MissingPrefix', "algorithm must start with 'fsverity-'");
  }
  const rest = text.slice(PREFIX.length);
  const dash = rest.lastIndexOf('-');
  if (dash < 0) {
    throw new AlgorithmParseError('MissingSeparator', "algorithm must be 'fsverity-<hash>-<lg_blocksize>'");
  }
  const hash = rest.slice(0, dash);
  const lgText = rest.slice(dash + 1);
  const lg = parseRustU8(lgText);
  if (lg === undefined) {
    throw new AlgorithmParseError('InvalidBlockSize', `invalid lg_blocksize '${lgText}'`);
  }
  if (lg !== DEFAULT_LG_BLOCKSIZE) {
    throw new AlgorithmParseError(
      'UnsupportedBlockSize',
      `unsupported lg_blocksize ${lg} (only ${DEFAULT_LG_BLOCKSIZE} is currently supported)`,
    );
  }
  if (!isHashName(hash)) {
    throw new AlgorithmParseError('UnknownHash', `unsupported hash algorithm '${hash}' (expected sha256 or sha512)`);
  }
  return algorithmFor(hash);
}

/** `fsverity-<hash>-12`. Accepts an algorithm object or a bare hash name. */
export function formatAlgorithmId(alg: VerityAlgorithm | HashName): string {
  return `${PREFIX}${veritySuffix(alg)}`;
}

/** `<hash>-12`: the part after `v1-` in a `composefs.digest=` descriptor. */
export function veritySuffix(alg: VerityAlgorithm | HashName): string {
  const a = typeof alg === 'string' ? algorithmFor(alg) : alg;
  return `${a.hash}-${a.lgBlockSize}`;
}
