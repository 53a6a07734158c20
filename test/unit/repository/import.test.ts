import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Repository, fsck, fsckOk, formatConfig } from '../../../src/repository/index.js';
import { computeId, createImage, readFilesystem } from '../../../src/repository/import.js';
import { algorithmFor } from '../../../src/verity/algorithm.js';
import { runCli } from '../../helpers/cli.js';
import { lsetxattr } from '../../../src/sys/xattr.js';
import { verityDigestOfBuffer } from '../../../src/verity/merkle.js';

const run = runCli;

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cfs-import-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function makeTree(): string {
  const root = path.join(tmp(), 'root');
  fs.mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
  fs.mkdirSync(path.join(root, 'run/stuff'), { recursive: true });
  fs.writeFileSync(path.join(root, 'usr/bin/small'), 'hello\n');
  fs.writeFileSync(path.join(root, 'usr/bin/big'), 'x'.repeat(5000));
  fs.writeFileSync(path.join(root, 'usr/bin/exact64'), 'y'.repeat(64));
  fs.writeFileSync(path.join(root, 'usr/bin/is65'), 'z'.repeat(65));
  fs.writeFileSync(path.join(root, 'run/stuff/f'), 'r'.repeat(200));
  fs.linkSync(path.join(root, 'usr/bin/big'), path.join(root, 'usr/bin/big-link'));
  fs.symlinkSync('bin/small', path.join(root, 'usr/link'));
  fs.chmodSync(path.join(root, 'usr'), 0o751);
  fs.chmodSync(root, 0o700);
  fs.utimesSync(path.join(root, 'usr'), 1000, 1_700_000_000);
  return root;
}

function newRepo(hash: 'sha256' | 'sha512', dual = false): Repository {
  const { repo } = Repository.init(path.join(tmp(), 'repo'), {
    algorithm: algorithmFor(hash), insecure: true, ...(dual ? { formats: formatConfig(1, [2]) } : {}),
  });
  return repo;
}

