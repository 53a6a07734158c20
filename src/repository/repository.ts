/**
 * A composefs repository (boot.md §2): open/init with meta.json checks, secure/insecure
 * detection, object storage, image publication and lookup.
 *
 * All operations are synchronous (they are sequences of system calls on directory fds).
 * Every open holds `flock(LOCK_SH)` on the repository directory until `close()`; gc upgrades it.
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import {
  close, constants, flock, mkdirat, openat, readlinkat, statx, syncfs,
} from '../sys/index.js';
import { isSysError } from '../sys/errors.js';
import { formatAlgorithmId, hashFromDigestSize, algorithmFor, type VerityAlgorithm } from '../verity/algorithm.js';
import type { HashName } from '../verity/hashes.js';
import {
  ensureObjectInMemory, measureOptional, replaceSymlink, storeObjectStreaming, writeMetaFile,
  type StoreResult, type WriteOptions,
} from './atomic.js';
import { RepositoryError, ioError } from './errors.js';
import { imageObjects, ImageParseError } from './image-objects.js';
import {
  DEFAULT_FORMAT_CONFIG, META_FILENAME, MetadataError, checkCompatible, debugStringList, describeFormatConfig,
  effectiveFormatConfig, formatConfigEquals, newMetadata, parseMetadata, serializeMetadata,
  type FormatConfig, type RepoMetadata,
} from './meta.js';
import {
  IMAGES_DIR, OBJECTS_DIR, REFS_DIR, STREAMS_DIR, digestFromObjectLinkTarget, isDigestHex, objectPathname,
  refComponents, relativeLinkTarget,
} from './paths.js';

export const REQUIRE_VERITY_TEXT =
  'repository was not initialized with fs-verity (hint: re-create with `cfsctl init` on a verity-capable filesystem)';
export const METADATA_MISSING_TEXT = 'meta.json not found; this repository must be initialized with `cfsctl init`';
export const OLD_FORMAT_TEXT =
  'meta.json not found; this appears to be an old-format repository — use Repository::open_upgrade() or `cfsctl init` to migrate';
export const NOT_WRITABLE_RO_TEXT = 'Repository is not writable: read-only file system';

export interface OpenOptions {
  /** The algorithm the caller expects; a different meta.json algorithm is an error. */
  expectedAlgorithm?: VerityAlgorithm;
  /** Force insecure mode after opening (cfsctl's hidden `--insecure`, a `?` karg). */
  insecure?: boolean;
  /** Fail unless the repository requires verity. */
  requireVerity?: boolean;
  /** Per-invocation EROFS format override (does not rewrite meta.json). */
  erofsFormats?: FormatConfig;
  /** Take `LOCK_SH` (default true). */
  lock?: boolean;
  /** Test hooks for the write paths. */
  write?: WriteOptions;
}

export interface InitOptions {
  /** Default: fsverity-sha512-12 (as `cfsctl init`). */
  algorithm?: VerityAlgorithm;
  insecure?: boolean;
  /** Default: V1 only. */
  formats?: FormatConfig;
  /** Delete `streams/`, `images/` and `meta.json` first (objects are kept). */
  resetMetadata?: boolean;
  /** Open as-is if initialised (whatever its configuration), create if absent, upgrade if old. */
  ensure?: boolean;
  write?: WriteOptions;
}

export interface InitResult {
  repo: Repository;
  /** false when the repository already existed with this configuration (or `ensure` opened it). */
  created: boolean;
  /** true when `ensure` wrote meta.json for an old-format repository. */
  upgraded: boolean;
}

export interface OpenedImage {
  fd: number;
  /** whether the image must be mounted with verity required */
  verity: boolean;
}

export interface ImageRef {
  /** name below images/refs/ */
  name: string;
  /** basename of the ref's target (the first-level image name, normally its digest) */
  digest: string;
}

function errnoCode(e: unknown): string | undefined {
  return isSysError(e) ? e.code : (e as NodeJS.ErrnoException)?.code;
}

/** Reads everything from an fd (from offset 0). */
export function readAllFd(fd: number): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const b = Buffer.allocUnsafe(1 << 20);
    const n = fs.readSync(fd, b, 0, b.length, pos);
    if (n === 0) break;
    parts.push(n === b.length ? b : b.subarray(0, n));
    pos += n;
  }
  return Buffer.concat(parts);
}

