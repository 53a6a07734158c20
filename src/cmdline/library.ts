/**
 * Policy (b) of boot.md §1.7: composefs-rs `ComposefsCmdline::<H>::from_cmdline`, the library
 * parser used by bootc's initramfs helper, UKI validation and cfsctl. It is typed by one hash and
 * gives `composefs.digest=` priority over `composefs=`.
 */
import { formatAlgorithmId, digestSize, hexDigestLength, type HashName } from '../verity/algorithm.js';
import { CmdlineError } from './errors.js';
import { decodeHexFixed, encodeHex, utf8Length } from './hex.js';
import { KARG_COMPOSEFS_DIGEST, KARG_V2, parseDigestDescriptor, stripInsecure } from './karg.js';
import { getCmdlineValue, splitCmdline } from './tokenize.js';

/** Result of {@link composefsCmdlineFromCmdline}. */
export interface ComposefsCmdline {
  /** 1 for `composefs.digest=v1-…`; 2 for `composefs.digest=v2-…` and for `composefs=`. */
  version: 1 | 2;
  /** The decoded digest re-encoded as lowercase hex (upstream returns a digest value, not text). */
  hex: string;
  insecure: boolean;
}

function decodeWithContext(key: string, hex: string, hash: HashName): Uint8Array {
  try {
    return decodeHexFixed(hex, digestSize(hash));
  } catch (err) {
    throw CmdlineError.wrap(
      `parsing ${key}= hash: got ${utf8Length(hex)} hex chars, expected ${hexDigestLength(hash)} for ${formatAlgorithmId(hash)}`,
      err,
    );
  }
}

/**
 * 1. Every `composefs.digest=` token in order: strip `?`, parse the descriptor (errors abort with
 *    `parsing composefs.digest= value: <value>`); a descriptor for the other hash is skipped; the
 *    first one for `hash` is decoded (errors abort) and returned.
 * 2. Otherwise the **first** `composefs=` token is decoded as `hash` (wrong length is an error) → V2.
 * 3. Otherwise `null`.
 *
 * @throws CmdlineError
 */
export function composefsCmdlineFromCmdline(cmdline: string, hash: HashName): ComposefsCmdline | null {
  const digestPrefix = `${KARG_COMPOSEFS_DIGEST}=`;
  for (const token of splitCmdline(cmdline)) {
    if (!token.startsWith(digestPrefix)) continue;
    const value = token.slice(digestPrefix.length);
    const { rest, insecure } = stripInsecure(value);
    let parsed: ReturnType<typeof parseDigestDescriptor>;
    try {
      parsed = parseDigestDescriptor(rest);
    } catch (err) {
      throw CmdlineError.wrap(`parsing ${KARG_COMPOSEFS_DIGEST}= value: ${value}`, err);
    }
    if (parsed.descriptor.algorithm.hash !== hash) continue;
    const bytes = decodeWithContext(KARG_COMPOSEFS_DIGEST, parsed.hex, hash);
    return { version: parsed.descriptor.version, hex: encodeHex(bytes), insecure };
  }

  const value = getCmdlineValue(cmdline, `${KARG_V2}=`);
  if (value !== undefined) {
    const { rest, insecure } = stripInsecure(value);
    const bytes = decodeWithContext(KARG_V2, rest, hash);
    return { version: 2, hex: encodeHex(bytes), insecure };
  }
  return null;
}
