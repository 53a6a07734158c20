/**
 * The dracut module 37cfsboot and its unit, without dracut: `make -C dracut install` lays out the
 * files where dracut looks; module-setup.sh's check()/depends()/installkernel()/install() run in
 * bash against stubs of dracut's helpers (inst, inst_simple, ln_r, instmods, …) and a fake /proc.
 * The real dracut run (in the trixie chroot) and the boots are in qemu-tests/system.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(__dirname, '../../..');
const MODDIR = path.join(REPO, 'dracut/modules.d/37cfsboot');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-dracut-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** runs `body` in bash after sourcing module-setup.sh with dracut's helpers stubbed (calls logged) */
function runModule(body: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const script = `
set -u
log() { echo "CALL $*"; }
inst() { log inst "$@"; }
inst_simple() { log inst_simple "$@"; }
ln_r() { log ln_r "$@"; }
instmods() { log "instmods hostonly=[\${hostonly-unset}]" "$@"; }
dwarn() { echo "WARN $*" >&2; }
derror() { echo "ERROR $*" >&2; }
dinfo() { echo "INFO $*" >&2; }
systemdsystemunitdir=/usr/lib/systemd/system
hostonly=yes
. "${MODDIR}/module-setup.sh"
${body}
`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function fakeProc(name: string, cmdline: string, rootLine: string): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(path.join(d, 'self'), { recursive: true });
  fs.writeFileSync(path.join(d, 'cmdline'), `${cmdline}\n`);
  fs.writeFileSync(
    path.join(d, 'self/mountinfo'),
    `22 1 0:21 / /proc rw,nosuid - proc proc rw\n${rootLine}\n30 25 0:5 / /dev rw - devtmpfs devtmpfs rw\n`,
  );
  return d;
}

const EXE = path.join(tmp, 'cfsboot');
fs.writeFileSync(EXE, '#!/bin/sh\n', { mode: 0o755 });
const EXT4_ROOT = '25 1 253:2 / / rw,relatime shared:1 - ext4 /dev/vda2 rw';

