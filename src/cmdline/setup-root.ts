/**
 * Policy (a) of boot.md §1.7: how `composefs-setup-root` (`main.rs: parse_composefs_kargs`) reads
 * the command line. Every composefs token is collected in command-line order; any malformed one
 * is fatal; nothing found is an error.
 */
import { CmdlineError } from './errors.js';
import {
  KARG_COMPOSEFS_DIGEST,
  KARG_V2,
  parseComposefsDigestValue,
  parseComposefsValue,
  type ComposefsKarg,
} from './karg.js';
import { splitCmdline } from './tokenize.js';

export const NO_COMPOSEFS_KARG_MESSAGE = 'no composefs karg found in kernel cmdline';

const DIGEST_PREFIX = `${KARG_COMPOSEFS_DIGEST}=`;
const V2_PREFIX = `${KARG_V2}=`;

/**
 * All composefs kargs in command-line order; `[]` when there are none (upstream's
 * `parse_composefs_kargs`). Tokens that start with neither `composefs.digest=` nor `composefs=`
 * (including a bare `composefs`) are ignored; there is no `--` handling and no dequoting.
 *
 * @throws CmdlineError for the first malformed composefs token
 */
export function collectSetupRootKargs(cmdline: string): ComposefsKarg[] {
  const result: ComposefsKarg[] = [];
  for (const token of splitCmdline(cmdline)) {
    if (token.startsWith(DIGEST_PREFIX)) {
      result.push(parseComposefsDigestValue(token.slice(DIGEST_PREFIX.length)));
    } else if (token.startsWith(V2_PREFIX)) {
      result.push(parseComposefsValue(token.slice(V2_PREFIX.length)));
    }
  }
  return result;
}

/**
 * Like {@link collectSetupRootKargs} but an empty result is the error
 * `no composefs karg found in kernel cmdline` (what the helper reports at boot).
 *
 * @returns a non-empty list, in command-line order
 * @throws CmdlineError
 */
export function parseSetupRootKargs(cmdline: string): ComposefsKarg[] {
  const kargs = collectSetupRootKargs(cmdline);
  if (kargs.length === 0) throw new CmdlineError(NO_COMPOSEFS_KARG_MESSAGE);
  return kargs;
}
