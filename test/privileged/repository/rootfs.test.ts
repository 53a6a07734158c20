/**
 * Repository import on real Debian root file systems (scripts/rootfs.sh, cached; root needed for
 * debootstrap, chroot and mounts), through dist/cfsboot:
 *
 *  - `compute-id` = `create-image` on the debootstrapped bookworm rootfs (V1 and, from a dual
 *    repository, V2), and `fsck` of the result is clean;
 *  - seed "compute composefs' fs-verity in a multi-stage build": inside `unshare -m`, a copy of
 *    the rootfs bind-mounted elsewhere whose ROOT directory has another mode, owner, mtime and
 *    xattr gives the same id as the original (the root takes /usr's metadata), and a different
 *    one with --no-propagate-usr-to-root;
 *  - `--bootable` on the rootfs variant with Debian's SELinux policy (selinux-policy-default):
 *    the labels we put on every path of the rootfs, and on ~15,000 probe paths made from the
 *    policy's own specs, equal `matchpathcon` (libselinux 3.4, run in the rootfs by chroot) except
 *    where composefs-rs 0.9 deliberately differs from libselinux (see LIBSELINUX_ORDER below);
 *    compute-id --bootable = create-image --bootable = compute-karg.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXE, exeExists, runExe } from '../../helpers/exe.js';
import { mkdirs } from '../../helpers/tree.js';
import { buildRootfs } from '../../exe/differential/harness.js';
import { readFilesystem } from '../../../src/repository/import.js';
import { literalPrefix } from '../../../src/repository/selinux-matcher.js';
import { dirPolicySource, selabel, XATTR_SECURITY_SELINUX } from '../../../src/repository/selinux.js';
import {
  S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, newNode, sortedEntries, type Node,
} from '../../../src/tree/node.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) it.skip('repository on debootstrapped rootfs: needs root (debootstrap, chroot, mounts)', () => {});
if (isRoot && !exeExists) throw new Error(`${EXE} missing: run \`npm run build\` first`);

let work = '';
beforeAll(() => {
  if (isRoot) work = fs.mkdtempSync(path.join(os.tmpdir(), 'cfs-rootfs-'));
});
afterAll(() => {
  if (work !== '') fs.rmSync(work, { recursive: true, force: true });
}, 120_000);

function cfs(...args: string[]): string {
  const r = runExe(args);
  if (r.status !== 0) throw new Error(`cfsboot ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout.trim();
}

describe.skipIf(!isRoot)('compute-id = create-image on the debootstrapped bookworm rootfs', () => {
  let rootfs = '';
  beforeAll(() => {
    rootfs = buildRootfs();
  }, 600_000);

  it('V1 and V2 ids agree; fsck clean', () => {
    const repo = path.join(work, 'repo-plain');
    cfs('repo', 'init', '--insecure', '--dual', repo);
    const created = cfs('repo', '--repo', repo, 'create-image', rootfs, 'bookworm');
    expect(created).toMatch(/^sha512:[0-9a-f]{128}$/);
    const v1 = cfs('repo', 'compute-id', rootfs);
    const v2 = cfs('repo', '--erofs-version', '2', 'compute-id', rootfs);
    expect(created).toBe(`sha512:${v1}`);
    const images = fs.readdirSync(path.join(repo, 'images')).filter((n) => n !== 'refs').sort();
    expect(images).toEqual([v1, v2].sort());
    expect(cfs('repo', '--repo', repo, 'fsck').split('\n').pop()).toBe('status: ok');
    // The rootfs has hard links and files of every kind: the id is not the plain mkcomposefs one.
    expect(v1).not.toBe(cfs('repo', 'compute-id', '--no-propagate-usr-to-root', rootfs));
  }, 300_000);

  it('seed 004: a bind mount whose root has other metadata gives the same id (root rules)', () => {
    const copy = path.join(work, 'copy');
    const mnt = path.join(work, 'mnt');
    fs.mkdirSync(mnt);
    const cp = spawnSync('cp', ['-a', rootfs, copy], { encoding: 'utf8' });
    expect(cp.status, cp.stderr).toBe(0);
    const original = cfs('repo', 'compute-id', rootfs);
    const originalNoProp = cfs('repo', 'compute-id', '--no-propagate-usr-to-root', rootfs);
    expect(cfs('repo', 'compute-id', copy)).toBe(original);
    const q = JSON.stringify;
    const sh = [
      'set -e',
      `mount --bind ${q(copy)} ${q(mnt)}`,
      `chown 1234:5678 ${q(mnt)}`,
      `chmod 0711 ${q(mnt)}`,
      `touch -h -d @1 ${q(mnt)}`,
      `python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.build", b"stage1")' ${q(mnt)}`,
      `stat -c 'root %u:%g %a %Y' ${q(mnt)}`,
      `echo "id $(env -i ${q(EXE)} repo compute-id ${q(mnt)})"`,
      `echo "noprop $(env -i ${q(EXE)} repo compute-id --no-propagate-usr-to-root ${q(mnt)})"`,
      `echo "user $(env -i ${q(EXE)} repo compute-id --xattrs keep-user-xattrs ${q(mnt)})"`,
      `echo "karg $(env -i ${q(EXE)} repo compute-karg ${q(mnt)} 2>&1)"`,
    ].join('\n');
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', sh], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
    expect(out['root']).toBe('1234:5678 711 1');
    expect(out['id']).toBe(original);
    // root keeps its own metadata without propagation: differs from the original tree's
    expect(out['noprop']).toMatch(/^[0-9a-f]{128}$/);
    expect(out['noprop']).not.toBe(originalNoProp);
    // user.* xattrs of the root are replaced by /usr's (none) even when user xattrs are kept
    expect(out['user']).toBe(cfs('repo', 'compute-id', '--xattrs', 'keep-user-xattrs', rootfs));
    // The plain rootfs has no /sysroot: compute-karg (boot transform) refuses it as cfsctl does.
    expect(out['karg']).toBe('cfsboot: Directory entry "sysroot" does not exist');
  }, 300_000);
});

const TYPE_NAME: Record<number, string> = {
  [S_IFDIR]: 'dir', [S_IFREG]: 'file', [S_IFLNK]: 'lnk_file', [S_IFCHR]: 'chr_file', [S_IFBLK]: 'blk_file', [S_IFIFO]: 'pipe', [S_IFSOCK]: 'sock_file',
};
const TYPE_OF_CODE: Record<string, number> = { '-': S_IFREG, d: S_IFDIR, l: S_IFLNK, c: S_IFCHR, b: S_IFBLK, p: S_IFIFO, s: S_IFSOCK };

/**
 * Where composefs-rs 0.9 and libselinux disagree on Debian's policy: libselinux lets specs without
 * regex meta characters win over every regex spec (it sorts them last), composefs-rs takes the
 * last matching spec in file order (file_contexts, .local, .homedirs). `/root/restore -d` in
 * file_contexts loses to `/root/.+` in file_contexts.homedirs upstream. Upstream wins.
 */