describe('dracut module 37cfsboot', () => {
  it('make -C dracut install puts the module where dracut looks, and the executable with its multi-call link', () => {
    const dest = path.join(tmp, 'dest');
    execFileSync('make', ['-s', '-C', path.join(REPO, 'dracut'), 'install', `DESTDIR=${dest}`, `CFSBOOT=${EXE}`]);
    const mod = path.join(dest, 'usr/lib/dracut/modules.d/37cfsboot');
    expect(fs.readdirSync(mod).sort()).toEqual(['cfsboot-setup-root.service', 'module-setup.sh']);
    expect(fs.statSync(path.join(mod, 'module-setup.sh')).mode & 0o777).toBe(0o755);
    expect(fs.statSync(path.join(dest, 'usr/bin/cfsboot')).mode & 0o777).toBe(0o755);
    expect(fs.readlinkSync(path.join(dest, 'usr/bin/composefs-setup-root'))).toBe('cfsboot');
    // install-bin refuses a missing executable
    const r = spawnSync('make', ['-s', '-C', path.join(REPO, 'dracut'), 'install-bin', `DESTDIR=${dest}`, `CFSBOOT=${tmp}/none`], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/none missing/);
  });

  it('check(): only when asked (255), unless the host booted from composefs (0); no executable: 1', () => {
    const plain = fakeProc('plain', 'root=/dev/vda2 rw quiet', EXT4_ROOT);
    const base = { CFSBOOT_BINARY: EXE };
    expect(runModule('check', { ...base, CFSBOOT_DRACUT_PROC: plain }).status).toBe(255);
    // a composefs karg on the running system's command line
    for (const karg of ['composefs=abc', 'composefs.digest=v1-sha512-12:abc', 'composefs.digest=?v1-sha512-12:abc']) {
      const p = fakeProc(`karg-${karg.length}`, `root=/dev/vda2 ${karg} rw`, EXT4_ROOT);
      expect(runModule('check', { ...base, CFSBOOT_DRACUT_PROC: p }).status, karg).toBe(0);
    }
    // words that only look alike do not count
    const alike = fakeProc('alike', 'root=/dev/vda2 xcomposefs=abc composefs.digestx=1', EXT4_ROOT);
    expect(runModule('check', { ...base, CFSBOOT_DRACUT_PROC: alike }).status).toBe(255);
    // / mounted from composefs (also bootc's transient name)
    for (const src of ['composefs:0a1b', 'transient:composefs=0a1b']) {
      const p = fakeProc(`src-${src.length}`, 'quiet', `25 1 0:40 / / ro,relatime shared:1 - overlay ${src} ro,lowerdir+=/x`);
      expect(runModule('check', { ...base, CFSBOOT_DRACUT_PROC: p }).status, src).toBe(0);
    }
    // an overlay / from something else does not count
    const other = fakeProc('other', 'quiet', '25 1 0:40 / / rw - overlay overlay rw,lowerdir=/a');
    expect(runModule('check', { ...base, CFSBOOT_DRACUT_PROC: other }).status).toBe(255);
    // without the executable the module cannot be installed
    const none = runModule('check', { CFSBOOT_BINARY: path.join(tmp, 'missing'), CFSBOOT_DRACUT_PROC: plain });
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/cfsboot: executable not found/);
  });

  it('depends() names systemd; installkernel() adds erofs, overlay and loop even in host-only mode', () => {
    expect(runModule('depends').stdout.trim()).toBe('systemd');
    expect(runModule('installkernel').stdout).toContain('CALL instmods hostonly=[] erofs overlay loop');
  });

  it('install(): executable, multi-call link, unit, wants link, config when present; stripping turned off', () => {
    const sysroot = path.join(tmp, 'sysroot');
    fs.mkdirSync(path.join(sysroot, 'usr/lib/composefs'), { recursive: true });
    const initdir = path.join(tmp, 'initdir');
    const body = `initdir=${initdir}; moddir=${MODDIR}; do_strip=yes; install; echo "RC $?"; echo "STRIP $do_strip"`;
    const without = runModule(body, { CFSBOOT_BINARY: EXE });
    expect(without.stdout).toContain('RC 0');
    expect(without.stdout).toContain(`CALL inst ${EXE} /usr/bin/cfsboot`);
    expect(without.stdout).toContain('CALL ln_r /usr/bin/cfsboot /usr/bin/composefs-setup-root');
    expect(without.stdout).toContain(`CALL inst_simple ${MODDIR}/cfsboot-setup-root.service /usr/lib/systemd/system/cfsboot-setup-root.service`);
    expect(without.stdout).toContain(
      'CALL ln_r /usr/lib/systemd/system/cfsboot-setup-root.service /usr/lib/systemd/system/initrd-root-fs.target.wants/cfsboot-setup-root.service',
    );
    expect(fs.existsSync(path.join(initdir, 'usr/lib/systemd/system/initrd-root-fs.target.wants'))).toBe(true);
    expect(without.stdout).not.toContain('setup-root-conf.toml');
    expect(without.stdout).toContain('STRIP no');
    // the host's configuration file goes in when it exists (looked up under dracut's sysroot)
    fs.writeFileSync(path.join(sysroot, 'usr/lib/composefs/setup-root-conf.toml'), '[etc]\nmount = "bind"\n');
    const withConf = runModule(`dracutsysrootdir=${sysroot}; ${body}`, { CFSBOOT_BINARY: EXE });
    expect(withConf.stdout).toContain('CALL inst_simple /usr/lib/composefs/setup-root-conf.toml');
    // the executable is found under dracut's sysroot too
    fs.mkdirSync(path.join(sysroot, 'usr/bin'), { recursive: true });
    fs.copyFileSync(EXE, path.join(sysroot, 'usr/bin/cfsboot'));
    fs.chmodSync(path.join(sysroot, 'usr/bin/cfsboot'), 0o755);
    expect(runModule(`dracutsysrootdir=${sysroot}; ${body}`).stdout).toContain(`CALL inst ${sysroot}/usr/bin/cfsboot /usr/bin/cfsboot`);
  });

  it('the unit: upstream ordering and conditions, oneshot, journal+console, no injected runtime options', () => {
    const unit = fs.readFileSync(path.join(MODDIR, 'cfsboot-setup-root.service'), 'utf8');
    const entries = unit
      .split('\n')
      .filter((l) => /^[A-Za-z]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const);
    const all = (k: string): string[] => entries.filter(([key]) => key === k).map(([, v]) => v);
    expect(all('DefaultDependencies')).toEqual(['no']);
    expect(all('ConditionKernelCommandLine')).toEqual(['|composefs', '|composefs.digest']);
    expect(all('ConditionPathExists')).toEqual(['/etc/initrd-release']);
    expect(all('After')).toEqual(['sysroot.mount']);
    expect(all('Requires')).toEqual(['sysroot.mount']);
    expect(all('Before')).toEqual(['initrd-root-fs.target', 'initrd-switch-root.target']);
    expect(all('OnFailure')).toEqual(['emergency.target']);
    expect(all('OnFailureJobMode')).toEqual(['isolate']);
    expect(all('Type')).toEqual(['oneshot']);
    expect(all('RemainAfterExit')).toEqual(['yes']);
    expect(all('ExecStart')).toEqual(['/usr/bin/composefs-setup-root']);
    expect(all('StandardError')).toEqual(['journal+console']);
    expect(unit).not.toMatch(/^\[Install\]/m);
    const unset = all('UnsetEnvironment').join(' ').split(/\s+/);
    for (const v of ['NODE_OPTIONS', 'NODE_PATH', 'NODE_EXTRA_CA_CERTS', 'UV_THREADPOOL_SIZE', 'OPENSSL_CONF', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'GLIBC_TUNABLES', 'TMPDIR', 'CFSBOOT_SIMULATE_MISSING', 'CFSBOOT_KMSG']) {
      expect(unset, v).toContain(v);
    }
    expect(all('Environment').join(' ')).not.toMatch(/NODE_|LD_/);
  });

  it('module-setup.sh parses with bash -n', () => {
    expect(spawnSync('bash', ['-n', path.join(MODDIR, 'module-setup.sh')]).status).toBe(0);
  });
});
