/**
 * Property tests: random dumpfiles written by C mkcomposefs 1.0.8 and by
 * writeImageV1(parseDumpfile(X)) are byte-identical (default flags and --min-version=1).
 * Runs: EROFS_PROPERTY_RUNS (default 300; CI raises it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeImageV1 } from '../../../src/erofs/index.js';
import { arbDumpfile, arbTreeAndDumpfile, serializeTree } from '../../helpers/tree-arb.js';
import { HAVE_C, compareWithC, type DiffOutcome } from './helpers/c-diff.js';
import { randomDumpfile } from './helpers/random-dump.js';

const RUNS = Number(process.env.EROFS_PROPERTY_RUNS ?? 300);
const TIMEOUT = 60_000 + RUNS * 200;

function check(r: DiffOutcome, label: string, dump: string): void {
  if (r.status === 'same') return;
  if (r.status === 'both-failed') {
    // only C's ERANGE quirk (§6.12) may make both fail; anything else is a generator bug
    expect(`${label}: C ${r.error} / ours ${r.ours}`).toMatch(/out of range.*ERANGE/s);
    return;
  }
  throw new Error(`${label}: ${r.message}\n--- dumpfile ---\n${dump.slice(0, 4000)}`);
}

describe.skipIf(!HAVE_C)('writeImageV1(parseDumpfile(X)) is byte-identical to mkcomposefs --from-file X', () => {
  it(`arbDumpfile(): ${RUNS} random dumpfiles, default flags and --min-version=1`, async () => {
    await fc.assert(
      fc.asyncProperty(arbDumpfile(), async (dump) => {
        check(await compareWithC(dump, {}), 'default', dump);
        check(await compareWithC(dump, { minVersion: 1 }), '--min-version=1', dump);
      }),
      { numRuns: RUNS, endOnFailure: true }, // no shrinking: every step runs mkcomposefs; the message names the region
    );
  }, TIMEOUT);

  it(`layout-focused generator: ${RUNS} random dumpfiles, default, --min-version=1, --max-version=0`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (seed) => {
        const dump = randomDumpfile(seed);
        check(await compareWithC(dump, {}), `seed ${seed} default`, dump);
        check(await compareWithC(dump, { minVersion: 1 }), `seed ${seed} --min-version=1`, dump);
        check(await compareWithC(dump, { maxVersion: 0 }), `seed ${seed} --max-version=0`, dump);
      }),
      { numRuns: RUNS, endOnFailure: true }, // no shrinking: every step runs mkcomposefs; the message names the region
    );
  }, TIMEOUT * 2);
});

describe('writer invariants on random trees', () => {
  it('does not modify the tree, is deterministic, and sizes are whole blocks', () => {
    fc.assert(
      fc.property(arbTreeAndDumpfile(), ({ tree }) => {
        const before = serializeTree(tree);
        const a = writeImageV1(tree);
        const b = writeImageV1(tree, { minVersion: 1 });
        expect(serializeTree(tree)).toBe(before);
        expect(a.length % 4096).toBe(0);
        expect(a.equals(writeImageV1(tree))).toBe(true);
        // --min-version=1 changes byte 0x0C, and beyond it only the opaque=x markers
        expect(b[0x0c]).toBe(1);
      }),
      { numRuns: 100 },
    );
  });
});
