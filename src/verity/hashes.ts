/** The two hash algorithms composefs uses with fs-verity, with their kernel ids and sizes. */
export type HashName = 'sha256' | 'sha512';

export interface HashInfo {
  readonly name: HashName;
  /** FS_VERITY_HASH_ALG_* value used by the kernel and in the descriptor. */
  readonly kernelId: number;
  readonly digestSize: number;
}

export const HASHES: Readonly<Record<HashName, HashInfo>> = {
  sha256: { name: 'sha256', kernelId: 1, digestSize: 32 },
  sha512: { name: 'sha512', kernelId: 2, digestSize: 64 },
};

export function isHashName(s: string): s is HashName {
  return s === 'sha256' || s === 'sha512';
}
