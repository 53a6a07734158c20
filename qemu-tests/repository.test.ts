/**
 * A SECURE repository through the real kernel (this host has no fs-verity): on an ext4 `-O verity`
 * disk in a QEMU guest, `cfsboot repo init` enables fs-verity on meta.json, `import-image`
 * stores the image as an object with fs-verity and the digest the host computed, `create-image`
 * of a tree on the verity disk (plain and `--bootable`, with a small SELinux policy read back from
 * the secure repository) gives the ids `compute-id` gives for the same tree on the host, `fsck`
 * is clean, and an object replaced by other bytes (without verity) is reported and fails fsck.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as h from './lib/harness';

const SKIP = !h.cfsbootExists();
if (SKIP) it.skip('secure repository in QEMU [skipped: dist/cfsboot not built; run `npm run build`]', () => {});
if (!SKIP) h.ensureAssets();
const KERNELS = SKIP ? [] : h.kernels();
const work = SKIP ? '' : h.scratchDir();
let keep = false;
afterAll(() => {
  if (!work) return;
  if (keep) console.log(`[qemu] guest failed: kept ${work}`);
  else h.cleanup(work);
});

const DUMP = '/ 4096 40755 2 0 0 0 1700000000.0 - - -\n/hello 11 100644 1 0 0 0 1700000000.0 - hello\\x20world -\n';

const GUEST = `
set -u
mount -t ext4 /dev/vda /disk
R=/disk/repo
cfsboot repo --repo $R init > /tmp/init.out 2>&1; echo "CFSBOOT-RESULT init-status $?"
sed 's/^/CFSBOOT-RESULT init-out /' /tmp/init.out
echo "CFSBOOT-RESULT meta $(cfsboot verity measure $R/meta.json 2>&1 | cut -d' ' -f1)"
IMG=$(cfsboot repo --repo $R import-image myimg < /disk/img 2>&1)
echo "CFSBOOT-RESULT import $IMG"
HEX=\${IMG#sha512:}
OBJ="$R/objects/$(echo "$HEX" | cut -c1-2)/$(echo "$HEX" | cut -c3-)"
echo "CFSBOOT-RESULT object-measure $(cfsboot verity measure "$OBJ" 2>&1 | cut -d' ' -f1)"
echo "CFSBOOT-RESULT create $(cfsboot repo --repo $R create-image /disk/tree tree 2>&1)"
echo "CFSBOOT-RESULT create-boot $(cfsboot repo --repo $R create-image --bootable /disk/tree treeboot 2>&1)"
echo "CFSBOOT-RESULT compute $(cfsboot repo compute-id /disk/tree 2>&1)"
BIG=$(cfsboot repo --repo $R image-objects tree 2>&1 | head -n 1)
BHEX=\${BIG#sha512:}
echo "CFSBOOT-RESULT tree-object $BHEX $(cfsboot verity measure "$R/objects/$(echo "$BHEX" | cut -c1-2)/$(echo "$BHEX" | cut -c3-)" 2>&1 | cut -d' ' -f1)"
cfsboot repo --repo $R fsck > /tmp/fsck1 2>&1; echo "CFSBOOT-RESULT fsck1-status $?"
sed 's/^/CFSBOOT-RESULT fsck1-out /' /tmp/fsck1
echo "CFSBOOT-RESULT images $(cfsboot repo --repo $R images --json 2>&1 | tr -d '\\n ')"
rm -f "$OBJ"; echo tampered > "$OBJ"
cfsboot repo --repo $R fsck > /tmp/fsck2 2>&1; echo "CFSBOOT-RESULT fsck2-status $?"
sed 's/^/CFSBOOT-RESULT fsck2-out /' /tmp/fsck2
cfsboot repo --repo /disk/insecure init --insecure > /dev/null 2>&1; echo "CFSBOOT-RESULT insecure-init $?"
echo "CFSBOOT-RESULT insecure-meta $(cfsboot verity measure /disk/insecure/meta.json 2>&1 | sed 's/.*(//; s/)//')"
cd /; umount /disk
`;

/**
 * The tree imported in and out of the guest: external and inline files, a hard link, a symlink,
 * /boot and /sysroot contents, /run, and a SELinux policy whose file_contexts is an external object
 * (so `create-image --bootable` in the guest reads it back from the secure repository). Whole-second
 * mtimes: what mkfs.ext4 -d copies exactly.
 */