const LIBSELINUX_ORDER: Record<string, string> = {
  'dir /root/restore': 'unconfined_u:object_r:user_home_t:s0',
};

/** Every node of `root` as `TYPE PATH` → label (`<<none>>` when unlabelled). */
function labelsOf(root: Node): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (n: Node, p: string): void => {
    out.set(`${TYPE_NAME[n.mode & S_IFMT]} ${p}`, n.xattrs.get(XATTR_SECURITY_SELINUX)?.toString() ?? '<<none>>');
    for (const [name, c] of sortedEntries(n)) walk(c, p === '/' ? `/${name}` : `${p}/${name}`);
  };
  walk(root, '/');
  return out;
}

/** matchpathcon in the rootfs for every `TYPE PATH` key; returns the keys whose label differs. */
function compareWithMatchpathcon(rootfs: string, ours: Map<string, string>): Map<string, string> {
  const byType = new Map<string, string[]>();
  for (const key of ours.keys()) {
    const sp = key.indexOf(' ');
    const t = key.slice(0, sp);
    if (!byType.has(t)) byType.set(t, []);
    byType.get(t)!.push(key.slice(sp + 1));
  }
  const diff = new Map<string, string>();
  let compared = 0;
  for (const [t, paths] of byType) {
    for (let i = 0; i < paths.length; i += 400) {
      const chunk = paths.slice(i, i + 400);
      const r = spawnSync('chroot', [rootfs, 'matchpathcon', '-m', t, ...chunk], { encoding: 'utf8', maxBuffer: 1 << 26 });
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout.split('\n').filter((l) => l !== '');
      expect(lines.length).toBe(chunk.length);
      lines.forEach((l, j) => {
        const [p, ctx] = l.split('\t');
        expect(p).toBe(chunk[j]);
        const key = `${t} ${p}`;
        compared++;
        if (ours.get(key) !== ctx) diff.set(key, `ours ${ours.get(key)}, matchpathcon ${ctx}`);
      });
    }
  }
  expect(compared).toBe(ours.size);
  return diff;
}

