/**
 * Emission (erofs.md §6.9): one zero-filled buffer of the final size, every structure written at
 * its planned offset (padding is the zero fill).
 */
import { S_IFBLK, S_IFCHR, S_IFMT, type Mtime } from '../../tree/node.js';
import {
  BLOCK_SIZE, COMPOSEFS_FEATURE_COMPAT, COMPOSEFS_FLAG_HAS_ACL, COMPOSEFS_HEADER_VERSION, COMPOSEFS_MAGIC,
  DIRENT_SIZE, EROFS_MAGIC, BLOCK_BITS, SLOT_BITS, SUPERBLOCK_OFFSET, XATTR_IBODY_HEADER,
  XATTR_IBODY_HEADER_SIZE, XATTR_SHARED_ID_SIZE, encodeComposefsHeader, encodeDirent, encodeInodeCompact,
  encodeInodeExtended, encodeSuperblock, encodeXattrEntry, fileTypeOfMode, iFormat,
} from '../format.js';
import type { WEntry, WNode } from './model.js';
import { Kind, type ImageLayout } from './layout.js';
import type { XattrPlan } from './xattrs.js';

export interface EmitInput {
  readonly inodes: readonly WNode[];
  readonly layout: ImageLayout;
  readonly xattrs: XattrPlan;
  readonly minMtime: Mtime;
  readonly hasAcl: boolean;
  readonly version: number;
}

const nidOf = (layout: ImageLayout, n: WNode): number => layout.inodes[n.ino]!.offset >>> SLOT_BITS;

/** Writes one chunk of dirents (entries[from..to)) followed by their names at `off`. */
function writeDirChunk(buf: Buffer, off: number, entries: readonly WEntry[], from: number, to: number, layout: ImageLayout): void {
  let nameoff = (to - from) * DIRENT_SIZE;
  let at = off;
  for (let j = from; j < to; j++) {
    const e = entries[j]!;
    encodeDirent(buf, at, nidOf(layout, e.target), nameoff, fileTypeOfMode(e.target.mode));
    buf.write(e.name, off + nameoff, 'latin1');
    nameoff += e.name.length;
    at += DIRENT_SIZE;
  }
}

export function emitImage(inp: EmitInput): Buffer {
  const { inodes, layout, xattrs, minMtime } = inp;
  const buf = Buffer.alloc(layout.blocks * BLOCK_SIZE);

  encodeComposefsHeader(buf, 0, {
    magic: COMPOSEFS_MAGIC,
    version: COMPOSEFS_HEADER_VERSION,
    flags: inp.hasAcl ? COMPOSEFS_FLAG_HAS_ACL : 0,
    composefs_version: inp.version,
  });
  encodeSuperblock(buf, SUPERBLOCK_OFFSET, {
    magic: EROFS_MAGIC,
    feature_compat: COMPOSEFS_FEATURE_COMPAT,
    blkszbits: BLOCK_BITS,
    root_nid: layout.inodes[0]!.offset >>> SLOT_BITS,
    inos: BigInt(inodes.length),
    build_time: BigInt.asUintN(64, minMtime.sec),
    build_time_nsec: minMtime.nsec >>> 0,
    blocks: layout.blocks,
    meta_blkaddr: 0,
    xattr_blkaddr: Math.floor(layout.inodesEnd / BLOCK_SIZE),
  });

  const sharedBase = layout.inodesEnd % BLOCK_SIZE;
  const ffBlock = Buffer.alloc(BLOCK_SIZE, 0xff);

  for (let i = 0; i < inodes.length; i++) {
    const n = inodes[i]!;
    const l = layout.inodes[i]!;
    const x = xattrs.perInode[i]!;
    const type = n.mode & S_IFMT;
    let u = 0;
    switch (l.kind) {
      case Kind.ExternalFile:
        u = l.hugeChunkMap ? ((l.blkaddr & 0xffff0000) | l.chunkFormat) >>> 0 : l.chunkFormat;
        break;
      case Kind.Plain:
        if (type === S_IFCHR || type === S_IFBLK) u = Number(BigInt.asUintN(32, n.rdev));
        break;
      default:
        u = l.nBlocks > 0 ? l.blkaddr : 0;
    }
    const format = iFormat(l.extended, l.layout);
    const icount = x.size === 0 ? 0 : (x.size - XATTR_IBODY_HEADER_SIZE) / XATTR_SHARED_ID_SIZE + 1;
    let at = l.offset;
    if (l.extended) {
      encodeInodeExtended(buf, at, {
        i_format: format, i_xattr_icount: icount, i_mode: n.mode & 0xffff, i_size: l.iSize, i_u: u, i_ino: i,
        i_uid: n.uid, i_gid: n.gid, i_mtime: BigInt.asUintN(64, n.mtime.sec), i_mtime_nsec: n.mtime.nsec >>> 0,
        i_nlink: n.nlink,
      });
    } else {
      encodeInodeCompact(buf, at, {
        i_format: format, i_xattr_icount: icount, i_mode: n.mode & 0xffff, i_nlink: n.nlink, i_size: Number(l.iSize),
        i_u: u, i_ino: i, i_uid: n.uid, i_gid: n.gid,
      });
    }
    at += l.inodeSize;

    if (x.size > 0) {
      buf.writeUInt32LE(x.filter, at + XATTR_IBODY_HEADER.fields.h_name_filter.offset);
      buf[at + XATTR_IBODY_HEADER.fields.h_shared_count.offset] = x.refs.length;
      at += XATTR_IBODY_HEADER_SIZE;
      for (const p of x.refs) {
        buf.writeUInt32LE((sharedBase + p.sharedOffset) / 4, at);
        at += XATTR_SHARED_ID_SIZE;
      }
      for (const p of x.inline) at += encodeXattrEntry(buf, at, p.index, p.suffix, p.value);
    }

    if (l.tailLen > 0) {
      switch (l.kind) {
        case Kind.Dir: {
          const b = l.dirBounds!;
          writeDirChunk(buf, at, n.entries!, b[b.length - 1]!, n.entries!.length, layout);
          break;
        }
        case Kind.Symlink:
          buf.write(n.payload!, at, 'latin1');
          break;
        case Kind.InlineFile: {
          const c = n.content!;
          buf.set(c.subarray(c.length - l.tailLen), at);
          break;
        }
        case Kind.ExternalFile:
          buf.fill(0xff, at, at + l.tailLen);
          break;
        default:
          break;
      }
    }

    // Data blocks.
    if (l.nBlocks > 0) {
      const base = l.blkaddr * BLOCK_SIZE;
      switch (l.kind) {
        case Kind.Dir: {
          const b = l.dirBounds!;
          for (let k = 0; k < l.nBlocks; k++) writeDirChunk(buf, base + k * BLOCK_SIZE, n.entries!, b[k]!, b[k + 1]!, layout);
          break;
        }
        case Kind.Symlink:
          buf.write(n.payload!, base, 'latin1');
          break;
        case Kind.InlineFile: {
          const c = n.content!;
          buf.set(c.subarray(0, Math.min(c.length, l.nBlocks * BLOCK_SIZE)), base);
          break;
        }
        case Kind.ExternalFile:
          ffBlock.copy(buf, base);
          break;
        default:
          break;
      }
    }
  }

  let at = layout.inodesEnd;
  for (const p of xattrs.shared) at += encodeXattrEntry(buf, at, p.index, p.suffix, p.value);
  return buf;
}
