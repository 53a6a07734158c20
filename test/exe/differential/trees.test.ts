/**
 * Differential tests on REAL trees: `mkcomposefs` through our executable (a symlink to
 * dist/cfsboot) against C mkcomposefs 1.0.8, image bytes and `--print-digest` line.
 *
 * Trees (none may contain a mount point: our scanner does not cross them by default, C does):
 *   - /usr/share/doc
 *   - the newest /usr/lib/python3.N
 *   - a copy of that python tree with user./trusted./security. xattrs added (so that
 *     --skip-xattrs and --user-xattrs actually change the image)
 *   - an on-disk tree of edge cases made by edge-tree.py (sizes at block boundaries, sparse
 *     files, a 3000+ entry directory, names of every length, deep nesting, long symlinks, hard
 *     links, fifo/socket/devices, an overlay whiteout with trusted.overlay.* xattrs, odd modes
 *     and mtimes)
 *   - a debootstrap --variant=minbase bookworm rootfs (scripts/rootfs.sh, cached; needs root;
 *     CFSBOOT_DIFF_NO_ROOTFS=1 skips it)
 * Flags: default and --use-epoch on each tree; --skip-xattrs and --user-xattrs on the xattr copy,
 * the edge-case tree and the rootfs; --skip-devices on the edge-case tree.
 * --from-file: C `composefs-info dump` of C's image of each tree, fed to both mkcomposefs.
 * Readers: when our composefs-info (EROFS reader) exists, `composefs-info dump` of C's image by
 * our reader equals C's, and C's reader on our image equals ours (every flag set); `ls`,
 * `objects` and `missing-objects` of C's default image equal C's too.
 *
 * A mismatch reports the first differing offset and its region, the first differing dump line,
 * and keeps both images under <cache>/differential/ (see harness.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { exeExists, SKIP_NO_EXE } from '../../helpers/exe.js';
import { COMPOSEFS_INFO, hasCTools, SKIP_NO_C_TOOLS } from '../../helpers/c-tools.js';
import {
  buildRootfs,
  decoratedCopy,
  dump,
  edgeTree,
  explainImageDiff,
  firstDiffLine,
  isRoot,
  makeScratch,
  mkBoth,
  mountPointsBelow,
  ourReaderExists,
  pythonTree,
  run,
  slugOf,
  type MkPair,
  type Scratch,
} from './harness.js';

const ready = exeExists && hasCTools;
if (!exeExists) it.skip(`differential trees: ${SKIP_NO_EXE}`, () => {});
if (!hasCTools) it.skip(`differential trees: ${SKIP_NO_C_TOOLS}`, () => {});

const READER = ready && ourReaderExists();
// TODO(reader): the EROFS reader / composefs-info drop-in (src/erofs/read/, src/cli/composefs-info.ts)
// is being written; until dist/cfsboot has it, the reader comparisons below are skipped (visibly).
const SKIP_NO_READER = 'our composefs-info (EROFS reader) is not implemented in dist/cfsboot yet';
if (ready && !READER) it.skip(`composefs-info dump, both ways: ${SKIP_NO_READER}`, () => {});

const NO_ROOTFS = process.env.CFSBOOT_DIFF_NO_ROOTFS === '1';
const SKIP_ROOTFS = NO_ROOTFS ? 'CFSBOOT_DIFF_NO_ROOTFS=1' : 'not root (debootstrap needs root)';
const withRootfs = ready && isRoot && !NO_ROOTFS;
if (ready && !withRootfs) it.skip(`debootstrap rootfs tree: ${SKIP_ROOTFS}`, () => {});

const PYTHON = pythonTree();

let scratch: Scratch;
beforeAll(() => {
  if (ready) scratch = makeScratch('difftrees');
});
afterAll(() => scratch?.dispose());

/** Images already made, by tree name and flags (the --from-file and reader tests reuse them). */
const made = new Map<string, Promise<MkPair>>();
function images(tree: string, dir: string, flags: readonly string[]): Promise<MkPair> {
  const key = `${tree} ${flags.join(' ')}`;
  let p = made.get(key);
  if (p === undefined) {
    p = mkBoth(scratch, slugOf(key), flags, dir);
    made.set(key, p);
  }
  return p;
}

