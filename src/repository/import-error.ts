/** A one-line error about the tree being imported (its path or the composefs-rs rule it breaks). */
export class ImportError extends Error {
  override readonly name = 'ImportError';
}
