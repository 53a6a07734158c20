/**
 * Handwritten dumpfiles, one or more per rule of erofs.md §6, written by C mkcomposefs 1.0.8 and
 * by writeImageV1: the bytes must be identical. On a mismatch the message names the first
 * differing offset and its region (header / superblock / inode nid N / xattr table / data block).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeImageV1, type WriteV1Options } from '../../../src/erofs/index.js';
import { newNode, type Node } from '../../../src/tree/node.js';
import { verityDigestOfBuffer } from '../../../src/verity/merkle.js';
import { HAVE_C, MKCOMPOSEFS, compareWithC, firstDiff, parseForTest, runC } from './helpers/c-diff.js';
import { ROOT, dir, ext, file, line } from './helpers/dump-build.js';

const rep = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join('');
const pad = (i: number, w = 3): string => String(i).padStart(w, '0');
const name = (len: number, c: string, i: number): string => (c.repeat(len) + pad(i)).slice(-len);

export const CASES: Record<string, string> = {
  'whiteouts in a subdirectory and in the root': ROOT() + dir('/d') + line('/d/wh', { mode: '20000' }) +
    line('/d/wh2', { mode: '20644', uid: 5 }) + line('/rootwh', { mode: '20000' }) + line('/dev', { mode: '20644', rdev: 5 }),
  'whiteout named like a stub (0a) and stubs colliding with root children': ROOT() + line('/0a', { mode: '20000' }) +
    file('/00') + dir('/ff') + file('/ab', { content: 'x' }) + line('/7f', { mode: '@100644', payload: '/00' }) +
    line('/c3', { mode: '120777', payload: 'target' }) + line('/ffff', { mode: '10644' }),
  'escaped trusted.overlay xattrs (incl. already escaped) and user.overlay untouched':
    ROOT({ xattrs: [['trusted.overlay.opaque', 'x'], ['user.overlay.opaque', 'y']] }) +
    dir('/d', { xattrs: [['trusted.overlay.overlay.foo', 'bar'], ['trusted.overlay.redirect', '/x'], ['trusted.overlayfoo', '1']] }) +
    file('/d/f', { xattrs: [['trusted.overlay.metacopy', ''], ['trusted.overlay.overlay.overlay.z', 'zz']] }) +
    ext('/d/e', 5000, { xattrs: [['trusted.overlay.metacopy', 'old'], ['user.overlay.redirect', '/a']] }),
  'whiteout markers replacing existing values: accepted or ERANGE exactly as C': ROOT() +
    dir('/d', { xattrs: [['trusted.overlay.opaque', 'abc']] }) + line('/d/w', { mode: '20000' }),
  'ERANGE: replacing a renamed trusted.overlay.whiteouts': ROOT() +
    dir('/d', { xattrs: [['trusted.overlay.whiteouts', 'a'], ['user.overlay.opaque', 'q']] }) + line('/d/w', { mode: '20000' }),
  'ERANGE: long opaque value replaced by x': ROOT() +
    dir('/d', { xattrs: [['trusted.overlay.opaque', 'o'.repeat(99)]] }) + line('/d/w', { mode: '20000' }),
  'ERANGE boundary: opaque value 70 vs 71 bytes, several whiteouts, existing user markers': ROOT() +
    dir('/a', { xattrs: [['trusted.overlay.opaque', 'o'.repeat(70)]] }) + line('/a/w', { mode: '20000' }) +
    dir('/b', { xattrs: [['user.overlay.whiteouts', '']] }) + line('/b/w1', { mode: '20000' }) + line('/b/w2', { mode: '20000' }) +
    dir('/c', { xattrs: [['user.overlay.opaque', 'zzzz'], ['user.other', '1']] }) + line('/c/w', { mode: '20000', xattrs: [['user.overlay.whiteout', 'q']] }),
  'shared xattrs with the 128-reference cap': ROOT() +
    rep(3, (i) => file(`/f${i}`, { xattrs: Array.from({ length: 131 }, (_, k): [string, string] => [`user.k${pad(k)}`, `v${k % 7}`]) })) +
    file('/g', { xattrs: Array.from({ length: 200 }, (_, k): [string, string] => [`user.k${pad(k)}`, `v${k % 7}`]) }),
  'shared table order: value length then bytes, keys across prefixes': ROOT() +
    rep(2, (i) => file(`/a${i}`, { xattrs: [['user.x', '\xee'], ['security.selinux', 'sys_u:obj'], ['trusted.t', 'q']] })) +
    rep(2, (i) => file(`/b${i}`, { xattrs: [['user.x', '\x00\x00'], ['lustre.l', 'L'], ['foo.bar', 'F'], ['system.nfs4_acl', 'N']] })) +
    rep(2, (i) => file(`/c${i}`, { xattrs: [['user.x', '\xef'], ['user.', 'empty-suffix'], ['security.x', '']] })),
  'root selinux label copied to the stubs (always shared)': ROOT({ xattrs: [['security.selinux', 'system_u:object_r:root_t:s0']] }) +
    file('/f', { xattrs: [['security.selinux', 'other']] }),
  'ACL xattrs set HAS_ACL': ROOT() + file('/a', { xattrs: [['system.posix_acl_access', '\x02\x00\x00\x00\x01\x00\x06\x00']] }) +
    dir('/d', { xattrs: [['system.posix_acl_default', '\x02\x00\x00\x00']] }),
  'compact vs extended: uid/gid/nlink/size limits and nsec': ROOT({ mtime: '100.0' }) +
    file('/u1', { uid: 65535, gid: 65535, nlink: 65535, mtime: '100.0' }) + file('/u2', { uid: 65536, mtime: '100.0' }) +
    file('/g2', { gid: 65536, mtime: '100.0' }) + file('/n2', { nlink: 65536, mtime: '100.0' }) +
    ext('/s1', 0xffffffff, { mtime: '100.0' }) + ext('/s2', 0x100000000, { mtime: '100.0' }) +
    file('/ns', { mtime: '100.1' }) + file('/late', { mtime: '101.0' }) + line('/blk', { mode: '60600', rdev: 0x123456789a, mtime: '100.0' }),
  'fifo/socket/device SIZE fields: a size above 2^32-1 makes the inode extended (0 written)': ROOT({ mtime: '100.0' }) +
    line('/fifo', { mode: '10644', size: 0x100000000, mtime: '100.0' }) + line('/sock', { mode: '140644', size: 5, mtime: '100.0' }) +
    line('/chr', { mode: '20644', rdev: 7, size: 2n ** 40n, mtime: '100.0' }) + line('/fifo2', { mode: '10644', size: 0xffffffff, mtime: '100.0' }),
  'huge external sizes and chunk formats': ROOT() +
    [1, 2, 4095, 4096, 4097, 8192, 8193, 70000, 2 ** 32, 2 ** 43, 2 ** 43 + 1, 2 ** 44, 2 ** 50]
      .map((s, i) => ext(`/x${pad(i)}`, s, {}, i)).join('') +
    ext('/y1', 1000n * 2n ** 43n, {}, 40) + ext('/y2', 1017n * 2n ** 43n, {}, 41) + ext('/y3', 2n ** 53n, {}, 42),
  'negative mtimes and build_time': ROOT({ mtime: '1000.5' }) + file('/n', { mtime: '-5.7' }) + file('/m', { mtime: '-5.8' }) +
    file('/o', { mtime: '-6.999999999' }) + dir('/d', { mtime: '-5.7' }),
  'inline content sizes around the 2048/4096 thresholds': ROOT() +
    [1, 63, 64, 65, 2047, 2048, 2049, 3000, 4095, 4096, 4097, 5000, 4096 + 2048, 4096 + 2049]
      .filter((s) => s <= 5000).map((s, i) => file(`/i${pad(i)}`, { content: String.fromCharCode(65 + (i % 26)).repeat(s - 1) + '\n' })).join(''),
  'symlinks moved to a fresh block and promoted to a data block': ROOT() +
    rep(40, (i) => line(`/s${pad(i)}`, { mode: '120777', payload: 't'.repeat(50 + i * 97) })) +
    line('/big1', { mode: '120777', payload: 'p'.repeat(4095) }) +
    line('/big2', { mode: '120777', payload: 'q'.repeat(4060), xattrs: [['user.a', 'b']] }) +
    line('/big3', { mode: '120777', payload: 'r'.repeat(4063) }) + line('/big4', { mode: '120777', payload: 'r'.repeat(4064) }) +
    line('/big5', { mode: '120777', payload: 'r'.repeat(4031), mtime: '5.0' }) + line('/big6', { mode: '120777', payload: 'r'.repeat(4032), mtime: '5.0' }),
  'directories spanning many blocks (long names, 252-255 bytes)': ROOT() + dir('/d') +
    rep(160, (i) => file(`/d/${name(252 + (i % 4), 'n', i)}`)) + dir('/e') + rep(400, (i) => file(`/e/f${pad(i, 4)}`)) +
    dir('/t') + rep(15, (i) => file(`/t/${name(150, 'a', i)}`)),
  'directory tails needing padding (big xattrs)': ROOT() +
    rep(30, (i) => dir(`/d${pad(i)}`, { xattrs: [['user.big', 'v'.repeat(100 + i * 37)]] }) + rep(1 + (i % 9), (k) => file(`/d${pad(i)}/${name(30 + k * 20, 'e', k)}`))),
  'inline file tails needing padding': ROOT() +
    rep(40, (i) => file(`/f${pad(i)}`, { content: 'z'.repeat(100 + i * 51), xattrs: [['user.x', 'y'.repeat(i * 13)]] })),
  'hardlinks forward and backward in BFS, link lines before targets': ROOT() +
    line('/a', { mode: '@100644', payload: '/z/y/orig' }) + dir('/z') + dir('/z/y') +
    file('/z/y/orig', { nlink: 3, content: 'hi', xattrs: [['user.q', '1']] }) + line('/z/l2', { mode: '@100644', payload: '/z/y/orig' }) +
    file('/b', { nlink: 2 }) + line('/z/y/l3', { mode: '@100644', payload: '/b' }) +
    line('/c', { mode: '@100644', payload: '/a' }) + line('/z/sym', { mode: '120777', payload: 'x' }) +
    line('/zz', { mode: '@120777', payload: '/z/sym' }) + line('/z/wh', { mode: '20000', nlink: 2 }) + line('/wl', { mode: '@20000', payload: '/z/wh' }),
  'names sorting before "." and with high bytes': ROOT() + file('/-x') + file('/+x') + file('/!x') + file('/\xff\xfe') +
    dir('/d') + file('/d/-') + file('/d/\x01') + dir('/.-') + file('/.-/.-') + file('/d/..a') + file('/d/.a') + file('/d/.-') + file('/d/.\x01'),
  'devices, fifos, sockets with sizes and rdevs': ROOT() + line('/c', { mode: '20600', rdev: 259 }) +
    line('/b', { mode: '60600', rdev: 2n ** 40n + 5n }) + line('/f', { mode: '10600', size: 7 }) + line('/s', { mode: '140600' }) +
    line('/suid', { mode: '104755', content: 'x' }) + line('/sticky', { mode: '41777', nlink: 2 }),
  'external files without digest or payload': ROOT() + file('/p', { size: 10, payload: 'rel' }) + file('/q', { size: 10 }) +
    file('/r', { size: 10, digest: 'ab'.repeat(32) }) + file('/e0', { size: 0, payload: 'aa/bb', digest: 'cd'.repeat(32) }),
  'deep directory chain': ROOT() + rep(60, (i) => dir('/' + Array.from({ length: i + 1 }, (_, k) => `d${k}`).join('/'))),
  'many inodes across several inode blocks with mixed xattrs': ROOT() +
    rep(50, (i) => dir(`/d${pad(i)}`, { mtime: `${i % 3}.0` }) +
      rep(8, (k) => file(`/d${pad(i)}/f${k}`, { content: 'c'.repeat((i * k) % 90 + 1), xattrs: k % 3 === 0 ? [['user.k', `v${i % 4}`]] : [] }))),
};

const FLAGSETS: Array<{ label: string; opts: WriteV1Options }> = [
  { label: 'default', opts: {} },
  { label: '--min-version=1', opts: { minVersion: 1 } },
  { label: '--max-version=0', opts: { maxVersion: 0 } },
  { label: '--max-version=1', opts: { maxVersion: 1 } },
  { label: '--min-version=1 --max-version=0', opts: { minVersion: 1, maxVersion: 0 } },
];

describe.skipIf(!HAVE_C)('byte-identical to C mkcomposefs 1.0.8 on handwritten dumpfiles', () => {
  for (const [title, dump] of Object.entries(CASES)) {
    // a case titled "ERANGE…" must fail in C (and then in ours) for at least the default flags
    it(title, async () => {
      if (title.startsWith('ERANGE:')) expect(runC(dump).ok).toBe(false);
      for (const { label, opts } of FLAGSETS) {
        const r = await compareWithC(dump, opts);
        expect(r.status === 'differ' ? `${label}: ${r.message}` : 'same').toBe('same');
      }
    });
  }

  it('--use-epoch: C ignores it with --from-file; ours equals C on the dumpfile with every mtime 0.0', async () => {
    const dump = CASES['compact vs extended: uid/gid/nlink/size limits and nsec']! + file('/neg', { mtime: '-3.2' });
    const plain = runC(dump);
    const epochFlag = runC(dump, ['--use-epoch']);
    expect(plain.ok && epochFlag.ok && plain.image.equals(epochFlag.image)).toBe(true);
    const zeroed = dump.replace(/^(\S+ \S+ \S+ \S+ \S+ \S+ \S+) \S+/gm, '$1 0.0');
    const cZeroed = runC(zeroed);
    const ours = writeImageV1(await parseForTest(dump), { useEpoch: true });
    expect(cZeroed.ok && firstDiff(ours, cZeroed.image)).toBe(-1);
    for (const opts of [{ minVersion: 1 }, { maxVersion: 0 }]) {
      const r = await compareWithC(zeroed, opts, { ...opts, useEpoch: true });
      expect(r.status === 'differ' ? r.message : r.status).toBe('same');
    }
  });

  it('C failures we also reject: EFBIG for more than 1024 chunks, versions > 1', async () => {
    const r = await compareWithC(ROOT() + ext('/huge', 2n ** 53n + 1n), {});
    expect(r.status).toBe('both-failed');
    expect(runC(ROOT(), ['--max-version=2']).ok).toBe(false);
    const root = await parseForTest(ROOT());
    expect(() => writeImageV1(root, { maxVersion: 2 })).toThrow(/Invalid argument/);
    expect(() => writeImageV1(root, { minVersion: 2 })).toThrow(/Invalid argument/);
  });
});

/** Builds a Node tree from a directory the way `mkcomposefs DIR` reads it (§6.1), without xattrs. */
function treeFromDirectory(dir: string): Node {
  const load = (p: string): Node => {
    const st = fs.lstatSync(p, { bigint: true });
    const mode = Number(st.mode);
    const node = newNode(mode, {
      uid: Number(st.uid), gid: Number(st.gid), nlink: 1, size: st.size, rdev: st.rdev,
      mtime: { sec: st.mtimeNs / 1_000_000_000n, nsec: Number(st.mtimeNs % 1_000_000_000n) },
    });
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p)) node.children!.set(name, load(path.join(p, name)));
    } else if (st.isSymbolicLink()) {
      node.payload = fs.readlinkSync(p);
      node.size = BigInt(node.payload.length);
    } else if (st.isFile() && st.size > 0n) {
      const data = fs.readFileSync(p);
      const digest = verityDigestOfBuffer('sha256', data);
      node.digest = digest;
      node.payload = `${digest.subarray(0, 1).toString('hex')}/${digest.subarray(1).toString('hex')}`;
      if (data.length <= 64) node.content = data;
    }
    if (!st.isFile() && !st.isSymbolicLink() && !st.isDirectory()) node.size = 0n;
    return node;
  };
  return load(dir);
}

