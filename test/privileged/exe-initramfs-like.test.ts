/**
 * The executable in conditions like an initramfs: a root holding nothing but the executable,
 * the C runtime and a data file, mounted read-only with only /run writable (tmpfs), no /proc,
 * no /etc/passwd, no HOME, an empty environment, cwd /. Runs in a private mount namespace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXE, exeExists, SKIP_NO_EXE } from '../helpers/exe.js';
import { randomFile } from '../helpers/files.js';

const isRoot = process.getuid?.() === 0;
const reason = !isRoot ? 'needs root (mount namespaces, chroot)' : !exeExists ? SKIP_NO_EXE : '';
if (reason) it.skip(`initramfs-like run: ${reason}`, () => {});

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-chroot-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(reason !== '')('executable in a read-only initramfs-like root', () => {
  it('runs with only /run writable and leaves /run empty', () => {
    const root = path.join(dir, 'root');
    for (const d of ['bin', 'run', 'tmp', 'data']) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.copyFileSync(EXE, path.join(root, 'bin/cfsboot'));
    fs.chmodSync(path.join(root, 'bin/cfsboot'), 0o755);
    const libs = execFileSync('ldd', [EXE], { encoding: 'utf8' })
      .split('\n')
      .map((l) => /(\/\S+)\s+\(0x/.exec(l)?.[1])
      .filter((l): l is string => l !== undefined);
    for (const lib of libs) {
      fs.mkdirSync(path.join(root, path.dirname(lib)), { recursive: true });
      fs.copyFileSync(lib, path.join(root, lib));
    }
    const data = randomFile(path.join(root, 'data'), 'f', 300_000, 42);
    const expected = execFileSync(EXE, ['verity', 'digest', '--hash-alg', 'sha512', data], { encoding: 'utf8' })
      .replace(data, '/data/f');
    const script = [
      'set -e',
      `R=${root}`,
      'mount --bind "$R" "$R"',
      'mount -t tmpfs -o mode=0755 tmpfs "$R/run"',
      'mount -o remount,bind,ro "$R"',
      'cd /',
      'env -i /usr/sbin/chroot "$R" /bin/cfsboot verity digest --hash-alg sha512 /data/f',
      'env -i /usr/sbin/chroot "$R" /bin/cfsboot --version >/dev/null',
      // measure needs the addon, which must be unpacked on /run: the ioctl's errno proves it loaded
      'if env -i /usr/sbin/chroot "$R" /bin/cfsboot verity measure /data/f 2>"$R/run/err"; then exit 1; fi',
      'echo "measure:$(cat "$R/run/err")"; rm "$R/run/err"',
      'if touch "$R/x" 2>/dev/null; then echo "root is writable" >&2; exit 1; fi',
      'echo "run-left:$(ls -A "$R/run" | tr "\\n" " ")"',
    ].join('\n');
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const [digestLine, measureLine, runLine] = r.stdout.split('\n');
    expect(digestLine + '\n').toBe(expected);
    expect(measureLine).toMatch(/^measure:cfsboot: measure \/data\/f: .* \((EOPNOTSUPP|ENOTTY|ENODATA)\)$/);
    expect(runLine).toBe('run-left:');
  });
});
