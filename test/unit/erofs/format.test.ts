/**
 * The on-disk format descriptions (src/erofs/format.ts) and the worked byte map of erofs.md §7,
 * region by region, for the §7 tree built by hand as a Node (no dumpfile parser involved).
 */
import { describe, expect, it } from 'vitest';
import { S_IFDIR, S_IFLNK, S_IFREG, newNode, type Node } from '../../../src/tree/node.js';
import * as F from '../../../src/erofs/format.js';
import { imageDigestHex, printDigestLine, writeImageV1, xxh32 } from '../../../src/erofs/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const MT = { sec: 1700000000n, nsec: 0 };

/** The §7.1 tree, with /sub/hard a hard link to /data.bin (the dumpfile variant). */
function section7Tree(): Node {
  const digest = hex('9f37bd4e8c0d50d81d76ec71e6cccc6696f4a196e730c8b2019deaa103a6350a');
  const root = newNode(S_IFDIR | 0o755, { nlink: 3, mtime: MT, size: 4096n });
  const dataBin = newNode(S_IFREG | 0o644, {
    nlink: 2, mtime: MT, size: 100n, digest, payload: '9f/37bd4e8c0d50d81d76ec71e6cccc6696f4a196e730c8b2019deaa103a6350a',
  });
  const sub = newNode(S_IFDIR | 0o755, { nlink: 2, mtime: MT, size: 43n });
  sub.xattrs.set('user.test', Buffer.from('val'));
  sub.children!.set('hard', dataBin);
  const tagged = newNode(S_IFREG | 0o644, { mtime: MT, size: 4n, content: Buffer.from('data') });
  tagged.xattrs.set('user.test', Buffer.from('val'));
  root.children!.set('data.bin', dataBin);
  root.children!.set('empty', newNode(S_IFREG | 0o644, { mtime: MT }));
  root.children!.set('hello.txt', newNode(S_IFREG | 0o644, { mtime: MT, size: 6n, content: Buffer.from('hello\n') }));
  root.children!.set('link', newNode(S_IFLNK | 0o777, { mtime: MT, size: 8n, payload: 'data.bin' }));
  root.children!.set('sub', sub);
  root.children!.set('tagged', tagged);
  return root;
}