describe.skipIf(!HAVE_C)('directory source (mkcomposefs DIR IMG --skip-xattrs)', () => {
  it('--use-epoch and plain: byte-identical to a tree built from the same directory', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-erofs-src-'));
    try {
      const t = path.join(dir, 'tree');
      fs.mkdirSync(path.join(t, 'sub', 'deeper'), { recursive: true });
      for (const [name, size] of [['empty', 0], ['ten', 10], ['s64', 64], ['s65', 65], ['big', 5000], ['sub/x', 100000]] as const) {
        fs.writeFileSync(path.join(t, name), Buffer.alloc(size, name.length));
      }
      fs.symlinkSync('ten', path.join(t, 'link'));
      fs.symlinkSync('x'.repeat(300), path.join(t, 'sub', 'longlink'));
      spawnSync('mkfifo', [path.join(t, 'sub', 'fifo')]);
      fs.utimesSync(path.join(t, 'ten'), new Date(5_000), new Date(1_234_567));
      const img = path.join(dir, 'out.img');
      for (const epoch of [true, false]) {
        const r = spawnSync(MKCOMPOSEFS, [...(epoch ? ['--use-epoch'] : []), '--skip-xattrs', t, img]);
        expect(r.status).toBe(0);
        const c = fs.readFileSync(img);
        const ours = writeImageV1(treeFromDirectory(t), { useEpoch: epoch });
        expect(firstDiff(ours, c)).toBe(-1);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!HAVE_C)('hard links: owner from the dumpfile, else the first entry in depth-first order', () => {
  it('default owner (no node.owner) = first entry of a depth-first name-order walk (as composefs-info dump writes)', async () => {
    // originals first in DFS order; the links are shallower (earlier in BFS) and deeper
    const dump = ROOT() + dir('/a') + dir('/a/b') + file('/a/b/orig', { nlink: 3, content: 'x' }) +
      line('/a/b/z', { mode: '@100644', payload: '/a/b/orig' }) + line('/z', { mode: '@100644', payload: '/a/b/orig' }) +
      file('/a/0f', { nlink: 2 }) + dir('/a/b/c') + line('/a/b/c/l', { mode: '@100644', payload: '/a/0f' });
    const c = runC(dump);
    expect(c.ok).toBe(true);
    const root = await parseForTest(dump);
    const forget = (n: Node): void => {
      delete n.owner;
      n.children?.forEach(forget);
    };
    forget(root);
    expect(firstDiff(writeImageV1(root), (c as { image: Buffer }).image)).toBe(-1);
    // the same tree with the original line moved to /z: C lays the inode out at /z instead
    const moved = dump.replace(/^\/a\/b\/orig (.*)$/m, '/a/b/orig 0 @100644 1 0 0 0 0.0 /z - -')
      .replace(/^\/z .*$/m, '/z 1 100644 3 0 0 0 0.0 - x -');
    const c2 = runC(moved);
    expect(c2.ok && firstDiff(writeImageV1(root), c2.image)).not.toBe(-1);
    const r = await compareWithC(moved, {});
    expect(r.status).toBe('same');
  });
});
