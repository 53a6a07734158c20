import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXE, exeExists, REPO, runExe, SKIP_NO_EXE } from '../helpers/exe.js';
import { randomFile } from '../helpers/files.js';

const pkgVersion = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version as string;
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-exe-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

if (!exeExists) it.skip(`executable tests: ${SKIP_NO_EXE}`, () => {});

describe.skipIf(!exeExists)('the single executable', () => {
  it('prints its version with an empty environment, cwd /, no HOME', () => {
    const r = runExe(['--version']);
    expect(r).toEqual({ status: 0, stdout: `${pkgVersion}\n`, stderr: '' });
  });

  it('needs no shared library beyond glibc, libstdc++ and libgcc', () => {
    const out = execFileSync('ldd', [EXE], { encoding: 'utf8' });
    const libs = out.split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean);
    const allowed = /^(linux-vdso\.so\.1|\/lib64\/ld-linux-x86-64\.so\.2|lib(c|m|dl|pthread|rt|stdc\+\+|gcc_s)\.so\.\d+)$/;
    expect(libs.filter((l) => !allowed.test(l))).toEqual([]);
  });

  it('lists its commands in --help', () => {
    const r = runExe(['--help']);
    expect(r.status).toBe(0);
    for (const c of ['verity', 'setup-root', 'mkcomposefs', 'composefs-info', 'mount.composefs']) expect(r.stdout).toContain(c);
  });

  it('rejects an unknown option with one line and status 2', () => {
    const r = runExe(['--no-such-option']);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^cfsboot: unknown option '--no-such-option'/);
  });

  it('ignores NODE_OPTIONS (a --require from the environment never runs)', () => {
    const marker = path.join(dir, 'injected');
    const script = path.join(dir, 'inject.js');
    fs.writeFileSync(script, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x');`);
    const r = runExe(['--version'], { env: { NODE_OPTIONS: `--require=${script}` } });
    expect(r.status).toBe(0);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('leaves no files behind in its temp locations', () => {
    const places = ['/run', '/dev/shm', '/tmp'].filter((p) => fs.existsSync(p));
    const list = () => places.flatMap((p) => fs.readdirSync(p).filter((n) => n.startsWith('.cfsboot-addon')).map((n) => `${p}/${n}`));
    const before = list();
    const f = randomFile(dir, 'tiny', 10, 1);
    expect(runExe(['verity', 'digest', f]).status).toBe(0);
    expect(list()).toEqual(before);
  });

  describe('multi-call names', () => {
    it('composefs-setup-root rejects an unknown option: status 2, one line', () => {
      const link = path.join(dir, 'composefs-setup-root');
      fs.rmSync(link, { force: true });
      fs.symlinkSync(EXE, link);
      const r = runExe(['--some-flag', 'x'], { exe: link });
      expect(r.status).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe("composefs-setup-root: unknown option '--some-flag'");
    });
    it('mount.composefs rejects an unknown option as C does: status 1, one line', () => {
      const link = path.join(dir, 'mount.composefs');
      fs.rmSync(link, { force: true });
      fs.symlinkSync(EXE, link);
      const r = runExe(['--some-flag', 'x'], { exe: link });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^mount\.composefs: unrecognized option '--some-flag' \(usage: mount\.composefs .*\)\n$/);
      const r2 = runExe(['-o', 'basedir=/x,bogus', 'img', 'mnt'], { exe: link });
      expect(r2.status).toBe(1);
      expect(r2.stderr).toBe('mount.composefs: Unsupported option bogus\n');
    });
    it('composefs-info (implemented) rejects an unknown option as C does: status 1, usage', () => {
      const link = path.join(dir, 'composefs-info');
      fs.rmSync(link, { force: true });
      fs.symlinkSync(EXE, link);
      const r = runExe(['--some-flag', 'x'], { exe: link });
      expect(r.status).toBe(1);
      expect(r.stderr.split('\n')[0]).toBe("composefs-info: unrecognized option '--some-flag'");
    });
    it('`cfsboot composefs-info` as a subcommand names the tool in its errors', () => {
      const r = runExe(['composefs-info', 'dump', path.join(dir, 'no-such-image')]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`cfsboot: composefs-info: Failed to open '${path.join(dir, 'no-such-image')}': No such file or directory\n`);
    });
  });

  describe('verity', () => {
    const B = 4096;
    it('digest prints `fsverity digest` lines, also for the threaded large-file path', () => {
      const files = [0, 1, 4097, 128 * B + 1, 128 * 128 * B + 1].map((s) => randomFile(dir, `d${s}`, s, s + 3));
      for (const alg of ['sha256', 'sha512']) {
        const ours = runExe(['verity', 'digest', '--hash-alg', alg, ...files]);
        expect(ours.stderr).toBe('');
        expect(ours.status).toBe(0);
        const ref = execFileSync('fsverity', ['digest', `--hash-alg=${alg}`, ...files], { encoding: 'utf8' });
        expect(ours.stdout).toBe(ref);
      }
    });

    it('digest --compact prints only the hex', () => {
      const f = randomFile(dir, 'c', 5000, 9);
      const r = runExe(['verity', 'digest', '--compact', f]);
      expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    });

    it('digest of a missing file is one line naming it, status 1', () => {
      const r = runExe(['verity', 'digest', path.join(dir, 'nope')]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`cfsboot: digest opening ${path.join(dir, 'nope')}: ENOENT\n`);
    });

    it('rejects a block size other than 4096', () => {
      const r = runExe(['verity', 'digest', '--block-size', '1024', '/dev/null']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/block size 1024/);
    });

    it('measure on a file without fs-verity (or a filesystem without it) is one line with the path and errno', () => {
      const f = randomFile(dir, 'm', 100, 1);
      const r = runExe(['verity', 'measure', f]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^cfsboot: measure ${f}: .* \\((ENODATA|ENOTTY|EOPNOTSUPP)\\)\\n$`));
    });
  });
});

describe.skipIf(!exeExists)('output to a closed pipe', () => {
  it('ends quietly with status 141 (as SIGPIPE would), no stack trace', () => {
    const big = randomFile(dir, 'pipe-src', 1, 1);
    const files = Array.from({ length: 3000 }, () => big);
    const r = spawnSync('sh', ['-c', `"${EXE}" verity digest "$@" | head -c 10 >/dev/null; echo "status:\${PIPESTATUS:-}"`, 'sh', ...files], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    const r2 = spawnSync('bash', ['-c', `"${EXE}" verity digest "$@" | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`, 'bash', ...files], {
      encoding: 'utf8',
    });
    expect(r2.stderr).toBe('');
    expect(r2.stdout.trim()).toBe('141');
  });
});
