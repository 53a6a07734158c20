/**
 * Emitting composefs kernel arguments and merging them into a BLS `options` line (boot.md §1.10).
 */
import { veritySuffix, type HashName } from '../verity/algorithm.js';
import { KARG_COMPOSEFS_DIGEST, KARG_V2, type ComposefsKarg } from './karg.js';
import { splitCmdlineWithOffsets } from './tokenize.js';

/** What to emit. Format version 0 is emitted like 1 (`make_cmdline_composefs`). */
export interface KargSpec {
  version: 0 | 1 | 2;
  hash: HashName;
  /** Emitted verbatim (upstream emits lowercase digests). */
  hex: string;
  insecure: boolean;
}

/**
 * `to_cmdline_arg` / `make_cmdline_composefs`:
 * V0/V1 → `composefs.digest=[?]v1-<hash>-12:<hex>`; V2 → `composefs=[?]<hex>`.
 * (There is no emitter for the explicit `composefs.digest=v2-…` form.)
 */
export function toCmdlineArg(spec: KargSpec): string {
  const q = spec.insecure ? '?' : '';
  if (spec.version === 2) return `${KARG_V2}=${q}${spec.hex}`;
  return `${KARG_COMPOSEFS_DIGEST}=${q}v1-${veritySuffix(spec.hash)}:${spec.hex}`;
}

/**
 * Re-serialises a parsed karg with its original key (so `composefs.digest=v2-…` stays in that
 * form). Parsing the result gives back an equal {@link ComposefsKarg}.
 */
export function formatComposefsKarg(karg: ComposefsKarg): string {
  const q = karg.insecure ? '?' : '';
  if (karg.key === KARG_V2) return `${KARG_V2}=${q}${karg.hex}`;
  return `${KARG_COMPOSEFS_DIGEST}=${q}v${karg.version ?? 2}-${veritySuffix(karg.hash)}:${karg.hex}`;
}

/**
 * `BootLoaderEntryFile::add_cmdline` on the value of an `options` line: the key is `arg` up to and
 * including the first `=` (or the whole `arg` for a bare word). The first token (tokenised as in
 * §1.2) that starts with `key=` — or, for a bare word, equals it — is replaced in place, keeping
 * all other text byte for byte; otherwise `arg` is appended after one space (or becomes the whole
 * line if it was empty). An empty `arg` leaves the line unchanged.
 */
export function mergeKarg(optionsLine: string, arg: string): string {
  if (arg === '') return optionsLine;
  const eq = arg.indexOf('=');
  const key = eq >= 0 ? arg.slice(0, eq + 1) : arg;
  const matches = (token: string): boolean => (eq >= 0 ? token.startsWith(key) : token === key);
  for (const token of splitCmdlineWithOffsets(optionsLine)) {
    if (matches(token.text)) {
      return optionsLine.slice(0, token.start) + arg + optionsLine.slice(token.end);
    }
  }
  return optionsLine === '' ? arg : `${optionsLine} ${arg}`;
}

/** Applies {@link mergeKarg} for each argument in turn (`adjust_cmdline`). */
export function mergeKargs(optionsLine: string, args: readonly string[]): string {
  return args.reduce((line, arg) => mergeKarg(line, arg), optionsLine);
}
