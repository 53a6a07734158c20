import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verityDigestOfBuffer } from '../../../src/verity/merkle.js';
import { DigestPool, POOL_WORKER_SOURCE, PoolFileError } from '../../../src/verity/pool.js';
import { randomFile } from '../../helpers/files.js';

const B = 4096;
const SIZES = [0, 1, 4095, 4096, 4097, 64 * B - 1, 64 * B, 64 * B + 1, 128 * B - 1, 128 * B, 128 * B + 1, 128 * 128 * B + 1];

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-pool-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('DigestPool digests equal merkle.ts verityDigestOfBuffer', () => {
  it('on the boundary sizes, sha256 and sha512, with and without size hints', async () => {
    const files = SIZES.map((s) => randomFile(dir, `b${s}`, s, s + 1));
    const pool = new DigestPool({ threads: 2 });
    try {
      for (const hash of ['sha256', 'sha512'] as const) {
        const got = await Promise.all(files.map((f, i) => pool.digest(f, hash, i % 2 === 0 ? SIZES[i] : undefined)));
        files.forEach((f, i) => {
          expect(got[i]?.toString('hex'), `${hash} size ${SIZES[i]}`).toBe(verityDigestOfBuffer(hash, fs.readFileSync(f)).toString('hex'));
        });
      }
    } finally {
      await pool.close();
    }
  });

  it('splits large files across workers (small split threshold) with the same result', async () => {
    const sizes = [8 * B, 16 * B - 1, 16 * B, 16 * B + 1, 128 * B + 5, 129 * 128 * B + 1];
    const files = sizes.map((s) => randomFile(dir, `s${s}`, s, s + 7));
    const pool = new DigestPool({ threads: 3, splitThreshold: 8 * B, splitChunk: 3 * B });
    try {
      for (const hash of ['sha256', 'sha512'] as const) {
        const got = await Promise.all(files.map((f, i) => pool.digest(Buffer.from(f), hash, sizes[i])));
        files.forEach((f, i) => {
          expect(got[i]?.toString('hex'), `${hash} size ${sizes[i]}`).toBe(verityDigestOfBuffer(hash, fs.readFileSync(f)).toString('hex'));
        });
      }
    } finally {
      await pool.close();
      for (const f of files) fs.rmSync(f);
    }
  });

  it('many small files in batches, random sizes (property)', async () => {
    const pool = new DigestPool({ threads: 2, batchFiles: 7, batchBytes: 20_000, maxInflight: 2 });
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat({ max: 3 * B }), { minLength: 1, maxLength: 60 }), fc.integer(), async (sizes, seed) => {
          const sub = fs.mkdtempSync(path.join(dir, 'p-'));
          const files = sizes.map((s, i) => randomFile(sub, `f${i}`, s, seed + i));
          const got = await Promise.all(files.map((f, i) => pool.digest(f, 'sha256', sizes[i])));
          files.forEach((f, i) => {
            expect(got[i]?.toString('hex')).toBe(verityDigestOfBuffer('sha256', fs.readFileSync(f)).toString('hex'));
          });
          fs.rmSync(sub, { recursive: true });
        }),
        { numRuns: 15 },
      );
    } finally {
      await pool.close();
    }
  });

  it('reads small contents exactly', async () => {
    const pool = new DigestPool({ threads: 1 });
    try {
      const f = randomFile(dir, 'c64', 64, 3);
      expect((await pool.readContent(f, 64)).equals(fs.readFileSync(f))).toBe(true);
      expect((await pool.readContent(f, 10)).equals(fs.readFileSync(f).subarray(0, 10))).toBe(true);
      await expect(pool.readContent(f, 65)).rejects.toThrow(/c64: ENODATA/);
    } finally {
      await pool.close();
    }
  });
});

describe('DigestPool errors', () => {
  it('names the path and the errno', async () => {
    const pool = new DigestPool({ threads: 1 });
    try {
      const missing = path.join(dir, 'missing');
      const e = await pool.digest(missing).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(PoolFileError);
      expect((e as PoolFileError).code).toBe('ENOENT');
      expect((e as Error).message).toBe(`${missing}: ENOENT`);
      await expect(pool.digest(dir)).rejects.toThrow(`${dir}: EINVAL`);
      // other requests of the same batch are unaffected
      const ok = randomFile(dir, 'ok', 5000, 9);
      const [a, b] = await Promise.allSettled([pool.digest(missing), pool.digest(ok)]);
      expect(a.status).toBe('rejected');
      expect(b.status).toBe('fulfilled');
    } finally {
      await pool.close();
    }
  });

  it('rejects when the file does not have the size it was announced with', async () => {
    const pool = new DigestPool({ threads: 2, splitThreshold: 4 * B, splitChunk: B });
    try {
      const f = randomFile(dir, 'grown', 3 * B, 1);
      await expect(pool.digest(f, 'sha256', 2 * B)).rejects.toThrow(/grown: file changed/);
      const g = randomFile(dir, 'shrunk', 5 * B, 1);
      await expect(pool.digest(g, 'sha256', 9 * B)).rejects.toThrow(/shrunk: file changed/);
    } finally {
      await pool.close();
    }
  });

  it('rejects pending and later requests after close()', async () => {
    const pool = new DigestPool({ threads: 1 });
    const f = randomFile(dir, 'late', 100, 1);
    const p = pool.digest(f).then(
      () => 'resolved',
      (e: unknown) => String(e),
    );
    await pool.close();
    expect(await p).toMatch(/closed/);
    await expect(pool.digest(f)).rejects.toThrow(/closed/);
  });
});

describe('worker source', () => {
  it('requires only node builtins (runs as an eval worker inside the single executable)', () => {
    const reqs = [...POOL_WORKER_SOURCE.matchAll(/require\(([^)]*)\)/g)].map((m) => m[1]);
    expect(reqs.length).toBeGreaterThan(0);
    for (const r of reqs) expect(r).toMatch(/^'node:[a-z_]+'$/);
    expect(POOL_WORKER_SOURCE).not.toMatch(/\bimport\b/);
  });
});
