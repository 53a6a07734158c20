import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addon } from '../../../src/sys/addon.js';
import { lsetxattr } from '../../../src/sys/xattr.js';
import { S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, type Node } from '../../../src/tree/node.js';
import { digestObjectPath, scanDirectory, ScanError, type ScanOptions } from '../../../src/tree/scan.js';
import { verityDigestOfBuffer } from '../../../src/verity/merkle.js';
import { DigestPool } from '../../../src/verity/pool.js';
import { randomFile } from '../../helpers/files.js';
import { countNodes, cTree, diffTrees, flatten, hasCTools, isRoot } from './helpers.js';
import { child } from '../../helpers/tree.js';

const B = 4096;
let work: string;
let root: string;
let server: net.Server | undefined;
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
/** Non-UTF-8 names, as byte strings. */
const BAD_NAME = 'caf\xe9-\xff\xfe';
const BAD_TARGET = '../t\xe9\x80rget';


beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-scan-'));
  root = path.join(work, 'root');
  const p = (...parts: string[]): string => path.join(root, ...parts);
  fs.mkdirSync(p('sub', 'nested', 'deeper'), { recursive: true });
  fs.mkdirSync(p('emptydir'));
  fs.writeFileSync(p('empty'), '');
  fs.writeFileSync(p('one'), 'x');
  randomFile(root, 's64', 64, 64);
  randomFile(root, 's65', 65, 65);
  randomFile(root, 'big', 300 * 1024 + 17, 300);
  randomFile(root, 'blocks', 128 * B + 1, 128);
  randomFile(p('sub', 'nested', 'deeper'), 'leaf', 5000, 5);
  fs.linkSync(p('big'), p('sub', 'hard'));
  fs.linkSync(p('s64'), p('hard64'));
  fs.symlinkSync('target', p('link'));
  fs.symlinkSync('/etc/passwd', p('link-abs'));
  fs.symlinkSync('x'.repeat(1000), p('link-long'));
  fs.writeFileSync(Buffer.from(p(BAD_NAME), 'latin1'), 'not utf-8 name, external file content that is longer than 64 bytes!');
  fs.symlinkSync(bytes(BAD_TARGET), Buffer.from(p(`ln-${BAD_NAME}`), 'latin1'));
  fs.writeFileSync(p('a b=c'), 'spaces and equals');
  fs.writeFileSync(p('nl\nname'), 'newline in name');
  execFileSync('mkfifo', [p('fifo')]);
  server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server?.once('error', reject);
    server?.listen(p('sock'), () => resolve());
  });
  fs.writeFileSync(p('old'), 'before the epoch');
  // Node's utimes treats negative times as "now"; touch sets a pre-epoch mtime.
  execFileSync('touch', ['-h', '-d', '@-5.25', p('old')]);
  fs.writeFileSync(p('xfile'), 'xattrs here');
  lsetxattr(p('xfile'), 'user.alpha', 'one');
  lsetxattr(p('xfile'), 'user.binary', Buffer.from([0, 1, 2, 0xff, 0x3d, 0x20, 0x0a]));
  lsetxattr(p('xfile'), 'user.empty', Buffer.alloc(0));
  lsetxattr(p('sub'), 'user.dir', 'on a directory');
  lsetxattr(p('big'), 'user.onbig', 'external files keep their xattrs');
  if (isRoot) {
    lsetxattr(p('xfile'), 'trusted.secret', 'root only');
    lsetxattr(p('link'), 'trusted.onlink', 'symlink xattr');
    lsetxattr(p('s65'), 'trusted.overlay.custom', 'escaped by the writer');
  }
});

afterAll(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  fs.rmSync(work, { recursive: true, force: true });
});

