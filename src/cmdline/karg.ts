/**
 * Parsing of the two composefs kernel arguments (boot.md §1.3–§1.6), with composefs-rs 0.9's
 * checks and error chains (§1.8) as used by `composefs-setup-root`.
 */
import {
  digestSize,
  parseAlgorithmId,
  type HashName,
  type VerityAlgorithm,
} from '../verity/algorithm.js';
import { CmdlineError } from './errors.js';
import { decodeHexFixed, utf8Length } from './hex.js';

/** `KARG_V2`: `composefs=[?]<hex>` (legacy shorthand for a V2 EROFS image). */
export const KARG_V2 = 'composefs';
/** `KARG_COMPOSEFS_DIGEST`: `composefs.digest=[?]<vN>-<hash>-<lg>:<hex>`. */
export const KARG_COMPOSEFS_DIGEST = 'composefs.digest';

export type KargKey = typeof KARG_V2 | typeof KARG_COMPOSEFS_DIGEST;

/** One parsed composefs kernel argument. */
export interface ComposefsKarg {
  /** The digest exactly as written on the command line (NOT lowercased; boot.md §1.6). */
  hex: string;
  /** `?` directly after `=`. */
  insecure: boolean;
  /** From the descriptor (`composefs.digest=`) or from the hex length (`composefs=`). */
  hash: HashName;
  /** EROFS format version from a `composefs.digest=` descriptor; absent for `composefs=` (implicitly 2). */
  version?: 1 | 2;
  /** Which key the token used. */
  key: 'composefs' | 'composefs.digest';
}

/** Parsed `<version>-<hash>-<lg>` descriptor of a `composefs.digest=` value. */
export interface DigestDescriptor {
  version: 1 | 2;
  algorithm: VerityAlgorithm;
}

/** EROFS version a karg denotes: the descriptor's version, or 2 for `composefs=`. */
export function kargVersion(karg: Pick<ComposefsKarg, 'version'>): 1 | 2 {
  return karg.version ?? 2;
}

/** Removes one optional leading `?` (the insecure marker). */
export function stripInsecure(value: string): { rest: string; insecure: boolean } {
  return value.startsWith('?') ? { rest: value.slice(1), insecure: true } : { rest: value, insecure: false };
}

/**
 * `parse_digest_value`: splits `v1-sha256-12:<hex>` (the `?` already removed) into descriptor and
 * the raw hex text (not validated here). Order: first `:`, then first `-`, then the version
 * (`v1`/`v2`, case-sensitive), then the algorithm (`fsverity-` + remainder, see `parseAlgorithmId`).
 *
 * @throws CmdlineError without the outer `parsing composefs.digest= value:` context.
 */
export function parseDigestDescriptor(text: string): { descriptor: DigestDescriptor; hex: string } {
  const colon = text.indexOf(':');
  if (colon < 0) {
    throw new CmdlineError(`expected '<version>-<hash>-<blocksize>:<hex>', got: ${text}`);
  }
  const desc = text.slice(0, colon);
  const hex = text.slice(colon + 1);
  const dash = desc.indexOf('-');
  if (dash < 0) {
    throw new CmdlineError(`expected 'v<N>-<hash>-<blocksize>', got: ${desc}`);
  }
  const versionText = desc.slice(0, dash);
  const hashAndLg = desc.slice(dash + 1);
  let version: 1 | 2;
  if (versionText === 'v1') version = 1;
  else if (versionText === 'v2') version = 2;
  else throw new CmdlineError(`unsupported format version '${versionText}'`);
  let algorithm: VerityAlgorithm;
  try {
    algorithm = parseAlgorithmId(`fsverity-${hashAndLg}`);
  } catch (err) {
    throw CmdlineError.wrap(`parsing algorithm from '${hashAndLg}'`, err);
  }
  return { descriptor: { version, algorithm }, hex };
}

/**
 * Parses the value of `composefs.digest=` (everything after the `=`, including an optional `?`)
 * the way `composefs-setup-root` does: descriptor errors get the context
 * `parsing composefs.digest= value: <value>` (value **with** its `?`), hex errors
 * `parsing composefs.digest= <hash> digest`. The hex must be exactly the named hash's size.
 *
 * @throws CmdlineError
 */
export function parseComposefsDigestValue(value: string): ComposefsKarg {
  const { rest, insecure } = stripInsecure(value);
  let parsed: { descriptor: DigestDescriptor; hex: string };
  try {
    parsed = parseDigestDescriptor(rest);
  } catch (err) {
    throw CmdlineError.wrap(`parsing ${KARG_COMPOSEFS_DIGEST}= value: ${value}`, err);
  }
  const { descriptor, hex } = parsed;
  const hash = descriptor.algorithm.hash;
  try {
    decodeHexFixed(hex, digestSize(hash));
  } catch (err) {
    throw CmdlineError.wrap(`parsing ${KARG_COMPOSEFS_DIGEST}= ${hash} digest`, err);
  }
  return { key: KARG_COMPOSEFS_DIGEST, hex, insecure, hash, version: descriptor.version };
}

/**
 * Parses the value of `composefs=` (after the `=`, optional `?`): the algorithm is chosen by the
 * UTF-8 byte length alone (64 → sha256, 128 → sha512, else `invalid composefs= digest length: N`),
 * then the hex is decoded (`parsing composefs= <hash> digest` → hex error).
 *
 * @throws CmdlineError
 */
export function parseComposefsValue(value: string): ComposefsKarg {
  const { rest: hex, insecure } = stripInsecure(value);
  const len = utf8Length(hex);
  let hash: HashName;
  if (len === 128) hash = 'sha512';
  else if (len === 64) hash = 'sha256';
  else throw new CmdlineError(`invalid ${KARG_V2}= digest length: ${len}`);
  try {
    decodeHexFixed(hex, digestSize(hash));
  } catch (err) {
    throw CmdlineError.wrap(`parsing ${KARG_V2}= ${hash} digest`, err);
  }
  return { key: KARG_V2, hex, insecure, hash };
}
