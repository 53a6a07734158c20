/**
 * Directed hostile images: each must end in an ImageError naming what is wrong, quickly, without
 * allocating from the bad size. Plus V2 reading (composefs_version 2 rules).
 */
import { describe, expect, it } from 'vitest';
import { dumpfileToBuffer, parseDumpfile } from '../../../src/dumpfile/index.js';
import { writeImageV1 } from '../../../src/erofs/index.js';
import {
  COMPOSEFS_HEADER, INODE_COMPACT, INODE_EXTENDED, SUPERBLOCK, SUPERBLOCK_OFFSET, XATTR_ENTRY, XATTR_IBODY_HEADER,
} from '../../../src/erofs/format.js';
import { ImageError, readImage } from '../../../src/erofs/read/index.js';
import { S_IFDIR, S_IFMT } from '../../../src/tree/node.js';
import { SEED_DUMPS } from './helpers.js';
import { mapImage, patchToV2 } from './image-map.js';

const DUMP = '/ 0 40755 2 0 0 0 0.0 - - -\n/a 0 40755 2 0 0 0 0.0 - - -\n/a/f 1 100644 1 0 0 0 0.0 - x - user.k=v\n/b 0 40755 2 0 0 0 0.0 - - -\n/s 3 120777 1 0 0 0 0.0 abc - -\n/x 5000 100644 1 0 0 0 0.0 ab/cd - -\n';
const base = writeImageV1(parseDumpfile(DUMP));
const map = mapImage(base);
const field = (name: string): number => {
  const f = map.fields.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no field ${name}`);
  return f.off;
};
function mutate(f: (img: Buffer) => void): Buffer {
  const img = Buffer.from(base);
  f(img);
  return img;
}

function expectImageError(img: Buffer, pattern: RegExp): void {
  const t = performance.now();
  let err: unknown;
  try {
    readImage(img);
  } catch (e) {
    err = e;
  }
  expect(performance.now() - t).toBeLessThan(1000);
  expect(err).toBeInstanceOf(ImageError);
  expect((err as Error).message).toMatch(pattern);
  expect((err as Error).message).not.toContain('\n');
}

const inodeByMode = (type: number) => map.inodes.filter((i) => (i.mode & S_IFMT) === type);
const dirA = inodeByMode(S_IFDIR).find((i) => i.nid !== map.inodes[0]!.nid && i.size === 40n)!; // /a: ., .., f (3·12 + 4 bytes)

describe('hostile images give one-line ImageErrors', () => {
  it('sanity: the base image reads', () => {
    expect(dumpfileToBuffer(readImage(base)).toString('latin1')).toContain('/a/f 1 100644');
    expect(dirA).toBeDefined();
  });

  it('short, wrong magics, wrong versions, superblock restrictions', () => {
    expectImageError(base.subarray(0, 4095), /smaller than one block/);
    expectImageError(mutate((b) => b.writeUInt32LE(0, COMPOSEFS_HEADER.fields.magic.offset)), /composefs header magic/);
    expectImageError(mutate((b) => b.writeUInt32LE(2, COMPOSEFS_HEADER.fields.version.offset)), /header version 2/);
    expectImageError(mutate((b) => b.writeUInt32LE(3, COMPOSEFS_HEADER.fields.composefs_version.offset)), /composefs_version 3/);
    expectImageError(mutate((b) => b.writeUInt32LE(1, SUPERBLOCK_OFFSET + SUPERBLOCK.fields.magic.offset)), /superblock magic/);
    expectImageError(mutate((b) => { b[SUPERBLOCK_OFFSET + SUPERBLOCK.fields.blkszbits.offset] = 9; }), /blkszbits: 9/);
    expectImageError(mutate((b) => b.writeUInt32LE(1, SUPERBLOCK_OFFSET + SUPERBLOCK.fields.meta_blkaddr.offset)), /meta_blkaddr/);
    expectImageError(mutate((b) => b.writeUInt32LE(0x10, SUPERBLOCK_OFFSET + SUPERBLOCK.fields.feature_incompat.offset)), /feature_incompat/);
    expectImageError(mutate((b) => b.writeUInt32LE(0xffff, SUPERBLOCK_OFFSET + SUPERBLOCK.fields.xattr_blkaddr.offset)), /xattr_blkaddr/);
    expectImageError(mutate((b) => b.writeUInt16LE(0xffff, SUPERBLOCK_OFFSET + SUPERBLOCK.fields.root_nid.offset)), /nid 65535 lies beyond/);
  });

  it('a directory entry pointing back at the root (loop) or at another directory (hard-linked dir)', () => {
    const rootNid = map.inodes[0]!.nid;
    // /a's dirents: ".", "..", "f": point "f" at the root, then at /b
    const fNid = field(`nid${dirA.nid}.dirent2.nid`);
    expectImageError(mutate((b) => b.writeBigUInt64LE(BigInt(rootNid), fNid)), new RegExp(`directory nid ${rootNid} is reached a second time.*loop`));
    const bNid = inodeByMode(S_IFDIR).find((i) => i.size === 27n)!.nid;
    expectImageError(mutate((b) => b.writeBigUInt64LE(BigInt(bNid), fNid)), /reached a second time/);
    expectImageError(mutate((b) => b.writeBigUInt64LE(1n << 60n, fNid)), /lies beyond the image/);
  });

  it('directory data: bad nameoff, unsorted names, huge i_size, blocks beyond the image', () => {
    expectImageError(mutate((b) => b.writeUInt16LE(13, field(`nid${dirA.nid}.dirent0.nameoff`))), /nameoff\[0\] 13/);
    expectImageError(mutate((b) => b.writeUInt16LE(0xffff, field(`nid${dirA.nid}.dirent2.nameoff`))), /bad name offsets/);
    // rename /a/f to "-", which sorts before "." and ".."
    const chunk = field(`nid${dirA.nid}.dirent0.nid`);
    const fName = chunk + base.readUInt16LE(field(`nid${dirA.nid}.dirent2.nameoff`));
    expect(base[fName]).toBe(0x66);
    expectImageError(mutate((b) => { b[fName] = 0x2d; }), /names not strictly ascending \("\.\." then "-"/);
    // i_size of the root (extended or compact) made enormous: rejected before any allocation
    const root = map.inodes[0]!;
    const sizeAt = root.extended ? root.offset + INODE_EXTENDED.fields.i_size.offset : root.offset + INODE_COMPACT.fields.i_size.offset;
    expectImageError(mutate((b) => (root.extended ? b.writeBigUInt64LE(1n << 62n, sizeAt) : b.writeUInt32LE(0xfffff000, sizeAt))), /exceeds the image size/);
    expectImageError(mutate((b) => b.writeUInt32LE(0x7fffffff, root.offset + INODE_COMPACT.fields.i_u.offset)), /beyond the image/);
  });

  it('inodes: unknown format bits, compressed layout, bad file type, xattr area past the end', () => {
    const f = map.inodes.find((i) => i.size === 1n)!;
    expectImageError(mutate((b) => b.writeUInt16LE(0x40, f.offset)), /unknown i_format bits/);
    expectImageError(mutate((b) => b.writeUInt16LE(1 << 1, f.offset)), /unsupported data layout 1/);
    expectImageError(mutate((b) => b.writeUInt16LE(0o170644, f.offset + INODE_COMPACT.fields.i_mode.offset)), /invalid file type/);
    expectImageError(mutate((b) => b.writeUInt16LE(0xffff, f.offset + INODE_COMPACT.fields.i_xattr_icount.offset)), /./);
  });

  it('xattrs: shared count too large, unknown prefix, long-prefix flag, entry past its area, bad shared id', () => {
    const f = map.inodes.find((i) => i.size === 1n)!;
    const hdr = f.xattrOffset;
    expectImageError(mutate((b) => { b[hdr + XATTR_IBODY_HEADER.fields.h_shared_count.offset] = 200; }), /shared xattr ids do not fit/);
    const entry = hdr + 12;
    expectImageError(mutate((b) => { b[entry + XATTR_ENTRY.fields.e_name_index.offset] = 9; }), /unknown name index 9/);
    expectImageError(mutate((b) => { b[entry + XATTR_ENTRY.fields.e_name_index.offset] = 0x81; }), /long-prefix/);
    expectImageError(mutate((b) => b.writeUInt16LE(0xffff, entry + XATTR_ENTRY.fields.e_value_size.offset)), /runs past its area/);
    const root = map.inodes[0]!; // carries shared ids (opaque=y is not shared; use an inode that has one)
    const slot = map.sharedIdSlots[0];
    if (slot !== undefined) expectImageError(mutate((b) => b.writeUInt32LE(0xfffffff0, slot)), /shared xattr id/);
    void root;
  });

  it('a directory whose data is another directory\'s block: the shared children are caught', () => {
    const root = map.inodes[0]!;
    expect(root.size).toBe(4096n); // one full block, no tail
    const b = inodeByMode(S_IFDIR).find((i) => i.size === 27n)!; // /b, empty
    const img = mutate((x) => {
      x.writeUInt16LE(x.readUInt16LE(b.offset) & ~0b1110, b.offset); // FLAT_PLAIN
      x.writeUInt32LE(4096, b.offset + INODE_COMPACT.fields.i_size.offset);
      x.writeUInt32LE(x.readUInt32LE(root.offset + INODE_COMPACT.fields.i_u.offset), b.offset + INODE_COMPACT.fields.i_u.offset);
    });
    expectImageError(img, /directory nid \d+ is reached a second time through entry "a"/);
  });
});

describe('V2 images (composefs_version 2)', () => {
  it('shared xattr ids are absolute offsets when xattr_blkaddr is 0; char devices 0/0 are kept', () => {
    const tree = parseDumpfile(SEED_DUMPS.mixed!);
    const v1 = writeImageV1(tree);
    const v2 = patchToV2(v1);
    const a = readImage(v1);
    const b = readImage(v2);
    // user xattrs (some shared) read identically through the absolute ids
    expect(b.children!.get('a')!.xattrs.get('user.shared')!.toString()).toBe('abc');
    // in V2 a chr 0/0 is a user whiteout, so the 256 V1 stubs now show up as entries
    expect(b.children!.size).toBe(a.children!.size + 256);
    expect(b.children!.get('00')!.mode).toBe(0o20644);
    // the rest of the tree is the same
    for (const [name, n] of a.children!) expect(b.children!.get(name)?.mode).toBe(n.mode);
  });
});
