import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXE, exeExists, runExe, SKIP_NO_EXE } from '../helpers/exe.js';
import { hasCTools, MKCOMPOSEFS, SKIP_NO_C_TOOLS } from '../helpers/c-tools.js';

const DUMP = [
  '/ 4096 40755 2 0 0 0 1700000000.0 - - - user.root=yes',
  '/hello 11 100644 1 1000 1000 0 1700000001.5 - hello\\x20world -',
  '/big 100000 100644 1 0 0 0 1700000002.0 1e/2eaa4202d750a41174ee454970b92c1bc2f925b1e35076d8c7d5f56362ba64 - 1e2eaa4202d750a41174ee454970b92c1bc2f925b1e35076d8c7d5f56362ba64',
  '/link 5 120777 1 0 0 0 1700000003.0 hello - -',
  '/wh 0 20000 1 0 0 0 0.0 - - -',
  '/d 4096 40700 2 0 0 0 1700000004.0 - - - trusted.overlay.opaque=y',
  '/d/hard 11 @100644 1 0 0 0 0.0 /hello - -',
  '',
].join('\n');

let dir: string;
let link: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-mkcfs-'));
  fs.writeFileSync(path.join(dir, 'tree.dump'), DUMP);
  link = path.join(dir, 'mkcomposefs');
  if (exeExists) fs.symlinkSync(EXE, link);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

if (!exeExists) it.skip(`mkcomposefs drop-in: ${SKIP_NO_EXE}`, () => {});
if (!hasCTools) it.skip(`mkcomposefs drop-in vs C: ${SKIP_NO_C_TOOLS}`, () => {});

describe.skipIf(!exeExists || !hasCTools)('mkcomposefs drop-in (multi-call) equals C mkcomposefs 1.0.8', () => {
  for (const flags of [[], ['--use-epoch'], ['--min-version=1'], ['--max-version=0']]) {
    it(`--from-file ${flags.join(' ') || '(default flags)'}: same bytes, same --print-digest`, () => {
      const ours = path.join(dir, 'ours.img');
      const theirs = path.join(dir, 'c.img');
      const a = runExe(['--from-file', '--print-digest', ...flags, path.join(dir, 'tree.dump'), ours], { exe: link });
      const c = spawnSync(MKCOMPOSEFS!, ['--from-file', '--print-digest', ...flags, path.join(dir, 'tree.dump'), theirs], { encoding: 'utf8' });
      expect(a.stderr).toBe('');
      expect(a.status).toBe(0);
      expect(c.status).toBe(0);
      expect(a.stdout).toBe(c.stdout);
      expect(fs.readFileSync(ours).equals(fs.readFileSync(theirs))).toBe(true);
    });
  }

  it('from a directory (/usr/share/doc): same --print-digest-only', () => {
    const a = runExe(['--print-digest-only', '/usr/share/doc'], { exe: link });
    const c = spawnSync(MKCOMPOSEFS!, ['--print-digest-only', '/usr/share/doc'], { encoding: 'utf8' });
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(c.stdout);
  });

  it('reads the dumpfile from stdin and writes the image to stdout', () => {
    const r = spawnSync(link, ['--from-file', '-', '-'], { input: DUMP, env: {} });
    const c = spawnSync(MKCOMPOSEFS!, ['--from-file', '-', '-'], { input: DUMP });
    expect(r.status).toBe(0);
    expect(Buffer.compare(r.stdout, c.stdout)).toBe(0);
  });

  it('usage errors are one message and status 1, as C', () => {
    const r = runExe([], { exe: link });
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('mkcomposefs: No source path specified');
    const d = runExe(['--print-digest-only', path.join(dir, 'tree.dump'), 'x', '--from-file'], { exe: link });
    expect(d.status).toBe(1);
    expect(d.stderr.split('\n')[0]).toBe('mkcomposefs: Cannot specify destination path with --print-digest-only');
  });

  it('a bad dumpfile names the line, leaves no output file', () => {
    const bad = path.join(dir, 'bad.dump');
    fs.writeFileSync(bad, '/ 4096 40755 2 0 0 0 0.0 - - -\n/x 0 100644 1 0 0 0 0.0 - - - nokey\n');
    const out = path.join(dir, 'bad.img');
    const r = runExe(['--from-file', bad, out], { exe: link });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^mkcomposefs: .*line 2: Missing = in xattr\n$/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});
