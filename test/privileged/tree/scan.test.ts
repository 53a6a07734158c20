/**
 * Scanner cases that need root: device nodes (mknod), whiteouts (c 0 0), `skipDevices`, and
 * mount points. Mounts are made inside a private mount namespace (`unshare -m`) held open by a
 * `sleep` process; both scanners look into it through /proc/PID/root (ours) or nsenter (C), so
 * nothing is ever mounted in the host namespace.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAddonFile } from '../../../src/sys/addon.js';
import { S_IFBLK, S_IFCHR, S_IFMT } from '../../../src/tree/node.js';
import { scanDirectory } from '../../../src/tree/scan.js';
import { randomFile } from '../../helpers/files.js';
import { countNodes, cTree, diffTrees, flatten, hasCTools, isRoot } from '../../unit/tree/helpers.js';
import { child } from '../../helpers/tree.js';

const reason = isRoot ? (hasCTools ? '' : ' [skipped: C mkcomposefs/composefs-info missing]') : ' [skipped: requires root]';
const enabled = isRoot && hasCTools;

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-pscan-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));


describe.skipIf(!enabled)(`devices and whiteouts${reason}`, () => {
  let root: string;
  beforeAll(() => {
    root = path.join(work, 'dev');
    fs.mkdirSync(path.join(root, 'd'), { recursive: true });
    execFileSync('mknod', ['-m', '0640', path.join(root, 'null'), 'c', '1', '3']);
    execFileSync('mknod', [path.join(root, 'loop'), 'b', '7', '200']);
    execFileSync('mknod', [path.join(root, 'big-rdev'), 'c', '4095', '1048575']);
    execFileSync('mknod', [path.join(root, 'wh'), 'c', '0', '0']);
    execFileSync('mknod', [path.join(root, 'd', 'wh2'), 'c', '0', '0']);
    randomFile(root, 'file', 1000, 1);
  });

  it('keeps char/block devices with their raw rdev, and whiteouts, as C does', async () => {
    const ours = await scanDirectory(root, { threads: 2 });
    const st = fs.lstatSync(path.join(root, 'null'), { bigint: true });
    expect(child(ours, 'null').mode & S_IFMT).toBe(S_IFCHR);
    expect(child(ours, 'null').rdev).toBe(st.rdev);
    expect(child(ours, 'loop').mode & S_IFMT).toBe(S_IFBLK);
    expect(child(ours, 'wh').rdev).toBe(0n);
    expect(child(ours, 'd', 'wh2').mode & S_IFMT).toBe(S_IFCHR);
    const c = cTree(root, {}, work);
    expect(diffTrees(ours, c)).toEqual([]);
  });

  it('skipDevices drops them all, whiteouts included, as C --skip-devices does', async () => {
    const ours = await scanDirectory(root, { skipDevices: true, threads: 1 });
    for (const n of flatten(ours).values()) {
      const t = n.mode & S_IFMT;
      expect(t === S_IFCHR || t === S_IFBLK).toBe(false);
    }
    expect([...(ours.children?.keys() ?? [])].sort()).toEqual(['d', 'file']);
    const c = cTree(root, { skipDevices: true }, work);
    expect(diffTrees(ours, c)).toEqual([]);
  });
});

describe.skipIf(!enabled)(`mount points (inside unshare -m)${reason}`, () => {
  let holder: ChildProcess | undefined;
  let pid = 0;
  let dir: string;
  /** The directory as seen from here, inside the namespace. */
  let viaProc: string;
  const ns = (...args: string[]): void => {
    execFileSync('nsenter', ['-t', String(pid), '-m', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  };

  beforeAll(async () => {
    dir = path.join(work, 'mnt');
    fs.mkdirSync(path.join(dir, 'tmpfs'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'bind'));
    fs.mkdirSync(path.join(dir, 'src', 'inner'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'plain'));
    randomFile(path.join(dir, 'src', 'inner'), 'data', 3000, 3);
    randomFile(path.join(dir, 'plain'), 'under-the-mount', 100, 4);
    randomFile(dir, 'top', 200, 5);
    fs.writeFileSync(path.join(dir, 'tmpfs', 'hidden-by-mount'), 'shadowed');
    holder = spawn('unshare', ['-m', '--propagation', 'private', 'sleep', '600'], { stdio: 'ignore' });
    pid = holder.pid ?? 0;
    // wait until the namespace differs from ours
    const mine = fs.readlinkSync('/proc/self/ns/mnt');
    for (let i = 0; i < 200; i++) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/ns/mnt`) !== mine) break;
      } catch {
        /* not yet */
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    ns('mount', '-t', 'tmpfs', '-o', 'mode=1777', 'cfsboot-test', path.join(dir, 'tmpfs'));
    ns('mkdir', path.join(dir, 'tmpfs', 'sub'));
    ns('sh', '-c', `echo in-tmpfs > ${path.join(dir, 'tmpfs', 'sub', 'f')}`);
    ns('mount', '--bind', path.join(dir, 'src'), path.join(dir, 'bind'));
    viaProc = `/proc/${pid}/root${dir}`;
  });

  afterAll(() => {
    if (holder !== undefined && holder.exitCode === null) holder.kill('SIGKILL');
  });

  it('the host namespace sees no mounts (sanity)', () => {
    expect(fs.readdirSync(path.join(dir, 'tmpfs'))).toEqual(['hidden-by-mount']);
    expect(fs.readdirSync(path.join(dir, 'bind'))).toEqual([]);
    expect(fs.readdirSync(path.join(viaProc, 'tmpfs')).sort()).toEqual(['sub']);
  });

  it('C 1.0.8 descends into mounts; crossMounts: true gives exactly its tree', async () => {
    const c = cTree(dir, {}, work, ['nsenter', '-t', String(pid), '-m']);
    // observed C behaviour: the tmpfs content and the bind-mounted content are in the image
    expect(child(c, 'tmpfs', 'sub', 'f').content?.toString()).toBe('in-tmpfs\n');
    expect(child(c, 'bind', 'inner', 'data').size).toBe(3000n);
    expect(child(c, 'tmpfs').mode & 0o7777).toBe(0o1777);
    const ours = await scanDirectory(viaProc, { crossMounts: true, threads: 2 });
    expect(diffTrees(ours, c)).toEqual([]);
  });

  it('by default mount points are kept as empty directories (attributes of the mounted root)', async () => {
    const c = cTree(dir, {}, work, ['nsenter', '-t', String(pid), '-m']);
    const ours = await scanDirectory(viaProc, { threads: 2 });
    expect(child(ours, 'tmpfs').children?.size).toBe(0);
    expect(child(ours, 'tmpfs').nlink).toBe(2);
    expect(child(ours, 'tmpfs').mode & 0o7777).toBe(0o1777);
    // a bind mount of the same filesystem has the same st_dev: detected by mount id
    expect(child(ours, 'bind').children?.size).toBe(0);
    expect(child(ours, 'plain', 'under-the-mount').size).toBe(100n);
    const mounts = ['/tmpfs', '/bind'];
    const diff = diffTrees(ours, c, {
      skip: (p) => mounts.some((m) => p.startsWith(`${m}/`)),
      ignoreFields: (p) => (mounts.includes(p) ? ['children', 'nlink'] : []),
    });
    expect(diff).toEqual([]);
    expect(countNodes(c) - countNodes(ours)).toBe(
      [...flatten(c).keys()].filter((p) => mounts.some((m) => p.startsWith(`${m}/`))).length,
    );
  });

  it('run inside the namespace (mounts listed in its mountinfo), the scanner stops at the same places', async () => {
    const entry = path.join(work, 'scan-entry.ts');
    const bundle = path.join(work, 'scan-bundle.cjs');
    const scanModule = path.resolve(__dirname, '../../../src/tree/scan.ts');
    fs.writeFileSync(
      entry,
      `import { scanDirectory } from ${JSON.stringify(scanModule)};
scanDirectory(process.argv[2], { threads: 1 }).then((t) => {
  const kids = (n) => [...(n.children?.keys() ?? [])].sort();
  const c = t.children;
  process.stdout.write(JSON.stringify({ top: kids(t), tmpfs: kids(c.get('tmpfs')), bind: kids(c.get('bind')), src: kids(c.get('src')) }));
}, (e) => { process.stdout.write(JSON.stringify({ error: String(e) })); });
`,
    );
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'silent' });
    const out = execFileSync('nsenter', ['-t', String(pid), '-m', process.execPath, bundle, dir], {
      env: { ...process.env, CFSBOOT_ADDON: findAddonFile() },
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({
      top: ['bind', 'plain', 'src', 'tmpfs', 'top'],
      tmpfs: [],
      bind: [],
      src: ['inner'],
    });
  });
});
