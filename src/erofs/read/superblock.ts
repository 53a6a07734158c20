/**
 * Opening an image (erofs.md §8.1): size, composefs header, EROFS superblock, and the
 * restricted-mode checks of §3 (what composefs-rs also requires). Everything the rest of the
 * reader needs about the image as a whole ends up in an `ImageContext`.
 */
import {
  BLOCK_BITS, BLOCK_SIZE, COMPOSEFS_HEADER, COMPOSEFS_HEADER_VERSION, COMPOSEFS_MAGIC, EROFS_MAGIC, KNOWN_FEATURE_COMPAT,
  KNOWN_FEATURE_INCOMPAT, SUPERBLOCK, SUPERBLOCK_OFFSET, decodeComposefsHeader, decodeSuperblock,
  type ComposefsHeader, type Superblock,
} from '../format.js';
import { ImageError } from './errors.js';

/** Layout family, from the header's composefs_version: 0/1 = C mkcomposefs (V1), 2 = composefs-rs V2. */
export type LayoutFamily = 'v1' | 'v2';

export interface ImageContext {
  readonly buf: Buffer;
  readonly header: ComposefsHeader;
  readonly sb: Superblock;
  readonly family: LayoutFamily;
  /** byte offset of nid 0 (meta_blkaddr · 4096; always 0 after the checks) */
  readonly metaBase: number;
  /** byte offset that shared xattr ids count from (xattr_blkaddr · 4096) */
  readonly xattrBase: number;
  readonly rootNid: number;
  /** mtime of compact inodes */
  readonly buildTime: { sec: bigint; nsec: number };
  /**
   * Bytes that inode-owned ranges (xattr areas, directory data, inline content and symlink
   * targets) may still take. In a real image those ranges never overlap, so their sum is below
   * the image size; crafted overlapping inodes or shared directory blocks run out of budget
   * instead of multiplying the work.
   */
  budget: number;
}

export function openImage(input: Uint8Array): ImageContext {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf.length < BLOCK_SIZE) throw new ImageError(`image of ${buf.length} bytes is smaller than one block (${BLOCK_SIZE})`, undefined, 0);
  const header = decodeComposefsHeader(buf, 0);
  if (header.magic !== COMPOSEFS_MAGIC) {
    throw new ImageError(`bad composefs header magic 0x${header.magic.toString(16)} (expected 0x${COMPOSEFS_MAGIC.toString(16)})`, undefined, COMPOSEFS_HEADER.fields.magic.offset);
  }
  if (header.version !== COMPOSEFS_HEADER_VERSION) {
    throw new ImageError(`unsupported composefs header version ${header.version} (expected ${COMPOSEFS_HEADER_VERSION})`, undefined, COMPOSEFS_HEADER.fields.version.offset);
  }
  let family: LayoutFamily;
  if (header.composefs_version <= 1) family = 'v1';
  else if (header.composefs_version === 2) family = 'v2';
  else throw new ImageError(`unknown composefs_version ${header.composefs_version}`, undefined, COMPOSEFS_HEADER.fields.composefs_version.offset);

  const sb = decodeSuperblock(buf, SUPERBLOCK_OFFSET);
  const at = (f: keyof typeof SUPERBLOCK.fields): number => SUPERBLOCK_OFFSET + SUPERBLOCK.fields[f].offset;
  const bad = (f: keyof typeof SUPERBLOCK.fields, what: string): never => {
    throw new ImageError(`superblock ${f}: ${what}`, undefined, at(f));
  };
  if (sb.magic !== EROFS_MAGIC) bad('magic', `0x${sb.magic.toString(16)}, expected 0x${EROFS_MAGIC.toString(16)}`);
  if (sb.blkszbits !== BLOCK_BITS) bad('blkszbits', `${sb.blkszbits}, only ${BLOCK_BITS} is supported`);
  if ((sb.feature_compat & ~KNOWN_FEATURE_COMPAT) !== 0) bad('feature_compat', `unknown bits 0x${(sb.feature_compat & ~KNOWN_FEATURE_COMPAT).toString(16)}`);
  if ((sb.feature_incompat & ~KNOWN_FEATURE_INCOMPAT) !== 0) bad('feature_incompat', `unsupported bits 0x${(sb.feature_incompat & ~KNOWN_FEATURE_INCOMPAT).toString(16)}`);
  if (sb.sb_extslots !== 0) bad('sb_extslots', `${sb.sb_extslots}, expected 0`);
  if (sb.meta_blkaddr !== 0) bad('meta_blkaddr', `${sb.meta_blkaddr}, expected 0`);
  if (sb.available_compr_algs !== 0) bad('available_compr_algs', 'compression is not supported');
  if (sb.extra_devices !== 0) bad('extra_devices', `${sb.extra_devices}, extra devices are not supported`);
  if (sb.xattr_prefix_count !== 0) bad('xattr_prefix_count', `${sb.xattr_prefix_count}, long xattr prefixes are not supported`);
  if (sb.packed_nid !== 0n) bad('packed_nid', `${sb.packed_nid}, expected 0`);
  const xattrBase = sb.xattr_blkaddr * BLOCK_SIZE;
  if (xattrBase >= buf.length) bad('xattr_blkaddr', `block ${sb.xattr_blkaddr} is beyond the image (${buf.length} bytes)`);
  return {
    buf,
    header,
    sb,
    family,
    metaBase: 0,
    xattrBase,
    rootNid: sb.root_nid,
    buildTime: { sec: BigInt.asIntN(64, sb.build_time), nsec: sb.build_time_nsec },
    budget: buf.length,
  };
}
