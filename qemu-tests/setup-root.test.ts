/**
 * Secure boots through real kernels: one QEMU boot per kernel (busybox initramfs, ext4 `-O
 * verity` disk mounted on /sysroot as the physical root). In the guest, `cfsboot repo init` and
 * `create-image` make a SECURE repository (fs-verity on meta.json and every object), then
 * `cfsboot setup-root --cmdline <karg>` must mount it with `verity=require`: on trixie 6.12 by the
 * mount-first assembly with `/proc/self/fd` layer strings, on sid 7.x floating with fd layers.
 * Asserted: exit 0, the final mount table (boot.md §3.7), `/` read-only, /etc writes in
 * state/deploy/<hex>/etc/upper, status.json. Then, in the same boot, tampering: an object
 * replaced by another file that has fs-verity (mount succeeds, reading it gives EIO), the image
 * digest not the karg, meta.json without fs-verity, the image without fs-verity — each refused
 * with one line and mountinfo unchanged — and the loop-device path forced once.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMountinfo, type MountEntry } from '../src/mount/mountinfo';
import * as h from './lib/harness';

const SKIP = !h.cfsbootExists();
if (SKIP) it.skip('setup-root in QEMU [skipped: dist/cfsboot not built; run `npm run build`]', () => {});
if (!SKIP) h.ensureAssets();
const KERNELS = SKIP ? [] : h.kernels();
const work = SKIP ? '' : h.scratchDir('cfsboot-qemu-sr-');
let keep = false;
const timings: string[] = [];
afterAll(() => {
  if (timings.length > 0) console.log(`[qemu] setup-root in the guest:\n${timings.join('\n')}`);
  if (!work) return;
  if (keep) console.log(`[qemu] guest failed: kept ${work}`);
  else h.cleanup(work);
});

/** The kernel's expected path: 6.15 brought detached mounts (and O_PATH fds) as overlay layers. */
function expectedPath(kver: string): { layers: string; assembly: string } {
  const [maj, min] = kver.split('.').map(Number) as [number, number];
  const floating = maj > 6 || (maj === 6 && min >= 15);
  return floating ? { layers: 'fd', assembly: 'floating' } : { layers: 'proc-fd', assembly: 'mount-first' };
}

function buildSource(src: string): void {
  const p = (...s: string[]): string => path.join(src, ...s);
  for (const d of ['boot', 'etc', 'var/lib', 'sysroot', 'usr/bin', 'usr/lib/app']) fs.mkdirSync(p(d), { recursive: true });
  fs.writeFileSync(p('etc/hostname'), 'verity-guest\n');
  fs.writeFileSync(p('etc/os-release'), `${'ID=cfsboot-qemu\n'.repeat(8)}`);
  fs.writeFileSync(p('usr/bin/tool'), h.seededBytes(9000, 1));
  fs.chmodSync(p('usr/bin/tool'), 0o755);
  fs.linkSync(p('usr/bin/tool'), p('usr/bin/tool-hardlink'));
  fs.symlinkSync('tool', p('usr/bin/tool-symlink'));
  fs.writeFileSync(p('usr/lib/app/data.bin'), h.seededBytes(70000, 2));
  fs.writeFileSync(p('usr/lib/app/small'), 'tiny\n');
  // whole seconds: mkfs.ext4 -d keeps them, so the host's compute-karg names the guest's image
  const stamp = (q: string): void => {
    if (fs.lstatSync(q).isDirectory()) for (const n of fs.readdirSync(q)) stamp(path.join(q, n));
    fs.lutimesSync(q, 1700000000, 1700000000);
  };
  stamp(src);
}