describe('composefs-rs directory import', () => {
  it('reports progress once per file above the inline limit (hard links once), ending at the total', async () => {
    const root = makeTree(); // big (+ a hard link to it), is65, run/stuff/f; small and exact64 are inline
    const stored: [number, number][] = [];
    const repo = newRepo('sha256');
    try {
      await createImage(repo, root, undefined, { onProgress: (d, t) => stored.push([d, t]) });
    } finally {
      repo.close();
    }
    expect(stored).toEqual([[1, 3], [2, 3], [3, 3]]);
    const hashed: [number, number][] = [];
    await computeId(root, { hash: 'sha256', onProgress: (d, t) => hashed.push([d, t]) });
    expect(hashed.map(([d]) => d)).toEqual([1, 2, 3]);
    expect(new Set(hashed.map(([, t]) => t))).toEqual(new Set([3]));
  });

  for (const hash of ['sha256', 'sha512'] as const) {
    it(`compute-id equals create-image id (${hash}), objects fsck clean`, async () => {
      const root = makeTree();
      const repo = newRepo(hash, true);
      try {
        const id = await computeId(root, { hash });
        const created = await createImage(repo, root, 'myimg');
        expect(created).toBe(id);
        expect(repo.listImages().map((i) => i.name)).toContain('myimg');
        // 2 objects (big, is65) + /run emptied → its file is never referenced, but upstream stores it
        const r = fsck(repo);
        expect(fsckOk(r)).toBe(true);
        const { bytes } = repo.readImage('myimg');
        // external files: full digest in the metacopy xattr (sha512: 64 bytes, algo 2)
        const objs = repo.imageObjects('myimg');
        expect(objs.length).toBe(2);
        for (const o of objs) {
          expect(o.length).toBe(hash === 'sha512' ? 128 : 64);
          expect(bytes.includes(Buffer.from(o, 'hex'))).toBe(true);
        }
        // V2 extra image exists too
        expect(fs.readdirSync(path.join(repo.describe(), 'images')).filter((n) => n !== 'refs').length).toBe(2);
      } finally {
        repo.close();
      }
    });
  }

  it('hard links become one inode; inline threshold is 64 bytes', async () => {
    const root = makeTree();
    const tree = await readFilesystem(root, { hash: 'sha256' });
    const bin = tree.children!.get('usr')!.children!.get('bin')!;
    const big = bin.children!.get('big')!;
    expect(bin.children!.get('big-link')).toBe(big);
    expect(big.nlink).toBe(2);
    expect(big.digest?.length).toBe(32);
    expect(bin.children!.get('exact64')!.content?.length).toBe(64);
    expect(bin.children!.get('exact64')!.digest).toBeUndefined();
    expect(bin.children!.get('is65')!.digest).toBeDefined();
    expect(tree.children!.get('run')!.children!.size).toBe(0);
  });

  it('propagates /usr metadata to root unless --no-propagate-usr-to-root', async () => {
    const root = makeTree();
    const withT = await readFilesystem(root, { hash: 'sha256' });
    const usr = withT.children!.get('usr')!;
    expect(withT.mode & 0o7777).toBe(0o751);
    expect(withT.mtime).toEqual(usr.mtime);
    expect(withT.children!.get('run')!.mtime).toEqual(usr.mtime);
    const without = await readFilesystem(root, { hash: 'sha256', propagateUsrToRoot: false });
    expect(without.mode & 0o7777).toBe(0o700);
    expect(without.children!.get('run')!.children!.size).toBe(1);
    const a = await computeId(root, { hash: 'sha512' });
    const b = await computeId(root, { hash: 'sha512', propagateUsrToRoot: false });
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[0-9a-f]{128}$/);
  });

  it('xattr filtering: only security.capability (+ user.* with keep-user-xattrs), none dropped without propagation', async () => {
    const root = makeTree();
    const isRoot = process.getuid?.() === 0;
    const f = path.join(root, 'usr/bin/small');
    lsetxattr(f, 'user.a', 'x');
    lsetxattr(path.join(root, 'usr'), 'user.usr', 'u');
    // trusted.* and security.capability need CAP_SYS_ADMIN / CAP_SETFCAP: root only.
    const cap = Buffer.from('0100000200040000000000000000000000000000', 'hex'); // VFS_CAP_REVISION_2, cap_net_bind_service
    if (isRoot) {
      lsetxattr(f, 'trusted.t', 'y');
      lsetxattr(f, 'security.capability', cap);
    }
    const keys = (n: { xattrs: Map<string, Buffer> }): string[] => [...n.xattrs.keys()].sort();
    const small = (t: Awaited<ReturnType<typeof readFilesystem>>) => t.children!.get('usr')!.children!.get('bin')!.children!.get('small')!;
    const allow = await readFilesystem(root, { hash: 'sha256' });
    expect(keys(small(allow))).toEqual(isRoot ? ['security.capability'] : []);
    if (isRoot) expect(small(allow).xattrs.get('security.capability')).toEqual(cap);
    expect(keys(allow)).toEqual([]); // root copies /usr's xattrs, then filtering drops user.usr
    const user = await readFilesystem(root, { hash: 'sha256', xattrs: 'keep-user-xattrs' });
    expect(keys(small(user))).toEqual(isRoot ? ['security.capability', 'user.a'] : ['user.a']);
    expect(keys(user)).toEqual(['user.usr']);
    const none = await readFilesystem(root, { hash: 'sha256', propagateUsrToRoot: false });
    expect(keys(small(none))).toEqual(isRoot ? ['security.capability', 'trusted.t', 'user.a'] : ['user.a']);
    const ids = await Promise.all([{}, { xattrs: 'keep-user-xattrs' as const }].map((o) => computeId(root, { hash: 'sha256', ...o })));
    expect(ids[0]).not.toBe(ids[1]);
  });

  for (const hash of ['sha256', 'sha512'] as const) {
    it(`metacopy xattr carries the full ${hash} digest (V0/V1: C would truncate sha512 to 32 bytes)`, async () => {
      const root = makeTree();
      const repo = newRepo(hash);
      try {
        await createImage(repo, root, 'img');
        const { bytes } = repo.readImage('img');
        const digest = verityDigestOfBuffer(hash, Buffer.from('x'.repeat(5000)));
        // struct { u8 version = 0; u8 len; u8 flags = 0; u8 digest_algo; u8 digest[] }
        const value = Buffer.concat([Buffer.from([0, 4 + digest.length, 0, hash === 'sha256' ? 1 : 2]), digest]);
        expect(bytes.includes(value)).toBe(true);
        if (hash === 'sha512') expect(bytes.includes(Buffer.concat([Buffer.from([0, 36, 0, 2]), digest.subarray(0, 32)]))).toBe(false);
        expect(bytes.includes(Buffer.from(`/${digest.toString('hex').slice(0, 2)}/${digest.toString('hex').slice(2)}`))).toBe(true);
      } finally {
        repo.close();
      }
    });
  }

  it('fails without /usr when propagating', async () => {
    const root = path.join(tmp(), 'r');
    fs.mkdirSync(root);
    await expect(computeId(root, { hash: 'sha512' })).rejects.toThrow(/usr/);
    await expect(computeId(root, { hash: 'sha512', propagateUsrToRoot: false })).resolves.toMatch(/^[0-9a-f]{128}$/);
  });

  it('format versions give different ids', async () => {
    const root = makeTree();
    const ids = await Promise.all([0, 1, 2].map((v) => computeId(root, { hash: 'sha256', version: v as 0 | 1 | 2 })));
    expect(new Set(ids).size).toBe(3);
  });

  it('CLI: create-image, compute-id, compute-karg', async () => {
    const root = makeTree();
    // compute-karg always applies the boot transform, which needs /boot and /sysroot.
    fs.mkdirSync(path.join(root, 'boot'));
    fs.mkdirSync(path.join(root, 'sysroot'));
    const repoPath = path.join(tmp(), 'repo');
    expect((await run('repo', 'init', '--insecure', repoPath)).code).toBe(0);
    const c = await run('repo', '--repo', repoPath, '--insecure', 'create-image', root, 'img');
    expect(c.code).toBe(0);
    expect(c.out[0]).toMatch(/^sha512:[0-9a-f]{128}$/);
    const id = await run('repo', '--repo', repoPath, 'compute-id', root);
    expect(id.out).toEqual([c.out[0]!.slice('sha512:'.length)]);
    const k = await run('repo', '--hash', 'sha256', '--erofs-version', '2', '--insecure', 'compute-karg', root);
    expect(k.out[0]).toMatch(/^composefs=\?[0-9a-f]{64}$/);
    const k1 = await run('repo', '--repo', repoPath, 'compute-karg', '--no-propagate-usr-to-root', root);
    expect(k1.out[0]).toMatch(/^composefs\.digest=v1-sha512-12:[0-9a-f]{128}$/);
  });
});
