import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveRepoPath, utf8FullTable } from '../../../src/cli/repo';
import { Repository } from '../../../src/repository/index';
import { content, imageOf, tempDir } from './helpers';
import { runCli } from '../../helpers/cli.js';

const run = runCli;

describe('cfsboot repo', () => {
  it('resolves the repository path like cfsctl', () => {
    expect(resolveRepoPath({ repo: '/x' }, {}, 1000)).toBe('/x');
    expect(resolveRepoPath({ system: true }, {}, 1000)).toBe('/sysroot/composefs');
    expect(resolveRepoPath({}, {}, 0)).toBe('/sysroot/composefs');
    expect(resolveRepoPath({}, { HOME: '/home/u' }, 1000)).toBe('/home/u/.var/lib/composefs');
    expect(resolveRepoPath({ user: true }, { HOME: '/root' }, 0)).toBe('/root/.var/lib/composefs');
    expect(() => resolveRepoPath({}, {}, 1000)).toThrow(/HOME/);
  });

  it('init texts, re-init, errors', async () => {
    const dir = path.join(tempDir(), 'r');
    let r = await run('repo', 'init', dir, '--insecure', '--algorithm', 'fsverity-sha256-12', '--dual');
    expect(r).toEqual({
      code: 0, err: [],
      out: [`Initialized composefs repository at ${dir}`, '  algorithm: fsverity-sha256-12', '  verity:    not required (insecure)'],
    });
    expect(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')).toContain('"extra": [\n      2\n    ]');
    r = await run('repo', 'init', dir, '--insecure', '--algorithm', 'fsverity-sha256-12', '--dual');
    expect(r.out).toEqual([`Repository already initialized at ${dir}`]);
    r = await run('repo', 'init', dir, '--insecure');
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/repository already initialized with different configuration \(algorithm: fsverity-sha256-12, erofs_version: V1\+V2\)/);
    r = await run('repo', 'init', dir, '--algorithm', 'fsverity-md5-12');
    expect(r.code).toBe(2);
    expect(r.err[0]).toContain("unsupported hash algorithm 'md5' (expected sha256 or sha512)");
    const secure = path.join(tempDir(), 's');
    r = await run('repo', 'init', secure);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/fs-verity is not supported/);
    expect(r.err).toHaveLength(1);
  });

  it('import-image, images (table, json), image-objects, gc, fsck', async () => {
    const dir = path.join(tempDir(), 'r');
    const { repo } = Repository.init(dir, { insecure: true });
    const obj = repo.ensureObject(content(7)).hex;
    const img = imageOf('sha512', { f: content(7) });
    const hex = repo.writeImage(img, 'os/current');
    repo.close();
    let r = await run('repo', '--repo', dir, 'images');
    expect(r.out).toEqual(utf8FullTable(['NAME', 'DIGEST'], [['os/current', hex.slice(0, 12)]]));
    expect(r.out[0]).toBe('┌────────────┬──────────────┐');
    expect(r.out[1]).toBe('│ NAME       ┆ DIGEST       │');
    expect(r.out[2]).toBe('╞════════════╪══════════════╡');
    r = await run('repo', '--repo', dir, 'images', '--json');
    expect(JSON.parse(r.out.join('\n'))).toEqual({ images: [{ name: 'os/current', digest: hex }] });
    r = await run('repo', '--repo', dir, 'list-images', '--no-trunc');
    expect(r.out[3]).toContain(hex);
    r = await run('repo', '--repo', dir, 'image-objects', 'os/current');
    expect(r.out).toEqual([]); // a name with '/' is looked up below images/ directly: not found
    expect(r.err[0]).toContain('image not found: os/current');
    r = await run('repo', '--repo', dir, 'image-objects', `refs/os/current`);
    expect(r.out).toEqual([`sha512:${obj}`]);
    r = await run('repo', '--repo', dir, 'fsck');
    expect(r.code).toBe(0);
    expect(r.out.at(-1)).toBe('status: ok');
    r = await run('repo', '--repo', dir, 'gc', '-n');
    expect(r.out).toEqual(['Dry run (no files deleted):', 'Objects: 0 removed (0 bytes)']);
    r = await run('repo', '--repo', dir, '--hash', 'sha256', 'fsck');
    expect(r.err[0]).toBe(`cfsboot: ${dir}: repository is configured for fsverity-sha512-12 (from meta.json) but --hash sha256 was specified`);
    r = await run('repo', '--repo', dir, '--require-verity', 'images');
    expect(r.code).toBe(1);
    expect(r.err[0]).toContain('repository was not initialized with fs-verity');
    fs.unlinkSync(path.join(dir, 'objects', obj.slice(0, 2), obj.slice(2)));
    r = await run('repo', '--repo', dir, 'fsck');
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`cfsboot: ${dir}: repository integrity check failed`]);
    r = await run('repo', '--repo', dir, 'fsck', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out.join('\n'))).toMatchObject({ ok: false, missing_objects: 1 });
    r = await run('repo', '--repo', dir, 'gc', '--root', hex);
    expect(r.code).toBe(0);
  });

  it('missing repository: one-line error, exit 1', async () => {
    const r = await run('repo', '--repo', path.join(tempDir(), 'none'), 'images');
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/none: opening repository/);
  });
});
