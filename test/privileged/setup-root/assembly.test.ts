/**
 * The whole setup-root assembly on this kernel (6.18: floating, fd layers) and on every simulated
 * older-kernel path (CFSBOOT_SIMULATE_MISSING), each on a tmpfs physical root (EROFS via a loop
 * device) and on a loop-mounted ext4 (file-backed EROFS): final mount table per boot.md §3.7, the
 * tree through the mounts equal to the source, `/` and the `/sysroot` clone read-only, writes to
 * /etc and /var landing in the deployment's state, status.json, `umount -R` undoing it, and the
 * `--target` variant. Runs as root inside `unshare -m --propagation private`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXE } from '../../helpers/exe.js';
import {
  expectMountTable, expectOkStatus, expectSameTree, oneLine, type ExpectedPath,
} from './assertions.js';
import {
  buildFixture, Case, loopDevicesUnder, mountsAt, removeFixture, SKIP_REASON, SYSROOT_KINDS, type Fixture, type SysrootKind,
} from './helpers.js';

if (SKIP_REASON !== '') it.skip(`setup-root assembly [skipped: ${SKIP_REASON}]`, () => {});

interface KernelCase {
  name: string;
  simulate: string;
  expect: (kind: SysrootKind) => ExpectedPath;
}

/** On tmpfs EROFS cannot be file-backed (ENOTBLK): the loop device is used without any simulation. */
const erofsOn = (kind: SysrootKind): 'file' | 'loop' => (kind === 'tmpfs' ? 'loop' : 'file');

const PATHS: KernelCase[] = [
  { name: 'this kernel (floating, fd layers)', simulate: '', expect: (k) => ({ erofs: erofsOn(k), layers: 'fd', assembly: 'floating' }) },
  { name: 'no file-backed EROFS (loop device)', simulate: 'erofs-file-backed', expect: () => ({ erofs: 'loop', layers: 'fd', assembly: 'floating' }) },
  { name: 'no fd layers (proc-fd strings, mount-first)', simulate: 'overlay-fd-layers', expect: (k) => ({ erofs: erofsOn(k), layers: 'proc-fd', assembly: 'mount-first' }) },
  {
    name: 'no lowerdir+ (one lowerdir=A::B string, mount-first)',
    simulate: 'overlay-fd-layers,overlay-lowerdir-plus',
    expect: (k) => ({ erofs: erofsOn(k), layers: 'lowerdir-string', assembly: 'mount-first' }),
  },
  { name: 'legacy overlay parser (mount(2), mount-first)', simulate: 'overlay-new-api', expect: (k) => ({ erofs: erofsOn(k), layers: 'legacy', assembly: 'mount-first' }) },
];

const timings: string[] = [];