describe('scanDirectory: the tree model', () => {
  let tree: Node;
  beforeAll(async () => {
    tree = await scanDirectory(root, { threads: 2 });
  });

  it('keeps every file type with lstat attributes', () => {
    expect(tree.mode & S_IFMT).toBe(S_IFDIR);
    expect(child(tree, 'fifo').mode & S_IFMT).toBe(S_IFIFO);
    expect(child(tree, 'sock').mode & S_IFMT).toBe(S_IFSOCK);
    expect(child(tree, 'link').mode & S_IFMT).toBe(S_IFLNK);
    expect(child(tree, 'emptydir').children?.size).toBe(0);
    const st = fs.lstatSync(path.join(root, 'big'), { bigint: true });
    const big = child(tree, 'big');
    expect(big.mode).toBe(Number(st.mode));
    expect(big.uid).toBe(Number(st.uid));
    expect(big.size).toBe(st.size);
    expect(big.mtime.sec * 1_000_000_000n + BigInt(big.mtime.nsec)).toBe(st.mtimeNs);
    // -5.25 s is stored as sec -6 + 750000000 ns (nsec is never negative), as C does
    expect(child(tree, 'old').mtime).toEqual({ sec: -6n, nsec: 750_000_000 });
  });

  it('splits hard links into separate inodes with nlink 1', () => {
    const a = child(tree, 'big');
    const b = child(tree, 'sub', 'hard');
    expect(a).not.toBe(b);
    expect(a.nlink).toBe(1);
    expect(b.nlink).toBe(1);
    expect(b.digest?.toString('hex')).toBe(a.digest?.toString('hex'));
    expect(child(tree, 'hard64')).not.toBe(child(tree, 's64'));
    expect(child(tree, 'hard64').nlink).toBe(1);
  });

  it('gives directories nlink 2 + subdirectories', () => {
    expect(tree.nlink).toBe(2 + 2); // sub, emptydir
    for (const n of flatten(tree).values()) {
      if ((n.mode & S_IFMT) !== S_IFDIR) continue;
      const subdirs = [...(n.children?.values() ?? [])].filter((c) => (c.mode & S_IFMT) === S_IFDIR).length;
      expect(n.nlink).toBe(2 + subdirs);
    }
  });

  it('applies the size rules: 0 nothing, 1..64 inline, >64 digest + object path', () => {
    const empty = child(tree, 'empty');
    expect(empty.content).toBeUndefined();
    expect(empty.digest).toBeUndefined();
    expect(empty.payload).toBeUndefined();
    expect(child(tree, 'one').content?.toString()).toBe('x');
    const s64 = child(tree, 's64');
    expect(s64.content?.equals(fs.readFileSync(path.join(root, 's64')))).toBe(true);
    expect(s64.digest).toBeUndefined();
    expect(s64.payload).toBeUndefined();
    for (const name of ['s65', 'big', 'blocks']) {
      const n = child(tree, name);
      const want = verityDigestOfBuffer('sha256', fs.readFileSync(path.join(root, name)));
      expect(n.content).toBeUndefined();
      expect(n.digest?.toString('hex')).toBe(want.toString('hex'));
      expect(n.payload).toBe(`${want.toString('hex').slice(0, 2)}/${want.toString('hex').slice(2)}`);
      expect(n.payload).toBe(digestObjectPath(want));
    }
  });

  it('keeps names and symlink targets as raw bytes', () => {
    const f = child(tree, BAD_NAME);
    expect(f.mode & S_IFMT).toBe(S_IFREG);
    expect(f.digest?.length).toBe(32);
    const l = child(tree, `ln-${BAD_NAME}`);
    expect(l.payload).toBe(BAD_TARGET);
    expect(l.size).toBe(BigInt(bytes(BAD_TARGET).length));
    expect(child(tree, 'link-long').size).toBe(1000n);
    expect(child(tree, 'nl\nname').content?.toString()).toBe('newline in name');
  });

  it('reads xattrs as raw values with byte-string keys', () => {
    const x = child(tree, 'xfile').xattrs;
    expect(x.get('user.alpha')?.toString()).toBe('one');
    expect(x.get('user.binary')?.equals(Buffer.from([0, 1, 2, 0xff, 0x3d, 0x20, 0x0a]))).toBe(true);
    expect(x.get('user.empty')?.length).toBe(0);
    expect(child(tree, 'sub').xattrs.get('user.dir')?.toString()).toBe('on a directory');
    if (isRoot) expect(x.get('trusted.secret')?.toString()).toBe('root only');
  });

  it('reports progress, ending with done = total = number of nodes', async () => {
    const calls: Array<[number, number]> = [];
    const t = await scanDirectory(root, { threads: 1, onProgress: (d, n) => calls.push([d, n]) });
    const n = countNodes(t);
    expect(calls.at(-1)).toEqual([n, n]);
    for (const [d, total] of calls) expect(d).toBeLessThanOrEqual(total);
  });
});

describe.skipIf(!hasCTools)('scanDirectory equals what C mkcomposefs 1.0.8 stores', () => {
  const cases: Array<[string, ScanOptions]> = [
    ['default flags', {}],
    ['--use-epoch', { useEpoch: true }],
    ['--skip-xattrs', { skipXattrs: true }],
    ['--user-xattrs', { userXattrs: true }],
    ['--skip-devices (no devices here)', { skipDevices: true }],
  ];
  for (const [label, opts] of cases) {
    it(label, async () => {
      const ours = await scanDirectory(root, { ...opts, threads: 2 });
      const c = cTree(root, opts, work);
      expect(diffTrees(ours, c)).toEqual([]);
      expect(countNodes(ours)).toBe(countNodes(c));
    });
  }

  it('the comparison is not vacuous', async () => {
    const ours = await scanDirectory(root, { threads: 1 });
    const c = cTree(root, {}, work);
    const x = child(ours, 'xfile');
    x.mtime = { sec: x.mtime.sec, nsec: (x.mtime.nsec + 1) % 1e9 };
    child(ours, 'big').xattrs.delete('user.onbig');
    const d = child(ours, 's65').digest as Buffer;
    d[0] = (d[0] as number) ^ 1;
    ours.children?.delete('one');
    const diff = diffTrees(ours, c);
    expect(diff).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^"\/xfile" mtime/),
        expect.stringMatching(/^"\/big" xattrs/),
        expect.stringMatching(/^"\/s65" digest/),
        '"/one": only in C',
        expect.stringMatching(/^"\/" children/),
      ]),
    );
  });

  it('with sha256 digests through a pool that splits files', async () => {
    const pool = new DigestPool({ threads: 2, splitThreshold: 16 * B, splitChunk: 5 * B });
    try {
      const ours = await scanDirectory(root, { pool });
      expect(diffTrees(ours, cTree(root, {}, work))).toEqual([]);
    } finally {
      await pool.close();
    }
  });
});

