/**
 * Directory reading (erofs.md §5.5, §8.2): every full block, then the inline tail, decoded with
 * format.ts's `decodeDirChunk` on a view that ends at the chunk end (so no scan can leave the
 * chunk). On top of C's checks (fix): names must be 1–255 bytes without NUL, strictly ascending
 * over the whole directory (so no duplicates), and the chunk lengths must hold a dirent.
 */
import { DIRENT_SIZE, LAYOUT_CHUNK_BASED, decodeDirChunk } from '../format.js';
import type { ByteString } from '../../tree/node.js';
import { ImageError, where } from './errors.js';
import { flatData, type RawInode } from './inode.js';
import type { ImageContext } from './superblock.js';

export interface DirEntry {
  name: ByteString;
  nid: bigint;
  fileType: number;
}

export const NAME_MAX = 255;

/** The entries of a directory inode in disk order, without `.` and `..`. */
export function readDirEntries(ctx: ImageContext, ino: RawInode): DirEntry[] {
  if (ino.layout === LAYOUT_CHUNK_BASED) throw new ImageError(`directory ${where(ino.nid, ino.offset)}: chunk-based layout`, ino.nid, ino.offset);
  const data = flatData(ctx, ino);
  const chunks = data.tail === undefined ? data.blocks : [...data.blocks, data.tail];
  const out: DirEntry[] = [];
  let prev: ByteString | undefined;
  for (const [off, len] of chunks) {
    if (len < DIRENT_SIZE) {
      throw new ImageError(`directory ${where(ino.nid)}: chunk of ${len} bytes at offset 0x${off.toString(16)} cannot hold a dirent`, ino.nid, off);
    }
    let ents;
    try {
      ents = decodeDirChunk(ctx.buf.subarray(0, off + len), off, len);
    } catch (e) {
      if (e instanceof RangeError) throw new ImageError(`directory ${where(ino.nid)}: ${e.message}`, ino.nid, off);
      throw e;
    }
    for (const d of ents) {
      const name = d.name;
      if (name.length === 0 || name.length > NAME_MAX) {
        throw new ImageError(`directory ${where(ino.nid)}: name of ${name.length} bytes in the chunk at offset 0x${off.toString(16)}`, ino.nid, off);
      }
      if (name.includes('\0') || name.includes('/')) {
        throw new ImageError(`directory ${where(ino.nid)}: name ${JSON.stringify(name)} contains NUL or '/' (chunk at offset 0x${off.toString(16)})`, ino.nid, off);
      }
      if (prev !== undefined && !(prev < name)) {
        throw new ImageError(`directory ${where(ino.nid)}: names not strictly ascending (${JSON.stringify(prev)} then ${JSON.stringify(name)}, chunk at offset 0x${off.toString(16)})`, ino.nid, off);
      }
      prev = name;
      if (name === '.' || name === '..') continue;
      out.push({ name, nid: d.nid, fileType: d.fileType });
    }
  }
  return out;
}