describe.skipIf(SKIP_REASON !== '')('setup-root: whole assembly', () => {
  let f: Fixture;
  beforeAll(() => {
    f = buildFixture('assembly');
  });
  afterAll(() => {
    if (timings.length > 0) console.log(`setup-root wall time per path (status.json totalMs; exec→exit ms):\n${timings.join('\n')}`);
    if (f !== undefined) expect(loopDevicesUnder(f.work)).toEqual([]);
    removeFixture(f);
  });

  for (const kind of SYSROOT_KINDS) {
    for (const kp of PATHS) {
      it(`${kp.name}, physical root on ${kind}`, () => {
        const p = kp.expect(kind);
        const c = new Case(f, kind, `${kind}-${kp.simulate || 'native'}`);
        const h = f.main.hex;
        const physState = (...s: string[]): string => c.p('sysroot', 'state/deploy', h, ...s);
        c.mountinfo('before')
          .tree('src', f.main.tree)
          .setupRoot('run', f.main.karg, { env: kp.simulate !== '' ? { CFSBOOT_SIMULATE_MISSING: kp.simulate } : {} })
          .mountinfo('after')
          .tree('mounted', c.sysroot, ['sysroot', 'var'])
          .write('write-root', c.p('written-at-boot'), 'x')
          .write('write-sysroot-clone', c.p('sysroot', 'written-at-boot'), 'x')
          .write('write-etc', c.p('etc', 'written-at-boot'), 'etc data\n')
          .read('etc-upper', physState('etc/upper/written-at-boot'))
          .write('write-var', c.p('var', 'written-at-boot'), 'var data\n')
          .read('var-state', physState('var/written-at-boot'))
          .read('var-marker', c.p('var', 'state-marker'))
          .list('sysroot-dir', c.p('sysroot'))
          .list('tmp-left', c.tmp)
          .sh('umount-R', `umount -R ${c.sysroot}`)
          .mountinfo('end');
        const r = c.run();
        const line = oneLine(r['run']!);
        expect(r['run']!.status, r['run']!.stderr).toBe(0);
        expect(line).toMatch(new RegExp(`^cfsboot: mounted composefs:${h} on ${c.sysroot} \\(`));
        expect(line).toContain(p.assembly === 'floating' ? 'floating assembly' : 'mount-first assembly');

        const phys = mountsAt(r['before']!.mounts!, c.sysroot);
        expect(phys).toHaveLength(1);
        const ovl = expectMountTable(r['after']!.mounts!, c, f.main, { target: c.sysroot, physType: kind, phys: phys[0]! }, p);

        expectSameTree(r['mounted']!, r['src']!);
        // `/` and the physical root clone are read-only
        expect(r['write-root']).toEqual({ ok: false, code: 'EROFS' });
        expect(r['write-sysroot-clone']).toEqual({ ok: false, code: 'EROFS' });
        // writes to /etc land in state/deploy/<hex>/etc/upper, to /var in state/deploy/<hex>/var
        expect(r['write-etc']!.ok).toBe(true);
        expect(r['etc-upper']).toEqual({ ok: true, text: 'etc data\n' });
        expect(r['write-var']!.ok).toBe(true);
        expect(r['var-state']).toEqual({ ok: true, text: 'var data\n' });
        expect(r['var-marker']).toEqual({ ok: true, text: 'state of tree\n' });
        expect(r['sysroot-dir']!.names).toEqual(['composefs', 'state']);
        // temp layer mount points are gone
        expect(r['tmp-left']).toEqual({ ok: true, names: [] });

        const doc = c.statusDoc();
        expectOkStatus(doc, f.main, p, kp.simulate !== '');
        expect(doc['rootMountId']).toBe(ovl.id);
        expect(doc['mounts'].map((m: { path: string }) => m.path)).toEqual(['/', '/sysroot', '/etc', '/var']);
        expect(doc['repository']).toEqual({ path: c.p('composefs'), algorithm: 'fsverity-sha512-12', metaVerity: false });
        timings.push(`  ${kind.padEnd(5)} ${kp.simulate || 'native'}: ${doc['totalMs']} ms (${doc['kernel']['assembly']}, EROFS ${doc['kernel']['erofs']}, layers ${doc['kernel']['layers']}); exec→exit ${r['run']!.ms!.toFixed(0)} ms`);

        // umount -R: floating leaves nothing (the physical root was detached); mount-first
        // returns to the physical root exactly as it was before the run (boot.md §3.7)
        const end = r['end']!.mounts!;
        if (p.assembly === 'floating') expect(end).toEqual([]);
        else expect(r['end']!.mounts).toEqual(r['before']!.mounts);
      });
    }
  }

  it('as composefs-setup-root (multi-call name), the composefs karg among other kargs', () => {
    const c = new Case(f, 'ext4', 'multicall');
    const link = path.join(c.dir, 'composefs-setup-root');
    fs.symlinkSync(EXE, link);
    c.setupRoot('run', `root=UUID=1234 quiet ${f.main.karg} rw`, { exe: link, argv0: [] }).mountinfo('after');
    const r = c.run();
    expect(r['run']!.status, r['run']!.stderr).toBe(0);
    expect(oneLine(r['run']!)).toContain(`mounted composefs:${f.main.hex}`);
    expect(mountsAt(r['after']!.mounts!, c.sysroot).map((m) => m.source)).toEqual([`composefs:${f.main.hex}`]);
    expect(c.statusDoc()['cmdline']).toBe(`root=UUID=1234 quiet ${f.main.karg} rw`);
  });

  for (const kp of [PATHS[0]!, PATHS[2]!]) {
    it(`--target: the result is mounted elsewhere, the sysroot untouched (${kp.name})`, () => {
      const p = kp.expect('ext4');
      const c = new Case(f, 'ext4', `target-${kp.simulate || 'native'}`);
      const target = path.join(c.dir, 'target');
      fs.mkdirSync(target);
      c.mountinfo('before')
        .setupRoot('run', f.main.karg, { extra: ['--target', target], env: kp.simulate !== '' ? { CFSBOOT_SIMULATE_MISSING: kp.simulate } : {} })
        .mountinfo('after')
        .read('hostname', path.join(target, 'etc/hostname'))
        .write('write-etc', path.join(target, 'etc', 'via-target'), 'v\n')
        .read('etc-upper', c.state(f.main.hex, 'etc/upper/via-target'))
        .sh('umount-R', `umount -R ${target}`)
        .mountinfo('end');
      const r = c.run();
      expect(r['run']!.status, r['run']!.stderr).toBe(0);
      expect(oneLine(r['run']!)).toContain(`mounted composefs:${f.main.hex} on ${target} (`);
      const before = r['before']!.mounts!;
      const after = r['after']!.mounts!;
      // the sysroot keeps exactly its physical root mount
      expect(mountsAt(after, c.sysroot)).toEqual(mountsAt(before, c.sysroot));
      expectMountTable(after.filter((m) => m.mountPoint.startsWith(target)), c, f.main, { target, physType: 'ext4', phys: mountsAt(before, c.sysroot)[0]! }, p);
      expect(r['hostname']).toEqual({ ok: true, text: 'composefs-test\n' });
      expect(r['etc-upper']).toEqual({ ok: true, text: 'v\n' });
      const doc = c.statusDoc();
      expect(doc).toMatchObject({ result: 'ok', sysroot: c.sysroot, target });
      expect(r['end']!.mounts).toEqual(before);
    });
  }
});
