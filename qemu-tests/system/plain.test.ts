/**
 * Baseline full-system boot: Debian trixie (systemd, dracut initramfs with our module) booted from
 * a UKI under OVMF with the rootfs as a PLAIN ext4 root (`root=PARTUUID=… rw`, no composefs karg).
 * Proves the UEFI/UKI/dracut chain the composefs boots build on, that our module is in the
 * initramfs and that its unit stays out of the way without a composefs karg. Also the baseline
 * of bench/boot.sh.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as h from '../lib/harness';
import * as s from './lib/system';

const reason = !h.cfsbootExists()
  ? 'dist/cfsboot not built; run `npm run build`'
  : process.getuid?.() !== 0
    ? 'needs root (debootstrap, chroot, mkfs)'
    : process.env.CFSBOOT_SYSTEM_TESTS === '0'
      ? 'CFSBOOT_SYSTEM_TESTS=0'
      : undefined;
if (reason) it.skip(`full-system plain boot [skipped: ${reason}]`, () => {});

describe.skipIf(reason !== undefined)('full-system boot, plain ext4 root (UKI, OVMF, dracut, systemd)', () => {
  const logs = reason ? '' : h.scratchDir('cfsboot-system-');
  let keep = false;
  afterAll(() => {
    if (!logs) return;
    if (keep) console.log(`[system] kept ${logs}`);
    else h.cleanup(logs);
    console.log(`[system] build steps (s): ${JSON.stringify(Object.fromEntries(Object.entries(s.timings).map(([k, v]) => [k, +v.toFixed(1)])))}`);
  });

  it('the initramfs carries our module; trixie boots to the probe with / on the ext4 partition', async () => {
    h.ensureAssets();
    const env = s.ensureSystemAssets();
    const ws = new s.Workspace(env);
    const kernel = 'trixie-6.12';
    const initrd = ws.initrd(kernel);
    const listing = s.listInitrd(initrd);
    for (const p of [
      'usr/bin/cfsboot',
      'usr/bin/composefs-setup-root',
      'usr/lib/systemd/system/cfsboot-setup-root.service',
      'usr/lib/systemd/system/initrd-root-fs.target.wants/cfsboot-setup-root.service',
    ]) {
      expect(listing, p).toContain(p);
    }
    expect(listing.some((p) => /\/erofs\.ko/.test(p)), 'erofs module').toBe(true);
    expect(listing.some((p) => /\/overlay\.ko/.test(p)), 'overlay module').toBe(true);

    const esp = ws.espDisk(kernel, s.cmdline());
    const root = ws.plainRootDisk();
    const r = await s.bootUefi(env, { disks: [{ file: esp }, { file: root, snapshot: true }], logFile: path.join(logs, 'plain.log') });
    keep = true;
    expect(r.probeDone, s.describeUefi('plain', r)).toBe(true);
    expect(r.panic).toBeUndefined();
    expect(s.one(r, 'kernel')).toBe(ws.kernel(kernel).kver);
    expect(s.one(r, 'cmdline')).toBe(s.cmdline());
    expect(s.one(r, 'mount:/')).toMatch(/^\/dev\/vdb1 ext4 rw\b/);
    expect(s.one(r, 'root-writable')).toBe('yes');
    // our unit is in the initramfs but has nothing to do without a composefs karg
    expect(h.resultValues(r, 'setup-root-journal').join('\n')).toMatch(/cfsboot-setup-root\.service.*skipped, no trigger condition checks were met/);
    expect(s.one(r, 'failed-units')).toBe('');
    const initrdUsec = Number(s.one(r, 'initrd-duration-usec'));
    expect(initrdUsec).toBeGreaterThan(0);
    console.log(`[system] plain boot ${kernel}: ${r.seconds.toFixed(1)} s wall, initrd ${(initrdUsec / 1e6).toFixed(1)} s`);
    keep = false;
    fs.rmSync(r.logFile, { force: true });
  });
});
