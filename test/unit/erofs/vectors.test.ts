import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeImageV1, imageDigestHex, type WriteV1Options } from '../../../src/erofs/index.js';
import { HAVE_C, compareWithC, parseForTest } from './helpers/c-diff.js';

const FIX = '/work/shared/fixtures/composefs-rs-0.9';

/** erofs.md §16 */
const SPEC_VECTORS: Array<{ name: string; dump: string; opts?: WriteV1Options; digest: string; size?: number }> = [
  {
    name: 'root only',
    dump: '/ 0 40755 2 0 0 0 0.0 - - -\n',
    digest: '8f589e8f57ecb88823736b0d857ddca1e1068a23e264fad164b28f7038eb3682',
    size: 16384,
  },
  {
    name: 'empty subdirectory',
    dump: '/ 0 40755 2 0 0 0 0.0 - - -\n/e 0 40755 2 0 0 0 0.0 - - -\n',
    digest: '7ac0a568257afe8efa5e136163614f0b0cdbc0e07e3b4bd893d963e80a074d88',
  },
];

const MIXED = `/ 0 40755 2 0 0 0 1700000000.0 - - - user.shared=abc
/a 11 100644 2 1000 1000 0 1700000000.0 - hello\\x20world - user.shared=abc
/b 11 @100644 2 1000 1000 0 1700000000.0 /a - -
/dev 0 40755 2 0 0 0 1700000000.0 - - -
/dev/null 0 20666 1 0 0 259 1700000000.0 - - -
/dev/fifo 0 10644 1 0 0 0 1700000000.0 - - -
/dev/wh 0 20000 1 0 0 0 1700000000.0 - - -
/sym 3 120777 1 0 0 0 1700000000.123 foo - -
/ext 70000 100644 1 70000 0 0 1700000000.0 ab/cdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789 - abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789 trusted.overlay.foo=1 user.overlay.bar=2
`;
SPEC_VECTORS.push(
  { name: 'mixed (default flags)', dump: MIXED, digest: 'fdca7d7975003ee3088a4041a3e58c761c1b482f6662042447afec61dd097dab', size: 16384 },
  { name: 'mixed --max-version=0', dump: MIXED, opts: { maxVersion: 0 }, digest: '71340684e67be4f901e9a3047b95b29e91e0d5c5a3c61b0e1d9c8121318b03a3' },
  {
    name: 'payload forms',
    dump: '/ 0 40755 2 0 0 0 0.0 - - -\n/p1 10 100644 1 0 0 0 0.0 /abs/x - -\n/p2 10 100644 1 0 0 0 0.0 rel - -\n/p3 10 100644 1 0 0 0 0.0 - - -\n',
    digest: 'b69a6870faa5a74c27036538585692868f0d7f03a69c01ad46a1b8fc3fed6a9d',
  },
  {
    name: 'negative mtime',
    dump: '/ 0 40755 2 0 0 0 1000.5 - - -\n/n 0 100644 1 0 0 0 -5.7 - - -\n/m 0 100644 1 0 0 0 1000.5 - - -\n',
    digest: '27a61c1ac15402d9d33d5f69448938ef53633fdcf4d463a990a322f09b640b0e',
    size: 24576,
  },
);

// composefs-rs 0.9 fixtures (README.md there): V0 = default flags, V1 = --min-version=1.
const FIXTURES: Array<{ file: string; opts: WriteV1Options; digest: string }> = [
  { file: 'empty.dump', opts: {}, digest: '8f589e8f57ecb88823736b0d857ddca1e1068a23e264fad164b28f7038eb3682' },
  { file: 'empty.dump', opts: { minVersion: 1 }, digest: '14a26c957c84f6eb774b91205476adc13196c7c33b9dd97d08d43725ecb90b63' },
  { file: 'simple.dump', opts: {}, digest: '9f3f5620ee0c54708516467d0d58741e7963047c7106b245d94c298259d0fa01' },
  { file: 'simple.dump', opts: { minVersion: 1 }, digest: 'ad6db6427568a1e4fdc772cbab7b6063f5eb4b33cb62982a740ba9213e5962b5' },
  { file: 'special_v1.dump', opts: { minVersion: 1, maxVersion: 1 }, digest: 'b1c78c25db8638be5b9b483472d32ee9624d8d32ded626a91cd536116e8df97c' },
];

async function write(dump: string | Buffer, opts: WriteV1Options = {}): Promise<Buffer> {
  return writeImageV1(await parseForTest(dump), opts);
}

describe('erofs.md §16 test vectors', () => {
  for (const v of SPEC_VECTORS) {
    it(v.name, async () => {
      const img = await write(v.dump, v.opts);
      if (v.size !== undefined) expect(img.length).toBe(v.size);
      expect(imageDigestHex(img)).toBe(v.digest);
    });
  }
});

describe('composefs-rs 0.9 fixtures (V0/V1 columns)', () => {
  for (const f of FIXTURES) {
    it(`${f.file} ${JSON.stringify(f.opts)}`, async () => {
      const dump = fs.readFileSync(`${FIX}/${f.file}`);
      const img = await write(dump, f.opts);
      expect(imageDigestHex(img)).toBe(f.digest);
    });
  }
  it.skipIf(!HAVE_C)('special.dump (no pinned digest) is byte-identical to C, default and --min-version=1', async () => {
    const dump = fs.readFileSync(`${FIX}/special.dump`);
    for (const opts of [{}, { minVersion: 1 }, { maxVersion: 0 }]) {
      const r = await compareWithC(dump, opts);
      expect(r.status === 'differ' ? r.message : r.status).toBe('same');
    }
  });
});