describe('struct descriptions', () => {
  it('every struct is tiled exactly by its fields and has the documented size', () => {
    const sizes: Array<[F.StructDef, number]> = [
      [F.COMPOSEFS_HEADER, 32], [F.SUPERBLOCK, 128], [F.INODE_COMPACT, 32], [F.INODE_EXTENDED, 64],
      [F.XATTR_IBODY_HEADER, 12], [F.XATTR_ENTRY, 4], [F.DIRENT, 12], [F.CHUNK_INDEX, 8],
    ];
    for (const [s, size] of sizes) {
      expect(s.size).toBe(size);
      let at = 0;
      for (const f of s.list) {
        expect(f.offset).toBe(at);
        at += f.size;
      }
      expect(at).toBe(size);
    }
    expect(F.SUPERBLOCK.fields.root_nid.offset).toBe(0x0e);
    expect(F.SUPERBLOCK.fields.xattr_blkaddr.offset).toBe(0x2c);
    expect(F.SUPERBLOCK.fields.feature_incompat.offset).toBe(0x50);
    expect(F.INODE_EXTENDED.fields.i_mtime.offset).toBe(0x20);
    expect(F.INODE_EXTENDED.fields.i_nlink.offset).toBe(0x2c);
  });

  it('encodeStruct/decodeStruct round-trip (missing fields are zero)', () => {
    const buf = Buffer.alloc(200, 0xaa);
    F.encodeSuperblock(buf, 10, { magic: F.EROFS_MAGIC, root_nid: 36, inos: 2n ** 40n, build_time: 2n ** 64n - 5n, uuid: Buffer.from([1, 2, 3]) });
    const sb = F.decodeSuperblock(buf, 10);
    expect(sb.magic).toBe(F.EROFS_MAGIC);
    expect(sb.root_nid).toBe(36);
    expect(sb.inos).toBe(2n ** 40n);
    expect(sb.build_time).toBe(2n ** 64n - 5n);
    expect([...sb.uuid]).toEqual([1, 2, 3, ...new Array(13).fill(0)]);
    expect(sb.blocks).toBe(0);
    expect(buf[9]).toBe(0xaa);
    expect(buf[10 + 128]).toBe(0xaa);
    expect(() => F.decodeSuperblock(buf, 100)).toThrow(RangeError);
  });

  it('inode encoders agree with the generic description', () => {
    const a = Buffer.alloc(64);
    const v = { i_format: 5, i_xattr_icount: 3, i_mode: 0o100644, i_size: 2n ** 33n, i_u: 7, i_ino: 9, i_uid: 70000, i_gid: 5,
      i_mtime: BigInt.asUintN(64, -5n), i_mtime_nsec: 7, i_nlink: 65536 };
    F.encodeInodeExtended(a, 0, v);
    const b = Buffer.alloc(64);
    F.encodeStruct(F.INODE_EXTENDED, b, 0, v);
    expect(a.equals(b)).toBe(true);
    const info = F.decodeInode(a, 0);
    expect(info).toMatchObject({ extended: true, inodeSize: 64, layout: F.LAYOUT_FLAT_INLINE, size: 2n ** 33n, uid: 70000, nlink: 65536 });
    expect(info.mtime).toEqual({ sec: -5n, nsec: 7 });
    const c = Buffer.alloc(32);
    F.encodeInodeCompact(c, 0, { i_format: 8, i_xattr_icount: 0, i_mode: 0o20644, i_nlink: 1, i_size: 0, i_u: 259, i_ino: 1, i_uid: 0, i_gid: 0 });
    expect(F.decodeInode(c, 0)).toMatchObject({ extended: false, inodeSize: 32, layout: F.LAYOUT_CHUNK_BASED, u: 259 });
    expect(F.iFormat(false, F.LAYOUT_FLAT_PLAIN)).toBe(0);
    expect(F.iFormat(true, F.LAYOUT_FLAT_INLINE)).toBe(5);
    expect(F.iFormat(true, F.LAYOUT_CHUNK_BASED)).toBe(9);
  });

  it('xattr names, entries, icount, filter hash', () => {
    expect(F.splitXattrName('user.test')).toEqual({ index: 1, suffix: 'test' });
    expect(F.splitXattrName('system.posix_acl_access')).toEqual({ index: 2, suffix: '' });
    expect(F.splitXattrName('system.posix_acl_default')).toEqual({ index: 3, suffix: '' });
    expect(F.splitXattrName('trusted.overlay.opaque')).toEqual({ index: 4, suffix: 'overlay.opaque' });
    expect(F.splitXattrName('security.selinux')).toEqual({ index: 6, suffix: 'selinux' });
    expect(F.splitXattrName('lustre.x')).toEqual({ index: 0, suffix: 'lustre.x' });
    expect(F.splitXattrName('system.nfs4_acl')).toEqual({ index: 0, suffix: 'system.nfs4_acl' });
    expect(F.XATTR_PREFIXES[5]).toBe('lustre.');
    expect(F.xattrEntrySize(4, 3)).toBe(12);
    expect(F.xattrIcount(156)).toBe(37);
    expect(F.xattrAreaSize(37)).toBe(156);
    expect(F.xattrIcount(0)).toBe(0);
    const buf = Buffer.alloc(16);
    expect(F.encodeXattrEntry(buf, 0, 1, 'test', Buffer.from('val'))).toBe(12);
    expect(buf.subarray(0, 12).toString('hex')).toBe('040103007465737476616c00');
    expect(F.decodeXattrEntry(buf, 0)).toMatchObject({ index: 1, suffix: 'test', size: 12 });
    expect(xxh32('', 0)).toBe(0x02cc5d05);
    expect(xxh32('abc', 0)).toBe(0x32d153ff);
    expect(xxh32('Nobody inspects the spammish repetition', 0)).toBe(0xe2293b2f); // > 16 bytes: stripes + tail
    const seed = (i: number): number => (F.XATTR_FILTER_SEED + i) >>> 0;
    expect(xxh32('test', seed(1))).toBe(0xeb7123ce);
    expect(xxh32('overlay.opaque', seed(4))).toBe(0x4ce0a7f4);
    expect(xxh32('overlay.metacopy', seed(4))).toBe(0xdbe5e05f);
    expect(xxh32('overlay.redirect', seed(4))).toBe(0x887ec271);
  });

  it('metacopy value and dirent file types', () => {
    expect(F.encodeMetacopy(undefined).length).toBe(0);
    const m = F.encodeMetacopy(Buffer.alloc(32, 0x5a));
    expect(m.subarray(0, 4).toString('hex')).toBe('00240001');
    expect(m.length).toBe(36);
    expect(F.fileTypeOfMode(0o100644)).toBe(F.FT_REG_FILE);
    expect(F.fileTypeOfMode(0o40755)).toBe(F.FT_DIR);
    expect(F.fileTypeOfMode(0o20000)).toBe(F.FT_CHRDEV);
    expect(F.fileTypeOfMode(0o60000)).toBe(F.FT_BLKDEV);
    expect(F.fileTypeOfMode(0o10000)).toBe(F.FT_FIFO);
    expect(F.fileTypeOfMode(0o140000)).toBe(F.FT_SOCK);
    expect(F.fileTypeOfMode(0o120000)).toBe(F.FT_SYMLINK);
  });
});

