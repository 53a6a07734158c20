/**
 * Reading an inode's extended attributes (erofs.md §5.1–§5.4, §8.3): the inline entries first,
 * then the shared ones, as the C reader delivers them. Every count, id and length is checked
 * against the xattr area or the image; values are views into the image (no copies).
 */
import {
  XATTR_ENTRY, XATTR_ENTRY_HEADER_SIZE, XATTR_IBODY_HEADER, XATTR_IBODY_HEADER_SIZE, XATTR_LONG_PREFIX_FLAG, XATTR_PREFIXES,
  XATTR_SHARED_ID_SIZE, xattrEntrySize,
} from '../format.js';
import type { ByteString } from '../../tree/node.js';
import { ImageError, where } from './errors.js';
import type { RawInode } from './inode.js';
import type { ImageContext } from './superblock.js';

export interface RawXattr {
  /** full name: prefix + suffix */
  name: ByteString;
  value: Buffer;
}

/** Longest xattr name Linux accepts (XATTR_NAME_MAX). */
export const XATTR_NAME_MAX = 255;

const H = XATTR_IBODY_HEADER.fields;
const X = XATTR_ENTRY.fields;

/** Decodes the entry at `off`, which must lie (with its name and value) inside [.., end). */
function readEntry(ctx: ImageContext, ino: RawInode, off: number, end: number, what: string): { x: RawXattr; size: number } {
  const buf = ctx.buf;
  const fail = (msg: string): never => {
    throw new ImageError(`inode ${where(ino.nid)}: ${what} at offset 0x${off.toString(16)}: ${msg}`, ino.nid, off);
  };
  if (off + XATTR_ENTRY_HEADER_SIZE > end) fail('entry header runs past its area');
  const nameLen = buf[off + X.e_name_len.offset]!;
  const index = buf[off + X.e_name_index.offset]!;
  const valueSize = buf.readUInt16LE(off + X.e_value_size.offset);
  const nameAt = off + XATTR_ENTRY_HEADER_SIZE;
  const valueAt = nameAt + nameLen;
  if (valueAt + valueSize > end) fail(`entry of ${XATTR_ENTRY_HEADER_SIZE + nameLen + valueSize} bytes runs past its area`);
  if ((index & XATTR_LONG_PREFIX_FLAG) !== 0) fail(`long-prefix name index 0x${index.toString(16)} (no prefix table)`);
  const prefix = XATTR_PREFIXES[index];
  if (prefix === undefined) fail(`unknown name index ${index}`);
  const suffix = buf.toString('latin1', nameAt, valueAt);
  const name = prefix + suffix;
  if (name.length === 0) fail('empty name');
  if (name.length > XATTR_NAME_MAX) fail(`name of ${name.length} bytes (max ${XATTR_NAME_MAX})`);
  if (suffix.includes('\0')) fail('NUL byte in name');
  return { x: { name, value: buf.subarray(valueAt, valueAt + valueSize) }, size: xattrEntrySize(nameLen, valueSize) };
}

/** The raw xattrs of an inode: inline entries in disk order, then the shared ones in id order. */
export function readRawXattrs(ctx: ImageContext, ino: RawInode): RawXattr[] {
  if (ino.xattrSize === 0) return [];
  const buf = ctx.buf;
  const start = ino.xattrOffset;
  const end = start + ino.xattrSize; // checked by decodeRawInode
  const sharedCount = buf[start + H.h_shared_count.offset]!;
  const idsEnd = start + XATTR_IBODY_HEADER_SIZE + sharedCount * XATTR_SHARED_ID_SIZE;
  if (idsEnd > end) {
    throw new ImageError(`inode ${where(ino.nid, ino.offset)}: ${sharedCount} shared xattr ids do not fit in the ${ino.xattrSize}-byte xattr area`, ino.nid, start);
  }
  const out: RawXattr[] = [];
  // Inline entries: every entry whose 4-byte header starts inside the area. (C stops when fewer
  // than 5 bytes are left, which drops a final empty-named, empty-valued entry such as an empty
  // system.posix_acl_access; that is a C bug we do not reproduce.)
  for (let pos = idsEnd; pos + XATTR_ENTRY_HEADER_SIZE <= end; ) {
    const { x, size } = readEntry(ctx, ino, pos, end, 'inline xattr');
    out.push(x);
    pos += size;
  }
  for (let i = 0; i < sharedCount; i++) {
    const id = buf.readUInt32LE(start + XATTR_IBODY_HEADER_SIZE + i * XATTR_SHARED_ID_SIZE);
    const off = ctx.xattrBase + id * XATTR_SHARED_ID_SIZE;
    if (off + XATTR_ENTRY_HEADER_SIZE > buf.length) {
      throw new ImageError(`inode ${where(ino.nid)}: shared xattr id ${id} points to offset 0x${off.toString(16)}, beyond the image`, ino.nid, off);
    }
    out.push(readEntry(ctx, ino, off, buf.length, `shared xattr id ${id}`).x);
  }
  return out;
}
