import type { HashName } from './hashes.js';

/** The `fsverity digest` / `fsverity measure` line: `sha256:<hex> <path>`. */
export function formatDigestLine(hash: HashName, digest: Uint8Array, path: string): string {
  return `${hash}:${Buffer.from(digest).toString('hex')} ${path}`;
}
