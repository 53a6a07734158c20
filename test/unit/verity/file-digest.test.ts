import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verityDigestOfFile, verityDigestOfFileSync, PARALLEL_THRESHOLD } from '../../../src/verity/file-digest.js';
import { randomFile } from '../../helpers/files.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-digest-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const hasFsverity = (() => {
  try {
    execFileSync('fsverity', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function reference(file: string, hash: string): string {
  const out = execFileSync('fsverity', ['digest', '--compact', `--hash-alg=${hash}`, file], { encoding: 'utf8' });
  return out.trim();
}

describe('file digests', () => {
  it('parallel and single-thread paths agree around the thread split', async () => {
    const f = randomFile(dir, 'big', PARALLEL_THRESHOLD + 3 * 4096 + 17, 7);
    for (const hash of ['sha256', 'sha512'] as const) {
      const single = verityDigestOfFileSync(f, hash);
      for (const threads of [2, 3, 5]) {
        expect((await verityDigestOfFile(f, hash, { threads })).toString('hex')).toBe(single.toString('hex'));
      }
    }
  });

  it('rejects what is not a regular file with the path in the message', async () => {
    await expect(verityDigestOfFile(dir, 'sha256')).rejects.toThrow(`${dir}: not a regular file`);
    await expect(verityDigestOfFile(path.join(dir, 'missing'), 'sha256')).rejects.toThrow(/missing: ENOENT/);
  });
});

describe.skipIf(!hasFsverity)('equal to `fsverity digest` (Debian fsverity-utils)', () => {
  const B = 4096;
  const sizes = [0, 1, 4095, 4096, 4097, 128 * B - 1, 128 * B + 1, 64 * B - 1, 64 * B + 1, 128 * 128 * B + 1];
  for (const size of sizes) {
    it(`size ${size}`, async () => {
      const f = randomFile(dir, `s${size}`, size, size);
      for (const hash of ['sha256', 'sha512'] as const) {
        expect((await verityDigestOfFile(f, hash)).toString('hex')).toBe(reference(f, hash));
      }
      fs.rmSync(f);
    });
  }

  it('random sizes up to 64 MiB', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 64 << 20 }), fc.constantFrom('sha256' as const, 'sha512' as const), async (size, hash) => {
        const f = randomFile(dir, 'rand', size, size ^ 0x5a5a);
        try {
          expect((await verityDigestOfFile(f, hash)).toString('hex')).toBe(reference(f, hash));
        } finally {
          fs.rmSync(f);
        }
      }),
      { numRuns: 12 },
    );
  });
});
