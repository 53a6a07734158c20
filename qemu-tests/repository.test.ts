/**
 * A SECURE repository through the real kernel (this host has no fs-verity): on an ext4 `-O verity`
 * disk in a QEMU guest, `cfsboot repo init` enables fs-verity on meta.json, `import-image`
 * stores the image as an object with fs-verity and the digest the host computed, `fsck` is clean,
 * and an object replaced by other bytes (without verity) is reported and fails fsck.
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
echo "CFSBOOT-RESULT import $(cfsboot repo --repo $R import-image myimg < /disk/img 2>&1)"
OBJ=$(find $R/objects -type f | head -n 1)
echo "CFSBOOT-RESULT object-measure $(cfsboot verity measure "$OBJ" 2>&1 | cut -d' ' -f1)"
cfsboot repo --repo $R fsck > /tmp/fsck1 2>&1; echo "CFSBOOT-RESULT fsck1-status $?"
echo "CFSBOOT-RESULT images $(cfsboot repo --repo $R images --json 2>&1 | tr -d '\\n ')"
rm -f "$OBJ"; echo tampered > "$OBJ"
cfsboot repo --repo $R fsck > /tmp/fsck2 2>&1; echo "CFSBOOT-RESULT fsck2-status $?"
sed 's/^/CFSBOOT-RESULT fsck2-out /' /tmp/fsck2
cfsboot repo --repo /disk/insecure init --insecure > /dev/null 2>&1; echo "CFSBOOT-RESULT insecure-init $?"
echo "CFSBOOT-RESULT insecure-meta $(cfsboot verity measure /disk/insecure/meta.json 2>&1 | sed 's/.*(//; s/)//')"
cd /; umount /disk
`;

describe.skipIf(SKIP).each(KERNELS)('secure repository in a QEMU guest: %s', (kernel) => {
  it('meta.json and objects carry fs-verity; fsck catches a replaced object', async () => {
    const dir = path.join(work, kernel);
    const src = path.join(dir, 'src');
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(dir, 'tree.dump'), DUMP);
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
    expect(one('fsck1-status')).toBe('0');
    expect(one('images')).toContain(expected);
    expect(one('fsck2-status')).toBe('1');
    expect(h.resultValues(r, 'fsck2-out').join('\n')).toMatch(/fsck: object-(verity-missing|digest-mismatch): objects\//);
    expect(one('insecure-init')).toBe('0');
    expect(one('insecure-meta')).toBe('ENODATA');
    keep = false;
  });
});
