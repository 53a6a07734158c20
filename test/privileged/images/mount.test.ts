/**
 * Real mounts of our images (needs root): a source tree with every kind of entry is turned into a
 * V1 and a V2 image by the built executable (`dist/cfsboot mkcomposefs --digest-store=STORE`,
 * the real user path), then each image is mounted as EROFS (file-backed through the new mount
 * API, and through a loop device by util-linux `mount`) and with overlayfs stacked the
 * composefs way (metacopy=on, redirect_dir=on, the digest store as a data-only lower layer,
 * no verity= since this host has no fs-verity), and the mounted trees are compared with the
 * source: find listing, file contents (sha256), devices, xattrs, symlink targets.
 *
 * Everything is mounted by test/privileged/images/mount-compare.sh inside
 * `unshare -m --propagation private`, so no mount reaches the host namespace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXE, exeExists, runExe, SKIP_NO_EXE } from '../../helpers/exe.js';
import { randomFile } from '../../helpers/files.js';
import { findAddonFile } from '../../../src/sys/addon.js';

const isRoot = process.getuid?.() === 0;
const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missingTools = ['unshare', 'mount', 'umount', 'findmnt', 'getfattr', 'setfattr', 'mkfifo', 'mknod', 'sha256sum'].filter((t) => !have(t));
const reason = !isRoot
  ? ' [skipped: requires root]'
  : !exeExists
    ? ` [skipped: ${SKIP_NO_EXE}]`
    : missingTools.length > 0
      ? ` [skipped: missing ${missingTools.join(', ')} (getfattr/setfattr: apt-get install attr)]`
      : '';
const enabled = reason === '';

const SCRIPT = path.join(__dirname, 'mount-compare.sh');
const T0 = 1700000000;

/** Mount points (host namespace) at or below `dir`. */
function hostMountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((mp) => mp === dir || mp.startsWith(`${dir}/`));
}