describe('scanDirectory options', () => {
  it('sha512 digests and 128-hex-digit object paths', async () => {
    const t = await scanDirectory(root, { hash: 'sha512', threads: 1 });
    const big = child(t, 'big');
    const want = verityDigestOfBuffer('sha512', fs.readFileSync(path.join(root, 'big')));
    expect(big.digest?.toString('hex')).toBe(want.toString('hex'));
    expect(big.payload).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{126}$/);
  });

  it('inlineThreshold moves the inline/external boundary', async () => {
    const t = await scanDirectory(root, { inlineThreshold: 0, threads: 1, skipXattrs: true });
    expect(child(t, 'one').content).toBeUndefined();
    expect(child(t, 'one').digest?.length).toBe(32);
    const t2 = await scanDirectory(root, { inlineThreshold: 65, threads: 1, skipXattrs: true });
    expect(child(t2, 's65').content?.length).toBe(65);
  });

  it('skipXattrs and userXattrs', async () => {
    const none = await scanDirectory(root, { skipXattrs: true, threads: 1 });
    for (const n of flatten(none).values()) expect(n.xattrs.size).toBe(0);
    const user = await scanDirectory(root, { userXattrs: true, threads: 1 });
    for (const n of flatten(user).values()) for (const k of n.xattrs.keys()) expect(k.startsWith('user.')).toBe(true);
    expect(child(user, 'xfile').xattrs.size).toBe(3);
    await expect(scanDirectory(root, { skipXattrs: true, userXattrs: true })).rejects.toThrow(/exclude each other/);
  });

  it('inlineThreshold must lie in 0..5000', async () => {
    await expect(scanDirectory(root, { inlineThreshold: 5001 })).rejects.toThrow(RangeError);
    await expect(scanDirectory(root, { inlineThreshold: -1 })).rejects.toThrow(RangeError);
  });

  it('useEpoch zeroes every mtime', async () => {
    const t = await scanDirectory(root, { useEpoch: true, threads: 1 });
    for (const n of flatten(t).values()) expect(n.mtime).toEqual({ sec: 0n, nsec: 0 });
  });

  it('accepts the root as raw bytes and with a trailing slash', async () => {
    const a = await scanDirectory(Buffer.from(root), { threads: 1 });
    const b = await scanDirectory(`${root}/`, { threads: 1 });
    expect(countNodes(a)).toBe(countNodes(b));
    expect(child(b, 'big').digest?.equals(child(a, 'big').digest as Buffer)).toBe(true);
  });
});

describe('scanDirectory errors', () => {
  it('an xattr name that is not UTF-8 is kept byte for byte', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'xname-'));
    const f = path.join(dir, 'f');
    fs.writeFileSync(f, 'x');
    addon().lsetxattr(f, Buffer.from('user.caf\xe9', 'latin1'), 'v');
    const root = await scanDirectory(dir, { threads: 1 });
    const node = root.children!.get('f')!;
    expect([...node.xattrs.keys()]).toContain('user.caf\xe9');
    expect(node.xattrs.get('user.caf\xe9')?.toString()).toBe('v');
  });

  it('a missing root', async () => {
    const missing = path.join(work, 'nope');
    await expect(scanDirectory(missing)).rejects.toThrow(`scan: ${missing}: ENOENT`);
  });

  it('a root that is not a directory', async () => {
    const f = path.join(root, 'one');
    const e = await scanDirectory(f).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ScanError);
    expect((e as ScanError).message).toBe(`scan: ${f}: ENOTDIR`);
  });

  /** A pool that does something to the file right before it is read. */
  class MeddlingPool extends DigestPool {
    constructor(private readonly victim: string, private readonly act: (p: string) => void) {
      super({ threads: 1 });
    }
    override digestCb(...args: Parameters<DigestPool['digestCb']>): void {
      const p = Buffer.from(args[0]).toString();
      if (p === this.victim) this.act(p);
      super.digestCb(...args);
    }
  }

  it('a file vanishing mid-scan: one clear error naming the path', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'vanish-'));
    for (let i = 0; i < 20; i++) randomFile(dir, `f${i}`, 1000 + i, i);
    const victim = path.join(dir, 'f7');
    const pool = new MeddlingPool(victim, (p) => fs.rmSync(p));
    try {
      await expect(scanDirectory(dir, { pool })).rejects.toThrow(`scan: ${victim}: ENOENT`);
    } finally {
      await pool.close();
    }
  });

  it('a file changing size mid-scan', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'grow-'));
    const victim = randomFile(dir, 'g', 1000, 1);
    const pool = new MeddlingPool(victim, (p) => fs.appendFileSync(p, 'more'));
    try {
      await expect(scanDirectory(dir, { pool })).rejects.toThrow(new RegExp(`^scan: ${victim}: file changed`));
    } finally {
      await pool.close();
    }
  });

});
