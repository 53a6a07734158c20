import { describe, expect, it } from 'vitest';
import { FsVerityHasher, MerkleBuilder, verityDigestOfBuffer } from '../../../src/verity/merkle.js';
import { buildDescriptor, DESCRIPTOR_SIZE } from '../../../src/verity/descriptor.js';

// boot.md §5.4: computed with fsverity-utils and cross-checked with an independent implementation.
const VECTORS: Array<{ name: string; data: () => Buffer; sha256: string; sha512: string }> = [
  { name: 'empty', data: () => Buffer.alloc(0),
    sha256: '3d248ca542a24fc62d1c43b916eae5016878e2533c88238480b26128a1f1af95',
    sha512: 'ccf9e5aea1c2a64efa2f2354a6024b90dffde6bbc017825045dce374474e13d10adb9dadcc6ca8e17a3c075fbd31336e8f266ae6fa93a6c3bed66f9e784e5abf' },
  { name: 'one', data: () => Buffer.from('A'),
    sha256: '9845e616f7d2f7a1cd6742f0546a36d2e74d4eb8ae7d9bdc0b0df982c27861b7',
    sha512: '4e6098d82f38c94e02769bd917acd308e09f0d336c3bc8e49b6f65e3a1bfe2bc4d219cd038535faa58e612d55e7429b96fbaf8360954bf1b1b50904fe0d2c829' },
  { name: 'hello', data: () => Buffer.from('hello world'),
    sha256: '1e2eaa4202d750a41174ee454970b92c1bc2f925b1e35076d8c7d5f56362ba64',
    sha512: '18430270729d162d4e469daca123ae61893db4b0583d8f7081e3bf4f92b88ba514e7982f10733fb6aa895195c5ae8fd2eb2c47a8be05513ce5a0c51a6f570409' },
  { name: 'z4096', data: () => Buffer.alloc(4096),
    sha256: 'babc284ee4ffe7f449377fbf6692715b43aec7bc39c094a95878904d34bac97e',
    sha512: '928922686c4caf32175f5236a7f964e9925d10a74dc6d8344a8bd08b23c228ff5792573987d7895f628f39c4f4ebe39a7367d7aeb16aaa0cd324ac1d53664e61' },
  { name: 'z4097', data: () => Buffer.alloc(4097),
    sha256: '093756e4ea9683329106d4a16982682ed182c14bf076463a9e7f97305cbac743',
    sha512: '4339f5da3788e60fa6857bd7040fadccd6f125b2c2334777eb14ed55179ad887d9131e9ce78485afc23051392b71e015528abbb7be07ed7073c56480b15cedf1' },
  { name: 'a4096', data: () => Buffer.alloc(4096, 0x61),
    sha256: 'a2a808ddaced77f0b6b3068f47b14b5a1fb3fc43674993ab11b8e7e6f2d089e2',
    sha512: '36b837c9d8c1c3f992c5be7feed967217668a847866b42eebcdb1ae81239ff856e93ebfac147adc058f5136202836273fc86771c1bcf598aaf9a4529f9e13cd3' },
  { name: 'a4097', data: () => Buffer.alloc(4097, 0x61),
    sha256: '18b155c0b6e054f3f7d22488ed15340e74dc161ce2d123e13eb685c3ce565f70',
    sha512: '8fe8cfab59a8c2334ce68d1e85f2aff84dc1e1c4c03a68a2c87055c0535bceb057aadd1ec34d3c57a3ce0cd01383da08301137821a5d9c8ee767ae5888a95545' },
  { name: 'mib', data: () => { const b = Buffer.alloc(1 << 20); for (let i = 0; i < b.length; i++) b[i] = i & 0xff; return b; },
    sha256: '95fd9c86efec24f88bb1ae3793095b1728f1ae623845a931037b7c90ca49f394',
    sha512: '2d91d83ff1aae9890858ed3a2a5094ab656d54c49937b60fa2c1d48d231ee4b2f2b4d634d5124d6f27a7beebedf78074aec7636a757a9188b9286be85dbde44e' },
  { name: 'p262145', data: () => Buffer.alloc(262145, 0x5a),
    sha256: 'db90d7fe2fb0876a440d8bad9483f26ca3a68203e733b0877a7ee91674d19515',
    sha512: 'ba55b464501c641d2af19858190dc31fd26a5c80da4fdde083aecf096d01e82275eb8c085c0bfc61bbededa0a2badc91daf716d770a36d4406cd68789f3a9129' },
  { name: 'p524288', data: () => Buffer.alloc(524288, 0x5a),
    sha256: 'fa6dd50c6117479a8e0691104fd19c93263b8fc12c56a7c581d36a1fe2990845',
    sha512: '8f0cc42dcde59bbb14d7b0aa07c9d1c9d80610686f44eec56562f8b075f3ea836c2391b1b1073fee2ee16bbdcc1eea16f7b12139e743325edbfd6efd0aa19c07' },
  { name: 'p524289', data: () => Buffer.alloc(524289, 0x5a),
    sha256: '44a3ceba1c1a2896d0002c3b1e15f332291e8ef3c4760f14531061f17d6dc423',
    sha512: '14c1f43801057313ebfd3feef70bf60e0a5a03390101bfdcd043c42f8333020dae5482b864c2b82d05e4b4ababd9f52182a62fb0502b550415c00038ac2f6ee6' },
];

describe('fs-verity test vectors (boot.md §5.4)', () => {
  for (const v of VECTORS) {
    for (const hash of ['sha256', 'sha512'] as const) {
      it(`${v.name} ${hash}`, () => {
        expect(verityDigestOfBuffer(hash, v.data()).toString('hex')).toBe(v[hash]);
      });
    }
  }

  it('does not reproduce the C composefs 1.0.8 empty-file bug', () => {
    expect(verityDigestOfBuffer('sha256', Buffer.alloc(0)).toString('hex'))
      .not.toBe('cfc3391077edfd51859f6e5e16e03f82b1da3ee1a35d418b0d0b3b57740b4405');
  });

  it('is independent of how the data is chunked', () => {
    const data = VECTORS.find((v) => v.name === 'p524289')!.data();
    for (const step of [1, 7, 4095, 4096, 4097, 100_000]) {
      const h = new FsVerityHasher('sha256');
      for (let off = 0; off < data.length; off += step) h.update(data.subarray(off, off + step));
      expect(h.digest().toString('hex')).toBe(VECTORS.find((v) => v.name === 'p524289')!.sha256);
    }
  });

  it('builds a 256-byte descriptor with the documented fields', () => {
    const d = buildDescriptor('sha512', 0x0102030405n, Buffer.alloc(64, 0xee));
    expect(d.length).toBe(DESCRIPTOR_SIZE);
    expect([...d.subarray(0, 4)]).toEqual([1, 2, 12, 0]);
    expect(d.readBigUInt64LE(8)).toBe(0x0102030405n);
    expect(d.subarray(16, 80).every((b) => b === 0xee)).toBe(true);
    expect(d.subarray(80).every((b) => b === 0)).toBe(true);
    expect(() => buildDescriptor('sha256', 1, Buffer.alloc(64))).toThrow(/32/);
  });

  it('MerkleBuilder with no leaves has an all-zero root', () => {
    expect(new MerkleBuilder('sha512').rootHash().equals(Buffer.alloc(64))).toBe(true);
  });
});