/** Guest script; the karg and the object paths of two files of the tree are filled in by the test. */
function guestScript(v: { karg: string; obj: string; other: string }): string {
  return `
set -u
R() { echo "CFSBOOT-RESULT $*"; }
K='${v.karg}'
H=\${K##*:}
OBJ=/sysroot/composefs/objects/${v.obj}
OTHER=/sysroot/composefs/objects/${v.other}
mkdir -p /sysroot
mount -t ext4 /dev/vda /sysroot
t0=$(cut -d' ' -f1 /proc/uptime)
cfsboot repo --repo /sysroot/composefs init > /tmp/init.out 2>&1; R init-rc $?
R create "$(cfsboot repo --repo /sysroot/composefs create-image --bootable /sysroot/src/tree 2>&1)"
R repo-seconds "$t0 $(cut -d' ' -f1 /proc/uptime)"
mkdir -p /sysroot/state/deploy/$H/etc /sysroot/state/deploy/$H/var
sums() { (cd "$1" && find ./usr ./etc -type f | sort | xargs sha256sum) | sha256sum | cut -d' ' -f1; }
R tree-src "$(sums /sysroot/src/tree)"

# run LABEL [setup-root args...]: exit status, stderr lines, mountinfo unchanged?, status.json
run() {
  label=$1; shift
  cat /proc/self/mountinfo > /tmp/mi.before
  t0=$(cut -d' ' -f1 /proc/uptime)
  cfsboot setup-root --cmdline "$@" > /tmp/out 2> /tmp/err
  rc=$?
  R "$label-secs" "$t0 $(cut -d' ' -f1 /proc/uptime)"
  cat /proc/self/mountinfo > /tmp/mi.after
  R "$label-rc" $rc
  while IFS= read -r l; do R "$label-err" "$l"; done < /tmp/err
  R "$label-errlines" "$(wc -l < /tmp/err)"
  if cmp -s /tmp/mi.before /tmp/mi.after; then R "$label-mi" same; else R "$label-mi" changed; fi
  R "$label-status" "$(tr -d '\\n' < /run/cfsboot/status.json)"
}
mounts() { awk '$5 ~ /^\\/sysroot(\\/|$)/' /proc/self/mountinfo | while IFS= read -r l; do R "$1" "$l"; done; }
# back to the bare physical root on /sysroot
reset() {
  while awk '$5 == "/sysroot"' /proc/self/mountinfo | grep -q .; do umount -l /sysroot || break; done
  mount -t ext4 /dev/vda /sysroot
}

# ---- the secure boot ----
run boot "$K"
mounts boot-mount
touch /sysroot/a 2>/dev/null; R root-write $?
R tree-mnt "$(sums /sysroot)"
R hardlink "$(stat -c %i /sysroot/usr/bin/tool) $(stat -c %i /sysroot/usr/bin/tool-hardlink)"
R hostname "$(cat /sysroot/etc/hostname)"
echo at-boot > /sysroot/etc/written-at-boot; R etc-write $?
R etc-upper "$(cat /sysroot/sysroot/state/deploy/$H/etc/upper/written-at-boot 2>&1)"
touch /sysroot/sysroot/x 2>/dev/null; R sysroot-write $?
R sysroot-ls "$(ls /sysroot/sysroot | tr '\\n' ' ')"
run again "$K"
reset

# ---- an object replaced by another file that has fs-verity: mounts, the read fails ----
mv "$OBJ" "$OBJ.orig" && ln "$OTHER" "$OBJ"
run swapped "$K"
cat /sysroot/usr/bin/tool > /dev/null 2> /tmp/eio; R swapped-read "$? $(cat /tmp/eio)"
cat /sysroot/usr/lib/app/data.bin > /dev/null 2>&1; R swapped-other-read $?
reset
rm "$OBJ" && mv "$OBJ.orig" "$OBJ"

# ---- the image digest is not the karg (images/<hex> points at another file with verity) ----
I=/sysroot/composefs/images
mv $I/$H $I/$H.orig && ln -s "../objects/${v.other}" $I/$H
export CFSBOOT_KMSG=1
run mismatch "$K"
unset CFSBOOT_KMSG
R mismatch-kmsg "$(dmesg | grep 'cfsboot: ' | tail -n 1)"
rm $I/$H && mv $I/$H.orig $I/$H

# ---- meta.json without fs-verity ----
mv /sysroot/composefs/meta.json /sysroot/meta.orig && cp /sysroot/meta.orig /sysroot/composefs/meta.json
run meta "$K"
mv /sysroot/meta.orig /sysroot/composefs/meta.json

# ---- the image without fs-verity (a plain copy) ----
cp -L $I/$H /sysroot/image.copy && mv $I/$H $I/$H.orig && mv /sysroot/image.copy $I/$H
run noverity "$K"
rm $I/$H && mv $I/$H.orig $I/$H

# ---- the loop-device path (as on a kernel without file-backed EROFS) ----
export CFSBOOT_SIMULATE_MISSING=erofs-file-backed
run loop "$K"
unset CFSBOOT_SIMULATE_MISSING
mounts loop-mount
R loop-read "$(cat /sysroot/etc/hostname)"
reset
cd /; umount -l /sysroot
`;
}

