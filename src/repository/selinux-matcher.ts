/**
 * The regular-expression side of SELinux `file_contexts` matching, as composefs-rs 0.9 does it
 * (crates/composefs-boot/src/selabel.rs `process_spec_file`, `Matcher`).
 *
 * Upstream turns every spec `REGEX [-T] CONTEXT` into `^(REGEX)T$` (`T` one of `b c d p l s -`,
 * or `.` when no type is given) and matches it against the KEY = path bytes + one file-type byte.
 * Specs are reversed, so the LAST spec in file order that matches wins (no sorting by stem or
 * specificity, unlike libselinux). Matching is on bytes: regex-automata with Unicode off and the
 * line terminator set to NUL (`.` matches every byte but NUL, `\d \w \s` are ASCII, `$` is only
 * the end of the key) for every pattern it can parse; PCRE2 (non-UTF, default options: `.` is
 * every byte but `\n`) for patterns that use PCRE-only syntax (lookaround, backreferences, …).
 *
 * Here each pattern is translated into a JavaScript RegExp over byte strings (latin1, see
 * src/tree/node.ts) with those semantics: `.` becomes an explicit class, `\s` an ASCII class,
 * POSIX classes are expanded, a leading `]` in a class is a literal, a multi-byte UTF-8 literal is
 * one atom. Lookup tries the patterns in priority order, skipping those whose literal prefix the
 * key does not start with (an index on the first 4 key bytes keeps that cheap).
 */

export class PatternError extends Error {
  override readonly name = 'PatternError';
}

/** Upstream's fallback rule, approximated: syntax regex-automata cannot parse goes to PCRE2. */
export function isPcreOnly(re: string): boolean {
  return /\(\?<?[=!]|\(\?>|\\[1-9]|\\[gkKQE]|[*+?}][+]/.test(re);
}

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7f', blank: '\\t ', cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ', upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};
const ASCII_SPACE = '\\t\\n\\v\\f\\r ';

/** Hex escape of one byte-string code unit. */
const hexByte = (c: string): string => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/**
 * Translates one upstream regex (UTF-8 text, already wrapped as `^(…)T$`) into a JavaScript
 * RegExp source over byte strings. `pcre` selects PCRE2's meaning of `.` (not `\n`) instead of
 * regex-automata's (not NUL).
 */
export function translatePattern(re: string, pcre: boolean): string {
  const bytesOf = (ch: string): string => Buffer.from(ch, 'utf8').toString('latin1');
  const dot = pcre ? '[^\\n]' : '[^\\x00]';
  const chars = [...re];
  let out = '';
  let i = 0;
  while (i < chars.length) {
    const c = chars[i]!;
    if (c === '\\') {
      const n = chars[i + 1];
      if (n === undefined) throw new PatternError('trailing backslash');
      i += 2;
      if (n === 's') out += `[${ASCII_SPACE}]`;
      else if (n === 'S') out += `[^${ASCII_SPACE}]`;
      else if (n === 'A') out += '^';
      else if (n === 'z') out += '$';
      else if (n.codePointAt(0)! > 0x7f) out += `(?:${[...bytesOf(n)].map(hexByte).join('')})`;
      else out += `\\${n}`;
      continue;
    }
    if (c === '[') {
      i++;
      let cls = '[';
      if (chars[i] === '^') {
        cls += '^';
        i++;
      }
      if (chars[i] === ']') {
        cls += '\\]';
        i++;
      }
      for (;;) {
        const d = chars[i];
        if (d === undefined) throw new PatternError('unclosed character class');
        if (d === ']') {
          i++;
          break;
        }
        if (d === '\\') {
          const n = chars[i + 1];
          if (n === undefined) throw new PatternError('trailing backslash');
          i += 2;
          if (n === 's') cls += ASCII_SPACE;
          else if (n.codePointAt(0)! > 0x7f) cls += [...bytesOf(n)].map(hexByte).join('');
          else cls += `\\${n}`;
          continue;
        }
        if (d === '[' && chars[i + 1] === ':') {
          const end = chars.indexOf(']', i + 2);
          const name = end > 0 && chars[end - 1] === ':' ? chars.slice(i + 2, end - 1).join('') : undefined;
          const body = name !== undefined ? POSIX[name] : undefined;
          if (body !== undefined) {
            cls += body;
            i = end + 1;
            continue;
          }
        }
        if (d === '[') cls += '\\[';
        else if (d.codePointAt(0)! > 0x7f) cls += [...bytesOf(d)].map(hexByte).join('');
        else cls += d;
        i++;
      }
      out += `${cls}]`;
      continue;
    }
    i++;
    if (c === '.') out += dot;
    else if (c.codePointAt(0)! > 0x7f) out += `(?:${[...bytesOf(c)].map(hexByte).join('')})`;
    else if (c === '(' && chars[i] === '?' && chars[i + 1] === 'P' && chars[i + 2] === '<') {
      out += '(?<';
      i += 3;
    } else out += c;
  }
  return out;
}

