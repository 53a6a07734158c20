/**
 * Full-system composefs boots (issue 7): Debian trixie booted from a UKI under OVMF whose .cmdline
 * carries the composefs karg; our dracut module's unit runs `composefs-setup-root` in the
 * initramfs, on repositories made by our own `cfsboot repo` (secure ones inside a helper VM, see
 * lib/repos.ts). Cases: V1 via composefs.digest= (and a reboot: /etc and /var persist), V2 via
 * composefs=, a dual repository booting either (V1 on trixie 6.12, V2 on sid 7.x), `?` insecure on
 * a disk without verity; tamper cases that must end in the initramfs' emergency mode with our
 * one-line reason and nothing mounted, and a replaced object that fails only when read (EIO).
 * Boots run one after the other.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as h from '../lib/harness';
import * as rp from './lib/repos';
import * as s from './lib/system';

const reason = !h.cfsbootExists()
  ? 'dist/cfsboot not built; run `npm run build`'
  : process.getuid?.() !== 0
    ? 'needs root (debootstrap, chroot, mkfs)'
    : process.env.CFSBOOT_SYSTEM_TESTS === '0'
      ? 'CFSBOOT_SYSTEM_TESTS=0'
      : undefined;
if (reason) it.skip(`full-system composefs boots [skipped: ${reason}]`, () => {});

const TRIXIE = 'trixie-6.12';
const SID = 'sid-7.2';

describe.skipIf(reason !== undefined)('full-system composefs boots (UKI, OVMF, dracut module, systemd)', () => {
  let env: s.SystemEnv;
  let ws: s.Workspace;
  let repos: rp.Repos;
  const logs = reason ? '' : h.scratchDir('cfsboot-system-');
  let keep = false;
  const wall: Record<string, number> = {};

  beforeAll(async () => {
    h.ensureAssets();
    env = s.ensureSystemAssets();
    ws = new s.Workspace(env);
    repos = await rp.repos(ws);
  });
  afterAll(() => {
    if (!logs) return;
    // a boot's log is removed once its case passed: any log left belongs to a failed case
    if (keep || fs.readdirSync(logs).some((f) => f.endsWith('.log'))) console.log(`[system] kept ${logs}`);
    else h.cleanup(logs);
    const r = (o: Record<string, number>): string => JSON.stringify(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, +v.toFixed(1)])));
    console.log(`[system] build steps (s): ${r(s.timings)}`);
    console.log(`[system] boots (s wall): ${r(wall)}`);
  });

  /** boots `disk` with a UKI for `kernel` carrying `kargs`; the root disk is a throw-away snapshot unless `persist` */
  async function boot(name: string, kernel: string, kargs: string[], disk: string, o: Partial<s.UefiBootOptions> & { persist?: boolean } = {}): Promise<s.UefiBoot> {
    const esp = ws.espDisk(kernel, s.cmdline(...kargs));
    const r = await s.bootUefi(env, {
      disks: [{ file: esp }, { file: disk, snapshot: !o.persist }],
      logFile: path.join(logs, `${name}.log`),
      ...o,
    });
    wall[name] = r.seconds;
    keep = true; // until the caller's assertions passed
    return r;
  }
  function passed(r: s.UefiBoot): void {
    keep = false;
    fs.rmSync(r.logFile, { force: true });
  }

  /** what every successful composefs boot must show */
  function expectComposefsRoot(r: s.UefiBoot, hex: string, kernel: string, verity: 'require' | 'none'): void {
    expect(r.probeDone, s.describeUefi('composefs', r)).toBe(true);
    expect(r.panic).toBeUndefined();
    expect(r.emergency).toBe(false);
    expect(s.one(r, 'kernel')).toBe(ws.kernel(kernel).kver);
    // / is the composefs overlay, read-only
    const root = s.one(r, 'mount:/');
    expect(root).toMatch(new RegExp(`^composefs:${hex} overlay ro\\b`));
    if (verity === 'require') expect(root).toMatch(/verity=require/);
    else expect(root).not.toMatch(/verity=require/);
    expect(s.one(r, 'root-writable')).toBe('no');
    expect(s.one(r, 'usr-writable')).toBe('no');
    // the physical root is at /sysroot, read-only
    expect(s.one(r, 'mount:/sysroot')).toMatch(/^\/dev\/vdb1 ext4 ro\b/);
    expect(s.one(r, 'sysroot-ls').split(' ')).toEqual(expect.arrayContaining(['composefs', 'state']));
    expect(s.one(r, 'sysroot-writable')).toBe('no');
    // /etc is an overlay on the deployment's state, /var a bind of it
    expect(s.one(r, 'mount:/etc')).toMatch(/ overlay rw\b/);
    expect(s.one(r, 'mount:/var')).toMatch(/^\/dev\/vdb1\[\/state\/deploy\/[0-9a-f]+\/var\] ext4 rw\b/);
    expect(s.one(r, 'etc-write')).toBe('ok');
    expect(s.one(r, 'var-write')).toBe('ok');
    // the unit ran in the initramfs, and its journal has our success line
    const journal = h.resultValues(r, 'setup-root-journal').join('\n');
    expect(journal).toMatch(new RegExp(`cfsboot: mounted composefs:${hex} on /sysroot \\(${verity === 'require' ? 'verity=require' : 'no verity'}`));
    expect(journal).toMatch(/Finished cfsboot-setup-root\.service/);
    // cfsboot status on the booted system
    const status = h.resultValues(r, 'status').join('\n');
    expect(s.one(r, 'status-exit'), status).toBe('0');
    expect(status).toMatch(/composefs boot: OK/);
    expect(status).toMatch(/verity: /);
    expect(status).toMatch(/kernel: /);
    expect(s.one(r, 'canary-read')).toBe('ok');
    expect(s.one(r, 'failed-units')).toBe('');
  }

  it('V1 image via composefs.digest= (trixie 6.12); /etc and /var persist across a reboot', async () => {
    const karg = rp.kargV1(repos.v1.v1!);
    expect(repos.v1.computeKarg, 'compute-karg agrees with create-image').toBe(karg);
    // this case writes to the disk: boot a copy twice
    const disk = path.join(logs, 'root-v1-rw.img');
    fs.copyFileSync(repos.v1.disk, disk);
    const r1 = await boot('v1-trixie', TRIXIE, [karg], disk, { persist: true });
    expectComposefsRoot(r1, repos.v1.v1!, TRIXIE, 'require');
    expect(s.one(r1, 'etc-previous')).toBe('none');
    const r2 = await boot('v1-trixie-reboot', TRIXIE, [karg], disk, { persist: true });
    expectComposefsRoot(r2, repos.v1.v1!, TRIXIE, 'require');
    expect(s.one(r2, 'etc-previous')).toBe(s.one(r1, 'boot-id'));
    expect(s.one(r2, 'var-previous')).toBe(s.one(r1, 'boot-id'));
    console.log(`[system] v1 trixie: initrd ${(Number(s.one(r1, 'initrd-duration-usec')) / 1e6).toFixed(1)} s, ${r1.seconds.toFixed(1)} s wall`);
    fs.rmSync(disk, { force: true });
    passed(r1);
    passed(r2);
  });

  it('V2 image via composefs= (trixie 6.12)', async () => {
    const karg = rp.kargV2(repos.v2.v2!);
    expect(repos.v2.computeKarg).toBe(karg);
    const r = await boot('v2-trixie', TRIXIE, [karg], repos.v2.disk);
    expectComposefsRoot(r, repos.v2.v2!, TRIXIE, 'require');
    passed(r);
  });

  it('dual repository: the V1 image on trixie 6.12', async () => {
    const r = await boot('dual-v1-trixie', TRIXIE, [rp.kargV1(repos.dual.v1!)], repos.dual.disk);
    expectComposefsRoot(r, repos.dual.v1!, TRIXIE, 'require');
    passed(r);
  });

  it('dual repository: the V2 image on sid 7.x', async () => {
    const r = await boot('dual-v2-sid', SID, [rp.kargV2(repos.dual.v2!)], repos.dual.disk);
    expectComposefsRoot(r, repos.dual.v2!, SID, 'require');
    passed(r);
  });

  it('`?` insecure karg on a repository without verity (disk without the verity feature)', async () => {
    expect(repos.insecure.computeKarg).toBe(rp.kargV1(repos.insecure.v1!));
    const r = await boot('insecure-trixie', TRIXIE, [rp.kargV1(repos.insecure.v1!, true)], repos.insecure.disk);
    expectComposefsRoot(r, repos.insecure.v1!, TRIXIE, 'none');
    passed(r);
  });

  // ---- tamper: each must fail closed into the initramfs' emergency shell --------------------
  const EMERGENCY_COMMANDS =
    [
      // results go to the results port (ttyS1), away from the kernel's console
      "p() { printf 'CFSBOOT-%s %s\\n' RESULT \"$*\" > /dev/ttyS1; }",
      'cfsboot status > /tmp/st 2>&1; p status-exit $?',
      'while IFS= read -r l; do p status "$l"; done < /tmp/st',
      'n=0; while read -r a b c d mp e; do case "$e" in *composefs*|*erofs*|*" overlay "*) n=$((n+1));; esac; case "$mp" in /sysroot*) p sysroot-mount "$mp $e";; esac; done < /proc/self/mountinfo; p composefs-mounts $n',
      'p unit "$(systemctl show -P ActiveState cfsboot-setup-root.service)"',
      'n=0; systemctl show-environment > /tmp/env 2>/dev/null; while IFS= read -r l; do case "$l" in *cfsboot-injected*) n=$((n+1));; esac; done < /tmp/env; p manager-env $n',
      'journalctl -b -o cat --no-pager -u cfsboot-setup-root.service 2>/dev/null | while IFS= read -r l; do p journal "$l"; done',
      "printf 'CFSBOOT-%s\\n' EMERGENCY-DONE > /dev/ttyS1",
      'poweroff -f',
    ].join('; ') + '\n';

  async function tamperBoot(name: string, karg: string, disk: string, extra: string[] = []): Promise<s.UefiBoot> {
    const r = await boot(name, TRIXIE, [karg, 'SYSTEMD_SULOGIN_FORCE=1', ...extra], disk, {
      interactions: [
        { when: /Entering emergency mode[\s\S]*Control-D/, send: '\n', delayMs: 1500 },
        { when: /# $/, send: EMERGENCY_COMMANDS, delayMs: 500 },
      ],
      timeoutSec: 240,
    });
    expect(r.emergency, s.describeUefi(name, r)).toBe(true);
    expect(r.resultsLog, s.describeUefi(name, r)).toMatch(/^CFSBOOT-EMERGENCY-DONE$/m);
    expect(r.probeDone).toBe(false);
    // nothing of ours stayed mounted: no composefs/EROFS/overlay mount; at most the physical root
    // on /sysroot (isolating emergency.target may already have unmounted it)
    expect(s.one(r, 'composefs-mounts')).toBe('0');
    for (const m of h.resultValues(r, 'sysroot-mount')) expect(m).toMatch(/^\/sysroot .* - ext4 \/dev\/vdb1 /);
    expect(s.one(r, 'unit')).toBe('failed');
    expect(s.one(r, 'status-exit')).not.toBe('0');
    expect(h.resultValues(r, 'status').join('\n')).toMatch(/composefs boot: FAILED/);
    return r;
  }
  /** our one line on the console (and in the unit's journal), with the expected reason */
  function expectReason(r: s.UefiBoot, reasonRe: RegExp): void {
    const line = r.log.split('\n').find((l) => /cfsboot: boot failed, nothing mounted: /.test(l)) ?? '';
    expect(line, s.describeUefi('tamper', r)).toMatch(reasonRe);
    expect(h.resultValues(r, 'journal').join('\n')).toMatch(reasonRe);
    expect(h.resultValues(r, 'status').join('\n')).toMatch(reasonRe);
  }

  it('tamper: karg naming a missing image -> emergency, nothing mounted (runtime options injected into the manager do not reach the unit)', async () => {
    const missing = 'f'.repeat(128);
    // systemd.setenv= puts these into the service manager's environment, which every service
    // inherits; the unit's UnsetEnvironment= must keep them from composefs-setup-root (with
    // LD_PRELOAD the dynamic loader would complain about the missing object in the unit's journal)
    const inject = ['systemd.setenv=LD_PRELOAD=/cfsboot-injected.so', 'systemd.setenv=NODE_OPTIONS=--require=/cfsboot-injected.js'];
    const r = await tamperBoot('tamper-missing', rp.kargV1(missing), repos.v1.disk, inject);
    expectReason(r, /no composefs image found/);
    expect(s.one(r, 'manager-env'), 'the injection reached the manager').toBe('2');
    // positive control: processes started without that unset do get LD_PRELOAD (ld.so complains)
    expect(r.log).toMatch(/ld\.so: object '\/cfsboot-injected\.so' from LD_PRELOAD cannot be preloaded/);
    expect(h.resultValues(r, 'journal').join('\n')).not.toMatch(/cfsboot-injected|LD_PRELOAD|ld\.so/);
    passed(r);
  });

  it('tamper: image whose digest is not the karg -> emergency, nothing mounted', async () => {
    const r = await tamperBoot('tamper-digest', rp.kargV1(repos.tamperDigest.v1!), repos.tamperDigest.disk);
    expectReason(r, /fs-verity content mismatch/);
    passed(r);
  });

  it('tamper: meta.json without verity under a secure karg -> emergency, nothing mounted', async () => {
    const r = await tamperBoot('tamper-meta', rp.kargV1(repos.tamperMeta.v1!), repos.tamperMeta.disk);
    expectReason(r, /not initialized with fs-verity/);
    passed(r);
  });

  it('tamper: one object replaced -> the boot proceeds, reading that file fails with EIO and the kernel names it', async () => {
    const r = await boot('tamper-object', TRIXIE, [rp.kargV1(repos.tamperObject.v1!)], repos.tamperObject.disk);
    expect(r.probeDone, s.describeUefi('tamper-object', r)).toBe(true);
    expect(s.one(r, 'mount:/')).toMatch(/verity=require/);
    expect(s.one(r, 'canary-read')).toMatch(/Input\/output error/);
    // overlayfs names the lower file: the canary's object
    const object = repos.canary.object.split('/')[1]!;
    expect(h.resultValues(r, 'kernel-verity').join('\n')).toMatch(new RegExp(`overlayfs: lower file '${object}' has the wrong fs-verity digest`));
    passed(r);
  });
});
