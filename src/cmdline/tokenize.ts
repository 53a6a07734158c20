/**
 * Kernel command line tokenizer, identical to composefs-rs `cmdline.rs: split_cmdline`
 * (boot.md §1.2):
 *
 * - every `"` toggles "in quotes" and stays part of the token;
 * - outside quotes a character is a separator iff it is ASCII whitespace in Rust's sense
 *   (U+0020, U+0009, U+000A, U+000C, U+000D) — **not** U+000B, not U+00A0;
 * - separators delimit possibly empty tokens (like Rust's `str::split`: `""` → `[""]`,
 *   `"a  b "` → `["a", "", "b", ""]`); empty tokens never match a key;
 * - `--` has no special meaning, and nothing is dequoted.
 */

/** A token with its UTF-16 offsets in the original string (`cmdline.slice(start, end) === text`). */
export interface CmdlineToken {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** Rust's `char::is_ascii_whitespace`. */
export function isRustAsciiWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\f' || ch === '\r';
}

export function splitCmdlineWithOffsets(cmdline: string): CmdlineToken[] {
  const tokens: CmdlineToken[] = [];
  let inQuotes = false;
  let start = 0;
  for (let i = 0; i < cmdline.length; i++) {
    const ch = cmdline[i] as string;
    if (ch === '"') inQuotes = !inQuotes;
    if (!inQuotes && isRustAsciiWhitespace(ch)) {
      tokens.push({ text: cmdline.slice(start, i), start, end: i });
      start = i + 1;
    }
  }
  tokens.push({ text: cmdline.slice(start), start, end: cmdline.length });
  return tokens;
}

/** The tokens of a command line (see module comment). */
export function splitCmdline(cmdline: string): string[] {
  return splitCmdlineWithOffsets(cmdline).map((t) => t.text);
}

/**
 * `get_cmdline_value`: the remainder of the first token starting with `prefix` (e.g. `"composefs="`),
 * verbatim (not dequoted), or `undefined`.
 */
export function getCmdlineValue(cmdline: string, prefix: string): string | undefined {
  for (const token of splitCmdline(cmdline)) {
    if (token.startsWith(prefix)) return token.slice(prefix.length);
  }
  return undefined;
}
