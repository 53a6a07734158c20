/**
 * A tiny decoder for the V2 tests, built only on src/erofs/format.ts (independent of the writer
 * and of the image reader): inodes by nid, their xattr areas, directory entries, shared table.
 */
import * as F from '../../../src/erofs/format.js';

export interface XattrOnDisk {
  index: number;
  suffix: string;
  value: Buffer;
  /** absolute offset of the entry */
  at: number;
}

export interface InodeOnDisk {
  nid: number;
  offset: number;
  x: F.InodeExtended;
  layout: number;
  extended: boolean;
  filter: number;
  sharedIds: number[];
  shared: XattrOnDisk[];
  inline: XattrOnDisk[];
  /** offset of the first byte after inode + xattrs */
  dataAt: number;
  xattrSize: number;
}

export function readInode(img: Buffer, nid: number): InodeOnDisk {
  const offset = nid * F.SLOT_SIZE;
  const x = F.decodeInodeExtended(img, offset);
  const xattrSize = F.xattrAreaSize(x.i_xattr_icount);
  let at = offset + F.INODE_EXTENDED_SIZE;
  const sharedIds: number[] = [];
  const shared: XattrOnDisk[] = [];
  const inline: XattrOnDisk[] = [];
  let filter = 0;
  if (xattrSize > 0) {
    const h = F.decodeStruct(F.XATTR_IBODY_HEADER, img, at);
    filter = h.h_name_filter;
    at += F.XATTR_IBODY_HEADER_SIZE;
    for (let i = 0; i < h.h_shared_count; i++) {
      const id = img.readUInt32LE(at);
      sharedIds.push(id);
      const e = F.decodeXattrEntry(img, id * 4);
      shared.push({ index: e.index, suffix: e.suffix, value: Buffer.from(e.value), at: id * 4 });
      at += 4;
    }
    const end = offset + F.INODE_EXTENDED_SIZE + xattrSize;
    while (at < end) {
      const e = F.decodeXattrEntry(img, at);
      inline.push({ index: e.index, suffix: e.suffix, value: Buffer.from(e.value), at });
      at += e.size;
    }
  }
  return {
    nid, offset, x, layout: F.iFormatLayout(x.i_format), extended: F.iFormatIsExtended(x.i_format), filter,
    sharedIds, shared, inline, dataAt: offset + F.INODE_EXTENDED_SIZE + xattrSize, xattrSize,
  };
}

/** All entries of a directory inode (full blocks then the inline tail); V1 (compact) or V2 images. */
export function readDir(img: Buffer, nid: number): F.DirentInfo[] {
  const ino = F.decodeInode(img, nid * F.SLOT_SIZE);
  const dataAt = nid * F.SLOT_SIZE + ino.inodeSize + F.xattrAreaSize(ino.xattrIcount);
  const size = Number(ino.size);
  const nBlocks = Math.floor(size / F.BLOCK_SIZE);
  const out: F.DirentInfo[] = [];
  for (let b = 0; b < nBlocks; b++) out.push(...F.decodeDirChunk(img, (ino.u + b) * F.BLOCK_SIZE, F.BLOCK_SIZE));
  const tail = size % F.BLOCK_SIZE;
  if (tail > 0) out.push(...F.decodeDirChunk(img, dataAt, tail));
  return out;
}

export const fullName = (x: { index: number; suffix: string }): string => F.XATTR_PREFIXES[x.index]! + x.suffix;

/** nid of a path ("/a/b") from the root. */
export function lookup(img: Buffer, path: string): number {
  let nid = F.decodeSuperblock(img).root_nid;
  for (const part of path.split('/').filter((p) => p !== '')) {
    const e = readDir(img, nid).find((d) => d.name === part);
    if (e === undefined) throw new Error(`${path}: ${part} not found`);
    nid = Number(e.nid);
  }
  return nid;
}

/** Every inode reachable from the root, by nid (depth-first). */
export function allInodes(img: Buffer): Map<number, InodeOnDisk> {
  const out = new Map<number, InodeOnDisk>();
  const todo = [F.decodeSuperblock(img).root_nid];
  while (todo.length > 0) {
    const nid = todo.pop()!;
    if (out.has(nid)) continue;
    const ino = readInode(img, nid);
    out.set(nid, ino);
    if ((ino.x.i_mode & 0o170000) === 0o040000) {
      for (const d of readDir(img, nid)) if (d.name !== '.' && d.name !== '..') todo.push(Number(d.nid));
    }
  }
  return out;
}
