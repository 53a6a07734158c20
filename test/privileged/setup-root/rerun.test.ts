/**
 * Running setup-root again (people do, by hand, in the emergency shell): after a success it says
 * the composefs root is already in place, exits 0 and changes nothing; after a partial run (a
 * mount-first root without its status record, a stale temp layer mount) it unwinds what was
 * left and mounts cleanly; a finished floating root is never unwound (the physical root is no
 * longer below it), with or without a status record.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectMountTable, oneLine, type ExpectedPath } from './assertions.js';
import {
  buildFixture, Case, lines, loopDevicesUnder, mountsAt, q, removeFixture, SKIP_REASON, type Fixture,
} from './helpers.js';

if (SKIP_REASON !== '') it.skip(`setup-root re-runs [skipped: ${SKIP_REASON}]`, () => {});

const PATHS: Array<[string, Record<string, string>, ExpectedPath]> = [
  ['floating', {}, { erofs: 'file', layers: 'fd', assembly: 'floating' }],
  ['mount-first', { CFSBOOT_SIMULATE_MISSING: 'overlay-fd-layers' }, { erofs: 'file', layers: 'proc-fd', assembly: 'mount-first' }],
];

describe.skipIf(SKIP_REASON !== '')('setup-root: re-run', () => {
  let f: Fixture;
  beforeAll(() => {
    f = buildFixture('rerun');
  });
  afterAll(() => {
    if (f !== undefined) expect(loopDevicesUnder(f.work)).toEqual([]);
    removeFixture(f);
  });

  for (const [label, env] of PATHS) {
    it(`after a success: "already in place", exit 0, mount table unchanged (${label})`, () => {
      const c = new Case(f, 'ext4', `again-${label}`);
      c.setupRoot('first', f.main.karg, { env })
        .mountinfo('after-first')
        .sh('keep-status', `cp ${q(c.status)} ${q(c.status)}.first`)
        .setupRoot('second', f.main.karg, { env })
        .mountinfo('after-second')
        // also as the emergency shell would, with another (valid) command line
        .setupRoot('third', `quiet ${f.main.karg} rw`, { env })
        .mountinfo('after-third');
      const r = c.run();
      expect(r['first']!.status, r['first']!.stderr).toBe(0);
      for (const run of ['second', 'third']) {
        expect(r[run]!.status, r[run]!.stderr).toBe(0);
        expect(oneLine(r[run]!)).toMatch(new RegExp(`^cfsboot: the composefs root is already in place: composefs:${f.main.hex} on ${c.sysroot} \\(mount \\d+\\); nothing to do$`));
      }
      expect(r['after-second']!.raw).toBe(r['after-first']!.raw);
      expect(r['after-third']!.raw).toBe(r['after-first']!.raw);
      const doc = c.statusDoc();
      expect(doc['result']).toBe('already-mounted');
      expect(doc['rootMountId']).toBe(mountsAt(r['after-first']!.mounts!, c.sysroot).at(-1)!.id);
      expect(doc['steps'].map((s: { step: string }) => s.step)).toEqual(['config', 'cmdline']);
    });
  }

  it('a killed mount-first run (root stacked, no status record) is unwound and mounted again cleanly', () => {
    const [, env, p] = PATHS[1]!;
    const c = new Case(f, 'tmpfs', 'killed-mount-first');
    c.mountinfo('before')
      .setupRoot('first', f.main.karg, { env })
      .sh('forget', `rm ${q(c.status)}`)
      .mountinfo('after-first')
      .setupRoot('second', f.main.karg, { env })
      .mountinfo('after-second')
      .read('hostname', c.p('etc/hostname'))
      .list('tmp-left', c.tmp);
    const r = c.run();
    expect(r['first']!.status).toBe(0);
    expect(r['second']!.status, r['second']!.stderr).toBe(0);
    const first = mountsAt(r['after-first']!.mounts!, c.sysroot);
    const l = lines(r['second']!.stderr);
    expect(l).toEqual([
      `cfsboot: cleaning up an earlier run: detached composefs:${f.main.hex} from ${c.sysroot} (mount ${first[1]!.id})`,
      expect.stringMatching(new RegExp(`^cfsboot: mounted composefs:${f.main.hex} on ${c.sysroot} \\(.*mount-first assembly\\)`)),
    ]);
    // exactly one composefs root again, on the same physical root mount as before the first run
    const phys = mountsAt(r['before']!.mounts!, c.sysroot)[0]!;
    const ovl = expectMountTable(r['after-second']!.mounts!, c, f.main, { target: c.sysroot, physType: 'tmpfs', phys }, { ...p, erofs: 'loop' });
    expect(ovl.source).toBe(`composefs:${f.main.hex}`);
    expect(r['hostname']).toEqual({ ok: true, text: 'composefs-test\n' });
    expect(r['tmp-left']).toEqual({ ok: true, names: [] });
    const doc = c.statusDoc();
    expect(doc['result']).toBe('ok');
    expect(doc['cleanup']).toEqual([`detached composefs:${f.main.hex} from ${c.sysroot} (mount ${first[1]!.id})`]);
  });

  it('a stale temp layer mount of a killed run is detached and removed', () => {
    const c = new Case(f, 'ext4', 'stale-layer');
    const stale = path.join(c.tmp, '.cfsboot-layer-Kil1ed');
    c.sh('stale', `mkdir ${q(stale)} && mount -t tmpfs stale ${q(stale)}`)
      .mountinfo('before', c.tmp)
      .setupRoot('run', f.main.karg, { env: PATHS[1]![1] })
      .mountinfo('after', c.tmp)
      .list('tmp-left', c.tmp);
    const r = c.run();
    expect(r['before']!.mounts!.map((m) => m.mountPoint)).toEqual([stale]);
    expect(r['run']!.status, r['run']!.stderr).toBe(0);
    expect(lines(r['run']!.stderr)).toEqual([
      `cfsboot: cleaning up an earlier run: detached stale layer mount ${stale}`,
      `cfsboot: cleaning up an earlier run: removed ${stale}`,
      expect.stringContaining(`cfsboot: mounted composefs:${f.main.hex}`),
    ]);
    expect(r['after']!.mounts).toEqual([]);
    expect(r['tmp-left']).toEqual({ ok: true, names: [] });
  });

  it('a finished floating root without a status record is left in place (its physical root is only at /sysroot/sysroot)', () => {
    const [, env, p] = PATHS[0]!;
    const c = new Case(f, 'ext4', 'floating-no-status');
    c.mountinfo('before')
      .setupRoot('first', f.main.karg, { env })
      .sh('forget', `rm ${q(c.status)}`)
      .mountinfo('after-first')
      .setupRoot('second', f.main.karg, { env })
      .mountinfo('after-second')
      .setupRoot('other', f.noEtc.karg, { env })
      .mountinfo('after-other');
    const r = c.run();
    expect(r['first']!.status).toBe(0);
    expect(r['second']!.status, r['second']!.stderr).toBe(0);
    expect(oneLine(r['second']!)).toMatch(/already in place: .*no earlier status record\); nothing to do$/);
    expect(r['after-second']!.raw).toBe(r['after-first']!.raw);
    expectMountTable(r['after-second']!.mounts!, c, f.main, { target: c.sysroot, physType: 'ext4', phys: mountsAt(r['before']!.mounts!, c.sysroot)[0]! }, p);
    // another image on the command line: refused, nothing detached
    expect(r['other']!.status).toBe(1);
    expect(oneLine(r['other']!)).toMatch(new RegExp(`already holds the composefs root composefs:${f.main.hex} .* not replacing it$`));
    expect(r['after-other']!.raw).toBe(r['after-first']!.raw);
  });
});