describe.skipIf(!isRoot)('--bootable on a rootfs with Debian\'s SELinux policy', () => {
  let rootfs = '';
  beforeAll(() => {
    rootfs = buildRootfs('selinux');
  }, 600_000);

  it('labels of every rootfs path equal matchpathcon (libselinux)', async () => {
    const tree = await readFilesystem(rootfs, { hash: 'sha256', bootable: true });
    const ours = labelsOf(tree);
    expect(ours.size).toBeGreaterThan(5000);
    expect(ours.get('file /usr/bin/ls')).toBe('system_u:object_r:bin_t:s0');
    expect(ours.get('file /etc/shadow')).toBe('system_u:object_r:shadow_t:s0');
    expect(ours.get('dir /')).toBe('system_u:object_r:root_t:s0');
    expect(Object.fromEntries(compareWithMatchpathcon(rootfs, ours))).toEqual({});
  }, 300_000);

  it('labels of probe paths made from every spec equal matchpathcon, except libselinux\'s exact-spec ordering', () => {
    const dir = path.join(rootfs, 'etc/selinux/default/contexts/files');
    const text = ['file_contexts', 'file_contexts.homedirs'].map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
    const probes = new Map<string, number>();
    for (const line of text.split('\n')) {
      const w = line.split(/\s+/).filter((x) => x !== '');
      if (w.length < 2 || w[0]!.startsWith('#')) continue;
      const type = w.length === 3 ? TYPE_OF_CODE[w[1]!.slice(1)]! : S_IFREG;
      const prefix = literalPrefix(w[0]!).replace(/\/+$/, '');
      if (!prefix.startsWith('/') || prefix.length < 2) continue;
      for (const p of [prefix, `${prefix}/probe`, `${prefix}x`]) probes.set(p, type);
    }
    // A tree holding the probes (parents are directories) and the rootfs's policy files.
    const root = newNode(S_IFDIR | 0o755);
    for (const [p, type] of [...probes].sort()) {
      const parts = p.split('/').filter((x) => x !== '');
      const d = mkdirs(root, parts.slice(0, -1));
      const name = parts[parts.length - 1]!;
      if (!d.children!.has(name)) d.children!.set(name, newNode(type | 0o644));
    }
    expect(selabel(root, dirPolicySource(rootfs))).toBe(true);
    const ours = labelsOf(root);
    expect(ours.size).toBeGreaterThan(10_000);
    const diff = compareWithMatchpathcon(rootfs, ours);
    expect([...diff.keys()]).toEqual(Object.keys(LIBSELINUX_ORDER));
    for (const [k, ctx] of Object.entries(LIBSELINUX_ORDER)) expect(ours.get(k)).toBe(ctx);
  }, 300_000);

  it('compute-id --bootable = create-image --bootable = compute-karg; labels differ the id', () => {
    const repo = path.join(work, 'repo-selinux');
    cfs('repo', 'init', '--insecure', repo);
    const created = cfs('repo', '--repo', repo, 'create-image', '--bootable', rootfs, 'os');
    const id = cfs('repo', 'compute-id', '--bootable', rootfs);
    expect(created).toBe(`sha512:${id}`);
    expect(cfs('repo', 'compute-karg', rootfs)).toBe(`composefs.digest=v1-sha512-12:${id}`);
    expect(cfs('repo', '--erofs-version', '2', '--insecure', 'compute-karg', rootfs)).toMatch(/^composefs=\?[0-9a-f]{128}$/);
    expect(cfs('repo', 'compute-id', rootfs)).not.toBe(id);
    expect(cfs('repo', '--repo', repo, 'fsck').split('\n').pop()).toBe('status: ok');
  }, 300_000);
});
