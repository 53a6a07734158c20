/**
 * Test helper: where the structures of a valid image are (every reachable inode, its xattr
 * header and entries, every dirent), found with the reader's own exported decoders. Used to aim
 * fuzzing mutations at real fields and to patch images (e.g. into V2 form).
 */
import {
  COMPOSEFS_HEADER, DIRENT, DIRENT_SIZE, INODE_COMPACT, INODE_EXTENDED, SUPERBLOCK, SUPERBLOCK_OFFSET, XATTR_ENTRY, XATTR_IBODY_HEADER,
  XATTR_IBODY_HEADER_SIZE, XATTR_SHARED_ID_SIZE, decodeXattrEntry, type StructDef,
} from '../../../src/erofs/format.js';
import { decodeRawInode, openImage, readDirEntries, type RawInode } from '../../../src/erofs/read/index.js';
import { flatData } from '../../../src/erofs/read/inode.js';
import { S_IFDIR, S_IFMT } from '../../../src/tree/node.js';

export interface Field {
  off: number;
  size: number;
  name: string;
}

export interface ImageMap {
  inodes: RawInode[];
  /** byte offsets of the shared-id slots of every inode */
  sharedIdSlots: number[];
  fields: Field[];
}

function structFields(s: StructDef, base: number, prefix: string, out: Field[]): void {
  for (const f of s.list) if (f.type !== 'bytes') out.push({ off: base + f.offset, size: f.size, name: `${prefix}.${f.name}` });
}

export function mapImage(img: Buffer): ImageMap {
  const ctx = openImage(img);
  ctx.budget = Number.MAX_SAFE_INTEGER;
  const fields: Field[] = [];
  const sharedIdSlots: number[] = [];
  structFields(SUPERBLOCK, SUPERBLOCK_OFFSET, 'sb', fields);
  const seen = new Set<bigint>();
  const inodes: RawInode[] = [];
  const todo: bigint[] = [BigInt(ctx.rootNid)];
  while (todo.length > 0) {
    const nid = todo.pop()!;
    if (seen.has(nid)) continue;
    seen.add(nid);
    const ino = decodeRawInode(ctx, nid);
    inodes.push(ino);
    structFields(ino.extended ? INODE_EXTENDED : INODE_COMPACT, ino.offset, `nid${nid}`, fields);
    if (ino.xattrSize > 0) {
      structFields(XATTR_IBODY_HEADER, ino.xattrOffset, `nid${nid}.xattr`, fields);
      const count = img[ino.xattrOffset + XATTR_IBODY_HEADER.fields.h_shared_count.offset]!;
      for (let i = 0; i < count; i++) {
        const at = ino.xattrOffset + XATTR_IBODY_HEADER_SIZE + i * XATTR_SHARED_ID_SIZE;
        sharedIdSlots.push(at);
        fields.push({ off: at, size: 4, name: `nid${nid}.shared${i}` });
      }
      const end = ino.xattrOffset + ino.xattrSize;
      for (let at = ino.xattrOffset + XATTR_IBODY_HEADER_SIZE + count * 4; at + 4 <= end; ) {
        structFields(XATTR_ENTRY, at, `nid${nid}.xattr@${at}`, fields);
        at += decodeXattrEntry(img, at).size;
      }
    }
    if ((ino.mode & S_IFMT) === S_IFDIR) {
      const d = flatData(ctx, ino);
      for (const [off, len] of d.tail === undefined ? d.blocks : [...d.blocks, d.tail]) {
        const n = img.readUInt16LE(off + DIRENT.fields.nameoff.offset) / DIRENT_SIZE;
        for (let i = 0; i < n && (i + 1) * DIRENT_SIZE <= len; i++) structFields(DIRENT, off + i * DIRENT_SIZE, `nid${nid}.dirent${i}`, fields);
      }
      for (const e of readDirEntries(ctx, ino)) todo.push(e.nid);
    }
  }
  return { inodes, sharedIdSlots, fields };
}

/**
 * Re-labels a V1 image as V2 in the ways the reader distinguishes: header composefs_version 2,
 * xattr_blkaddr 0 with shared ids made absolute (offset / 4), as composefs-rs writes them.
 */
export function patchToV2(v1: Buffer): Buffer {
  const img = Buffer.from(v1);
  const map = mapImage(img);
  const sbX = SUPERBLOCK_OFFSET + SUPERBLOCK.fields.xattr_blkaddr.offset;
  const xattrBlk = img.readUInt32LE(sbX);
  for (const at of map.sharedIdSlots) img.writeUInt32LE(img.readUInt32LE(at) + xattrBlk * 1024, at);
  img.writeUInt32LE(0, sbX);
  img.writeUInt32LE(2, COMPOSEFS_HEADER.fields.composefs_version.offset);
  return img;
}
