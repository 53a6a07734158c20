import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { findAddonFile } from '../../../src/sys/addon';

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('repository on a read-only filesystem', () => {
  it('writes fail with the one-line read-only error; reads still work', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsrepo-ro-'));
    const script = path.join(work, 'cli.cjs');
    buildSync({ entryPoints: [path.join(__dirname, 'cli-child.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: script, logLevel: 'silent' });
    const mnt = path.join(work, 'mnt');
    fs.mkdirSync(mnt);
    fs.writeFileSync(path.join(work, 'image'), Buffer.alloc(8192, 7));
    const node = JSON.stringify(process.execPath);
    const cli = `${node} ${JSON.stringify(script)}`;
    const repo = `${mnt}/repo`;
    const sh = [
      'set -e',
      `mount -t tmpfs tmpfs ${mnt}`,
      `${cli} repo init --insecure ${repo} >/dev/null`,
      `${cli} repo --repo ${repo} import-image base < ${work}/image >/dev/null`,
      `mount -o remount,ro ${mnt}`,
      `echo "--images"; ${cli} repo --repo ${repo} images --no-trunc || echo "exit $?"`,
      `echo "--import"; ${cli} repo --repo ${repo} import-image other < ${work}/image 2>&1 || echo "exit $?"`,
      `echo "--gc"; ${cli} repo --repo ${repo} gc 2>&1 || echo "exit $?"`,
      `echo "--init"; ${cli} repo init --insecure ${mnt}/new 2>&1 || echo "exit $?"`,
    ].join('\n');
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', sh], {
      encoding: 'utf8', env: { ...process.env, CFSBOOT_ADDON: findAddonFile() }, timeout: 60_000,
    });
    fs.rmSync(work, { recursive: true, force: true });
    expect(r.stderr).toBe('');
    const sections = Object.fromEntries(r.stdout.split(/^--/m).filter(Boolean).map((s) => {
      const [head, ...rest] = s.split('\n');
      return [head, rest.filter(Boolean)];
    }));
    expect(sections['images']?.[3]).toMatch(/│ base +┆ [0-9a-f]{128} │/);
    expect(sections['import']).toEqual([`cfsboot: ${repo}: Repository is not writable: read-only file system`, 'exit 1']);
    expect(sections['gc']).toEqual([`cfsboot: ${repo}: Repository is not writable: read-only file system`, 'exit 1']);
    expect(sections['init']?.[0]).toMatch(/^cfsboot: .*new: creating repository directory: .*EROFS|read-only/i);
    expect(sections['init']).toHaveLength(2);
  });
});
