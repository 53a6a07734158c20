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

/** Wraps any error as a BootFailure of `step`, with optional context. */
export function fail(step: string, e: unknown, context?: string): BootFailure {
  if (e instanceof BootFailure) return e;
  const msg = (e as Error)?.message ?? String(e);
  return new BootFailure(step, context !== undefined ? `${context}: ${msg}` : msg);
}