function openDir(dirFd: number, path: string): number {
  return openat(dirFd, path, constants.O_RDONLY | constants.O_DIRECTORY);
}

function mkdirOk(dirFd: number, path: string, mode: number): void {
  try {
    mkdirat(dirFd, path, mode);
  } catch (e) {
    if (!isSysError(e, 'EEXIST')) throw e;
  }
}

function exists(dirFd: number, path: string): boolean {
  try {
    statx(dirFd, path, constants.AT_SYMLINK_NOFOLLOW);
    return true;
  } catch (e) {
    if (isSysError(e, ['ENOENT', 'ENOTDIR'])) return false;
    throw e;
  }
}

export class Repository {
  private objectsFdCache: number | undefined;
  private closed = false;
  /** Read buffer of storeObjectFromFile, reused across objects. */
  private readBuffer: Buffer | undefined;
  /** Effective EROFS formats (meta.json, or the per-invocation override). */
  formats: FormatConfig;

  private constructor(
    /** The path the repository was opened with. */
    readonly path: string,
    /** O_RDONLY|O_DIRECTORY fd of the repository (holds the flock). */
    readonly fd: number,
    readonly meta: RepoMetadata,
    /** true when meta.json carries no fs-verity, or insecure mode was forced. */
    private insecureMode: boolean,
    /** Unknown read-only-compatible features (non-empty → we never write). */
    readonly unknownReadOnly: readonly string[],
    readonly writeOptions: WriteOptions,
  ) {
    this.formats = effectiveFormatConfig(meta);
    this.metaVerity = !insecureMode;
  }

  get algorithm(): VerityAlgorithm {
    return this.meta.algorithm;
  }

  get hash(): HashName {
    return this.meta.algorithm.hash;
  }

  get insecure(): boolean {
    return this.insecureMode;
  }

  /** Whether meta.json itself carries fs-verity (whatever the mode was forced to). */
  readonly metaVerity: boolean;

  /** `set_insecure()`: stop requiring verity (a `?` karg, cfsctl `--insecure`). */
  setInsecure(): void {
    this.insecureMode = true;
  }

  /** `sha512:<hex>` (`to_id`). */
  toId(hex: string): string {
    return `${this.hash}:${hex}`;
  }

  /** Joins a repository-relative path for messages. */
  describe(rel?: string): string {
    return rel === undefined || rel === '' ? this.path : nodePath.join(this.path, rel);
  }

  // ------------------------------------------------------------------------------------------
  // open / init

  static open(path: string, opts: OpenOptions = {}): Repository {
    let fd: number;
    try {
      fd = openDir(constants.AT_FDCWD, path);
    } catch (e) {
      throw ioError(path, 'opening repository', e);
    }
    try {
      if (opts.lock !== false) flock(fd, constants.LOCK_SH);
      const repo = Repository.openFd(path, fd, opts);
      return repo;
    } catch (e) {
      close(fd);
      throw e;
    }
  }

