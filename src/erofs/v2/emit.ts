/**
 * V2 emission (erofs.md §13.4): a zero-filled buffer of the final size, every structure written
 * at its planned offset (all padding is the zero fill).
 */
import {
  BLOCK_BITS, BLOCK_SIZE, COMPOSEFS_FEATURE_COMPAT, COMPOSEFS_HEADER_VERSION, COMPOSEFS_MAGIC, COMPOSEFS_VERSION_V2,
  DIRENT_SIZE, EROFS_MAGIC, NULL_ADDR, SLOT_BITS, SUPERBLOCK_OFFSET, V2_CHUNK_FORMAT, XATTR_IBODY_HEADER,
  XATTR_IBODY_HEADER_SIZE, XATTR_SHARED_ID_SIZE, encodeComposefsHeader, encodeDirent, encodeInodeExtended,
  encodeSuperblock, encodeXattrEntry, fileTypeOfMode, iFormat, xattrIcount,
} from '../format.js';
import type { V2Layout } from './layout.js';
import { V2Kind, type V2Entry, type V2Inode } from './model.js';
import type { V2XattrPlan } from './xattrs.js';

function writeDirChunk(
  buf: Buffer, off: number, entries: readonly V2Entry[], from: number, to: number,
  inodes: readonly V2Inode[], layout: V2Layout,
): void {
  let nameoff = (to - from) * DIRENT_SIZE;
  let at = off;
  for (let j = from; j < to; j++) {
    const e = entries[j]!;
    encodeDirent(buf, at, layout.inodes[e.inode]!.offset >>> SLOT_BITS, nameoff, fileTypeOfMode(inodes[e.inode]!.mode));
    buf.write(e.name, off + nameoff, 'latin1');
    nameoff += e.name.length;
    at += DIRENT_SIZE;
  }
}

export function emitImageV2(inodes: readonly V2Inode[], xattrs: V2XattrPlan, layout: V2Layout): Buffer {
  const buf = Buffer.alloc(layout.blocks * BLOCK_SIZE);
  encodeComposefsHeader(buf, 0, {
    magic: COMPOSEFS_MAGIC,
    version: COMPOSEFS_HEADER_VERSION,
    flags: 0,
    composefs_version: COMPOSEFS_VERSION_V2,
  });
  encodeSuperblock(buf, SUPERBLOCK_OFFSET, {
    magic: EROFS_MAGIC,
    feature_compat: COMPOSEFS_FEATURE_COMPAT,
    blkszbits: BLOCK_BITS,
    root_nid: layout.inodes[0]!.offset >>> SLOT_BITS,
    inos: BigInt(inodes.length),
    build_time: 0n,
    build_time_nsec: 0,
    blocks: layout.blocks,
    meta_blkaddr: 0,
    xattr_blkaddr: 0,
  });

  for (let i = 0; i < inodes.length; i++) {
    const n = inodes[i]!;
    const l = layout.inodes[i]!;
    const x = xattrs.perInode[i]!;
    let u = 0;
    switch (n.kind) {
      case V2Kind.Dir: u = l.nBlocks > 0 ? l.blkaddr : 0; break;
      case V2Kind.External: case V2Kind.ExternalNoMap: u = V2_CHUNK_FORMAT; break;
      case V2Kind.Plain: u = n.rdev; break;
      default: break;
    }
    let at = l.offset;
    encodeInodeExtended(buf, at, {
      i_format: iFormat(true, l.layout),
      i_xattr_icount: xattrIcount(x.size),
      i_mode: n.mode,
      i_size: l.iSize,
      i_u: u,
      i_ino: l.offset >>> SLOT_BITS, // V2: the nid
      i_uid: n.uid,
      i_gid: n.gid,
      i_mtime: n.mtime,
      i_mtime_nsec: 0, // V2 drops the nanoseconds
      i_nlink: n.nlink,
    });
    at += 64;
    if (x.size > 0) {
      buf.writeUInt32LE(x.filter, at + XATTR_IBODY_HEADER.fields.h_name_filter.offset);
      buf[at + XATTR_IBODY_HEADER.fields.h_shared_count.offset] = x.refs.length;
      at += XATTR_IBODY_HEADER_SIZE;
      for (const p of x.refs) {
        // V2: absolute byte offset / 4 (xattr_blkaddr is 0)
        buf.writeUInt32LE((layout.inodesEnd + p.sharedOffset) / XATTR_SHARED_ID_SIZE, at);
        at += XATTR_SHARED_ID_SIZE;
      }
      for (const p of x.inline) at += encodeXattrEntry(buf, at, p.index, p.suffix, p.value);
    }
    switch (n.kind) {
      case V2Kind.Dir:
        if (l.tailLen > 0) {
          const b = l.dirBounds!;
          writeDirChunk(buf, at, n.entries!, b[b.length - 1]!, n.entries!.length, inodes, layout);
        }
        for (let k = 0; k < l.nBlocks; k++) {
          writeDirChunk(buf, (l.blkaddr + k) * BLOCK_SIZE, n.entries!, l.dirBounds![k]!, l.dirBounds![k + 1]!, inodes, layout);
        }
        break;
      case V2Kind.Symlink:
      case V2Kind.InlineFile:
        buf.set(n.inline!, at);
        break;
      case V2Kind.External:
        buf.writeUInt32LE(NULL_ADDR, at);
        break;
      default:
        break;
    }
  }

  let at = layout.inodesEnd;
  for (const p of xattrs.shared) at += encodeXattrEntry(buf, at, p.index, p.suffix, p.value);
  return buf;
}
