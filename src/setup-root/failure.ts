/** A boot failure: `step` is a short key (status.json), the message is the one line shown. */
export class BootFailure extends Error {
  override readonly name = 'BootFailure';
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Wraps any error as a BootFailure of `step`, with optional context. A system call's failure
 * also gets its errno name (`… : No such file or directory (ENOENT)`) unless the text has it.
 */
export function fail(step: string, e: unknown, context?: string): BootFailure {
  if (e instanceof BootFailure) return e;
  let msg = (e as Error)?.message ?? String(e);
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) && !msg.includes(code)) msg += ` (${code})`;
  return new BootFailure(step, context !== undefined ? `${context}: ${msg}` : msg);
}