describe('erofs.md §7 worked example, region by region', () => {
  const tree = section7Tree();
  const before = JSON.stringify(tree, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  const img = writeImageV1(tree);
  const at = (off: number, len: number): string => img.subarray(off, off + len).toString('hex');
  const isZero = (from: number, to: number): boolean => img.subarray(from, to).every((b) => b === 0);

  it('size, digest, and the tree is not modified', () => {
    expect(img.length).toBe(16384);
    expect(imageDigestHex(img)).toBe('dae46b07e7b9c0a6cec5d2aa3eb1e3a78d09f10002add31752e2f1e7785011a1');
    expect(printDigestLine(img)).toBe('dae46b07e7b9c0a6cec5d2aa3eb1e3a78d09f10002add31752e2f1e7785011a1\n');
    expect(JSON.stringify(tree, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).toBe(before);
    expect(tree.children!.has('00')).toBe(false);
  });

  /** Compares the image with a hexdump excerpt of erofs.md §7.3 starting at `off`. */
  const expectBytes = (off: number, dump: string): void => {
    const want = hex(dump);
    expect(`0x${off.toString(16)}: ${at(off, want.length)}`).toBe(`0x${off.toString(16)}: ${want.toString('hex')}`);
  };

  it('header 0x0000 and the zero gap', () => {
    expectBytes(0x0000, `9a 62 78 d0 01 00 00 00 00 00 00 00 00 00 00 00
                         00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`);
    expect(F.decodeComposefsHeader(img)).toMatchObject({ magic: F.COMPOSEFS_MAGIC, version: 1, flags: 0, composefs_version: 0 });
    expect(isZero(32, 0x400)).toBe(true);
  });

  it('superblock 0x0400', () => {
    expectBytes(0x400, `e2 e1 f5 e0 00 00 00 00 06 00 00 00 0c 00 24 00
                        07 01 00 00 00 00 00 00 00 f1 53 65 00 00 00 00
                        00 00 00 00 04 00 00 00 00 00 00 00 02 00 00 00`);
    expect(isZero(0x430, 0x480)).toBe(true);
    expect(F.decodeSuperblock(img)).toMatchObject({
      magic: F.EROFS_MAGIC, feature_compat: 6, blkszbits: 12, root_nid: 36, inos: 263n, build_time: 1700000000n,
      build_time_nsec: 0, blocks: 4, meta_blkaddr: 0, xattr_blkaddr: 2, feature_incompat: 0,
    });
  });

  it('root inode (nid 36, 0x0480)', () => {
    expectBytes(0x480, `00 00 06 00 ed 41 03 00 00 10 00 00 00 00 00 00
                        03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                        ff ff ef ff 00 00 00 00 00 00 00 00 0e 04 01 00
                        6f 76 65 72 6c 61 79 2e 6f 70 61 71 75 65 79 00`);
    expect(F.decodeInode(img, 0x480)).toMatchObject({ extended: false, layout: F.LAYOUT_FLAT_PLAIN, xattrIcount: 6, nlink: 3, size: 4096n, u: 3 });
  });

  it('stub 00 (nid 38, 0x04C0)', () => {
    expectBytes(0x4c0, `00 00 00 00 a4 21 01 00 00 00 00 00 00 00 00 00
                        00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00`);
  });

  it('/data.bin (nid 257, 0x2020): metacopy, redirect, chunk map', () => {
    expectBytes(0x2020, `08 00 25 00 a4 81 02 00 64 00 00 00 00 00 00 00
                         00 00 00 00 dc 00 00 00 00 00 00 00 00 00 00 00
                         ff ff fd 7f 00 00 00 00 00 00 00 00 10 04 24 00
                         6f 76 65 72 6c 61 79 2e 6d 65 74 61 63 6f 70 79
                         00 24 00 01 9f 37 bd 4e 8c 0d 50 d8 1d 76 ec 71
                         e6 cc cc 66 96 f4 a1 96 e7 30 c8 b2 01 9d ea a1
                         03 a6 35 0a 10 04 42 00 6f 76 65 72 6c 61 79 2e
                         72 65 64 69 72 65 63 74 2f 39 66 2f 33 37 62 64`);
    expect(img.subarray(0x2098, 0x20da).toString('latin1')).toBe('/9f/37bd4e8c0d50d81d76ec71e6cccc6696f4a196e730c8b2019deaa103a6350a');
    expectBytes(0x20d0, '61 31 30 33 61 36 33 35 30 61 00 00 ff ff ff ff');
  });

  it('/empty (nid 284, 0x2380)', () => {
    expectBytes(0x2380, `00 00 00 00 a4 81 01 00 00 00 00 00 00 00 00 00
                         00 00 00 00 f2 00 00 00 00 00 00 00 00 00 00 00`);
  });

  it('/hello.txt (nid 301) and /link (nid 303)', () => {
    expectBytes(0x25a0, `04 00 00 00 a4 81 01 00 06 00 00 00 00 00 00 00
                         00 00 00 00 03 01 00 00 00 00 00 00 00 00 00 00
                         68 65 6c 6c 6f 0a 00 00 00 00 00 00 00 00 00 00
                         00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                         04 00 00 00 ff a1 01 00 08 00 00 00 00 00 00 00
                         00 00 00 00 04 01 00 00 00 00 00 00 00 00 00 00
                         64 61 74 61 2e 62 69 6e 00 00`);
    expect(isZero(0x2608, 0x2620)).toBe(true);
  });

  it('/sub (nid 305) and /tagged (nid 308)', () => {
    expectBytes(0x2620, `04 00 02 00 ed 41 02 00 2b 00 00 00 00 00 00 00
                         00 00 00 00 05 01 00 00 00 00 00 00 00 00 00 00
                         ff bf ff ff 01 00 00 00 00 00 00 00 b0 01 00 00
                         31 01 00 00 00 00 00 00 24 00 02 00 24 00 00 00
                         00 00 00 00 25 00 02 00 01 01 00 00 00 00 00 00
                         27 00 01 00 2e 2e 2e 68 61 72 64 00 00 00 00 00
                         04 00 02 00 a4 81 01 00 04 00 00 00 00 00 00 00
                         00 00 00 00 06 01 00 00 00 00 00 00 00 00 00 00
                         ff bf ff ff 01 00 00 00 00 00 00 00 b0 01 00 00
                         64 61 74 61 00 00 00 00 00 00 00 00 00 00 00 00`);
  });

  it('shared xattr table at inodes_end 0x26C0, then zeros to 0x3000', () => {
    expectBytes(0x26c0, '04 01 03 00 74 65 73 74 76 61 6c 00');
    expect(F.decodeXattrEntry(img, 0x26c0)).toMatchObject({ index: 1, suffix: 'test', size: 12 });
    expect((0x26c0 % 4096) / 4).toBe(432);
    expect(isZero(0x26cc, 0x3000)).toBe(true);
  });

  it('root directory block (block 3, 0x3000)', () => {
    expectBytes(0x3000, `24 00 00 00 00 00 00 00 60 0c 02 00 24 00 00 00
                         00 00 00 00 61 0c 02 00 26 00 00 00 00 00 00 00
                         63 0c 03 00`);
    expectBytes(0x3c30, `2d 01 00 00 00 00 00 00 70 0e 01 00 2f 01 00 00
                         00 00 00 00 79 0e 07 00 31 01 00 00 00 00 00 00
                         7d 0e 02 00 34 01 00 00 00 00 00 00 80 0e 01 00
                         2e 2e 2e 30 30 30 31 30 32 30 33 30 34 30 35 30`);
    expect(img.subarray(0x3e70, 0x3e86).toString('latin1')).toBe('hello.txtlinksubtagged');
    expect(isZero(0x3e86, 0x4000)).toBe(true);
    expect(F.decodeDirent(img, 0x3000)).toMatchObject({ nid: 36n, nameoff: 0xc60, file_type: F.FT_DIR });
    const ents = F.decodeDirChunk(img, 0x3000, 4096);
    expect(ents.length).toBe(264);
    expect(ents.slice(-4).map((e) => [e.name, Number(e.nid), e.fileType])).toEqual([
      ['hello.txt', 301, F.FT_REG_FILE], ['link', 303, F.FT_SYMLINK], ['sub', 305, F.FT_DIR], ['tagged', 308, F.FT_REG_FILE],
    ]);
    // the inline tail of /sub (43 bytes after inode + 16 bytes of xattrs)
    expect(F.decodeDirChunk(img, 0x2620 + 32 + 16, 43).map((e) => [e.name, Number(e.nid)])).toEqual([['.', 305], ['..', 36], ['hard', 257]]);
  });

  it('the same tree as written from a directory: hardlink split into two inodes, shared metacopy/redirect', () => {
    const t = section7Tree();
    const sub = t.children!.get('sub')!;
    const data = t.children!.get('data.bin')!;
    sub.children!.set('hard', { ...data, nlink: 1, xattrs: new Map() });
    t.children!.set('data.bin', { ...data, nlink: 1, xattrs: new Map() });
    const dirImg = writeImageV1(t);
    expect(imageDigestHex(dirImg)).not.toBe(imageDigestHex(img));
    // /data.bin shrinks to 32 + 20 + 4 bytes: filter header + 2 shared refs (§7.4)
    const ino = F.decodeInode(dirImg, 257 * 32);
    expect(ino.xattrIcount).toBe(3);
    expect(dirImg[257 * 32 + 32 + 4]).toBe(2);
  });
});