/**
 * The literal bytes every key matching `^(re)…` starts with ('' when unknown). Stops at the first
 * meta character; drops the last literal when a `?`, `*` or `{` quantifier follows it; '' when the
 * regex has an alternation outside any group.
 */
export function literalPrefix(re: string): string {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < re.length; i++) {
    const c = re[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return '';
  }
  let lit = '';
  for (let i = 0; i < re.length; i++) {
    const c = re[i]!;
    if (c === '\\') {
      const n = re[i + 1];
      if (n === undefined || /[0-9A-Za-z]/.test(n) || n.codePointAt(0)! > 0x7f) break;
      const q = re[i + 2];
      if (q === '?' || q === '*' || q === '{') break;
      lit += n;
      i++;
      continue;
    }
    if ('^$.|?*+()[]{}'.includes(c)) {
      if (c === '?' || c === '*' || c === '{') lit = lit.slice(0, -1);
      break;
    }
    if (c.codePointAt(0)! > 0x7f) break;
    lit += c;
  }
  return lit;
}

interface Compiled {
  index: number;
  prefix: string;
  regex: RegExp;
}

const BUCKET = 4;

/** Compiled specs; `lookup` returns the index (0 = highest priority) of the winning spec. */
export class Matcher {
  private readonly generic: Compiled[] = [];
  private readonly buckets = new Map<string, Compiled[]>();
  private readonly merged = new Map<string, Compiled[]>();

  /**
   * @param regexps upstream-wrapped regexes (`^(…)T$`), highest priority first, each with the
   *   user's regex (for the literal prefix).
   */
  constructor(regexps: ReadonlyArray<{ wrapped: string; user: string }>) {
    regexps.forEach((r, index) => {
      let regex: RegExp;
      try {
        regex = new RegExp(translatePattern(r.wrapped, isPcreOnly(r.user)));
      } catch (e) {
        throw new PatternError(`cannot compile regex ${JSON.stringify(r.user)}: ${(e as Error).message}`);
      }
      const prefix = Buffer.from(literalPrefix(r.user), 'utf8').toString('latin1');
      const c: Compiled = { index, prefix, regex };
      if (prefix.length >= BUCKET) {
        const k = prefix.slice(0, BUCKET);
        const b = this.buckets.get(k);
        if (b === undefined) this.buckets.set(k, [c]);
        else b.push(c);
      } else {
        this.generic.push(c);
      }
    });
  }

  private candidates(key: string): Compiled[] {
    const k = key.slice(0, BUCKET);
    let list = this.merged.get(k);
    if (list === undefined) {
      list = [...(this.buckets.get(k) ?? []), ...this.generic].sort((a, b) => a.index - b.index);
      this.merged.set(k, list);
    }
    return list;
  }

  /** `key` = path (byte string) + file-type character. */
  lookup(key: string): number | undefined {
    for (const c of this.candidates(key)) {
      if (key.startsWith(c.prefix) && c.regex.test(key)) return c.index;
    }
    return undefined;
  }
}
