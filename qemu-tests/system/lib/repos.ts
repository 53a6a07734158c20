/**
 * Root disks holding composefs repositories made from the test rootfs, for the composefs boots.
 *
 * This host cannot enable fs-verity, so the secure repositories are made inside helper VMs (busybox
 * initramfs + trixie kernel, qemu-tests/lib/harness.ts) on GPT disks with an ext4 `-O verity`
 * root partition, reading the rootfs from the plain root disk (attached read-only):
 *   helper 1: `cfsboot repo init` (V1, sha512, verity) + `create-image --bootable` (composefs-rs's
 *             boot transform, which `compute-karg` always applies) + `compute-karg` on one
 *             disk, plus `state/deploy/<hex>/{etc/upper,etc/work,var}` (var = the rootfs's /var);
 *   the host copies that disk (block copies keep fs-verity) five times;
 *   helper 2: turns the copies into a V2-only repository and a dual one (`init --reset-metadata`
 *             keeps the objects; `import-image` of the V2 image the host made — a second
 *             `create-image` over the same objects costs minutes under TCG) and three tampered
 *             ones (an image symlink to another object, meta.json rewritten without verity, the
 *             canary's object replaced by other bytes with verity).
 * The insecure repository is made on the host (`init --insecure --dual`, `create-image --bootable`) on a disk
 * without the verity feature; its V2 image is the one helper 2 imports (same file contents, so the
 * same objects). Everything is cached in the workspace (keyed on cfsboot, the module, the probe,
 * the rootfs).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as h from '../../lib/harness';
import { ROOT_DISK_MIB, systemSh, timings, Workspace } from './system';

export interface RepoInfo {
  /** the root disk (GPT, root partition with /composefs and /state) */
  disk: string;
  /** hex of the V1 image (composefs.digest=v1-sha512-12:<hex>), if the repository has one */
  v1?: string;
  /** hex of the V2 image (composefs=<hex>), if any */
  v2?: string;
  /** what `cfsboot repo compute-karg` printed for the tree */
  computeKarg?: string;
}

export interface Repos {
  v1: RepoInfo;
  v2: RepoInfo;
  dual: RepoInfo;
  insecure: RepoInfo;
  /** V1 repository whose images/<v1> links to another object (the canary's) */
  tamperDigest: RepoInfo;
  /** V1 repository whose meta.json has no fs-verity */
  tamperMeta: RepoInfo;
  /** V1 repository whose canary object was replaced by other bytes (with verity) */
  tamperObject: RepoInfo;
  /** path of the canary file in the image, and its object name */
  canary: { path: string; object: string };
  /** seconds spent in the helper VMs (0 when cached) */
  helperSeconds: number[];
}

export const CANARY = 'usr/share/cfsboot-test/canary';

const HELPER_PRELUDE = `
set -u
res() { echo "CFSBOOT-RESULT $*"; }
fail() { res error "$*"; exit 1; }
mkdir -p /src /t
mount -t ext4 -o ro /dev/vda1 /src || fail "mount /dev/vda1 (source rootfs)"
state() { # state HEX: the deployment's state directories, /var from the rootfs
  mkdir -p /t/state/deploy/$1/etc/upper /t/state/deploy/$1/etc/work /t/state/deploy/$1/var || fail "mkdir state $1"
  cp -a /src/var/. /t/state/deploy/$1/var/ || fail "cp var $1"
}
`;

