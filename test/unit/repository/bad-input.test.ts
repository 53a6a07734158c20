/**
 * Issue 5 item 6, at the CLI: every bad input is refused with exactly ONE stderr line naming the
 * path concerned, exit status 1, and the repository left as it was (its file list, sizes and link
 * targets compared before/after). A file vanishing mid-import may leave objects stored before it
 * (they are complete and named by their digest) but no image link and no temporary file.
 *
 * The vanishing file is simulated deterministically: `node:fs` is passed through except that
 * opening a path ending in `/VANISH` first deletes it — exactly what a concurrent `rm` between
 * the directory scan and the copy does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from './helpers';

vi.mock('node:fs', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:fs')>();
  const openSync = ((p: fs.PathLike, ...rest: unknown[]) => {
    if (String(p).endsWith('/VANISH') && orig.existsSync(p)) orig.unlinkSync(p);
    return (orig.openSync as (...a: unknown[]) => number)(p, ...rest);
  }) as typeof orig.openSync;
  return { ...orig, openSync, default: { ...orig, openSync } };
});

/** `rel type size [-> target]` for everything below `dir` (sorted). */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const p = path.join(dir, rel);
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) out.push(`${rel} l -> ${fs.readlinkSync(p)}`);
    else if (st.isDirectory()) {
      out.push(`${rel} d`);
      for (const n of fs.readdirSync(p).sort()) walk(rel === '' ? n : `${rel}/${n}`);
    } else out.push(`${rel} f ${st.size} ${fs.readFileSync(p).subarray(0, 64).toString('hex')}`);
  };
  walk('');
  return out;
}

interface Case {
  name: string;
  /** Prepares the repository (already initialised, with one image `img`); returns the command. */
  setup: (repo: string, tree: string) => string[];
  /** The one stderr line (after `cfsboot: `). */
  err: (repo: string, tree: string) => RegExp;
  /** Extra checks on stdout. */
  out?: (lines: string[], repo: string) => void;
}

