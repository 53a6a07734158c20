import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Repository, RepositoryError, formatFsck, formatGcResult, fsck, fsckJson, gc } from '../../../src/repository/index';
import { algorithmFor } from '../../../src/verity/algorithm';
import { content, digestHex, imageOf, tempDir } from './helpers';

const opened: Repository[] = [];
afterEach(() => {
  for (const r of opened.splice(0)) r.close();
});

function newRepo(): { dir: string; repo: Repository } {
  const dir = path.join(tempDir(), 'repo');
  const { repo } = Repository.init(dir, { algorithm: algorithmFor('sha256'), insecure: true });
  opened.push(repo);
  return { dir, repo };
}

const objPath = (dir: string, hex: string): string => path.join(dir, 'objects', hex.slice(0, 2), hex.slice(2));

describe('gc liveness (property over synthetic repositories)', () => {
  it('keeps exactly the objects of ref-named (and --root) images', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ files: fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { maxLength: 5 }), ref: fc.boolean(), root: fc.boolean() }), { maxLength: 5 }),
        fc.uniqueArray(fc.integer({ min: 100, max: 130 }), { maxLength: 4 }),
        (images, loose) => {
          const { dir, repo } = newRepo();
          const expectLive = new Set<string>();
          const all = new Set<string>();
          const roots: string[] = [];
          images.forEach((img, i) => {
            const files: Record<string, Buffer> = {};
            for (const s of img.files) {
              files[`d${s % 3}/f${s}`] = content(s);
              const h = repo.storeObjectFromBytes(content(s)).hex;
              all.add(h);
            }
            const hex = repo.writeImage(imageOf('sha256', files), img.ref ? `img${i}` : undefined);
            all.add(hex);
            const kept = img.ref || img.root;
            if (img.root && !img.ref) roots.push(hex);
            if (kept) {
              expectLive.add(hex);
              for (const s of img.files) expectLive.add(digestHex('sha256', content(s)));
            }
          });
          for (const s of loose) all.add(repo.ensureObject(content(s)).hex);
          const dry = gc(repo, { roots, dryRun: true });
          const real = gc(repo, { roots });
          expect(real).toEqual(dry);
          const remaining = new Set<string>();
          const od = path.join(dir, 'objects');
          for (const d of fs.existsSync(od) ? fs.readdirSync(od) : []) for (const f of fs.readdirSync(path.join(dir, 'objects', d))) remaining.add(d + f);
          expect([...remaining].sort()).toEqual([...expectLive].sort());
          expect(real.objectsRemoved).toBe(all.size - expectLive.size);
          // pruned links: unreferenced first-level images
          const imd = path.join(dir, 'images');
          const firstLevel = (fs.existsSync(imd) ? fs.readdirSync(imd) : []).filter((n) => n !== 'refs');
          expect(firstLevel.every((n) => expectLive.has(n))).toBe(true);
          expect(fsck(repo).findings).toEqual([]);
          const again = gc(repo, { roots });
          expect(again.objectsRemoved).toBe(0);
          repo.close();
          opened.splice(opened.indexOf(repo), 1);
          fs.rmSync(path.dirname(dir), { recursive: true, force: true });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('output lines and counting of pruned links', () => {
    const { repo } = newRepo();
    repo.ensureObject(content(1));
    repo.ensureObject(content(2));
    repo.writeImage(imageOf('sha256', { a: content(1) }));
    const kept = repo.writeImage(imageOf('sha256', { b: content(2) }), 'b');
    const r = gc(repo, { dryRun: true });
    expect(formatGcResult(r, true)).toEqual([
      'Dry run (no files deleted):',
      `Objects: 2 removed (${r.objectsBytes} bytes)`,
      'Pruned symlinks: 1 images, 0 streams',
    ]);
    expect(formatGcResult(gc(repo), false)[0]).toBe(`Objects: 2 removed (${r.objectsBytes} bytes)`);
    expect(formatGcResult(gc(repo), false)).toEqual(['Objects: 0 removed (0 bytes)']);
    expect(repo.listImages()).toEqual([{ name: 'b', digest: kept }]);
  });

  it('fails before deleting anything on a dangling ref, unknown root, or unexpected file', () => {
    const { dir, repo } = newRepo();
    const loose = repo.ensureObject(content(50)).hex;
    fs.mkdirSync(path.join(dir, 'images/refs'), { recursive: true });
    fs.symlinkSync('../' + 'e'.repeat(64), path.join(dir, 'images/refs/ghost'));
    expect(() => gc(repo)).toThrow(RepositoryError);
    expect(fs.existsSync(objPath(dir, loose))).toBe(true);
    fs.unlinkSync(path.join(dir, 'images/refs/ghost'));
    expect(() => gc(repo, { roots: ['nope'] })).toThrow(/image not found: nope/);
    fs.writeFileSync(path.join(dir, 'images/refs/file'), 'x');
    expect(() => gc(repo)).toThrow(/Unexpected file type encountered/);
    fs.unlinkSync(path.join(dir, 'images/refs/file'));
    fs.mkdirSync(path.join(dir, 'streams'));
    fs.symlinkSync('../objects/aa/bb', path.join(dir, 'streams/oci-config-sha256:1'));
    expect(() => gc(repo)).toThrow(/streams is not supported yet/);
    expect(fs.existsSync(objPath(dir, loose))).toBe(true);
  });

  it('removes stale .tmp-object files of the fallback path', () => {
    const { dir, repo } = newRepo();
    fs.mkdirSync(path.join(dir, 'objects'));
    fs.writeFileSync(path.join(dir, 'objects/.tmp-object-AAAAAAAAAAAA'), Buffer.alloc(7));
    const r = gc(repo);
    expect(r).toMatchObject({ objectsRemoved: 0, objectsBytes: 7, tempFilesRemoved: 1 });
    expect(fs.readdirSync(path.join(dir, 'objects'))).toEqual([]);
  });
});