function helperBoot(ws: Workspace, name: string, script: string, disks: string[], extras: h.Extra[] = []): Promise<h.BootResult> {
  const dir = path.join(ws.dir, `helper-${name}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const initrd = h.buildInitramfs({
    kernel: 'trixie-6.12',
    out: path.join(dir, 'initrd.img'),
    guestScript: HELPER_PRELUDE + script,
    extras: [{ src: ws.cfsboot, dest: '/usr/bin/cfsboot' }, ...extras],
  });
  // writeback caching without flushes (the disks are rebuilt if the run dies) and room for Node
  const saved = { o: process.env.CFSBOOT_QEMU_DRIVE_OPTS, m: process.env.CFSBOOT_QEMU_MEM };
  process.env.CFSBOOT_QEMU_DRIVE_OPTS = 'cache=unsafe';
  process.env.CFSBOOT_QEMU_MEM = '2048';
  try {
    return h.bootGuest({ kernel: 'trixie-6.12', initrd: initrd.path, disks, timeoutSec: 900, logFile: path.join(dir, 'serial.log') });
  } finally {
    process.env.CFSBOOT_QEMU_DRIVE_OPTS = saved.o;
    process.env.CFSBOOT_QEMU_MEM = saved.m;
    if (saved.o === undefined) delete process.env.CFSBOOT_QEMU_DRIVE_OPTS;
    if (saved.m === undefined) delete process.env.CFSBOOT_QEMU_MEM;
  }
}

function value(r: h.BootResult, key: string): string {
  const v = h.resultValues(r, key)[0];
  if (v === undefined) throw new Error(`helper VM: no ${key} result\n${h.describeBoot('trixie-6.12', r)}`);
  return v;
}

function checkBoot(name: string, r: h.BootResult): void {
  if (!r.ok) throw new Error(`helper VM ${name} failed: ${h.resultValues(r, 'error').join('; ')}\n${h.describeBoot('trixie-6.12', r, 60)}`);
}

const HEX128 = /^[0-9a-f]{128}$/;

/** Builds (or reuses) every repository disk. */
export async function repos(ws: Workspace): Promise<Repos> {
  const meta = path.join(ws.dir, 'repos.json');
  if (fs.existsSync(meta)) return JSON.parse(fs.readFileSync(meta, 'utf8')) as Repos;
  const helperSeconds: number[] = [];
  const rootfs = ws.rootfs();
  const source = ws.plainRootDisk();
  const canaryObject = (() => {
    const d = execFileSync(ws.cfsboot, ['verity', 'digest', '--hash-alg', 'sha512', '--compact', path.join(rootfs, CANARY)], {
      encoding: 'utf8',
    }).trim();
    return `${d.slice(0, 2)}/${d.slice(2)}`;
  })();

  // ---- helper 1: the V1 repository (kept across partial runs: root-v1.img + root-v1.json) -----
  const v1Disk = path.join(ws.dir, 'root-v1.img');
  const v1Json = path.join(ws.dir, 'root-v1.json');
  let v1: string;
  let v1Karg: string;
  if (fs.existsSync(v1Disk) && fs.existsSync(v1Json)) {
    ({ v1, karg: v1Karg } = JSON.parse(fs.readFileSync(v1Json, 'utf8')) as { v1: string; karg: string });
  } else {
    const v1Tmp = `${v1Disk}.tmp`;
    systemSh('root-disk', v1Tmp, String(ROOT_DISK_MIB));
    const t1 = performance.now();
    const r1 = await helperBoot(
      ws,
      'v1',
      `
mount -t ext4 -o nobarrier /dev/vdb1 /t || fail "mount /dev/vdb1"
R=/t/composefs
cfsboot repo --repo $R init > /tmp/o 2>&1 || fail "init: $(cat /tmp/o)"
t0=$(date +%s)
out=$(cfsboot repo --repo $R create-image --bootable /src os 2>&1) || fail "create-image: $out"
res create-image-seconds $(( $(date +%s) - t0 ))
hex=\${out#sha512:}
res v1 $hex
res karg "$(cfsboot repo compute-karg /src 2>&1)"
state $hex
cfsboot repo --repo $R fsck > /tmp/o 2>&1; res fsck $?
res objects $(find $R/objects -type f | wc -l)
cfsboot verity measure $R/meta.json > /dev/null 2>&1 || fail "meta.json has no verity"
cd /; sync; umount /t /src
`,
      [source, v1Tmp],
    );
    helperSeconds.push((performance.now() - t1) / 1000);
    timings['helper-v1'] = helperSeconds[0]!;
    checkBoot('v1', r1);
    v1 = value(r1, 'v1');
    v1Karg = value(r1, 'karg');
    if (!HEX128.test(v1)) throw new Error(`helper VM v1: bad image id ${v1}`);
    if (value(r1, 'fsck') !== '0') throw new Error(`helper VM v1: fsck failed\n${h.describeBoot('trixie-6.12', r1)}`);
    timings['create-image-in-guest'] = Number(value(r1, 'create-image-seconds'));
    fs.renameSync(v1Tmp, v1Disk);
    fs.writeFileSync(v1Json, JSON.stringify({ v1, karg: v1Karg }));
  }

  // ---- host: block copies (fs-verity survives) ---------------------------------------------
  const copies = ['v2', 'dual', 'tamper-digest', 'tamper-meta', 'tamper-object'].map((n) => {
    const p = path.join(ws.dir, `root-${n}.img.tmp`);
    execFileSync('cp', ['--sparse=always', v1Disk, p]);
    return p;
  });

  const v2Image = path.join(ws.dir, 'v2.erofs');
  // ---- host: the insecure repository, on a disk without the verity feature -------------------
  const insecure = (() => {
    const tree = path.join(ws.dir, 'insecure-tree');
    fs.rmSync(tree, { recursive: true, force: true });
    fs.mkdirSync(tree);
    const repo = path.join(tree, 'composefs');
    execFileSync(ws.cfsboot, ['repo', '--repo', repo, 'init', '--insecure', '--dual'], { stdio: 'ignore' });
    const hex = execFileSync(ws.cfsboot, ['repo', '--repo', repo, 'create-image', '--bootable', rootfs, 'os'], { encoding: 'utf8' })
      .trim()
      .replace(/^sha512:/, '');
    const karg = execFileSync(ws.cfsboot, ['repo', 'compute-karg', rootfs], { encoding: 'utf8' }).trim();
    const v2Karg = execFileSync(ws.cfsboot, ['repo', '--erofs-version', '2', 'compute-karg', rootfs], { encoding: 'utf8' }).trim();
    // the V2 image: the image that is not the V1 one
    const v2 = fs.readdirSync(path.join(repo, 'images')).find((n) => HEX128.test(n) && n !== hex);
    if (!v2) throw new Error(`host dual repository ${repo}: no V2 image`);
    fs.copyFileSync(path.join(repo, 'images', v2), v2Image);
    const st = path.join(tree, 'state/deploy', hex);
    fs.mkdirSync(path.join(st, 'etc/upper'), { recursive: true });
    fs.mkdirSync(path.join(st, 'etc/work'), { recursive: true });
    execFileSync('cp', ['-a', path.join(rootfs, 'var'), path.join(st, 'var')]);
    const disk = path.join(ws.dir, 'root-insecure.img');
    systemSh('root-disk', `${disk}.tmp`, String(ROOT_DISK_MIB), tree, '--no-verity');
    fs.renameSync(`${disk}.tmp`, disk);
    fs.rmSync(tree, { recursive: true, force: true });
    return { disk, v1: hex, v2, computeKarg: karg, v2Karg };
  })();


  // ---- helper 2: V2-only, dual, tampered ---------------------------------------------------
  const t2 = performance.now();
  const r2 = await helperBoot(
    ws,
    'derived',
    `
V1=${v1}
CANARY_OBJ=${canaryObject}
# V2-only repository: same objects, metadata reset to V2, image re-created
mount -t ext4 -o nobarrier /dev/vdb1 /t || fail "mount /dev/vdb1"
R=/t/composefs
cfsboot repo --repo $R init --reset-metadata --erofs-version 2 > /tmp/o 2>&1 || fail "init v2: $(cat /tmp/o)"
out=$(cfsboot repo --repo $R import-image os < /v2.erofs 2>&1) || fail "import-image v2: $out"
v2=\${out#sha512:}
res v2 $v2
mv /t/state/deploy/$V1 /t/state/deploy/$v2 || fail "state v2"
cfsboot repo --repo $R fsck > /tmp/o 2>&1; res v2-fsck $?
cd /; sync; umount /t
# dual repository: V1 default + V2
mount -t ext4 -o nobarrier /dev/vdc1 /t || fail "mount /dev/vdc1"
cfsboot repo --repo $R init --reset-metadata --dual > /tmp/o 2>&1 || fail "init dual: $(cat /tmp/o)"
V1OBJ=$R/objects/$(echo $V1 | cut -c1-2)/$(echo $V1 | cut -c3-)
out=$(cfsboot repo --repo $R import-image os < $V1OBJ 2>&1) || fail "import-image dual v1: $out"
res dual-v1 \${out#sha512:}
out=$(cfsboot repo --repo $R import-image os-v2 < /v2.erofs 2>&1) || fail "import-image dual v2: $out"
res dual-v2 \${out#sha512:}
res dual-images $(ls $R/images | grep -v '^refs$' | sort | tr '\\n' ' ')
state $v2
cfsboot repo --repo $R fsck > /tmp/o 2>&1; res dual-fsck $?
cd /; sync; umount /t
# tamper: images/<v1> names another object (with verity): digest != karg
mount -t ext4 -o nobarrier /dev/vdd1 /t || fail "mount /dev/vdd1"
ln -sfn ../objects/$CANARY_OBJ $R/images/$V1 || fail "relink image"
res tamper-digest "$(readlink $R/images/$V1)"
cd /; sync; umount /t
# tamper: meta.json rewritten without fs-verity
mount -t ext4 -o nobarrier /dev/vde1 /t || fail "mount /dev/vde1"
cp $R/meta.json $R/meta.json.new && mv -f $R/meta.json.new $R/meta.json || fail "rewrite meta.json"
res tamper-meta "$(cfsboot verity measure $R/meta.json 2>&1)"
cd /; sync; umount /t
# tamper: the canary's object replaced by other bytes, with fs-verity
mount -t ext4 -o nobarrier /dev/vdf1 /t || fail "mount /dev/vdf1"
O=$R/objects/$CANARY_OBJ
[ -f $O ] || fail "no object $CANARY_OBJ"
rm -f $O && head -c 65536 /dev/zero > $O && cfsboot verity enable --hash-alg sha512 $O > /dev/null 2>&1 || fail "replace object"
res tamper-object "$(cfsboot verity measure $O 2>&1)"
cd /; sync; umount /t
umount /src
`,
    [source, ...copies],
    [{ src: v2Image, dest: '/v2.erofs' }],
  );
  helperSeconds.push((performance.now() - t2) / 1000);
  timings['helper-derived'] = helperSeconds[helperSeconds.length - 1]!;
  checkBoot('derived', r2);
  const v2 = value(r2, 'v2');
  if (v2 !== insecure.v2) throw new Error(`helper VM derived: V2 image id ${v2}, host made ${insecure.v2}`);
  if (value(r2, 'dual-v1') !== v1) throw new Error(`helper VM derived: dual V1 image id ${value(r2, 'dual-v1')} != ${v1}`);
  for (const k of ['v2-fsck', 'dual-fsck']) if (value(r2, k) !== '0') throw new Error(`helper VM derived: ${k} failed`);
  const dualImages = value(r2, 'dual-images').split(' ');
  if (!dualImages.includes(v1) || !dualImages.includes(v2)) {
    throw new Error(`helper VM derived: dual repository images ${dualImages.join(' ')} are not {${v1}, ${v2}}`);
  }
  const [v2Disk, dualDisk, tdDisk, tmDisk, toDisk] = copies.map((p) => {
    const f = p.replace(/\.tmp$/, '');
    fs.renameSync(p, f);
    return f;
  }) as [string, string, string, string, string];

  const out: Repos = {
    v1: { disk: v1Disk, v1, computeKarg: v1Karg },
    v2: { disk: v2Disk, v2, computeKarg: insecure.v2Karg },
    dual: { disk: dualDisk, v1, v2 },
    insecure: { disk: insecure.disk, v1: insecure.v1, v2: insecure.v2, computeKarg: insecure.computeKarg },
    tamperDigest: { disk: tdDisk, v1 },
    tamperMeta: { disk: tmDisk, v1 },
    tamperObject: { disk: toDisk, v1 },
    canary: { path: `/${CANARY}`, object: canaryObject },
    helperSeconds,
  };
  fs.writeFileSync(meta, JSON.stringify(out, null, 2));
  return out;
}

/** `composefs.digest=[?]v1-sha512-12:<hex>` */
export function kargV1(hex: string, insecure = false): string {
  return `composefs.digest=${insecure ? '?' : ''}v1-sha512-12:${hex}`;
}

/** `composefs=[?]<hex>` (V2) */
export function kargV2(hex: string, insecure = false): string {
  return `composefs=${insecure ? '?' : ''}${hex}`;
}
