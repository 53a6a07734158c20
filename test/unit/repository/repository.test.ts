import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Repository, RepositoryError, formatConfig, setImageObjectReader } from '../../../src/repository/index';
import { algorithmFor } from '../../../src/verity/algorithm';
import { close } from '../../../src/sys/index';
import { content, digestHex, imageOf, tempDir } from './helpers';

const SHA256 = algorithmFor('sha256');
const opened: Repository[] = [];
const track = (r: Repository): Repository => (opened.push(r), r);
afterEach(() => {
  for (const r of opened.splice(0)) r.close();
  setImageObjectReader(undefined);
});

function err(f: () => unknown): RepositoryError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RepositoryError);
    expect((e as Error).message).not.toContain('\n');
    return e as RepositoryError;
  }
  throw new Error('no error');
}

function initInsecure(dir = tempDir(), alg = SHA256): { dir: string; repo: Repository } {
  const p = path.join(dir, 'repo');
  const r = Repository.init(p, { algorithm: alg, insecure: true });
  expect(r.created).toBe(true);
  return { dir: p, repo: track(r.repo) };
}

describe('init and open', () => {
  it('insecure init writes the default meta.json, 0700 dir, opens insecure', () => {
    const { dir, repo } = initInsecure();
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')).toContain('"algorithm": "fsverity-sha256-12"');
    expect(repo.insecure).toBe(true);
    expect(repo.formats).toEqual(formatConfig(1));
    const e = err(() => repo.requireVerity());
    expect(e.text).toBe('repository was not initialized with fs-verity (hint: re-create with `cfsctl init` on a verity-capable filesystem)');
    expect(e.message).toBe(`${dir}: ${e.text}`);
  });

  it('secure init fails on a filesystem without fs-verity and leaves no meta.json', () => {
    const dir = path.join(tempDir(), 'r');
    const e = err(() => Repository.init(dir, { algorithm: SHA256 }));
    expect(e.message).toMatch(/meta\.json: fs-verity is not supported/);
    expect(fs.existsSync(path.join(dir, 'meta.json'))).toBe(false);
  });

  it('tmpfs (ENOTTY) behaves like ext4 without verity (EOPNOTSUPP)', () => {
    const base = fs.existsSync('/dev/shm') ? tempDir('cfsrepo-', '/dev/shm') : tempDir();
    const { repo } = initInsecure(base);
    expect(repo.insecure).toBe(true);
    const r = repo.storeObjectFromBytes(content(1));
    expect(r.verity).toBe(false);
    expect(r.hex).toBe(digestHex('sha256', content(1)));
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('re-init: same config → not created, different → exact error, --ensure opens as-is', () => {
    const { dir } = initInsecure();
    const again = Repository.init(dir, { algorithm: SHA256, insecure: true });
    track(again.repo);
    expect(again.created).toBe(false);
    const e = err(() => Repository.init(dir, { algorithm: algorithmFor('sha512'), formats: formatConfig(2) }));
    expect(e.text).toBe(
      'repository already initialized with different configuration (algorithm: fsverity-sha256-12, erofs_version: V1); ' +
        'cannot re-initialize with (algorithm: fsverity-sha512-12, erofs_version: V2)',
    );
    const ens = Repository.init(dir, { algorithm: algorithmFor('sha512'), ensure: true });
    track(ens.repo);
    expect(ens.created).toBe(false);
    expect(ens.repo.hash).toBe('sha256');
  });

  it('--reset-metadata keeps objects', () => {
    const { dir, repo } = initInsecure();
    const hex = repo.writeImage(imageOf('sha256', {}), 'x');
    repo.close();
    const r = Repository.init(dir, { algorithm: SHA256, insecure: true, formats: formatConfig(1, [2]), resetMetadata: true });
    track(r.repo);
    expect(r.created).toBe(true);
    expect(fs.existsSync(path.join(dir, 'images'))).toBe(false);
    expect(r.repo.hasObject(hex)).toBe(true);
    expect(r.repo.formats).toEqual(formatConfig(1, [2]));
  });

  it('missing meta.json: MetadataMissing vs OldFormatRepository; --ensure upgrades', () => {
    const dir = tempDir();
    expect(err(() => Repository.open(dir)).text).toBe('meta.json not found; this repository must be initialized with `cfsctl init`');
    const h = digestHex('sha512', content(3));
    fs.mkdirSync(path.join(dir, 'objects', h.slice(0, 2)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'objects', h.slice(0, 2), h.slice(2)), content(3));
    const e = err(() => Repository.open(dir));
    expect(e.kind).toBe('OldFormatRepository');
    expect(e.text).toBe(
      'meta.json not found; this appears to be an old-format repository — use Repository::open_upgrade() or `cfsctl init` to migrate',
    );
    const up = Repository.init(dir, { ensure: true });
    track(up.repo);
    expect(up.upgraded).toBe(true);
    expect(up.repo.hash).toBe('sha512');
    expect(up.repo.insecure).toBe(true);
  });

  it('open errors name meta.json and keep upstream texts', () => {
    const { dir, repo } = initInsecure();
    repo.close();
    const meta = path.join(dir, 'meta.json');
    fs.chmodSync(meta, 0o644);
    fs.writeFileSync(meta, '{"version":2,"algorithm":"fsverity-sha256-12"}');
    let e = err(() => Repository.open(dir));
    expect(e.message).toBe(`${meta}: unsupported repository format version 2 (this tool supports up to 1)`);
    fs.writeFileSync(meta, '{"version":1,"algorithm":"fsverity-sha256-12"}');
    e = err(() => Repository.open(dir, { expectedAlgorithm: algorithmFor('sha512') }));
    expect(e.text).toBe('repository algorithm fsverity-sha256-12 does not match expected fsverity-sha512-12');
    fs.writeFileSync(meta, '{"version":1,"algorithm":"fsverity-sha256-12","features":{"incompatible":["zstd"]}}');
    expect(err(() => Repository.open(dir)).text).toBe('repository requires unknown incompatible features: ["zstd"]');
    fs.writeFileSync(meta, 'nope');
    expect(err(() => Repository.open(dir)).text).toMatch(/^failed to parse meta\.json/);
    expect(err(() => Repository.open(path.join(dir, 'absent'))).message).toMatch(/absent: opening repository: .*ENOENT|No such file/);
  });

  it('unknown read-only-compatible feature: readable, every write refused (deliberate)', () => {
    const { dir, repo } = initInsecure();
    const img = repo.writeImage(imageOf('sha256', { a: content(5) }), 'x');
    repo.close();
    const meta = path.join(dir, 'meta.json');
    fs.writeFileSync(meta, fs.readFileSync(meta, 'utf8').replace('"v1_erofs"', '"v1_erofs", "future"'));
    const ro = track(Repository.open(dir));
    expect(ro.unknownReadOnly).toEqual(['future']);
    expect(ro.listImages()).toEqual([{ name: 'x', digest: img }]);
    const e = err(() => ro.ensureObject(content(9)));
    expect(e.kind).toBe('ReadOnly');
    expect(e.message).toBe(`${meta}: repository has unknown read-only-compatible features ["future"]; refusing to write`);
  });
});

describe('objects', () => {
  for (const noTmpfile of [false, true]) {
    it(`streaming and in-memory stores agree, dedup${noTmpfile ? ' (no O_TMPFILE fallback)' : ''}`, () => {
      const dir = path.join(tempDir(), 'repo');
      const r = Repository.init(dir, { algorithm: SHA256, insecure: true, write: { noTmpfile } });
      const repo = track(r.repo);
      const a = content(10, 5000);
      const s1 = repo.storeObjectFromBytes(a);
      expect(s1).toEqual({ hex: digestHex('sha256', a), stored: true, verity: false });
      expect(repo.storeObjectFromBytes(a).stored).toBe(false);
      expect(repo.ensureObject(a).stored).toBe(false);
      const b = content(11, 70000);
      const s2 = repo.ensureObject(b);
      expect(s2.stored).toBe(true);
      expect(fs.readFileSync(path.join(dir, 'objects', s2.hex.slice(0, 2), s2.hex.slice(2)))).toEqual(b);
      const f = path.join(tempDir(), 'f');
      fs.writeFileSync(f, content(12, 3 << 20));
      const s3 = repo.storeObjectFromFile(f);
      expect(s3.hex).toBe(digestHex('sha256', content(12, 3 << 20)));
      const fd = fs.openSync(f, 'r');
      expect(repo.storeObjectFromFile(fd).stored).toBe(false);
      fs.closeSync(fd);
      expect(fs.readdirSync(path.join(dir, 'objects')).filter((n) => n.startsWith('.tmp'))).toEqual([]);
      expect(fs.statSync(path.join(dir, 'objects', s1.hex.slice(0, 2), s1.hex.slice(2))).mode & 0o777).toBe(0o644);
    });
  }

  it('in-memory store of an existing object with wrong size is reported', () => {
    const { dir, repo } = initInsecure();
    const a = content(20, 300);
    const { hex } = repo.ensureObject(a);
    fs.writeFileSync(path.join(dir, 'objects', hex.slice(0, 2), hex.slice(2)), Buffer.alloc(10));
    expect(err(() => repo.ensureObject(a)).text).toMatch(/object has size 10, expected 300/);
  });
});

describe('images', () => {
  it('writeImage publishes images/<hex> and refs with relative links; openImage rules', () => {
    const { dir, repo } = initInsecure();
    const bytes = imageOf('sha256', { 'usr/bin/x': content(30), small: Buffer.from('hi') });
    const hex = repo.writeImage(bytes, 'a/b');
    expect(hex).toBe(digestHex('sha256', bytes));
    expect(fs.readlinkSync(path.join(dir, 'images', hex))).toBe(`../objects/${hex.slice(0, 2)}/${hex.slice(2)}`);
    expect(fs.readlinkSync(path.join(dir, 'images/refs/a/b'))).toBe(`../../${hex}`);
    expect(fs.statSync(path.join(dir, 'images/refs/a')).mode & 0o777).toBe(0o755);
    expect(repo.writeImage(bytes, 'top')).toBe(hex);
    expect(fs.readlinkSync(path.join(dir, 'images/refs/top'))).toBe(`../${hex}`);
    expect(repo.listImages()).toEqual([{ name: 'a/b', digest: hex }, { name: 'top', digest: hex }]);

    const byDigest = repo.openImage(hex);
    expect(byDigest.verity).toBe(false); // insecure repository, no verity on this host
    close(byDigest.fd);
    const byRef = repo.openImage('top');
    expect(byRef.verity).toBe(true); // found through refs/: verity required, not measured
    close(byRef.fd);
    const bySlash = repo.openImage('refs/a/b');
    expect(bySlash.verity).toBe(true);
    close(bySlash.fd);
    expect(err(() => repo.openImage('nothing')).text).toBe('image not found: nothing');
    expect(err(() => repo.openImage('refs/nothing')).text).toBe('image not found: refs/nothing');
    expect(repo.imageObjects('top')).toEqual([digestHex('sha256', content(30))]);

    // a secure repository refuses an image without verity
    const secureView = repo as unknown as { insecureMode: boolean };
    secureView.insecureMode = false;
    expect(err(() => repo.openImage(hex)).text).toBe('Measuring image verity digest: fs-verity is not enabled on file');
    secureView.insecureMode = true;
  });

  it('replacing a ref moves it atomically to the new image', () => {
    const { dir, repo } = initInsecure();
    const h1 = repo.writeImage(imageOf('sha256', { a: content(1) }), 'cur');
    const h2 = repo.writeImage(imageOf('sha256', { b: content(2) }), 'cur');
    expect(h1).not.toBe(h2);
    expect(fs.readlinkSync(path.join(dir, 'images/refs/cur'))).toBe(`../${h2}`);
    expect(fs.readdirSync(path.join(dir, 'images/refs')).filter((n) => n.startsWith('.symlink-'))).toEqual([]);
  });

  it('invalid ref names are refused before anything is written', () => {
    const { dir, repo } = initInsecure();
    expect(err(() => repo.writeImage(imageOf('sha256', {}), '../x')).text).toBe("invalid reference name '../x'");
    expect(fs.existsSync(path.join(dir, 'images'))).toBe(false);
  });
});
