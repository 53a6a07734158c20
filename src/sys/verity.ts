/** fs-verity enable/measure ioctls. */
import { addon } from './addon';

import type { HashName } from '../verity/hashes.js';

type VerityAlgorithm = HashName;

export interface VerityMeasurement {
  algorithm: VerityAlgorithm;
  digest: Buffer;
}

function algorithmNumber(alg: VerityAlgorithm): number {
  const c = addon().constants;
  return alg === 'sha256' ? c.FS_VERITY_HASH_ALG_SHA256 : c.FS_VERITY_HASH_ALG_SHA512;
}

/** FS_IOC_ENABLE_VERITY (no salt, no signature). fd must be read-only. */
export function enableVerity(fd: number, alg: VerityAlgorithm = 'sha256', blockSize = 4096): void {
  addon().fsverityEnable(fd, algorithmNumber(alg), blockSize);
}

/** FS_IOC_MEASURE_VERITY: the file's fs-verity digest. */
export function measureVerity(fd: number): VerityMeasurement {
  const a = addon();
  const m = a.fsverityMeasure(fd, 64);
  if (m.algorithm === a.constants.FS_VERITY_HASH_ALG_SHA256) return { algorithm: 'sha256', digest: m.digest };
  if (m.algorithm === a.constants.FS_VERITY_HASH_ALG_SHA512) return { algorithm: 'sha512', digest: m.digest };
  throw new Error(`fd ${fd}: unsupported fs-verity hash algorithm ${m.algorithm}`);
}
