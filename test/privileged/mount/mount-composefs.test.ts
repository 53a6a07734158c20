/**
 * mount.composefs (our drop-in) against C mount.composefs 1.0.8 on the same images, inside
 * `unshare -m`: the mounted trees are identical to each other and to the source (listing, modes,
 * owners, mtimes, link targets, contents, user xattrs), on every kernel path we can force on this
 * host (file-backed EROFS and loop; overlay layers as fds, /proc/self/fd strings, one lowerdir
 * string, legacy mount(2)); options (ro, upperdir/workdir, idmap) behave as C's; errors have C's
 * text. Also `cfsboot mount` of a repository image. Needs root.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXE, exeExists, SKIP_NO_EXE } from '../../helpers/exe.js';
import { randomFile } from '../../helpers/files.js';

const C_MOUNT = '/usr/local/sbin/mount.composefs';
const C_MK = '/usr/local/bin/mkcomposefs';
const isRoot = process.getuid?.() === 0;
const reason = !isRoot ? ' [skipped: requires root]' : !exeExists ? ` [skipped: ${SKIP_NO_EXE}]`
  : !fs.existsSync(C_MOUNT) ? ' [skipped: C mount.composefs missing (../shared/tools/install-composefs-c.sh)]' : '';
const SNAP = path.join(__dirname, 'snapshot.sh');

let dir = '';
let ours = '';
const T0 = 1700000000;

/** Runs a bash script inside a private mount namespace; returns status and output. */
function ns(script: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'bash', '-c', `set -euo pipefail\ncd ${dir}\n${script}`], {
    encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env }, timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(script: string, env: Record<string, string> = {}): string {
  const r = ns(script, env);
  if (r.status !== 0) throw new Error(`script failed (${r.status}): ${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

describe.skipIf(reason !== '')(`mount.composefs drop-in vs C 1.0.8${reason}`, () => {
  let source = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join('/var/tmp', 'cfsboot-mcfs-'));
    const src = path.join(dir, 'src');
    fs.mkdirSync(path.join(src, 'etc/sub'), { recursive: true });
    fs.mkdirSync(path.join(src, 'usr/lib'), { recursive: true });
    [0, 1, 64, 65, 4096, 70_000].forEach((n, i) => randomFile(path.join(src, 'usr/lib'), `f${n}`, n, i + 1));
    fs.writeFileSync(path.join(src, 'etc/hostname'), 'composefs\n');
    fs.symlinkSync('../usr/lib/f65', path.join(src, 'etc/link'));
    fs.linkSync(path.join(src, 'usr/lib/f4096'), path.join(src, 'usr/lib/hard'));
    fs.chmodSync(path.join(src, 'usr/lib/f65'), 0o4755);
    fs.chownSync(path.join(src, 'etc/sub'), 1234, 5678);
    spawnSync('setfattr', ['-n', 'user.demo', '-v', 'value', path.join(src, 'etc/hostname')]);
    spawnSync('sh', ['-c', `find ${src} -exec touch -h -d @${T0} {} +`]);
    ours = path.join(dir, 'mount.composefs');
    fs.symlinkSync(EXE, ours);
    // our image + store, and C's
    const a = spawnSync(EXE, ['mkcomposefs', `--digest-store=${dir}/store`, src, `${dir}/ours.img`], { encoding: 'utf8' });
    expect(a.status, a.stderr).toBe(0);
    const b = spawnSync(C_MK, [`--digest-store=${dir}/cstore`, src, `${dir}/c.img`], { encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
    fs.mkdirSync(path.join(dir, 'm1'));
    fs.mkdirSync(path.join(dir, 'm2'));
    source = ok(`bash ${SNAP} src`);
  });
  afterAll(() => {
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  });

  const paths: Array<[string, string]> = [
    ['native (file-backed EROFS, fd layers)', ''],
    ['loop device (no file-backed EROFS)', 'erofs-file-backed'],
    ['/proc/self/fd strings (< 6.15)', 'overlay-fd-layers'],
    ['one lowerdir=A::B string (< 6.7)', 'overlay-fd-layers,overlay-lowerdir-plus'],
    ['legacy mount(2) (< 6.5)', 'overlay-fd-layers,overlay-lowerdir-plus,overlay-new-api'],
  ];
  it.each(paths)('%s: our mount equals C\'s mount of the same image, and the source', (_label, sim) => {
    const out = ok(`
${ours} -o basedir=${dir}/store,ro ours.img m1
${C_MOUNT} -o basedir=${dir}/store,ro ours.img m2
echo "== ours"; bash ${SNAP} m1
echo "== c"; bash ${SNAP} m2
echo "== mnt"; findmnt -n -o FSTYPE,SOURCE,OPTIONS m1
umount m1 m2
echo "== left"; grep -c " ${dir}/" /proc/self/mountinfo || true`, sim === '' ? {} : { CFSBOOT_SIMULATE_MISSING: sim });
    const [, oursSnap, cSnap, mnt, left] = out.split(/^== \w+\n/m);
    expect(oursSnap).toBe(source);
    expect(cSnap).toBe(source);
    expect(mnt).toMatch(/^overlay composefs ro,/);
    expect(left!.trim()).toBe('0');
  });

  it('mounts C\'s image too (same tree)', () => {
    const out = ok(`${ours} -o basedir=${dir}/cstore c.img m1\nbash ${SNAP} m1\numount m1`);
    expect(out).toBe(source);
  });

  it('rw without upper is still read-only (overlay); with upperdir/workdir writes land in the upper dir', () => {
    const out = ok(`
mkdir -p up wk
${ours} -o basedir=${dir}/store,upperdir=${dir}/up,workdir=${dir}/wk ours.img m1
echo new > m1/etc/new-file
findmnt -n -o OPTIONS m1 | cut -d, -f1
umount m1
cat up/etc/new-file
rm -rf up wk`);
    expect(out).toBe('rw\nnew\n');
  });

  it('idmap= maps the image through a user namespace exactly as C does', () => {
    const out = ok(`
unshare --user sleep 30 & pid=$!
for i in $(seq 50); do [ "$(readlink /proc/$pid/ns/user)" != "$(readlink /proc/self/ns/user)" ] && break; sleep 0.05; done
echo "0 100000 65536" > /proc/$pid/uid_map
echo "0 100000 65536" > /proc/$pid/gid_map
${ours} -o basedir=${dir}/store,idmap=/proc/$pid/ns/user ours.img m1
${C_MOUNT} -o basedir=${dir}/store,idmap=/proc/$pid/ns/user ours.img m2
stat -c '%u:%g' m1/etc/hostname m1/etc/sub
echo ==; stat -c '%u:%g' m2/etc/hostname m2/etc/sub
kill $pid
umount m1 m2`);
    const [a, b] = out.split('==\n');
    expect(a).toBe(b);
    expect(a).not.toBe('0:0\n1234:5678\n');
  });

  it.each([
    [['-o', 'basedir=STORE,bogus', 'ours.img', 'm1'], 'Unsupported option bogus'],
    [['-o', 'basedir=STORE,upperdir=/x', 'ours.img', 'm1'], 'Both workdir and upperdir must be specified if used'],
    [['-o', 'basedir=STORE,digest=' + 'ab'.repeat(32), 'ours.img', 'm1'], 'Failed to mount composefs ours.img: Image has no fs-verity'],
    [['-o', 'basedir=STORE', 'missing.img', 'm1'], 'Failed to open missing.img: No such file or directory'],
  ])('error %j: C\'s text (one line, status 1)', (args, cText) => {
    const a = args.map((x) => x.replace('STORE', `${dir}/store`));
    const r1 = spawnSync(ours, a, { encoding: 'utf8', cwd: dir });
    const r2 = spawnSync(C_MOUNT, a, { encoding: 'utf8', cwd: dir });
    expect(r2.status).toBe(1);
    expect(r2.stderr.trim()).toBe(`mount.composefs: ${cText}`);
    expect(r1.status).toBe(1);
    expect(r1.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(r1.stderr.startsWith(`mount.composefs: ${cText}`)).toBe(true);
  });

  it('cfsboot mount NAME of a repository, and of an image file inside the repository', () => {
    const out = ok(`
${EXE} repo init --insecure repo >/dev/null
ID=$(${EXE} repo --repo repo create-image --no-propagate-usr-to-root src demo)
${EXE} mount --repo repo --insecure \${ID#*:} m1 2>/dev/null
${EXE} mount repo/images/\${ID#*:} m2 2>/dev/null
bash ${SNAP} m1 > a; bash ${SNAP} m2 > b; cmp a b; cat a
findmnt -n -o SOURCE m1
umount m1 m2; rm -rf repo a b`);
    const lines = out.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^composefs:[0-9a-f]{128}$/);
    expect(lines.slice(0, -1).join('\n') + '\n').toBe(source);
  });
});