function writeTree(root: string): void {
  const w = (p: string, data: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), data);
  };
  w('usr/bin/big', 'B'.repeat(5000));
  w('usr/bin/small', 'small\n');
  w('usr/lib/data', 'D'.repeat(70_000));
  w('etc/selinux/config', 'SELINUX=enforcing\nSELINUXTYPE=targeted\n');
  w('etc/selinux/targeted/contexts/files/file_contexts', [
    '/.*\t\tsystem_u:object_r:default_t:s0',
    '/usr(/.*)?\t\tsystem_u:object_r:usr_t:s0',
    '/usr/bin(/.*)?\t--\tsystem_u:object_r:bin_t:s0',
    '/etc(/.*)?\t\tsystem_u:object_r:etc_t:s0',
    '',
  ].join('\n'));
  w('boot/vmlinuz', 'K'.repeat(300));
  w('sysroot/ostree/x', 'x');
  w('run/y', 'y');
  fs.linkSync(path.join(root, 'usr/bin/big'), path.join(root, 'etc/big-link'));
  fs.symlinkSync('../lib/data', path.join(root, 'usr/bin/data-link'));
  const walk = (p: string, t: number): void => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n), t + 1);
    fs.lutimesSync(p, t, t);
  };
  walk(root, 1_700_000_000);
}

describe.skipIf(SKIP).each(KERNELS)('secure repository in a QEMU guest: %s', (kernel) => {
  it('meta.json and objects carry fs-verity; create-image ids equal the host\'s; fsck catches a replaced object', async () => {
    const dir = path.join(work, kernel);
    const src = path.join(dir, 'src');
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(dir, 'tree.dump'), DUMP);
    writeTree(path.join(src, 'tree'));
    const hostId = (...flags: string[]): string =>
      execFileSync(h.CFSBOOT, ['repo', 'compute-id', ...flags, path.join(src, 'tree')], { encoding: 'utf8' }).trim();
    const plainId = hostId();
    const bootId = hostId('--bootable');
    expect(bootId).not.toBe(plainId);
    execFileSync(h.CFSBOOT, ['mkcomposefs', '--from-file', path.join(dir, 'tree.dump'), path.join(src, 'img')]);
    const expected = execFileSync(h.CFSBOOT, ['verity', 'digest', '--hash-alg', 'sha512', '--compact', path.join(src, 'img')], {
      encoding: 'utf8',
    }).trim();
    const disk = h.makeExt4VerityDisk(src, 32, path.join(dir, 'disk.img'));
    const initrd = h.buildInitramfs({
      kernel,
      out: path.join(dir, 'initrd.img'),
      guestScript: GUEST,
      extras: [{ src: h.CFSBOOT, dest: '/usr/bin/cfsboot' }],
    });
    const r = await h.bootGuest({ kernel, initrd: initrd.path, disks: [disk] });
    if (!r.ok) keep = true;
    expect(r.ok, h.describeBoot(kernel, r)).toBe(true);
    keep = true; // until every check below passed
    const one = (k: string): string => h.resultValues(r, k)[0] ?? '';
    expect(one('init-status')).toBe('0');
    expect(h.resultValues(r, 'init-out').join('\n')).toMatch(/verity: +required/);
    expect(one('meta')).toMatch(/^sha512:[0-9a-f]{128}$/);
    expect(one('import')).toBe(`sha512:${expected}`);
    expect(one('object-measure')).toBe(`sha512:${expected}`);
    expect(one('create')).toBe(`sha512:${plainId}`);
    expect(one('create-boot')).toBe(`sha512:${bootId}`);
    expect(one('compute')).toBe(plainId);
    const [objHex, objMeasure] = one('tree-object').split(' ');
    expect(objHex).toMatch(/^[0-9a-f]{128}$/);
    expect(objMeasure).toBe(`sha512:${objHex}`);
    expect(h.resultValues(r, 'fsck1-out').join('\n'), 'fsck after import-image and create-image').toMatch(/objects: (\d+)\/\1 ok[\s\S]*status: ok/);
    expect(one('fsck1-status')).toBe('0');
    expect(one('images')).toContain(expected);
    expect(one('fsck2-status')).toBe('1');
    expect(h.resultValues(r, 'fsck2-out').join('\n')).toMatch(/fsck: object-(verity-missing|digest-mismatch): objects\//);
    expect(one('insecure-init')).toBe('0');
    expect(one('insecure-meta')).toBe('ENODATA');
    keep = false;
  });
});
