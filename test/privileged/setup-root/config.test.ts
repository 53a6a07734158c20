/**
 * The setup-root configuration file (boot.md §3.2, composefs-rs 0.9 keys and defaults) through
 * real mounts: /etc and /var as bind, none, overlay or transient, the `transient = true`
 * shorthand, `[root] transient = true` with bootc's visible-root fix (source
 * `transient:composefs=<hex>`, /etc, /var and /sysroot visible on the final root, tmpfs upper
 * 0755), and broken files failing closed. This file's fixture is a SHA-256 repository with V2
 * images, so the karg is `composefs=?<64 hex>`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectFailClosed, expectMountTable, expectSameTree, oneLine, type ExpectedPath } from './assertions.js';
import {
  buildFixture, Case, loopDevicesUnder, mountsAt, removeFixture, SKIP_REASON, type Fixture, type SysrootKind,
} from './helpers.js';

if (SKIP_REASON !== '') it.skip(`setup-root configuration [skipped: ${SKIP_REASON}]`, () => {});

const FLOATING: ExpectedPath = { erofs: 'file', layers: 'fd', assembly: 'floating' };
const MOUNT_FIRST: ExpectedPath = { erofs: 'file', layers: 'proc-fd', assembly: 'mount-first' };
const SIM_MOUNT_FIRST = { CFSBOOT_SIMULATE_MISSING: 'overlay-fd-layers' };

describe.skipIf(SKIP_REASON !== '')('setup-root: configuration file', () => {
  let f: Fixture;
  beforeAll(() => {
    f = buildFixture('config', { algorithm: 'sha256', erofsVersion: 2 });
    expect(f.main.karg).toMatch(/^composefs=\?[0-9a-f]{64}$/);
  });
  afterAll(() => {
    if (f !== undefined) expect(loopDevicesUnder(f.work)).toEqual([]);
    removeFixture(f);
  });

  /** A case with `toml` as configuration and the standard probes of /etc and /var. */
  function probe(label: string, toml: string, kind: SysrootKind = 'ext4', env: Record<string, string> = {}): { c: Case; r: ReturnType<Case['run']> } {
    const c = new Case(f, kind, label);
    fs.writeFileSync(c.config, toml);
    const h = f.main.hex;
    c.mountinfo('before')
      .tree('src', f.main.tree)
      .setupRoot('run', f.main.karg, { env })
      .mountinfo('after')
      .tree('mounted', c.sysroot, ['sysroot', 'var'])
      .read('hostname', c.p('etc/hostname'))
      .write('write-etc', c.p('etc/written'), 'etc\n')
      .write('write-var', c.p('var/written'), 'var\n')
      .write('write-root', c.p('written'), 'root\n')
      .read('var-image-file', c.p('var/lib/app/from-image'))
      .read('var-marker', c.p('var/state-marker'))
      .list('state-etc', c.p('sysroot/state/deploy', h, 'etc'))
      .list('state-var', c.p('sysroot/state/deploy', h, 'var'))
      .read('state-etc-upper-file', c.p('sysroot/state/deploy', h, 'etc/upper/written'))
      .read('state-etc-file', c.p('sysroot/state/deploy', h, 'etc/written'))
      .read('state-var-upper-file', c.p('sysroot/state/deploy', h, 'var/upper/written'))
      .read('state-var-file', c.p('sysroot/state/deploy', h, 'var/written'))
      .stat('root-stat', c.sysroot)
      .stat('etc-stat', c.p('etc'))
      .stat('var-stat', c.p('var'))
      .list('tmp-left', c.tmp)
      .sh('umount-R', `umount -R ${c.sysroot}`);
    const r = c.run();
    expect(r['run']!.status, r['run']!.stderr).toBe(0);
    expect(oneLine(r['run']!)).toContain(`mounted composefs:${h} on ${c.sysroot}`);
    expect(r['tmp-left']).toEqual({ ok: true, names: [] });
    return { c, r };
  }

  const physOf = (r: ReturnType<Case['run']>, c: Case) => mountsAt(r['before']!.mounts!, c.sysroot)[0]!;
  const ENOENT = { ok: false, code: 'ENOENT' };

  it('an empty file means the defaults: /etc overlay, /var bind (V2 image, composefs= karg)', () => {
    const { c, r } = probe('empty-file', '');
    expectMountTable(r['after']!.mounts!, c, f.main, { target: c.sysroot, physType: 'ext4', phys: physOf(r, c) }, FLOATING);
    expectSameTree(r['mounted']!, r['src']!);
    expect(r['state-etc-upper-file']).toEqual({ ok: true, text: 'etc\n' });
    expect(r['state-var-file']).toEqual({ ok: true, text: 'var\n' });
    const doc = c.statusDoc();
    expect(doc['config']).toEqual({ file: c.config, found: true, root: { transient: false }, etc: 'overlay', var: 'bind' });
    expect(doc['image']['formatVersion']).toBe(2);
    expect(doc['repository']['algorithm']).toBe('fsverity-sha256-12');
  });

  it('a missing file means the defaults too', () => {
    const c = new Case(f, 'ext4', 'no-file');
    const missing = path.join(c.dir, 'does-not-exist.toml');
    c.mountinfo('before').setupRoot('run', f.main.karg, { config: missing }).mountinfo('after');
    const r = c.run();
    expect(r['run']!.status, r['run']!.stderr).toBe(0);
    expectMountTable(r['after']!.mounts!, c, f.main, { target: c.sysroot, physType: 'ext4', phys: physOf(r, c) }, FLOATING);
    expect(c.statusDoc()['config']).toEqual({ file: missing, found: false, root: { transient: false }, etc: 'overlay', var: 'bind' });
  });

  it('etc = bind: /etc is the state directory itself', () => {
    const { c, r } = probe('etc-bind', '[etc]\nmount = "bind"\n');
    expectMountTable(r['after']!.mounts!, c, f.main, { target: c.sysroot, physType: 'ext4', phys: physOf(r, c) }, FLOATING, { etc: 'bind' });
    // the image's /etc is hidden by the (empty) state directory
    expect(r['hostname']).toEqual(ENOENT);
    expect(r['state-etc-file']).toEqual({ ok: true, text: 'etc\n' });
    expect(r['state-etc']!.names).toEqual(['written']);
  });

  it('etc = none: the image /etc, read-only', () => {
    const { c, r } = probe('etc-none', '[etc]\nmount = "none"\n');
    expectMountTable(r['after']!.mounts!, c, f.main, { target: c.sysroot, physType: 'ext4', phys: physOf(r, c) }, FLOATING, { etc: 'none' });
    expect(r['hostname']).toEqual({ ok: true, text: 'composefs-test\n' });
    expect(r['write-etc']).toEqual({ ok: false, code: 'EROFS' });
    expect(r['state-etc']!.names).toEqual([]);
  });

  it('etc = transient: writable, nothing reaches the state directory', () => {
    const { c, r } = probe('etc-transient', '[etc]\nmount = "transient"\n');
    expectMountTable(r['after']!.mounts!, c, f.main, { target: c.sysroot, physType: 'ext4', phys: physOf(r, c) }, FLOATING, { etc: 'transient' });
    expect(r['hostname']).toEqual({ ok: true, text: 'composefs-test\n' });
    expect(r['write-etc']!.ok).toBe(true);
    expect(r['state-etc']!.names).toEqual([]);
    expect(r['etc-stat']!.mode).toBe('755');
  });

  it('[etc] transient = true without mount = transient; [var] mount wins over transient = true', () => {
    const { c, r } = probe('shorthand', '[etc]\ntransient = true\n[var]\nmount = "bind"\ntransient = true\nunknown-key = 1\n[unknown-section]\nx = "y"\n');
    expectMountTable(r['after']!.mounts!, c, f.main, { target: c.sysroot, physType: 'ext4', phys: physOf(r, c) }, FLOATING, { etc: 'transient', var: 'bind' });
    expect(c.statusDoc()['config']).toMatchObject({ found: true, etc: 'transient', var: 'bind' });
  });

  it('var = none: the image /var, read-only', () => {
    const { c, r } = probe('var-none', '[var]\nmount = "none"\n');
    expectMountTable(r['after']!.mounts!, c, f.main, { target: c.sysroot, physType: 'ext4', phys: physOf(r, c) }, FLOATING, { var: 'none' });
    expect(r['var-image-file']!.ok).toBe(true);
    expect(r['write-var']).toEqual({ ok: false, code: 'EROFS' });
    expect(r['var-marker']).toEqual(ENOENT);
  });

  it('var = overlay: image /var below, upper in state/deploy/<hex>/var/upper', () => {
    const { c, r } = probe('var-overlay', '[var]\nmount = "overlay"\n');
    expectMountTable(r['after']!.mounts!, c, f.main, { target: c.sysroot, physType: 'ext4', phys: physOf(r, c) }, FLOATING, { var: 'overlay' });
    expect(r['var-image-file']!.ok).toBe(true);
    expect(r['state-var-upper-file']).toEqual({ ok: true, text: 'var\n' });
    expect(r['state-var']!.names).toEqual(['state-marker', 'upper', 'work']);
  });

  it('var = transient (mount-first path)', () => {
    const { c, r } = probe('var-transient', '[var]\nmount = "transient"\n', 'tmpfs', SIM_MOUNT_FIRST);
    expectMountTable(r['after']!.mounts!, c, f.main, { target: c.sysroot, physType: 'tmpfs', phys: physOf(r, c) }, { ...MOUNT_FIRST, erofs: 'loop' }, { var: 'transient' });
    expect(r['var-image-file']!.ok).toBe(true);
    expect(r['write-var']!.ok).toBe(true);
    expect(r['state-var']!.names).toEqual(['state-marker']);
    expect(r['var-stat']!.mode).toBe('755');
  });

  for (const [label, env, p] of [['floating', {}, FLOATING], ['mount-first', SIM_MOUNT_FIRST, MOUNT_FIRST]] as const) {
    it(`[root] transient = true (${label}): transient:composefs=<hex> on top, /etc /var /sysroot visible`, () => {
      const { c, r } = probe(`root-transient-${label}`, '[root]\ntransient = true\n', 'ext4', env);
      const h = f.main.hex;
      const after = r['after']!.mounts!;
      const at = mountsAt(after, c.sysroot);
      const phys = physOf(r, c);
      expect(at.map((m) => m.source)).toEqual([
        ...(p.assembly === 'mount-first' ? [phys.source] : []),
        `composefs:${h}`,
        `transient:composefs=${h}`,
      ]);
      const [cfs, tr] = at.slice(-2) as [typeof at[0], typeof at[0]];
      expect(tr.parent).toBe(cfs.id);
      expect(cfs.mountOptions).toContain('ro');
      expect(tr.mountOptions).toContain('rw');
      expect(tr.fstype).toBe('overlay');
      // bootc's visible-root fix: everything hangs off the transient overlay
      for (const sub of ['sysroot', 'etc', 'var']) {
        const m = mountsAt(after, path.join(c.sysroot, sub));
        expect(m, sub).toHaveLength(1);
        expect(m[0]!.parent, sub).toBe(tr.id);
      }
      expect(mountsAt(after, c.p('sysroot'))[0]!.mountOptions).toContain('ro');
      expectSameTree(r['mounted']!, r['src']!);
      // / is writable (tmpfs upper, mode 0755), nothing persists
      expect(r['write-root']!.ok).toBe(true);
      expect(r['root-stat']!.mode).toBe('755');
      expect(r['state-etc-upper-file']).toEqual({ ok: true, text: 'etc\n' });
      expect(r['state-var-file']).toEqual({ ok: true, text: 'var\n' });
      const doc = c.statusDoc();
      expect(doc['kernel']).toMatchObject({ assembly: p.assembly, layers: p.layers });
      expect(doc['mounts'].map((m: { path: string }) => m.path)).toEqual(['/', '/', '/sysroot', '/etc', '/var']);
      expect(doc['rootMountId']).toBe(tr.id);
    });
  }

  const BAD: Array<[string, string, RegExp]> = [
    ['invalid TOML', '[etc\nmount = "bind"\n', /invalid TOML/],
    ['unknown mount type', '[etc]\nmount = "volatile"\n', /etc\.mount: unknown variant "volatile"/],
    ['wrong value type (string for a bool)', '[root]\ntransient = "yes"\n', /root\.transient must be true or false/],
    ['wrong value type (number for a mount type)', '[var]\nmount = 1\n', /var\.mount: unknown variant 1/],
    ['a section that is not a table', 'etc = "overlay"\n', /\[etc\] must be a table/],
  ];
  for (const [label, toml, message] of BAD) {
    it(`fails closed on a bad configuration: ${label}`, () => {
      const c = new Case(f, 'tmpfs', `bad-${label}`);
      fs.writeFileSync(c.config, toml);
      c.mountinfo('before').setupRoot('run', f.main.karg).mountinfo('after').list('tmp-left', c.tmp);
      const r = c.run();
      const line = expectFailClosed(r, c.statusDoc(), { step: 'config', message });
      expect(line).toContain(c.config);
    });
  }
});
