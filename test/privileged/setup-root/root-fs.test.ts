/**
 * The `--root-fs` testing flow that composefs-rs runs by hand (boot.md §6, tests/test.sh),
 * automated and written anew: a fake root tree bind-mounted read-only onto itself, a directory
 * standing in for the block device (repository + deployment state) bind-mounted on the sysroot,
 * then `setup-root --config <empty> --cmdline composefs=<64 hex> --root-fs <tree> --sysroot
 * <sysroot>`. `/` must refuse writes, /etc and /var writes must land in the deployment state,
 * and `umount -R` must take everything away. Run in a mount namespace as root, and — as upstream
 * runs it — in a user namespace (`unshare -Umr`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneLine } from './assertions.js';
import { Case, hostMountsUnder, mountsAt, q, SKIP_REASON } from './helpers.js';

if (SKIP_REASON !== '') it.skip(`setup-root --root-fs flow [skipped: ${SKIP_REASON}]`, () => {});

const ID = '0123456789abcdef'.repeat(4);

/** Whether this host lets an unprivileged user namespace mount (it is root here, but a sysctl may forbid it). */
function userNamespacesWork(): string {
  const r = spawnSync('unshare', ['-Umr', '--propagation', 'private', 'sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs x "$d" && umount "$d" && rmdir "$d"'], { encoding: 'utf8' });
  return r.status === 0 ? '' : `user namespaces cannot mount here: ${r.stderr.trim()}`;
}

describe.skipIf(SKIP_REASON !== '')('setup-root: the --root-fs flow of composefs-rs', () => {
  let work: string;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-sr-rootfs-'));
  });
  afterAll(() => {
    expect(hostMountsUnder(work)).toEqual([]);
    fs.rmSync(work, { recursive: true, force: true });
  });

  function flow(label: string, unshare: string[]): void {
    const c = new Case({ work, phys: '' }, 'none', label);
    const rootFs = path.join(c.dir, 'root-fs');
    const blk = path.join(c.dir, 'blkdev');
    const state = path.join(blk, 'state/deploy', ID);
    // the fake root: what the image would contain
    for (const d of ['etc', 'var', 'sysroot', 'usr/bin']) fs.mkdirSync(path.join(rootFs, d), { recursive: true });
    fs.writeFileSync(path.join(rootFs, 'etc/os-release'), 'ID=root-fs-test\n');
    fs.writeFileSync(path.join(rootFs, 'usr/bin/tool'), '#!/bin/sh\n');
    // the "block device": repository directory and the deployment state
    for (const d of ['composefs', 'state/deploy/' + ID + '/etc', 'state/deploy/' + ID + '/var']) fs.mkdirSync(path.join(blk, d), { recursive: true });
    c.sh('binds', [
      `mount --bind ${q(rootFs)} ${q(rootFs)}`,
      `mount -o remount,bind,ro ${q(rootFs)}`,
      `mount --bind ${q(blk)} ${q(c.sysroot)}`,
    ].join(' && '))
      .mountinfo('before')
      .setupRoot('run', `composefs=${ID}`, { extra: ['--root-fs', rootFs] })
      .mountinfo('after')
      .sh('touch-root', `touch ${q(c.p('a'))}`, false)
      .sh('write-etc', `echo persisted > ${q(c.p('etc/persists.conf'))}`)
      .sh('write-var', `echo db > ${q(c.p('var/persists.db'))}`)
      .read('os-release', c.p('etc/os-release'))
      .list('sysroot-sysroot', c.p('sysroot'))
      .sh('umount-sysroot', `umount -R ${q(c.sysroot)}`)
      .mountinfo('after-umount')
      .sh('umount-test-binds', `umount -R ${q(c.sysroot)} && umount -R ${q(rootFs)}`)
      .mountinfo('end');
    const r = c.run(unshare);
    expect(r['run']!.status, r['run']!.stderr).toBe(0);
    expect(oneLine(r['run']!)).toMatch(new RegExp(`^cfsboot: mounted composefs:${ID} on ${c.sysroot} \\(no verity \\(--root-fs\\), mount-first assembly\\)`));
    const at = mountsAt(r['after']!.mounts!, c.sysroot);
    expect(at).toHaveLength(2); // the "block device" bind, the root-fs clone on it
    expect(at[1]!.mountOptions).toContain('ro');
    expect(mountsAt(r['after']!.mounts!, c.p('etc'))[0]!.source).toBe('overlay');
    expect(mountsAt(r['after']!.mounts!, c.p('var'))[0]!.root).toMatch(new RegExp(`/state/deploy/${ID}/var$`));
    expect(mountsAt(r['after']!.mounts!, c.p('sysroot'))[0]!.mountOptions).toContain('ro');
    // `touch /a` fails: the root is read-only
    expect(r['touch-root']!.status).not.toBe(0);
    expect(r['touch-root']!.stderr).toMatch(/Read-only file system/);
    expect(r['os-release']).toEqual({ ok: true, text: 'ID=root-fs-test\n' });
    expect(r['sysroot-sysroot']!.names).toEqual(['composefs', 'state']);
    // umount -R of the sysroot undoes the run; the test's own binds go next, and nothing is left
    expect(r['after-umount']!.raw).toBe(r['before']!.raw);
    expect(r['end']!.mounts).toEqual([]);
    // the writes are in the deployment state on the "block device" (a plain host directory)
    expect(fs.readFileSync(path.join(state, 'etc/upper/persists.conf'), 'utf8')).toBe('persisted\n');
    expect(fs.readFileSync(path.join(state, 'var/persists.db'), 'utf8')).toBe('db\n');
    expect(fs.readdirSync(path.join(state, 'etc')).sort()).toEqual(['upper', 'work']);
    const doc = c.statusDoc();
    expect(doc).toMatchObject({ result: 'ok', rootFs, kargs: [{ hex: ID, insecure: false, outcome: 'mounted' }] });
    expect(doc['image']).toBeUndefined();
  }

  it('as root in a mount namespace', () => {
    flow('root', ['-m', '--propagation', 'private']);
  });

  const userns = userNamespacesWork();
  it.skipIf(userns !== '')(`in a user namespace (unshare -Umr), as upstream runs it${userns !== '' ? ` [skipped: ${userns}]` : ''}`, () => {
    flow('userns', ['-Umr', '--propagation', 'private']);
  });

  it('refuses without any composefs karg, even with --root-fs', () => {
    const c = new Case({ work, phys: '' }, 'none', 'no-karg');
    fs.mkdirSync(path.join(c.dir, 'root-fs'));
    c.sh('bind', `mount --bind ${q(c.sysroot)} ${q(c.sysroot)}`)
      .mountinfo('before')
      .setupRoot('run', 'quiet rw', { extra: ['--root-fs', path.join(c.dir, 'root-fs')] })
      .mountinfo('after');
    const r = c.run();
    expect(r['run']!.status).toBe(1);
    expect(oneLine(r['run']!)).toMatch(/no composefs karg found in kernel cmdline$/);
    expect(r['after']!.raw).toBe(r['before']!.raw);
  });
});
