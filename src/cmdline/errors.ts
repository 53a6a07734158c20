/**
 * Errors with an anyhow-style context chain, so that messages and the printed form match
 * composefs-rs (boot.md §1.8).
 */

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Indents one cause the way anyhow's `Indented` writer does: the first line gets `"{n:>5}: "`
 * (or 4 spaces when there is only one cause), continuation lines get 7 (or 4) spaces.
 */
function indentCause(text: string, number: number | undefined): string {
  const lines = text.split('\n');
  const first = number === undefined ? '    ' : `${String(number).padStart(5, ' ')}: `;
  const cont = number === undefined ? '    ' : '       ';
  return lines.map((line, i) => (i === 0 ? first : cont) + line).join('\n');
}

/**
 * anyhow's `{:?}` rendering of a chain (outermost first), without the `Error: ` prefix that Rust's
 * `main` adds and without a trailing newline.
 */
export function formatAnyhowDebug(chain: readonly string[]): string {
  const [outer = '', ...causes] = chain;
  if (causes.length === 0) return outer;
  const multiple = causes.length > 1;
  const body = causes.map((c, n) => indentCause(c, multiple ? n : undefined)).join('\n');
  return `${outer}\n\nCaused by:\n${body}`;
}

/** anyhow's `{:#}` rendering: `outer: inner: innermost`. */
export function formatAnyhowAlternate(chain: readonly string[]): string {
  return chain.join(': ');
}

/** A command-line parsing error. `.message` is the outermost context, `.chain` the whole chain. */
export class CmdlineError extends Error {
  override readonly name = 'CmdlineError';
  /** Messages, outermost first (anyhow's `err.chain()`); never empty. */
  readonly chain: readonly string[];

  constructor(chain: string | readonly string[], options?: { cause?: unknown }) {
    const list = typeof chain === 'string' ? [chain] : [...chain];
    if (list.length === 0) list.push('unknown error');
    super(list[0] as string, options);
    this.chain = Object.freeze(list);
  }

  /**
   * anyhow's `.context(ctx)`: a new error whose outermost message is `context`, with the chain of
   * `err` (a `CmdlineError`'s whole chain, or any other error's message) underneath.
   */
  static wrap(context: string, err: unknown): CmdlineError {
    const inner = err instanceof CmdlineError ? err.chain : [describe(err)];
    return new CmdlineError([context, ...inner], { cause: err });
  }

  /** The chain below the outermost message. */
  get causes(): readonly string[] {
    return this.chain.slice(1);
  }

  /** The innermost message (the root cause). */
  get rootCause(): string {
    return this.chain[this.chain.length - 1] as string;
  }

  /**
   * What composefs-rs prints when `main` returns this error (minus the final newline):
   * `Error: <outermost>\n\nCaused by:\n    0: …\n    1: …` (a single cause is not numbered).
   */
  formatChain(): string {
    return `Error: ${formatAnyhowDebug(this.chain)}`;
  }

  /** One-line form for logs: `outer: inner: innermost` (anyhow `{:#}`). */
  oneLine(): string {
    return formatAnyhowAlternate(this.chain);
  }
}
