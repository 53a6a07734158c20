/**
 * `cfsboot status` after real setup-root runs (a success, and refused boots: no image for the
 * karg, image digest ≠ karg), and `cfsboot check` of a UKI (a PE file with a `.cmdline` section)
 * whose karg names an existing image, a missing image, or lacks its state directory.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXE } from '../../helpers/exe.js';
import { makePe, makeUki } from '../../helpers/pe.js';
import { buildFixture, q, removeFixture, SKIP_REASON, type Fixture } from './helpers.js';

if (SKIP_REASON !== '') it.skip(`cfsboot status / check [skipped: ${SKIP_REASON}]`, () => {});

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(EXE, args, { encoding: 'utf8', env: {} });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(SKIP_REASON !== '')('cfsboot status and check', () => {
  let f: Fixture;
  let dir: string;
  beforeAll(() => {
    f = buildFixture('stc');
    dir = fs.mkdtempSync(path.join(f.work, 'stc-'));
  });
  afterAll(() => removeFixture(f));

  /** setup-root on a tmpfs copy of the physical root, then `cfsboot status`, in one namespace. */
  function bootThenStatus(label: string, cmdline: string, prepare = ''): { rc: number; status: string; statusRc: number; after: string; afterRc: number } {
    const s = path.join(dir, label);
    const st = path.join(dir, `${label}.json`);
    fs.mkdirSync(s);
    const script = `
S=${q(s)}; H=${f.main.hex}; N=${f.noEtc.hex}
mount -t tmpfs tmpfs "$S" && cp -a ${q(f.phys)}/. "$S"/
${prepare}
${q(EXE)} setup-root --sysroot "$S" --cmdline ${q(cmdline)} --status-file ${q(st)} 2>/dev/null; echo "rc=$?"
${q(EXE)} status --file ${q(st)}; echo "status-rc=$?"
umount -R "$S"
echo "--- after"
${q(EXE)} status --file ${q(st)}; echo "after-rc=$?"`;
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'bash', '-c', script], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
    expect(r.status, r.stderr).toBe(0);
    const [during, after] = r.stdout.split('--- after\n');
    const rc = Number(/^rc=(\d+)$/m.exec(during!)![1]);
    const statusRc = Number(/^status-rc=(\d+)$/m.exec(during!)![1]);
    const afterRc = Number(/^after-rc=(\d+)$/m.exec(after!)![1]);
    const status = during!.replace(/^rc=\d+\n/m, '').replace(/^status-rc=\d+\n/m, '');
    return { rc, status, statusRc, after: after!.replace(/^after-rc=\d+\n/m, ''), afterRc };
  }

  it('after a successful boot: OK, the karg, the kernel path, and that the root is in place (exit 0); not in place after umount (exit 1)', () => {
    const r = bootThenStatus('ok', `rw ${f.main.karg}`);
    expect(r.rc).toBe(0);
    expect(r.status).toContain(`composefs boot: OK. The root filesystem is composefs image ${f.main.hex}.`);
    expect(r.status).toContain(`karg:      ${f.main.karg}`);
    expect(r.status).toMatch(/kernel: {4}Linux .*layers passed as file descriptors; tree assembled detached/);
    expect(r.status).toMatch(/mount: {5}\/etc {6}overlay, upper /);
    expect(r.status).toMatch(/— the composefs root recorded above\.\n$/);
    expect(r.statusRc).toBe(0);
    expect(r.after).toMatch(/the composefs root is NOT mounted there\.\n$/);
    expect(r.afterRc).toBe(1);
  });

  it('after a boot refused for lack of an image: the step, the reason, each karg with its outcome (exit 1)', () => {
    const missing = `composefs.digest=?v1-${f.hash}-12:${'0'.repeat(f.hash === 'sha512' ? 128 : 64)}`;
    const r = bootThenStatus('missing', `rw ${missing}`);
    expect(r.rc).toBe(1);
    const lines = r.status.split('\n');
    expect(lines[0]).toBe('composefs boot: FAILED while finding and verifying the image named by the karg.');
    expect(lines[1]).toMatch(/^ {2}reason: {4}no composefs image found in .*\/composefs\/images \(tried: 0+\)$/);
    expect(r.status).toContain(`karg:      ${missing} → not-found`);
    expect(r.status).toContain('Nothing was mounted by setup-root');
    expect(r.statusRc).toBe(1);
  });

  it('after a tampered image (images/<hex> replaced by another image): the digests expected and found', () => {
    const r = bootThenStatus('tampered', `rw ${f.main.karg}`, 'rm "$S/composefs/images/$H" && ln -s "$N" "$S/composefs/images/$H" 2>/dev/null || cp -P "$S/composefs/images/$N" "$S/composefs/images/$H"');
    expect(r.rc).toBe(1);
    expect(r.status.split('\n')[0]).toBe('composefs boot: FAILED while finding and verifying the image named by the karg.');
    expect(r.status).toMatch(new RegExp(`reason: {4}checking the image: .*does not match the karg: expected ${f.hash}:${f.main.hex}, found ${f.hash}:${f.noEtc.hex}`));
    expect(r.statusRc).toBe(1);
  });

  describe('check --uki', () => {
    const uki = (name: string, cmdline: string): string => {
      const p = path.join(dir, `${name}.efi`);
      fs.writeFileSync(p, makeUki(cmdline));
      return p;
    };

    it('a UKI whose karg names an existing image: every check ok, exit 0', () => {
      const r = run(['check', '--uki', uki('good', `root=UUID=x rw ${f.main.karg}`), '--sysroot', f.phys]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`(.cmdline): 1 composefs karg(s)`);
      expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(`The next boot would succeed: composefs:${f.main.hex} WITHOUT verity (insecure karg)`);
    });

    it('a UKI whose karg has no image: FAIL, exit 1, the verdict names the images directory and the digest', () => {
      const hex = 'ab'.repeat(f.hash === 'sha512' ? 64 : 32);
      const r = run(['check', '--uki', uki('noimage', `rw composefs.digest=?v1-${f.hash}-12:${hex}`), '--sysroot', f.phys]);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`^FAIL  no composefs image found in ${f.phys}/composefs/images \\(tried: ${hex}\\)$`, 'm'));
      expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^The next boot would FAIL: no composefs image found/);
    });

    it('a secure karg on this (non-verity) repository: FAIL naming require_verity', () => {
      const r = run(['check', '--uki', uki('secure', `rw ${f.main.secureKarg}`), '--sysroot', f.phys]);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/^FAIL  opening the composefs repository: .*repository was not initialized with fs-verity/m);
    });

    it('an image without its state directory: FAIL naming the path', () => {
      const phys = path.join(dir, 'nostate');
      fs.cpSync(f.phys, phys, { recursive: true, verbatimSymlinks: true });
      fs.rmSync(path.join(phys, 'state/deploy', f.main.hex), { recursive: true });
      const r = run(['check', '--uki', uki('nostate', `rw ${f.main.karg}`), '--sysroot', phys]);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`^FAIL  state directory ${phys}/state/deploy/${f.main.hex}: .*No such file or directory$`, 'm'));
    });

    it('a file that is not a UKI, and a UKI without .cmdline: one line, exit 1', () => {
      const notPe = path.join(dir, 'not.efi');
      fs.writeFileSync(notPe, '#!/bin/sh\n');
      const r = run(['check', '--uki', notPe, '--sysroot', f.phys]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`cfsboot: ${notPe}: not a PE file (truncated DOS header)\n`);
      const noCmdline = path.join(dir, 'nocmdline.efi');
      fs.writeFileSync(noCmdline, makePe([{ name: '.linux', data: Buffer.alloc(64) }]));
      const r2 = run(['check', '--uki', noCmdline, '--sysroot', f.phys]);
      expect(r2.status).toBe(1);
      expect(r2.stderr).toBe(`cfsboot: ${noCmdline}: the UKI has no .cmdline section\n`);
      expect(run(['check', '--uki', notPe, '--cmdline', 'x']).status).toBe(2);
    });
  });
});
