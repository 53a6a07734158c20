/**
 * A large, realistic tree (~50k inodes: nested directories, a 5000-entry directory, inline and
 * external files with digests, symlinks, SELinux labels, hard links, whiteouts): byte-identical
 * to C, and timed. Set EROFS_BENCH=1 to print the timings (C mkcomposefs --from-file vs parse +
 * writeImageV1).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeImageV1 } from '../../../src/erofs/index.js';
import { planImageV1 } from '../../../src/erofs/v1/index.js';
import { describeOffset } from '../../../src/erofs/v1/describe.js';
import { largeDumpfile } from './helpers/large-dump.js';
import { HAVE_C, MKCOMPOSEFS, firstDiff, parseForTest } from './helpers/c-diff.js';

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

describe.skipIf(!HAVE_C)('large tree (~50k inodes)', () => {
  it('is byte-identical to C; timings with EROFS_BENCH=1', async () => {
    const dump = largeDumpfile(50_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-erofs-large-'));
    try {
      const inp = path.join(dir, 'big.dump');
      const out = path.join(dir, 'big.img');
      fs.writeFileSync(inp, dump, 'latin1');
      let t0 = process.hrtime.bigint();
      const r = spawnSync(MKCOMPOSEFS, ['--from-file', inp, out]);
      const cMs = ms(t0);
      expect(r.status).toBe(0);
      const cImg = fs.readFileSync(out);

      t0 = process.hrtime.bigint();
      const root = await parseForTest(dump);
      const parseMs = ms(t0);
      // the hard links' originals are lines that are not first in a depth-first walk: the
      // parser records them in node.owner
      const opts = {};
      // warm-up, then the measured run
      writeImageV1(root, opts);
      t0 = process.hrtime.bigint();
      const ours = writeImageV1(root, opts);
      const writeMs = ms(t0);
      const at = firstDiff(ours, cImg);
      if (at >= 0) throw new Error(`first difference at 0x${at.toString(16)}: ${describeOffset(planImageV1(root, opts), at)}`);
      if (process.env.EROFS_BENCH) {
        const inodes = planImageV1(root).ordered.inodes.length;
        console.log(`${inodes} inodes, image ${cImg.length} bytes: C mkcomposefs --from-file ${cMs.toFixed(0)} ms; ` +
          `ours: parseDumpfile ${parseMs.toFixed(0)} ms + writeImageV1 ${writeMs.toFixed(0)} ms`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