const META = (repo: string): string => path.join(repo, 'meta.json');
const editMeta = (repo: string, f: (s: string) => string): void => {
  fs.writeFileSync(META(repo), f(fs.readFileSync(META(repo), 'utf8')));
};
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const CASES: Case[] = [
  {
    name: 'meta.json missing',
    setup: (repo, tree) => {
      fs.rmSync(META(repo));
      fs.rmSync(path.join(repo, 'objects'), { recursive: true });
      return ['create-image', tree, 'new'];
    },
    err: (repo) => new RegExp(`^${esc(repo)}: meta\\.json not found; this repository must be initialized with \`cfsctl init\`$`),
  },
  {
    name: 'meta.json missing, old-format repository (--no-upgrade)',
    setup: (repo, tree) => {
      fs.rmSync(META(repo));
      return ['--no-upgrade', 'create-image', tree, 'new'];
    },
    err: (repo) => new RegExp(`^${esc(repo)}: meta\\.json not found; this appears to be an old-format repository`),
  },
  {
    name: 'meta.json unparseable',
    setup: (repo, tree) => {
      fs.writeFileSync(META(repo), '{"version": 1,');
      return ['create-image', tree, 'new'];
    },
    err: (repo) => new RegExp(`^${esc(META(repo))}: failed to parse meta\\.json`),
  },
  {
    name: 'meta.json of a newer version',
    setup: (repo, tree) => {
      editMeta(repo, (s) => s.replace('"version": 1', '"version": 2'));
      return ['create-image', tree, 'new'];
    },
    err: (repo) => new RegExp(`^${esc(META(repo))}: unsupported repository format version 2 \\(this tool supports up to 1\\)$`),
  },
  {
    name: 'meta.json of another algorithm (unsupported)',
    setup: (repo, tree) => {
      editMeta(repo, (s) => s.replace('fsverity-sha512-12', 'fsverity-sha384-12'));
      return ['create-image', tree, 'new'];
    },
    err: (repo) => new RegExp(`^${esc(META(repo))}: failed to parse meta\\.json: unsupported hash algorithm 'sha384'`),
  },
  {
    name: 'meta.json of another algorithm than asked for (--hash)',
    setup: (_repo, tree) => ['--hash', 'sha256', 'create-image', tree, 'new'],
    err: (repo) => new RegExp(`^${esc(repo)}: repository is configured for fsverity-sha512-12 \\(from meta\\.json\\) but --hash sha256 was specified$`),
  },
  {
    name: 'meta.json with an unknown incompatible feature',
    setup: (repo, tree) => {
      editMeta(repo, (s) => s.replace('"incompatible": []', '"incompatible": ["zstd-objects"]'));
      return ['create-image', tree, 'new'];
    },
    err: (repo) => new RegExp(`^${esc(META(repo))}: repository requires unknown incompatible features: \\["zstd-objects"\\]$`),
  },
  {
    name: 'read-only repository (unknown read-only-compatible feature): create-image',
    setup: (repo, tree) => {
      editMeta(repo, (s) => s.replace('"v1_erofs"', '"v1_erofs", "future-ro"'));
      return ['create-image', tree, 'new'];
    },
    err: (repo) => new RegExp(`^${esc(META(repo))}: repository has unknown read-only-compatible features \\["future-ro"\\]; refusing to write$`),
  },
  {
    name: 'read-only repository (unknown read-only-compatible feature): gc',
    setup: (repo) => {
      editMeta(repo, (s) => s.replace('"v1_erofs"', '"v1_erofs", "future-ro"'));
      fs.rmSync(path.join(repo, 'images/refs/img')); // everything would be garbage
      return ['gc'];
    },
    err: (repo) => new RegExp(`^${esc(META(repo))}: repository has unknown read-only-compatible features`),
  },
  {
    name: 'object whose content does not match its name (fsck)',
    setup: (repo) => {
      const obj = objectsOf(repo).find((o) => fs.statSync(o).size === 5000)!;
      fs.rmSync(obj);
      fs.writeFileSync(obj, 'Y'.repeat(5000));
      return ['fsck'];
    },
    err: (repo) => new RegExp(`^${esc(repo)}: repository integrity check failed$`),
    out: (lines, repo) => {
      const obj = path.relative(repo, objectsOf(repo).find((o) => fs.statSync(o).size === 5000)!);
      expect(lines).toContain('status: 1 error(s)');
      expect(lines.some((l) => l.startsWith(`  - fsck: object-digest-mismatch: ${obj}: actual `))).toBe(true);
    },
  },
  {
    name: 'image link pointing nowhere: image-objects',
    setup: (repo) => {
      fs.rmSync(imageObjectOf(repo));
      return ['image-objects', 'img'];
    },
    err: (repo) => new RegExp(`^${esc(repo)}/images/refs/img: image not found: img \\(dangling link to \\.\\./[0-9a-f]{128}\\)$`),
  },
  {
    name: 'image link pointing nowhere: gc deletes nothing',
    setup: (repo) => {
      fs.rmSync(imageObjectOf(repo));
      return ['gc'];
    },
    err: (repo) => new RegExp(`^${esc(repo)}/images/[0-9a-f]{128}: image not found: [0-9a-f]{128} \\(dangling link to \\.\\./objects/`),
  },
  {
    name: 'image reference whose first-level link is gone: gc deletes nothing',
    setup: (repo) => {
      const hex = path.basename(fs.readlinkSync(path.join(repo, 'images/refs/img')));
      fs.rmSync(path.join(repo, 'images', hex));
      return ['gc'];
    },
    err: (repo) => new RegExp(`^${esc(repo)}/images/refs/img: reference points at missing image [0-9a-f]{128}$`),
  },
  {
    name: 'image link pointing nowhere: first-level link',
    setup: (repo) => {
      const hex = path.basename(fs.readlinkSync(path.join(repo, 'images/refs/img')));
      fs.rmSync(imageObjectOf(repo));
      return ['image-objects', hex];
    },
    err: (repo) => new RegExp(`^${esc(repo)}/images/[0-9a-f]{128}: image not found: [0-9a-f]{128} \\(dangling link to \\.\\./objects/`),
  },
  {
    name: 'tree that does not exist',
    setup: (_repo, tree) => ['create-image', `${tree}-none`, 'new'],
    err: (_repo, tree) => new RegExp(`^${esc(tree)}-none: lstat: no such file or directory \\(ENOENT\\)$`),
  },
];

