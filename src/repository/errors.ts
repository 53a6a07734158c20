/**
 * Repository errors. Every error is one line and names the path it concerns; `text` keeps the
 * bare upstream (composefs-rs 0.9) wording so callers and tests can match it exactly.
 */

export type RepositoryErrorKind =
  | 'MetadataMissing'
  | 'OldFormatRepository'
  | 'MetadataParse'
  | 'Incompatible'
  | 'AlgorithmMismatch'
  | 'VerityRequired'
  | 'VerityMismatch'
  | 'ReadOnly'
  | 'NotWritable'
  | 'AlreadyInitialized'
  | 'ImageNotFound'
  | 'InvalidName'
  | 'Corrupt'
  | 'Unsupported'
  | 'Io';

export class RepositoryError extends Error {
  override readonly name = 'RepositoryError';

  constructor(
    readonly kind: RepositoryErrorKind,
    /** The path concerned (absolute or relative to the caller's working directory). */
    readonly path: string,
    /** The message without the path (upstream text where upstream has one). */
    readonly text: string,
    options?: { cause?: unknown; code?: string },
  ) {
    super(`${path}: ${text}`, options?.cause !== undefined ? { cause: options.cause } : undefined);
    if (options?.code !== undefined) this.code = options.code;
  }

  /** errno name of the underlying system call failure, when there was one. */
  code?: string;
}

/** Wraps any thrown value into a one-line RepositoryError about `path` (errno code kept). */
export function ioError(path: string, what: string, e: unknown): RepositoryError {
  if (e instanceof RepositoryError) return e;
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const msg = typeof err?.message === 'string' ? err.message.replace(/\s*\n[\s\S]*$/, '') : String(e);
  return new RepositoryError('Io', path, `${what}: ${msg}`, code !== undefined ? { cause: e, code } : { cause: e });
}
