/**
 * The fs-verity descriptor (linux/fsverity.h, `struct fsverity_descriptor`), described once.
 * All integers are little-endian. The file digest reported by FS_IOC_MEASURE_VERITY is
 * H(descriptor) where H is the tree's hash algorithm.
 */
import type { HashName } from './hashes.js';
import { HASHES } from './hashes.js';

export const DESCRIPTOR_SIZE = 256;
export const DESCRIPTOR_VERSION = 1;
/** log2 of the Merkle tree block size: composefs always uses 4096-byte blocks. */
export const LOG_BLOCK_SIZE = 12;
export const BLOCK_SIZE = 1 << LOG_BLOCK_SIZE;

export const DescriptorField = {
  version: { offset: 0, size: 1 },
  hashAlgorithm: { offset: 1, size: 1 },
  logBlockSize: { offset: 2, size: 1 },
  saltSize: { offset: 3, size: 1 },
  reserved0: { offset: 4, size: 4 },
  dataSize: { offset: 8, size: 8 },
  rootHash: { offset: 16, size: 64 },
  salt: { offset: 80, size: 32 },
  reserved1: { offset: 112, size: 144 },
} as const;

/** Builds the 256-byte descriptor for an unsalted tree with 4096-byte blocks. */
export function buildDescriptor(hash: HashName, dataSize: bigint | number, rootHash: Uint8Array): Buffer {
  const info = HASHES[hash];
  if (rootHash.length !== info.digestSize) {
    throw new Error(`root hash has ${rootHash.length} bytes, ${hash} needs ${info.digestSize}`);
  }
  const d = Buffer.alloc(DESCRIPTOR_SIZE);
  d.writeUInt8(DESCRIPTOR_VERSION, DescriptorField.version.offset);
  d.writeUInt8(info.kernelId, DescriptorField.hashAlgorithm.offset);
  d.writeUInt8(LOG_BLOCK_SIZE, DescriptorField.logBlockSize.offset);
  d.writeUInt8(0, DescriptorField.saltSize.offset);
  d.writeBigUInt64LE(BigInt(dataSize), DescriptorField.dataSize.offset);
  d.set(rootHash, DescriptorField.rootHash.offset);
  return d;
}