  private static openFd(path: string, fd: number, opts: OpenOptions): Repository {
    const metaPath = nodePath.join(path, META_FILENAME);
    let mfd: number;
    try {
      mfd = openat(fd, META_FILENAME, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      if (isSysError(e, 'ENOENT')) {
        if (exists(fd, OBJECTS_DIR)) throw new RepositoryError('OldFormatRepository', path, OLD_FORMAT_TEXT);
        throw new RepositoryError('MetadataMissing', path, METADATA_MISSING_TEXT);
      }
      throw ioError(metaPath, 'opening meta.json', e);
    }
    try {
      let meta: RepoMetadata;
      let compat;
      try {
        meta = parseMetadata(readAllFd(mfd));
        compat = checkCompatible(meta, opts.expectedAlgorithm);
      } catch (e) {
        if (e instanceof MetadataError) {
          throw new RepositoryError(e.kind === 'Parse' ? 'MetadataParse' : e.kind === 'Algorithm' ? 'AlgorithmMismatch' : 'Incompatible', metaPath, e.message);
        }
        throw ioError(metaPath, 'reading meta.json', e);
      }
      const digest = measureOptional(mfd, meta.algorithm.hash, metaPath);
      const repo = new Repository(path, fd, meta, digest === undefined, compat.unknownReadOnly, opts.write ?? {});
      if (opts.erofsFormats !== undefined) repo.formats = opts.erofsFormats;
      if (opts.insecure === true) repo.setInsecure();
      if (opts.requireVerity === true) repo.requireVerity();
      return repo;
    } finally {
      close(mfd);
    }
  }

  /**
   * `init_path` (+ cfsctl init's --reset-metadata/--ensure): creates parents and the directory
   * (0700) and writes meta.json. Same configuration again → `created: false`; a different one →
   * error (unless `ensure`).
   */
  static init(path: string, opts: InitOptions = {}): InitResult {
    const algorithm = opts.algorithm ?? algorithmFor('sha512');
    const formats = opts.formats ?? DEFAULT_FORMAT_CONFIG;
    const insecure = opts.insecure === true;
    if (opts.resetMetadata === true) resetMetadata(path);
    try {
      fs.mkdirSync(nodePath.dirname(nodePath.resolve(path)), { recursive: true });
    } catch (e) {
      throw ioError(path, 'creating parent directories', e);
    }
    try {
      mkdirOk(constants.AT_FDCWD, path, 0o700);
    } catch (e) {
      throw ioError(path, 'creating repository directory', e);
    }
    let fd: number;
    try {
      fd = openDir(constants.AT_FDCWD, path);
      flock(fd, constants.LOCK_SH);
    } catch (e) {
      throw ioError(path, 'opening repository', e);
    }
    try {
      for (let attempt = 0; ; attempt++) {
        if (exists(fd, META_FILENAME)) {
          const repo = Repository.openFd(path, fd, { write: opts.write ?? {} });
          if (opts.ensure === true) return { repo, created: false, upgraded: false };
          const same = repo.algorithm.hash === algorithm.hash && formatConfigEquals(repo.formats, formats);
          if (!same) {
            throw new RepositoryError(
              'AlreadyInitialized', path,
              `repository already initialized with different configuration (algorithm: ${formatAlgorithmId(repo.algorithm)}, ` +
                `erofs_version: ${describeFormatConfig(repo.formats)}); cannot re-initialize with (algorithm: ${formatAlgorithmId(algorithm)}, ` +
                `erofs_version: ${describeFormatConfig(formats)})`,
            );
          }
          return { repo, created: false, upgraded: false };
        }
        let meta = newMetadata(algorithm, formats);
        let secure = !insecure;
        let upgraded = false;
        if (opts.ensure === true && exists(fd, OBJECTS_DIR)) {
          const probe = inferFromObjects(fd);
          if (probe !== undefined) {
            meta = newMetadata(algorithmFor(probe.hash), formats);
            secure = probe.verity;
            upgraded = true;
          }
        }
        checkWritableFd(fd, path);
        try {
          writeMetaFile(fd, serializeMetadata(meta), secure, meta.algorithm.hash, nodePath.join(path, META_FILENAME), opts.write);
        } catch (e) {
          // Lost a race with another init: compare against what it wrote.
          if (errnoCode((e as Error).cause ?? e) === 'EEXIST' && attempt === 0) continue;
          throw e;
        }
        const repo = Repository.openFd(path, fd, { write: opts.write ?? {} });
        return { repo, created: !upgraded, upgraded };
      }
    } catch (e) {
      close(fd);
      throw e;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.objectsFdCache !== undefined) close(this.objectsFdCache);
    close(this.fd); // releases the flock
  }

  // ------------------------------------------------------------------------------------------
  // policy checks

  /** `require_verity()`. */
  requireVerity(): void {
    if (this.insecureMode) throw new RepositoryError('VerityRequired', this.path, REQUIRE_VERITY_TEXT);
  }

  /** Throws unless writes are allowed (read-only-compatible features, read-only fs, W_OK). */
  checkWritable(): void {
    if (this.unknownReadOnly.length > 0) {
      throw new RepositoryError(
        'ReadOnly', this.describe(META_FILENAME),
        `repository has unknown read-only-compatible features ${debugStringList(this.unknownReadOnly)}; refusing to write`,
      );
    }
    checkWritableFd(this.fd, this.path);
  }

  lockExclusive(): void {
    flock(this.fd, constants.LOCK_EX);
  }

  lockShared(): void {
    flock(this.fd, constants.LOCK_SH);
  }

  /** fd of `objects/`, created (0777 & ~umask) on first use when `create`. */
  objectsFd(create = true): number | undefined {
    if (this.objectsFdCache !== undefined) return this.objectsFdCache;
    try {
      if (create) mkdirOk(this.fd, OBJECTS_DIR, 0o777);
      this.objectsFdCache = openDir(this.fd, OBJECTS_DIR);
    } catch (e) {
      if (!create && isSysError(e, 'ENOENT')) return undefined;
      throw ioError(this.describe(OBJECTS_DIR), 'opening objects directory', e);
    }
    return this.objectsFdCache;
  }

  // ------------------------------------------------------------------------------------------
  // objects

  /** `ensure_object`: stores in-memory bytes; returns the object's hex digest. */
  ensureObject(bytes: Uint8Array): StoreResult {
    this.checkWritable();
    return ensureObjectInMemory(this.objectsFd()!, bytes, this.hash, this.insecureMode, this.describe(OBJECTS_DIR), this.writeOptions);
  }

  /** Streaming store of bytes (`O_TMPFILE` in objects/). */
  storeObjectFromBytes(bytes: Uint8Array): StoreResult {
    this.checkWritable();
    return storeObjectStreaming(this.objectsFd()!, [bytes], this.hash, this.insecureMode, this.describe(OBJECTS_DIR), this.writeOptions);
  }

  /** Streaming store of a file's content, from an open fd (read from offset 0) or a path. */
  storeObjectFromFile(src: number | string): StoreResult {
    this.checkWritable();
    let fd: number;
    const own = typeof src === 'string';
    try {
      fd = own ? fs.openSync(src, fs.constants.O_RDONLY | fs.constants.O_NOCTTY) : src;
    } catch (e) {
      throw ioError(String(src), 'opening file', e);
    }
    try {
      const label = own ? src : `fd ${fd}`;
      // One read buffer for every object: the consumer copies what it keeps (a fresh 1 MiB
      // buffer per object made the garbage collector a third of an import's CPU time).
      const buf = (this.readBuffer ??= Buffer.allocUnsafe(1 << 20));
      function* chunks(): Generator<Uint8Array> {
        for (let pos = 0; ; ) {
          let n: number;
          try {
            n = fs.readSync(fd, buf, 0, buf.length, pos);
          } catch (e) {
            throw ioError(label, 'reading', e);
          }
          if (n === 0) return;
          yield buf.subarray(0, n);
          pos += n;
        }
      }
      return storeObjectStreaming(this.objectsFd()!, chunks(), this.hash, this.insecureMode, this.describe(OBJECTS_DIR), this.writeOptions);
    } finally {
      if (own) fs.closeSync(fd);
    }
  }

  /** Opens `objects/XX/<rest>` read-only. */
  openObject(hex: string): number {
    const rel = `${OBJECTS_DIR}/${objectPathname(hex)}`;
    try {
      return openat(this.fd, rel, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      throw ioError(this.describe(rel), 'opening object', e);
    }
  }

  hasObject(hex: string): boolean {
    return exists(this.fd, `${OBJECTS_DIR}/${objectPathname(hex)}`);
  }

  // ------------------------------------------------------------------------------------------
  // images

  /**
   * `write_image`: stores the image as an object, `syncfs`es the repository (boot.md's
   * recommendation; upstream does not), then publishes `images/<hex>` and, with a name,
   * `images/refs/<name>`. Returns the image digest (hex).
   */
  writeImage(bytes: Uint8Array, name?: string): string {
    this.checkWritable();
    let parts: string[] | undefined;
    if (name !== undefined) {
      try {
        parts = refComponents(name);
      } catch (e) {
        throw new RepositoryError('InvalidName', this.describe(`${IMAGES_DIR}/${REFS_DIR}`), (e as Error).message);
      }
    }
    const { hex } = this.ensureObject(bytes);
    const linkRel = `${IMAGES_DIR}/${hex}`;
    try {
      syncfs(this.fd);
      mkdirOk(this.fd, IMAGES_DIR, 0o777);
      replaceSymlink(this.fd, linkRel, relativeLinkTarget(linkRel, `${OBJECTS_DIR}/${objectPathname(hex)}`));
    } catch (e) {
      throw ioError(this.describe(linkRel), 'publishing image', e);
    }
    if (parts !== undefined) {
      const refRel = `${IMAGES_DIR}/${REFS_DIR}/${parts.join('/')}`;
      try {
        let dir = `${IMAGES_DIR}/${REFS_DIR}`;
        mkdirOk(this.fd, dir, 0o755);
        for (const p of parts.slice(0, -1)) {
          dir = `${dir}/${p}`;
          mkdirOk(this.fd, dir, 0o755);
        }
        replaceSymlink(this.fd, refRel, relativeLinkTarget(refRel, linkRel));
      } catch (e) {
        throw ioError(this.describe(refRel), 'publishing image reference', e);
      }
    }
    return hex;
  }

  /** After ENOENT opening `rel`: when `rel` is a symlink (pointing nowhere), names it. */
  private refuseDangling(rel: string, name: string): void {
    let target: string;
    try {
      target = readlinkat(this.fd, rel);
    } catch {
      return;
    }
    throw new RepositoryError('ImageNotFound', this.describe(rel), `image not found: ${name} (dangling link to ${target})`);
  }

  /**
   * `open_image(name)` (boot.md §2.6): `images/<name>`; on ENOENT a slash-free name is tried as
   * `images/refs/<name>` (verity required, not measured); a name with `/` is returned with
   * verity required, not measured; a bare digest name is measured: equal → verity required;
   * different → fatal `fs-verity content mismatch`; no verity in an insecure repository →
   * verity not required; anything else fatal.
   */
  openImage(name: string): OpenedImage {
    const rel = `${IMAGES_DIR}/${name}`;
    let fd: number;
    try {
      fd = openat(this.fd, rel, constants.O_RDONLY);
    } catch (e) {
      if (!isSysError(e, 'ENOENT')) throw ioError(this.describe(rel), 'opening image', e);
      this.refuseDangling(rel, name);
      if (name.includes('/')) throw new RepositoryError('ImageNotFound', this.describe(rel), `image not found: ${name}`);
      const refRel = `${IMAGES_DIR}/${REFS_DIR}/${name}`;
      try {
        return { fd: openat(this.fd, refRel, constants.O_RDONLY), verity: true };
      } catch (e2) {
        if (isSysError(e2, 'ENOENT')) {
          this.refuseDangling(refRel, name);
          throw new RepositoryError('ImageNotFound', this.describe(rel), `image not found: ${name}`);
        }
        throw ioError(this.describe(refRel), 'opening image', e2);
      }
    }
    if (name.includes('/')) return { fd, verity: true };
    try {
      let measured: Buffer | undefined;
      try {
        measured = measureOptional(fd, this.hash, this.describe(rel));
      } catch (e) {
        throw new RepositoryError('Io', this.describe(rel), `Measuring image verity digest: ${(e as RepositoryError).text ?? (e as Error).message}`);
      }
      if (measured === undefined) {
        if (this.insecureMode) return { fd, verity: false };
        throw new RepositoryError('VerityRequired', this.describe(rel), 'Measuring image verity digest: fs-verity is not enabled on file');
      }
      if (measured.toString('hex') !== name.toLowerCase() || !isDigestHex(name.toLowerCase(), this.hash)) {
        throw new RepositoryError(
          'VerityMismatch', this.describe(rel),
          `fs-verity content mismatch: expected ${name}, found ${this.hash}:${measured.toString('hex')}`,
        );
      }
      return { fd, verity: true };
    } catch (e) {
      close(fd);
      throw e;
    }
  }

  /** The image's bytes (through `openImage`). */
  readImage(name: string): { bytes: Buffer; verity: boolean } {
    const img = this.openImage(name);
    try {
      return { bytes: readAllFd(img.fd), verity: img.verity };
    } catch (e) {
      throw ioError(this.describe(`${IMAGES_DIR}/${name}`), 'reading image', e);
    } finally {
      close(img.fd);
    }
  }

  /** `objects_for_image`: digests of the objects an image references. */
  imageObjects(name: string): string[] {
    const { bytes } = this.readImage(name);
    try {
      return imageObjects(bytes, this.hash);
    } catch (e) {
      if (e instanceof ImageParseError) throw new RepositoryError('Corrupt', this.describe(`${IMAGES_DIR}/${name}`), `invalid image: ${e.message}`);
      throw e;
    }
  }

  /** The object digest a first-level `images/<name>` or `streams/<name>` link points at. */
  linkObjectId(dir: typeof IMAGES_DIR | typeof STREAMS_DIR, name: string): string | undefined {
    let target: string;
    try {
      target = readlinkat(this.fd, `${dir}/${name}`);
    } catch (e) {
      if (isSysError(e, ['ENOENT', 'EINVAL'])) return undefined;
      throw ioError(this.describe(`${dir}/${name}`), 'reading link', e);
    }
    return digestFromObjectLinkTarget(target, this.hash);
  }

  /** `images/refs/**` symlinks, sorted by name. */
  listImages(): ImageRef[] {
    const out: ImageRef[] = [];
    const base = `${IMAGES_DIR}/${REFS_DIR}`;
    const walk = (rel: string, prefix: string): void => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(`/proc/self/fd/${this.fd}/${rel}`, { withFileTypes: true });
      } catch (e) {
        if (errnoCode(e) === 'ENOENT' && rel === base) return;
        throw ioError(this.describe(rel), 'listing image references', e);
      }
      for (const d of entries) {
        const name = prefix === '' ? d.name : `${prefix}/${d.name}`;
        if (d.isDirectory()) walk(`${rel}/${d.name}`, name);
        else if (d.isSymbolicLink()) {
          const target = readlinkat(this.fd, `${rel}/${d.name}`);
          out.push({ name, digest: nodePath.posix.basename(target) });
        }
      }
    };
    walk(base, '');
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** syncfs(2) on the repository's filesystem. */
  sync(): void {
    syncfs(this.fd);
  }
}

/** faccessat(W_OK) on the repository directory; EROFS gives upstream's read-only text. */
export function checkWritableFd(fd: number, path: string): void {
  try {
    fs.accessSync(`/proc/self/fd/${fd}`, fs.constants.W_OK);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'EROFS') throw new RepositoryError('NotWritable', path, NOT_WRITABLE_RO_TEXT, { code });
    throw new RepositoryError('NotWritable', path, `Repository is not writable: ${code ?? (e as Error).message}`, code !== undefined ? { code } : {});
  }
}