const fmtMs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** Asserts both runs succeeded with the same digest line and the same bytes. */
async function expectSame(label: string, pair: MkPair): Promise<void> {
  expect(pair.c.status, `C mkcomposefs failed: ${pair.c.stderr}`).toBe(0);
  expect(pair.ours.status, `our mkcomposefs failed: ${pair.ours.stderr}`).toBe(0);
  expect(pair.ours.stderr, 'our stderr').toBe('');
  const why = await explainImageDiff(label, pair.oursImg, pair.cImg);
  if (why !== undefined) expect.fail(why);
  expect(pair.ours.stdout.toString(), '--print-digest line').toBe(pair.c.stdout.toString());
  expect(pair.c.stdout.toString()).toMatch(/^[0-9a-f]{64}\n$/);
  const size = fs.statSync(pair.cImg).size;
  console.log(
    `${label}: identical (${size} bytes, digest ${pair.c.stdout.toString().slice(0, 16)}…; ours ${fmtMs(pair.ours.ms)}, C ${fmtMs(pair.c.ms)})`,
  );
}

/** Skips (visibly) a tree that is missing or has mount points below it. */
function checkTree(ctx: TestContext, dir: string | undefined, what: string): string {
  let reason: string | undefined;
  if (dir === undefined || !fs.existsSync(dir)) reason = `${what}: not present on this machine`;
  else {
    const mps = mountPointsBelow(dir);
    if (mps.length > 0) reason = `${what}: mount points inside (${mps.slice(0, 3).join(', ')}), our scanner does not cross them`;
  }
  if (reason !== undefined) {
    console.warn(`skipped: ${reason}`);
    ctx.skip(reason);
  }
  return dir!;
}

interface Tree {
  name: string;
  dir: () => string | undefined;
  flagSets: ReadonlyArray<readonly string[]>;
}