describe('fsck findings', () => {
  it('clean repository', () => {
    const { repo } = newRepo();
    repo.storeObjectFromBytes(content(1));
    repo.storeObjectFromBytes(content(2));
    repo.writeImage(imageOf('sha256', { a: content(1), b: content(2) }), 'x');
    const r = fsck(repo);
    expect(formatFsck(r)).toEqual(['meta.json: ok', 'objects: 3/3 ok', 'streams: 0/0 ok', 'images: 1/1 ok', 'status: ok']);
    expect(fsckJson(r)).toMatchObject({ ok: true, errors: [] });
  });

  it('wrong content, broken image link, missing object, invalid names, stray files', () => {
    const { dir, repo } = newRepo();
    const a = repo.storeObjectFromBytes(content(1)).hex;
    const b = repo.storeObjectFromBytes(content(2)).hex;
    const img = repo.writeImage(imageOf('sha256', { a: content(1), b: content(2) }), 'x');
    // wrong content
    fs.chmodSync(objPath(dir, a), 0o644);
    fs.writeFileSync(objPath(dir, a), content(3));
    // missing object referenced by the image
    fs.unlinkSync(objPath(dir, b));
    // broken first-level image link and a non-symlink
    fs.symlinkSync('../objects/00/' + '1'.repeat(62), path.join(dir, 'images', '0' + '1'.repeat(63)));
    fs.writeFileSync(path.join(dir, 'images', 'plain'), 'x');
    // invalid object name, unexpected file under refs
    fs.writeFileSync(path.join(dir, 'objects', a.slice(0, 2), 'zz'), 'x');
    fs.writeFileSync(path.join(dir, 'images/refs/file'), 'x');
    // invalid image
    const junk = repo.ensureObject(Buffer.alloc(5000, 1)).hex;
    fs.symlinkSync(`../objects/${junk.slice(0, 2)}/${junk.slice(2)}`, path.join(dir, 'images', junk));

    const r = fsck(repo);
    const kinds = r.findings.map((f) => `${f.kind} ${f.path}`);
    expect(kinds).toContain(`object-digest-mismatch objects/${a.slice(0, 2)}/${a.slice(2)}`);
    expect(kinds).toContain(`object-invalid-name objects/${a.slice(0, 2)}/zz`);
    expect(kinds).toContain(`image-missing-object images/${img}`);
    expect(kinds).toContain(`broken-symlink images/0${'1'.repeat(63)}`);
    expect(kinds).toContain('entry-not-symlink images/plain');
    expect(kinds).toContain('unexpected-file-type images/refs/file');
    expect(kinds).toContain(`image-invalid images/${junk}`);
    const lines = formatFsck(r);
    expect(lines).toContain('broken symlinks: 1');
    expect(lines).toContain('missing objects: 1');
    expect(lines).toContain(`status: ${r.findings.length} error(s)`);
    expect(lines).toContain(`  - fsck: entry-not-symlink: images/plain`);
    // metadata-only skips object verification
    expect(fsck(repo, { metadataOnly: true }).findings.some((f) => f.kind.startsWith('object-'))).toBe(false);
  });
});
