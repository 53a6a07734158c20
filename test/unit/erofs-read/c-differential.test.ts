/**
 * Our reader + dump writer against C `composefs-info dump` 1.0.8, both ways:
 *  * images written by C `mkcomposefs --from-file` from random dumpfiles;
 *  * images written by our `writeImageV1` from the same dumpfiles (`parseDumpfile`).
 * The dumps must be byte-identical except for the two documented C reader bugs, which
 * `explainDumpDiff` allows (and nothing else): the redirect payload over-read (erofs.md §6.12) and
 * the dropped trailing empty ACL xattr. Directed cases check that those two really are the bugs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dumpfileToBuffer, parseDumpfile } from '../../../src/dumpfile/index.js';
import { writeImageV1 } from '../../../src/erofs/index.js';
import { readImage } from '../../../src/erofs/read/index.js';
import { COMPOSEFS_INFO, SKIP_NO_C_TOOLS, composefsInfoDump, hasCTools, mkcomposefsFromDump } from '../../helpers/c-tools.js';
import { arbDumpfile } from '../../helpers/tree-arb.js';
import { explainDumpDiff } from './helpers.js';

const RUNS = Number(process.env.CFSBOOT_C_DIFF_RUNS ?? 300);

if (!hasCTools) it.skip(`reader vs C composefs-info: ${SKIP_NO_C_TOOLS}`, () => {});

describe.skipIf(!hasCTools)('readImage + dump equals C composefs-info dump', () => {
  it(`on C mkcomposefs images of ${RUNS} random dumpfiles`, () => {
    let compared = 0;
    let exact = 0;
    fc.assert(
      fc.property(arbDumpfile(), fc.constantFrom<string[]>([], ['--min-version=1'], ['--max-version=0']), (dump, flags) => {
        const mk = mkcomposefsFromDump(dump, flags);
        if (mk.status !== 0) return; // C's ERANGE bug (§6.12): no image to read
        const c = composefsInfoDump(mk.image);
        expect(c.status, c.stderr).toBe(0);
        const ours = dumpfileToBuffer(readImage(mk.image));
        const why = explainDumpDiff(ours, c.stdout);
        if (why !== undefined) throw new Error(`${why}\n--- dumpfile:\n${dump}`);
        compared++;
        if (ours.equals(c.stdout)) exact++;
      }),
      { numRuns: RUNS, endOnFailure: true }, // no shrinking: each run spawns C tools; the dumpfile is in the message
    );
    console.log(`reader vs C on C images: ${compared} compared, ${exact} byte-identical, ${compared - exact} differing only by the documented C bugs`);
    expect(compared).toBeGreaterThanOrEqual(RUNS * 0.9);
  });

  it(`on our writeImageV1 images of ${RUNS} random dumpfiles`, () => {
    let compared = 0;
    fc.assert(
      fc.property(arbDumpfile(), (dump) => {
        let image: Buffer;
        try {
          image = writeImageV1(parseDumpfile(dump));
        } catch (e) {
          if ((e as Error).name === 'TreeError') return; // inputs C rejects too (ERANGE)
          throw e;
        }
        const c = composefsInfoDump(image);
        expect(c.status, c.stderr).toBe(0);
        const why = explainDumpDiff(dumpfileToBuffer(readImage(image)), c.stdout);
        if (why !== undefined) throw new Error(`${why}\n--- dumpfile:\n${dump}`);
        compared++;
      }),
      { numRuns: RUNS, endOnFailure: true }, // no shrinking: each run spawns C tools; the dumpfile is in the message
    );
    expect(compared).toBeGreaterThanOrEqual(RUNS * 0.9);
  });

  it('the redirect over-read: C appends the bytes after the value, we do not', () => {
    const dump = '/ 0 40755 2 0 0 0 0.0 - - -\n/p 10 100644 1 0 0 0 0.0 rel - -\n/q 10 100644 1 0 0 0 0.0 /abs - -\n';
    const mk = mkcomposefsFromDump(dump);
    const ours = dumpfileToBuffer(readImage(mk.image)).toString('latin1');
    expect(ours).toContain('\n/p 10 100644 1 0 0 0 0.0 rel - -\n');
    expect(ours).toContain('\n/q 10 100644 1 0 0 0 0.0 /abs - -\n');
    const c = composefsInfoDump(mk.image).stdout.toString('latin1');
    expect(c).toMatch(/\n\/p 10 100644 1 0 0 0 0\.0 rel\S+ - -\n/); // "rel" + 2 junk bytes
  });

  it('an empty ACL as last inline xattr: C drops it, we keep it', () => {
    // inline xattrs are in key order: security.a, then the (empty, name-suffix-less) ACL last
    const dump = '/ 0 40755 2 0 0 0 0.0 - - -\n/f 0 100644 1 0 0 0 0.0 - - - system.posix_acl_access= security.a=1\n';
    const mk = mkcomposefsFromDump(dump);
    const ours = dumpfileToBuffer(readImage(mk.image)).toString('latin1');
    expect(ours).toContain('/f 0 100644 1 0 0 0 0.0 - - - security.a=1 system.posix_acl_access=\n');
    const c = composefsInfoDump(mk.image).stdout.toString('latin1');
    expect(c).toContain('/f 0 100644 1 0 0 0 0.0 - - - security.a=1\n');
  });

  it('--filter keeps only the named top-level entries (and C agrees)', () => {
    const dump = '/ 0 40755 2 0 0 0 0.0 - - -\n/a 0 40755 2 0 0 0 0.0 - - -\n/a/x 1 100644 2 0 0 0 0.0 - x -\n/b 1 @100644 2 0 0 0 0.0 /a/x - -\n/c 0 100644 1 0 0 0 0.0 - - -\n';
    const mk = mkcomposefsFromDump(dump);
    const ours = dumpfileToBuffer(readImage(mk.image, { filter: ['b', 'c'] })).toString('latin1');
    expect(ours).toBe('/ 4096 40755 3 0 0 0 0.0 - - -\n/b 1 100644 2 0 0 0 0.0 - x -\n/c 0 100644 1 0 0 0 0.0 - - -\n');
    const img = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-filter-')), 'i.img');
    fs.writeFileSync(img, mk.image);
    const c = spawnSync(COMPOSEFS_INFO!, ['--filter=b', '--filter', 'c', 'dump', img]);
    fs.rmSync(path.dirname(img), { recursive: true });
    expect(c.stdout.toString('latin1')).toBe(ours);
  });
});