const run = (cmd: string, ...args: string[]): void => {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

/** Builds the source tree under `src`. */
function buildSource(src: string): void {
  const p = (...parts: string[]): string => path.join(src, ...parts);
  fs.mkdirSync(p('dir/sub/deep'), { recursive: true });
  fs.mkdirSync(p('dir/empty-dir'));
  fs.mkdirSync(p('sticky'));
  const sizes: Array<[string, number]> = [['empty', 0], ['one', 1], ['f64', 64], ['f65', 65], ['f5000', 5000], ['f100k', 100 * 1024]];
  sizes.forEach(([name, size], i) => randomFile(src, name, size, i + 1));
  randomFile(p('dir/sub/deep'), 'nested', 4097, 99);
  fs.writeFileSync(p('dir/sub/small.txt'), 'hello composefs\n');
  // two names of one inode: the scanner splits them, the store dedupes the object
  randomFile(src, 'hard-a', 3000, 7);
  fs.linkSync(p('hard-a'), p('hard-b'));
  // same content as f5000 under another name: one object, two redirects
  fs.copyFileSync(p('f5000'), p('dir/copy-of-f5000'));
  fs.writeFileSync(p('ünïcødé файл 日本語'), 'utf-8 name\n');
  fs.writeFileSync(Buffer.concat([Buffer.from(`${src}/bad-`), Buffer.from([0xff, 0xfe])]), 'not utf-8\n');
  fs.writeFileSync(p('suid'), '#!/bin/sh\n');
  fs.symlinkSync('f64', p('link-rel'));
  fs.symlinkSync('/etc/passwd', p('link-abs'));
  fs.symlinkSync('no/such/target', p('link-dangling'));
  fs.symlinkSync('../one', p('dir/link-up'));
  fs.symlinkSync(`long/${'x'.repeat(300)}`, p('link-long'));
  fs.symlinkSync('ünïcødé файл 日本語', p('link-utf8'));
  run('mkfifo', '-m', '0640', p('fifo'));
  run('mknod', '-m', '0600', p('chardev'), 'c', '1', '3');

  run('chown', '1234:5678', p('f65'));
  run('chown', '-h', '4321:8765', p('link-rel'));
  run('chown', '1234:5678', p('dir/sub'));
  fs.chmodSync(p('suid'), 0o4755);
  fs.chmodSync(p('sticky'), 0o1777);
  fs.chmodSync(p('f5000'), 0o600);
  fs.chmodSync(p('dir/empty-dir'), 0o700);

  run('setfattr', '-n', 'user.root', '-v', 'yes', src);
  run('setfattr', '-n', 'user.color', '-v', 'blue', p('f65'));
  run('setfattr', '-n', 'user.bin', '-v', '0x00ff10ee', p('f100k'));
  run('setfattr', '-n', 'user.color', '-v', 'blue', p('one')); // shared by two inodes
  run('setfattr', '-n', 'user.empty', p('dir'));
  run('setfattr', '-n', 'user.ünï', '-v', 'ök', p('ünïcødé файл 日本語'));
  run('setfattr', '-n', 'trusted.cfsboot', '-v', 'trusted value', p('dir/sub/small.txt'));
  // escaped in the image (trusted.overlay.overlay.*), shown unescaped again by overlayfs
  run('setfattr', '-n', 'trusted.overlay.cfsboot', '-v', 'escaped', p('dir/sub/small.txt'));
  run('setfattr', '-n', 'user.big', '-v', `0x${'ab'.repeat(1500)}`, p('dir/sub/deep'));

  // mtimes last (children before their directories), with nanoseconds, every third one equal to
  // the minimum; in bash because a non-UTF-8 name cannot be passed as a JS string argument
  execFileSync('bash', ['-c', `
    i=0
    find "$1" -depth -print0 | while IFS= read -r -d '' f; do
      if (( i % 3 == 0 )); then t=${T0}; else t=$((${T0} + i)).$(printf '%09d' $(( (i * 123456789) % 1000000000 ))); fi
      touch -h -d "@$t" -- "$f"
      i=$((i + 1))
    done`, 'touch-all', src]);
}

type Rec = Record<string, string>;

function readRecords(file: string): string[] {
  return fs.readFileSync(file).toString('latin1').split('\0').filter((r) => r !== '');
}
/** `.find`: path → "type mode uid gid size mtime target" (normalized per `opts`). */
function readFind(file: string, opts: { mtimeSecondsOnly?: boolean } = {}): Rec {
  const out: Rec = {};
  for (const r of readRecords(file)) {
    const [p, type, mode, uid, gid, size, mtime, target] = r.split('\t') as [string, string, string, string, string, string, string, string];
    const sec = mtime.split('.')[0]!;
    out[p] = [
      type, mode, uid, gid,
      type === 'd' ? '-' : size, // directory sizes are per filesystem
      opts.mtimeSecondsOnly ? sec : mtime,
      target,
    ].join(' ');
  }
  return out;
}
/** `.sha256` / `.rdev` / `.xattr`: path (without `./`) → value. */
function readMap(file: string, filter: (v: string) => string = (v) => v): Rec {
  const out: Rec = {};
  for (const r of readRecords(file)) {
    const i = r.indexOf('\t');
    out[r.slice(0, i).replace(/^\.\/?/, '')] = filter(r.slice(i + 1));
  }
  return out;
}
const dropOverlayXattrs = (v: string): string => v.split('\n').filter((l) => l !== '' && !l.startsWith('trusted.overlay.')).join('\n');
const zeroHash = (size: number): string => createHash('sha256').update(Buffer.alloc(size)).digest('hex');

describe.skipIf(!enabled)(`V1 and V2 images mounted as EROFS and as composefs overlays${reason}`, () => {
  let work: string;
  let src: string;
  let store: string;
  const images: Record<string, string> = {};
  let out: string;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-images-'));
    src = path.join(work, 'src');
    store = path.join(work, 'store');
    out = path.join(work, 'out');
    fs.mkdirSync(src);
    fs.mkdirSync(out);
    buildSource(src);
    for (const [label, extra] of [['v1', []], ['v2', ['--format', 'v2']]] as const) {
      const img = path.join(work, `${label}.img`);
      const r = runExe(['mkcomposefs', ...extra, `--digest-store=${store}`, src, img]);
      expect(r.status, `${EXE} mkcomposefs ${label}: ${r.stderr}`).toBe(0);
      images[label] = img;
    }
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'bash', SCRIPT, out, src, store,
      ...Object.entries(images).map(([l, i]) => `${l}=${i}`)], {
      encoding: 'utf8',
      timeout: 90_000,
      env: { ...process.env, CFSBOOT_NODE: process.execPath, CFSBOOT_ADDON: findAddonFile() },
    });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`mount-compare.sh exited ${r.status}: ${r.stderr}`);
  });

  afterAll(() => {
    if (work === undefined) return;
    expect(hostMountsUnder(work)).toEqual([]);
    if (process.env['CFSBOOT_KEEP_WORK'] === '1') console.log(`kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  });

  it('wrote a V1 (composefs_version 0) and a V2 (composefs_version 2) image, and filled the store', () => {
    expect(fs.readFileSync(images['v1']!).readUInt32LE(12)).toBe(0);
    expect(fs.readFileSync(images['v2']!).readUInt32LE(12)).toBe(2);
    const objects = execFileSync('find', [store, '-type', 'f']).toString().trim().split('\n');
    // f65 f5000(=copy) f100k nested hard-a(=hard-b): 5 distinct objects
    expect(objects).toHaveLength(5);
    for (const o of objects) expect(path.relative(store, o)).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{62}$/);
  });

  it('the source snapshot is complete', () => {
    const s = readFind(path.join(out, 'src.find'));
    expect(s['fifo']).toMatch(/^p 640 /);
    expect(s['chardev']).toMatch(/^c 600 /);
    expect(s['link-abs']).toMatch(/ \/etc\/passwd$/);
    expect(s['ünïcødé файл 日本語'.replace(/[^\0-\x7f]/g, (c) => Buffer.from(c).toString('latin1'))]).toBeDefined();
    expect(Object.keys(s).length).toBeGreaterThan(25);
    expect(readMap(path.join(out, 'src.xattr'))['f65']).toContain('user.color=0x626c7565');
  });

  for (const label of ['v1', 'v2'] as const) {
    const mtimeSecondsOnly = label === 'v2'; // V2 stores mtime seconds only (§13.2)
    const isStub = (p: string, v: string): boolean => label === 'v1' && /^[0-9a-f]{2}$/.test(p) && v.startsWith('c ');

    describe(label, () => {
      it('mounts as EROFS file-backed and through a loop device, and as overlayfs', () => {
        // file-backed: the source is the image file itself, not a block device
        expect(fs.readFileSync(path.join(out, `${label}-erofs.mnt`), 'utf8')).toMatch(/^\S*\.img\s+erofs\s+ro[,\s]/);
        expect(fs.readFileSync(path.join(out, `${label}-loop.mnt`), 'utf8')).toMatch(/^\/dev\/loop\d+\s+erofs\s+ro[,\s]/);
        const ovl = fs.readFileSync(path.join(out, `${label}-ovl.mnt`), 'utf8');
        expect(ovl).toMatch(/\soverlay\s+ro,/);
        expect(ovl).toContain('metacopy=on');
        expect(ovl).toContain(`::${store}`);
      });

      it('overlay: find listing equals the source (types, modes, owners, sizes, mtimes, symlink targets)', () => {
        const want = readFind(path.join(out, 'src.find'), { mtimeSecondsOnly });
        const got = readFind(path.join(out, `${label}-ovl.find`), { mtimeSecondsOnly });
        expect(got).toEqual(want);
        if (label === 'v2') {
          for (const r of readRecords(path.join(out, 'v2-ovl.find'))) expect(r.split('\t')[6]).toMatch(/^\d+(\.0+)?$/);
        }
      });

      it('overlay: every regular file has the source content (inline and through the store)', () => {
        const want = readMap(path.join(out, 'src.sha256'));
        expect(Object.keys(want).length).toBeGreaterThanOrEqual(14);
        expect(readMap(path.join(out, `${label}-ovl.sha256`))).toEqual(want);
      });

      it('overlay: devices and xattrs equal the source', () => {
        expect(readMap(path.join(out, `${label}-ovl.rdev`))).toEqual(readMap(path.join(out, 'src.rdev')));
        expect(readMap(path.join(out, `${label}-ovl.xattr`))).toEqual(readMap(path.join(out, 'src.xattr')));
      });

      it('EROFS alone: same listing (V1: plus the 256 whiteout stubs), inline contents, zero-filled external files', () => {
        const want = readFind(path.join(out, 'src.find'), { mtimeSecondsOnly });
        const raw = readFind(path.join(out, `${label}-erofs.find`), { mtimeSecondsOnly });
        const got: Rec = {};
        let stubs = 0;
        for (const [p, v] of Object.entries(raw)) {
          if (isStub(p, v)) stubs++;
          else got[p] = v;
        }
        expect(stubs).toBe(label === 'v1' ? 256 : 0);
        expect(got).toEqual(want);

        const sizes = new Map(Object.entries(want).map(([p, v]) => [p, Number(v.split(' ')[4])]));
        const srcHash = readMap(path.join(out, 'src.sha256'));
        const erofsHash = readMap(path.join(out, `${label}-erofs.sha256`));
        for (const [p, h] of Object.entries(srcHash)) {
          const size = sizes.get(p)!;
          expect(erofsHash[p], p).toBe(size <= 64 ? h : zeroHash(size));
        }
      });

      it('the loop-device mount shows exactly what the file-backed one shows', () => {
        for (const ext of ['find', 'sha256', 'rdev', 'xattr']) {
          expect(readRecords(path.join(out, `${label}-loop.${ext}`)), ext).toEqual(readRecords(path.join(out, `${label}-erofs.${ext}`)));
        }
      });

      it('EROFS alone: xattrs equal the source apart from the trusted.overlay.* metadata', () => {
        const want = readMap(path.join(out, 'src.xattr'), dropOverlayXattrs);
        const raw = readMap(path.join(out, `${label}-erofs.xattr`));
        const got: Rec = {};
        for (const [p, v] of Object.entries(raw)) if (!(label === 'v1' && /^[0-9a-f]{2}$/.test(p))) got[p] = dropOverlayXattrs(v);
        expect(got).toEqual(want);
        // the metadata overlayfs needs is there
        expect(raw['f100k']).toContain('trusted.overlay.metacopy=0x00240001');
        expect(raw['f100k']).toContain('trusted.overlay.redirect=0x2f');
        expect(raw['']).toContain(label === 'v1' ? 'trusted.overlay.opaque=0x79' : 'user.');
      });
    });
  }

  it('leaves no mount behind, in the namespace or on the host', () => {
    expect(fs.readFileSync(path.join(out, 'remaining'), 'utf8')).toBe('');
    expect(hostMountsUnder(work)).toEqual([]);
  });
});