/** One mountinfo line the guest reported, parsed by the product's own parser. */
function parseMount(line: string): MountEntry {
  const [m] = parseMountinfo(line);
  if (m === undefined) throw new Error(`not a mountinfo line: ${line}`);
  return m;
}

describe.skipIf(SKIP).each(KERNELS)('setup-root, secure, in a QEMU guest: %s', (kernel) => {
  it('mounts with verity=require and refuses every tampered variant', async () => {
    const info = h.kernelInfo(kernel);
    const want = expectedPath(info.kver);
    const dir = path.join(work, kernel);
    const src = path.join(dir, 'disk');
    buildSource(path.join(src, 'src/tree'));
    const tree = path.join(src, 'src/tree');
    const karg = execFileSync(h.CFSBOOT, ['repo', '--hash', 'sha512', 'compute-karg', tree], { encoding: 'utf8' }).trim();
    expect(karg).toMatch(/^composefs\.digest=v1-sha512-12:[0-9a-f]{128}$/);
    const hex = karg.slice(karg.lastIndexOf(':') + 1);
    const digest = (f: string): string => execFileSync(h.CFSBOOT, ['verity', 'digest', '--hash-alg', 'sha512', '--compact', path.join(tree, f)], { encoding: 'utf8' }).trim();
    const objPath = (d: string): string => `${d.slice(0, 2)}/${d.slice(2)}`;
    const obj = objPath(digest('usr/bin/tool'));
    const other = objPath(digest('usr/lib/app/data.bin'));
    const disk = h.makeExt4VerityDisk(src, 64, path.join(dir, 'disk.img'));
    const initrd = h.buildInitramfs({
      kernel,
      out: path.join(dir, 'initrd.img'),
      guestScript: guestScript({ karg, obj, other }),
      extras: [{ src: h.CFSBOOT, dest: '/usr/bin/cfsboot' }],
    });
    const r = await h.bootGuest({ kernel, initrd: initrd.path, disks: [disk], timeoutSec: 300 });
    keep = true; // until every check below passed
    expect(r.ok, h.describeBoot(kernel, r)).toBe(true);
    const all = (k: string): string[] => h.resultValues(r, k);
    const one = (k: string): string => all(k)[0] ?? '';
    const status = (label: string): Record<string, any> => JSON.parse(one(`${label}-status`)) as Record<string, any>;
    const refused = (label: string, message: RegExp, step: string): void => {
      const ctx = `${label}: ${all(`${label}-err`).join(' | ')}`;
      expect(one(`${label}-rc`), ctx).toBe('1');
      expect(one(`${label}-errlines`), ctx).toBe('1');
      expect(one(`${label}-err`)).toMatch(/^cfsboot: boot failed, nothing mounted: /);
      expect(one(`${label}-err`)).toMatch(message);
      expect(one(`${label}-mi`), ctx).toBe('same');
      expect(status(label)).toMatchObject({ result: 'failed', failedStep: step, mounts: [] });
    };

    // the repository is secure; the host's compute-karg names the image the guest stored
    expect(one('init-rc')).toBe('0');
    expect(one('create')).toBe(`sha512:${hex}`);

    // ---- the secure boot ----
    expect(one('boot-rc'), all('boot-err').join('\n')).toBe('0');
    expect(all('boot-err')).toEqual([expect.stringMatching(new RegExp(`^cfsboot: mounted composefs:${hex} on /sysroot \\(verity=require, EROFS file-backed, layers ${want.layers}, ${want.assembly} assembly\\)`))]);
    const ms = all('boot-mount').map(parseMount);
    const at = ms.filter((m) => m.mountPoint === '/sysroot');
    const ovl = at.at(-1)!;
    if (want.assembly === 'floating') {
      expect(at.map((m) => m.fstype)).toEqual(['overlay']);
    } else {
      expect(at.map((m) => m.fstype)).toEqual(['ext4', 'overlay']);
      expect(ovl.parent).toBe(at[0]!.id);
    }
    expect(ovl.source).toBe(`composefs:${hex}`);
    expect(ovl.options).toContain('ro');
    for (const o of ['ro', 'metacopy=on', 'redirect_dir=on', 'verity=require']) expect(ovl.superOptions).toContain(o);
    if (want.layers === 'fd') expect(ovl.superOptions.some((o) => o.startsWith('datadir+='))).toBe(true);
    else expect(ovl.superOptions.find((o) => o.startsWith('lowerdir+='))).toMatch(/^lowerdir\+=\/proc\/self\/fd\/\d+$/);
    const sub = (p: string): MountEntry[] => ms.filter((m) => m.mountPoint === p);
    expect(sub('/sysroot/sysroot').map((m) => [m.fstype, m.root, m.parent, m.options.includes('ro')])).toEqual([['ext4', '/', ovl.id, true]]);
    expect(sub('/sysroot/etc').map((m) => [m.fstype, m.source, m.parent, m.options.includes('rw')])).toEqual([['overlay', 'overlay', ovl.id, true]]);
    expect(sub('/sysroot/var').map((m) => [m.fstype, m.root, m.parent])).toEqual([['ext4', `/state/deploy/${hex}/var`, ovl.id]]);
    expect([...new Set(ms.map((m) => m.mountPoint))].sort()).toEqual(['/sysroot', '/sysroot/etc', '/sysroot/sysroot', '/sysroot/var']);
    expect(one('root-write')).not.toBe('0');
    expect(one('sysroot-write')).not.toBe('0');
    expect(one('tree-mnt')).toBe(one('tree-src'));
    const [i1, i2] = one('hardlink').split(' ');
    expect(i1).toBe(i2);
    expect(one('hostname')).toBe('verity-guest');
    expect(one('etc-write')).toBe('0');
    expect(one('etc-upper')).toBe('at-boot');
    expect(one('sysroot-ls').trim().split(' ').sort()).toEqual(['composefs', 'lost+found', 'src', 'state']);
    const doc = status('boot');
    expect(doc).toMatchObject({
      result: 'ok',
      image: { hex, verity: 'require', formatVersion: 1 },
      repository: { algorithm: 'fsverity-sha512-12', metaVerity: true },
      kernel: { release: info.kver, erofs: 'file', layers: want.layers, assembly: want.assembly },
      kargs: [{ hex, insecure: false, outcome: 'mounted' }],
    });
    expect(doc['rootMountId']).toBe(ovl.id);
    // a second run: already in place
    expect(one('again-rc')).toBe('0');
    expect(all('again-err')).toEqual([expect.stringContaining('the composefs root is already in place')]);
    expect(one('again-mi')).toBe('same');

    // ---- object replaced by another file with fs-verity: the mount succeeds, the read fails ----
    expect(one('swapped-rc'), all('swapped-err').join('\n')).toBe('0');
    expect(one('swapped-read')).toMatch(/^1 .*(I\/O error|Input\/output error)/);
    expect(one('swapped-other-read')).toBe('0');

    // ---- refusals ----
    refused('mismatch', new RegExp(`checking the image: /sysroot/composefs/images/${hex}: fs-verity content mismatch: expected ${hex}, found sha512:${other.replace('/', '')}$`), 'image');
    // the same line reached the kernel log (the initramfs has no journal yet)
    expect(one('mismatch-kmsg')).toContain(one('mismatch-err'));
    refused('meta', /opening the composefs repository: \/sysroot\/composefs: repository was not initialized with fs-verity/, 'repository');
    refused('noverity', new RegExp(`checking the image: /sysroot/composefs/images/${hex}: Measuring image verity digest: fs-verity is not enabled on file$`), 'image');

    // ---- the loop path ----
    expect(one('loop-rc'), all('loop-err').join('\n')).toBe('0');
    expect(status('loop')['kernel']).toMatchObject({ erofs: 'loop', loopDevice: expect.stringMatching(/^\/dev\/loop\d+$/) });
    const lm = all('loop-mount').map(parseMount).filter((m) => m.mountPoint === '/sysroot').at(-1)!;
    expect(lm.source).toBe(`composefs:${hex}`);
    expect(lm.superOptions).toContain('verity=require');
    expect(one('loop-read')).toBe('verity-guest');

    timings.push(`  ${kernel}: setup-root ${doc['totalMs']} ms (${doc['kernel']['assembly']}, layers ${doc['kernel']['layers']}; steps ${doc['steps'].map((s: { step: string; ms: number }) => `${s.step} ${s.ms}`).join(', ')}); loop path ${status('loop')['totalMs']} ms; boot ${r.seconds.toFixed(1)} s; fallbacks: ${doc['kernel']['fallbacks'].join(' | ') || 'none'}`);
    keep = false;
  });
});