/** The tree tests: directory → image, then --from-file, then the readers. */
function treeTests(tree: Tree): void {
  for (const flags of tree.flagSets) {
    const fl = flags.join(' ') || '(default flags)';
    it(`${tree.name} ${fl}: same bytes and digest as C`, async (ctx) => {
      const dir = checkTree(ctx, tree.dir(), tree.name);
      await expectSame(`${tree.name} ${fl}`, await images(tree.name, dir, flags));
    });
  }

  it(`${tree.name} --from-file (C's dump of C's image): same bytes and digest as C`, async (ctx) => {
    const dir = checkTree(ctx, tree.dir(), tree.name);
    const base = await images(tree.name, dir, []);
    expect(base.c.status, base.c.stderr).toBe(0);
    const d = await dump(COMPOSEFS_INFO!, base.cImg);
    expect(d.status, `C composefs-info dump: ${d.stderr}`).toBe(0);
    const dumpFile = path.join(scratch.dir, `${slugOf(tree.name)}.dump`);
    fs.writeFileSync(dumpFile, d.stdout);
    const pair = await mkBoth(scratch, `${slugOf(tree.name)}.fromfile`, ['--from-file'], dumpFile);
    await expectSame(`${tree.name} --from-file (${d.stdout.length} bytes of dump)`, pair);
    // The same dump on stdin.
    const piped = await mkBoth(scratch, `${slugOf(tree.name)}.stdin`, ['--from-file'], '-', d.stdout);
    await expectSame(`${tree.name} --from-file - (stdin)`, piped);
  });

  it.skipIf(!READER)(`${tree.name}: composefs-info dump both ways, ls/objects/missing-objects: our reader = C's`, async (ctx) => {
    const dir = checkTree(ctx, tree.dir(), tree.name);
    for (const flags of tree.flagSets) {
      const pair = await images(tree.name, dir, flags);
      expect(pair.c.status, pair.c.stderr).toBe(0);
      expect(pair.ours.status, pair.ours.stderr).toBe(0);
      const [cOnC, oursOnC, cOnOurs, oursOnOurs] = await Promise.all([
        dump(COMPOSEFS_INFO!, pair.cImg),
        dump(scratch.ourInfo, pair.cImg),
        dump(COMPOSEFS_INFO!, pair.oursImg),
        dump(scratch.ourInfo, pair.oursImg),
      ]);
      const fl = flags.join(' ') || '(default flags)';
      for (const [what, r] of [['C reader', cOnC], ['our reader', oursOnC], ['C reader on ours', cOnOurs], ['our reader on ours', oursOnOurs]] as const) {
        expect(r.status, `${tree.name} ${fl}: ${what}: ${r.stderr}`).toBe(0);
      }
      const d1 = firstDiffLine(oursOnC.stdout, cOnC.stdout);
      expect(d1, `${tree.name} ${fl}: dump of C's image, our reader vs C's reader, ${d1}`).toBeUndefined();
      const d2 = firstDiffLine(cOnOurs.stdout, oursOnOurs.stdout);
      expect(d2, `${tree.name} ${fl}: dump of our image, C's reader vs our reader, ${d2}`).toBeUndefined();
      console.log(`${tree.name} ${fl}: composefs-info dump identical both ways (${cOnC.stdout.length} bytes)`);
    }
    // The other listings our composefs-info claims to print as C does, on C's default image.
    const base = await images(tree.name, dir, []);
    for (const cmd of ['ls', 'objects', 'missing-objects']) {
      const [c, o] = await Promise.all([run(COMPOSEFS_INFO!, [cmd, base.cImg]), run(scratch.ourInfo, [cmd, base.cImg])]);
      expect(o.status, `${tree.name}: composefs-info ${cmd}: ours exit ${o.status} (${o.stderr}), C exit ${c.status} (${c.stderr})`).toBe(c.status);
      const d = firstDiffLine(o.stdout, c.stdout);
      expect(d, `${tree.name}: composefs-info ${cmd} of C's image, ours vs C, ${d}`).toBeUndefined();
    }
  });
}

const BASIC: ReadonlyArray<readonly string[]> = [[], ['--use-epoch']];
const XATTR_FLAGS: ReadonlyArray<readonly string[]> = [[], ['--use-epoch'], ['--skip-xattrs'], ['--user-xattrs']];

describe.skipIf(!ready)('mkcomposefs on real trees: ours = C 1.0.8, byte for byte', () => {
  describe('/usr/share/doc', () => {
    treeTests({ name: '/usr/share/doc', dir: () => '/usr/share/doc', flagSets: BASIC });
  });

  describe(PYTHON ?? '/usr/lib/python3.N', () => {
    treeTests({ name: PYTHON ?? '/usr/lib/python3.N', dir: () => PYTHON, flagSets: BASIC });
  });

  describe(`${PYTHON ?? 'python3'} copy with xattrs`, () => {
    let deco: string | undefined;
    beforeAll(() => {
      if (PYTHON !== undefined) deco = decoratedCopy(PYTHON, path.join(scratch.dir, 'xattr-tree'));
    }, 120_000);
    treeTests({ name: 'python tree with xattrs', dir: () => deco, flagSets: XATTR_FLAGS });
  });

  describe('synthetic edge-case tree (edge-tree.py)', () => {
    let edge: string | undefined;
    beforeAll(() => {
      edge = edgeTree(path.join(scratch.dir, 'edge-tree'));
    }, 120_000);
    treeTests({ name: 'edge-case tree', dir: () => edge, flagSets: [...XATTR_FLAGS, ['--skip-devices']] });
  });

  describe.skipIf(!withRootfs)('debootstrap minbase bookworm rootfs', () => {
    let rootfs: string | undefined;
    beforeAll(() => {
      rootfs = buildRootfs();
    }, 600_000);
    treeTests({ name: 'bookworm rootfs', dir: () => rootfs, flagSets: XATTR_FLAGS });
  });
});