function objectsOf(repo: string): string[] {
  const base = path.join(repo, 'objects');
  return fs.readdirSync(base).filter((d) => d.length === 2).flatMap((d) => fs.readdirSync(path.join(base, d)).map((n) => path.join(base, d, n)));
}

function imageObjectOf(repo: string): string {
  const hex = path.basename(fs.readlinkSync(path.join(repo, 'images/refs/img')));
  return path.join(repo, 'objects', hex.slice(0, 2), hex.slice(2));
}

async function freshRepo(): Promise<{ repo: string; tree: string }> {
  const dir = tempDir('cfs-bad-');
  const repo = path.join(dir, 'repo');
  const tree = path.join(dir, 'tree');
  fs.mkdirSync(path.join(tree, 'usr/bin'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'usr/bin/big'), 'X'.repeat(5000));
  fs.writeFileSync(path.join(tree, 'usr/bin/small'), 'small');
  expect((await runCli('repo', 'init', '--insecure', repo)).code).toBe(0);
  expect((await runCli('repo', '--repo', repo, 'create-image', tree, 'img')).code).toBe(0);
  fs.writeFileSync(path.join(tree, 'usr/bin/other'), 'Z'.repeat(3000)); // a new object for the failing imports
  return { repo, tree };
}

describe('bad input: one line naming the path, exit 1, repository unchanged', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { repo, tree } = await freshRepo();
      const args = c.setup(repo, tree);
      const before = snapshot(repo);
      const r = await runCli('repo', '--repo', repo, ...args);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]!.slice('cfsboot: '.length)).toMatch(c.err(repo, tree));
      expect(r.err[0]!.startsWith('cfsboot: ')).toBe(true);
      expect(r.code).toBe(1);
      if (c.out !== undefined) c.out(r.out, repo);
      else expect(r.out).toEqual([]);
      expect(snapshot(repo)).toEqual(before);
    });
  }

  it('a file vanishing mid-import: one line naming it, no image link, no temporary file', async () => {
    const { repo, tree } = await freshRepo();
    // Scan order: usr/a-first (stored), usr/bin/…, usr/z/VANISH (deleted when opened for copying).
    fs.writeFileSync(path.join(tree, 'usr/a-first'), 'F'.repeat(4000));
    fs.mkdirSync(path.join(tree, 'usr/z'));
    const vanish = path.join(tree, 'usr/z/VANISH');
    fs.writeFileSync(vanish, 'V'.repeat(4000));
    const before = snapshot(repo);
    const r = await runCli('repo', '--repo', repo, 'create-image', tree, 'new');
    expect(r.err).toEqual([`cfsboot: ${vanish}: open: no such file or directory (ENOENT)`]);
    expect(r.code).toBe(1);
    expect(fs.existsSync(vanish)).toBe(false);
    const after = snapshot(repo);
    // Only whole objects were added (the ones stored before the failure); nothing else changed.
    const added = after.filter((l) => !before.includes(l));
    expect(before.filter((l) => !after.includes(l))).toEqual([]);
    expect(added.length).toBeGreaterThan(0);
    for (const l of added) expect(l).toMatch(/^objects\/[0-9a-f]{2}(\/[0-9a-f]{126} f \d+ [0-9a-f]+| d)$/);
    expect(added.some((l) => / f 4000 /.test(l))).toBe(true); // usr/a-first
    expect(after.filter((l) => l.startsWith('images/'))).toEqual(before.filter((l) => l.startsWith('images/')));
    const fsck = await runCli('repo', '--repo', repo, 'fsck');
    expect(fsck.out.at(-1)).toBe('status: ok');
    // The re-run (file back) completes.
    fs.writeFileSync(path.join(tree, 'usr/z/keep'), 'K'.repeat(4000));
    expect((await runCli('repo', '--repo', repo, 'create-image', tree, 'new')).code).toBe(0);
  });
});