/** `reset_metadata`: removes streams/, images/ and meta.json (objects/ is kept). */
export function resetMetadata(path: string): void {
  for (const name of [STREAMS_DIR, IMAGES_DIR, META_FILENAME]) {
    try {
      fs.rmSync(nodePath.join(path, name), { recursive: true, force: true });
    } catch (e) {
      throw ioError(nodePath.join(path, name), 'removing', e);
    }
  }
}

/**
 * `open_upgrade`'s inference: the first object name decides the algorithm (62 → sha256,
 * 126 → sha512; other lengths and non-2-char directories skipped), and whether that object has
 * verity decides whether meta.json gets verity.
 */
function inferFromObjects(repoFd: number): { hash: HashName; verity: boolean } | undefined {
  let dirs: string[];
  try {
    dirs = fs.readdirSync(`/proc/self/fd/${repoFd}/${OBJECTS_DIR}`).sort();
  } catch {
    return undefined;
  }
  for (const d of dirs) {
    if (d.length !== 2) continue;
    let names: string[];
    try {
      names = fs.readdirSync(`/proc/self/fd/${repoFd}/${OBJECTS_DIR}/${d}`).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      const hash = hashFromDigestSize((n.length + 2) / 2);
      if (hash === undefined || (n.length !== 62 && n.length !== 126)) continue;
      let verity = false;
      try {
        const fd = openat(repoFd, `${OBJECTS_DIR}/${d}/${n}`, constants.O_RDONLY);
        try {
          verity = measureOptional(fd, hash, n) !== undefined;
        } finally {
          close(fd);
        }
      } catch {
        verity = false;
      }
      return { hash, verity };
    }
  }
  return undefined;
}

