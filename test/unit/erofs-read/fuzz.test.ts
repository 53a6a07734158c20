/**
 * Fuzzing the image reader: mutated valid images (V1 seeds from several small trees, plus a V2
 * relabelling of two of them) must each end in success or an ImageError — never another
 * exception — within 1 s per case. A successful read is also dumped (the tree must be usable).
 *
 * Mutations: bit flips, byte / u16 / u32 / u64 overwrites with interesting values at random
 * offsets, the same at the offsets of real fields (superblock, inode, xattr header/entries,
 * dirents, shared-id slots), truncations, and appended garbage. Deterministic (xorshift PRNG).
 *
 * CFSBOOT_FUZZ_CASES sets the total number of cases (default 100000); CFSBOOT_FUZZ_SEED the seed.
 */
import { describe, expect, it } from 'vitest';
import { dumpfileToBuffer } from '../../../src/dumpfile/index.js';
import { writeImageV1 } from '../../../src/erofs/index.js';
import { ImageError, readImage } from '../../../src/erofs/read/index.js';
import { seedTrees } from './helpers.js';
import { mapImage, patchToV2, type Field } from './image-map.js';
import { xorshift32 } from '../../helpers/prng.js';

const CASES = Number(process.env.CFSBOOT_FUZZ_CASES ?? 100_000);
const SEED = Number(process.env.CFSBOOT_FUZZ_SEED ?? 0x5eed1234);
const PER_CASE_LIMIT_MS = 1000;

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xfe, 0xff, 12, 0x2e, 0x2f];
const INTERESTING_16 = [0, 1, 12, 0x7fff, 0x8000, 0xfffe, 0xffff, 4095, 4096, 4097, 2048];
const INTERESTING_32 = [0, 1, 12, 36, 4095, 4096, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x10000, 0x1000000];
const INTERESTING_64 = [0n, 1n, 36n, 4096n, 0xffffffffn, 1n << 32n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, 1n << 40n];

const prng = xorshift32;

interface Seed {
  name: string;
  img: Buffer;
  fields: Field[];
}

function seeds(): Seed[] {
  const out: Seed[] = [];
  for (const [name, tree] of seedTrees()) {
    const img = writeImageV1(tree);
    out.push({ name, img, fields: mapImage(img).fields });
  }
  for (const s of out.slice(0, 2)) {
    const img = patchToV2(s.img);
    out.push({ name: `${s.name}-v2`, img, fields: mapImage(img).fields });
  }
  return out;
}

function writeValue(img: Buffer, off: number, size: number, rnd: () => number): void {
  if (off < 0 || off + size > img.length) return;
  const pick = <T>(a: readonly T[]): T => a[rnd() % a.length]!;
  switch (size) {
    case 1: img[off] = rnd() % 4 === 0 ? rnd() & 0xff : pick(INTERESTING_8); break;
    case 2: img.writeUInt16LE(rnd() % 4 === 0 ? rnd() & 0xffff : pick(INTERESTING_16), off); break;
    case 4: img.writeUInt32LE(rnd() % 4 === 0 ? rnd() >>> 0 : pick(INTERESTING_32), off); break;
    default: img.writeBigUInt64LE(rnd() % 4 === 0 ? (BigInt(rnd()) << 32n) | BigInt(rnd()) : pick(INTERESTING_64), off); break;
  }
}

/** One mutated copy of `s`; returns the image and a short description. */
function mutate(s: Seed, rnd: () => number): { img: Buffer; what: string } {
  const kind = rnd() % 100;
  if (kind < 5) {
    const len = rnd() % 3 === 0 ? (rnd() % Math.ceil(s.img.length / 4096)) * 4096 : rnd() % s.img.length;
    return { img: Buffer.from(s.img.subarray(0, len)), what: `truncate to ${len}` };
  }
  if (kind < 7) {
    const extra = Buffer.alloc(1 + (rnd() % 8192), rnd() & 0xff);
    return { img: Buffer.concat([s.img, extra]), what: `append ${extra.length}` };
  }
  const img = Buffer.from(s.img);
  const n = 1 + (rnd() % 3);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = rnd() % 100;
    if (k < 25) {
      const off = rnd() % img.length;
      const bit = rnd() % 8;
      img[off]! ^= 1 << bit;
      parts.push(`flip ${off}:${bit}`);
    } else if (k < 45) {
      const off = rnd() % img.length;
      const size = [1, 2, 4, 8][rnd() % 4]!;
      writeValue(img, off, size, rnd);
      parts.push(`u${size * 8}@${off}`);
    } else {
      const f = s.fields[rnd() % s.fields.length]!;
      writeValue(img, f.off, f.size, rnd);
      parts.push(f.name);
    }
  }
  return { img, what: parts.join(', ') };
}

describe('reader fuzzing', () => {
  it(`${CASES} mutated images: success or ImageError, each < ${PER_CASE_LIMIT_MS} ms`, () => {
    const all = seeds();
    for (const s of all) readImage(s.img); // the seeds themselves are valid
    const rnd = prng(SEED);
    let ok = 0;
    let imageErrors = 0;
    let maxMs = 0;
    let slowest = '';
    const crashes: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < CASES; i++) {
      const s = all[i % all.length]!;
      const { img, what } = mutate(s, rnd);
      const t = performance.now();
      try {
        const tree = readImage(img);
        dumpfileToBuffer(tree);
        ok++;
      } catch (e) {
        if (e instanceof ImageError && !e.message.includes('\n')) imageErrors++;
        else if (crashes.length < 10) crashes.push(`case ${i} (${s.name}: ${what}): ${(e as Error)?.stack ?? String(e)}`);
        else crashes.push('');
      }
      const dt = performance.now() - t;
      if (dt > maxMs) {
        maxMs = dt;
        slowest = `case ${i} (${s.name}: ${what})`;
      }
    }
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `reader fuzz: ${CASES} cases from ${all.length} seeds in ${secs.toFixed(1)} s (${Math.round(CASES / secs)} cases/s): ` +
        `${ok} read fine, ${imageErrors} ImageError, ${crashes.length} other exceptions; slowest ${maxMs.toFixed(1)} ms (${slowest})`,
    );
    expect(crashes.filter((c) => c !== '').join('\n\n')).toBe('');
    expect(crashes.length).toBe(0);
    expect(maxMs).toBeLessThan(PER_CASE_LIMIT_MS);
    expect(ok + imageErrors).toBe(CASES);
  }, 180_000); // ~25 s on an idle 2-core machine; the budget leaves room for a loaded one
});
