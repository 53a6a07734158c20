/**
 * Streaming fs-verity Merkle tree, computed exactly as the kernel does (4096-byte blocks, no salt).
 * Level 0 holds the hashes of the data blocks; each full 4096-byte block of hashes at level i is
 * hashed into level i+1; on finish the partial blocks are zero-padded and flushed upwards until a
 * single hash (the root) remains. An empty file has an all-zero root hash.
 */
import { buildDescriptor, BLOCK_SIZE } from './descriptor.js';
import { HASHES, type HashName } from './hashes.js';

interface Level {
  readonly block: Buffer;
  fill: number;
  total: number;
}

// node:crypto is loaded on first use: the boot path measures digests in the kernel and never
// hashes in userspace when the image carries fs-verity, and loading it costs milliseconds there
let oneShotHash: typeof import('node:crypto').hash | undefined;

/** Hashes one block. `crypto.hash` is the cheapest per-call path Node offers. */
export function hashBlock(hash: HashName, block: Uint8Array): Buffer {
  oneShotHash ??= process.getBuiltinModule('node:crypto').hash;
  return oneShotHash(hash, block, 'buffer') as unknown as Buffer;
}

/** Accepts level-0 (data block) hashes in order and produces the root hash and file digest. */
export class MerkleBuilder {
  private readonly levels: Level[] = [];
  private readonly digestSize: number;

  constructor(readonly hash: HashName) {
    this.digestSize = HASHES[hash].digestSize;
  }

  /** Adds the hash of the next data block (already zero-padded to 4096 bytes when partial). */
  addLeafHash(h: Uint8Array): void {
    this.add(0, h);
  }

  /** Adds many consecutive leaf hashes packed in one buffer. */
  addLeafHashes(packed: Uint8Array): void {
    const n = this.digestSize;
    if (packed.length % n !== 0) throw new Error(`packed hashes: ${packed.length} is not a multiple of ${n}`);
    for (let off = 0; off < packed.length; off += n) this.add(0, packed.subarray(off, off + n));
  }

  private add(levelIndex: number, h: Uint8Array): void {
    let level = this.levels[levelIndex];
    if (level === undefined) {
      level = { block: Buffer.alloc(BLOCK_SIZE), fill: 0, total: 0 };
      this.levels.push(level);
    }
    level.block.set(h, level.fill);
    level.fill += h.length;
    level.total += 1;
    if (level.fill === BLOCK_SIZE) {
      const up = hashBlock(this.hash, level.block);
      level.fill = 0;
      this.add(levelIndex + 1, up);
    }
  }

  /** Returns the root hash (all zeros when no data block was added). */
  rootHash(): Buffer {
    if (this.levels.length === 0) return Buffer.alloc(this.digestSize);
    for (let i = 0; ; i++) {
      const level = this.levels[i];
      if (level === undefined) throw new Error('merkle tree: missing level');
      const isTop = i === this.levels.length - 1;
      if (isTop && level.total === 1) {
        // The single hash of the top level is the root; it is still in the level's block
        // unless the block was flushed (which only happens for a full block, i.e. total > 1).
        return Buffer.from(level.block.subarray(0, this.digestSize));
      }
      if (level.fill > 0) {
        level.block.fill(0, level.fill);
        const up = hashBlock(this.hash, level.block);
        level.fill = 0;
        this.add(i + 1, up);
      }
    }
  }

  /** The fs-verity file digest: H(descriptor(root hash, data size)). Call once. */
  fileDigest(dataSize: bigint | number): Buffer {
    return hashBlock(this.hash, buildDescriptor(this.hash, dataSize, this.rootHash()));
  }
}

/**
 * Streaming hasher over file data: feed bytes in any chunking with `update`, then `digest()`.
 * Full blocks are hashed straight from the caller's buffer; only a block that straddles two
 * chunks is copied into the pending buffer.
 */
export class FsVerityHasher {
  private readonly tree: MerkleBuilder;
  private readonly pending = Buffer.alloc(BLOCK_SIZE);
  private pendingFill = 0;
  private size = 0n;

  constructor(readonly hash: HashName) {
    this.tree = new MerkleBuilder(hash);
  }

  update(data: Uint8Array): this {
    let off = 0;
    const len = data.length;
    this.size += BigInt(len);
    if (this.pendingFill > 0) {
      const take = Math.min(BLOCK_SIZE - this.pendingFill, len);
      this.pending.set(data.subarray(0, take), this.pendingFill);
      this.pendingFill += take;
      off = take;
      if (this.pendingFill < BLOCK_SIZE) return this;
      this.tree.addLeafHash(hashBlock(this.hash, this.pending));
      this.pendingFill = 0;
    }
    while (len - off >= BLOCK_SIZE) {
      this.tree.addLeafHash(hashBlock(this.hash, data.subarray(off, off + BLOCK_SIZE)));
      off += BLOCK_SIZE;
    }
    if (off < len) {
      this.pending.set(data.subarray(off), 0);
      this.pendingFill = len - off;
    }
    return this;
  }

  digest(): Buffer {
    if (this.pendingFill > 0) {
      this.pending.fill(0, this.pendingFill);
      this.tree.addLeafHash(hashBlock(this.hash, this.pending));
      this.pendingFill = 0;
    }
    return this.tree.fileDigest(this.size);
  }
}

/** fs-verity digest of an in-memory buffer. */
export function verityDigestOfBuffer(hash: HashName, data: Uint8Array): Buffer {
  return new FsVerityHasher(hash).update(data).digest();
}
