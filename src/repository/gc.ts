/**
 * Garbage collection (boot.md §2.9).
 *
 * Roots: every first-level image named by a ref under `images/refs/` (recursively), plus
 * `--root` names found in `images/` (or `streams/`). Each root image's object is live, and so is
 * every object its EROFS references. Unreferenced objects are unlinked, then dangling symlinks
 * are pruned (first level of images/ and streams/, then recursively below their refs/).
 *
 * Safety differences from upstream (deliberate):
 *  - everything that can make the GC fail (missing first-level entry of a ref, unreadable or
 *    unverifiable root image, unexpected file types, unknown streams) is checked BEFORE anything
 *    is deleted;
 *  - `streams/` (splitstreams, written by the OCI code) cannot be walked yet, so a repository
 *    with entries in `streams/` is refused (TODO(splitstream): walk stream refs and named refs);
 *  - stale `.tmp-object-*` files left in `objects/` by an interrupted no-O_TMPFILE write are
 *    removed too (counted in the byte total, not in the object count); nobody else can be writing
 *    while we hold LOCK_EX.
 */
import * as fs from 'node:fs';
import { constants, readlinkat, statx, unlinkat } from '../sys/index.js';
import { isSysError } from '../sys/errors.js';
import { TEMP_OBJECT_PREFIX } from './atomic.js';
import { RepositoryError, ioError } from './errors.js';
import { IMAGES_DIR, OBJECTS_DIR, REFS_DIR, STREAMS_DIR, parseObjectName } from './paths.js';
import type { Repository } from './repository.js';

export interface GcOptions {
  /** First-level image (or stream) names to keep, besides those named by refs. */
  roots?: readonly string[];
  dryRun?: boolean;
}

export interface GcResult {
  objectsRemoved: number;
  objectsBytes: number;
  imagesPruned: number;
  streamsPruned: number;
  /** Stale `.tmp-object-*` files removed (included in objectsBytes). */
  tempFilesRemoved: number;
}

interface Entry {
  name: string;
  type: 'dir' | 'symlink' | 'file' | 'other';
}

function listDir(repo: Repository, rel: string): Entry[] | undefined {
  let ents: fs.Dirent[];
  try {
    ents = fs.readdirSync(`/proc/self/fd/${repo.fd}/${rel}`, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(repo.describe(rel), 'listing directory', e);
  }
  return ents
    .map((d) => ({
      name: d.name,
      type: d.isDirectory() ? ('dir' as const) : d.isSymbolicLink() ? ('symlink' as const) : d.isFile() ? ('file' as const) : ('other' as const),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Symlinks below `rel` (recursive); throws on anything that is neither a symlink nor a dir. */
function refLinks(repo: Repository, rel: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of listDir(repo, dir) ?? []) {
      const p = `${dir}/${e.name}`;
      if (e.type === 'dir') walk(p);
      else if (e.type === 'symlink') out.push(p);
      else throw new RepositoryError('Corrupt', repo.describe(p), 'Unexpected file type encountered');
    }
  };
  walk(rel);
  return out;
}

function basename(target: string): string {
  const i = target.lastIndexOf('/');
  return i >= 0 ? target.slice(i + 1) : target;
}

/** Whether `rel` (relative to the repository) resolves, following symlinks. */
function resolves(repo: Repository, rel: string): boolean {
  try {
    statx(repo.fd, rel, 0);
    return true;
  } catch (e) {
    if (isSysError(e, ['ENOENT', 'ENOTDIR', 'ELOOP'])) return false;
    throw ioError(repo.describe(rel), 'checking link', e);
  }
}

/** Computes the live set; throws (before anything is deleted) on any inconsistency. */
export function liveObjects(repo: Repository, roots: readonly string[] = []): Set<string> {
  const live = new Set<string>();
  const images = listDir(repo, IMAGES_DIR) ?? [];
  const streams = listDir(repo, STREAMS_DIR) ?? [];
  for (const e of images) {
    if (e.type !== 'symlink' && !(e.type === 'dir' && e.name === REFS_DIR)) {
      throw new RepositoryError('Corrupt', repo.describe(`${IMAGES_DIR}/${e.name}`), 'Unexpected file type encountered');
    }
  }
  const streamEntries = streams.filter((e) => !(e.type === 'dir' && e.name === REFS_DIR));
  const streamRefs = refLinks(repo, `${STREAMS_DIR}/${REFS_DIR}`);
  if (streamEntries.length > 0 || streamRefs.length > 0) {
    throw new RepositoryError(
      'Unsupported', repo.describe(STREAMS_DIR),
      'garbage collection of repositories with streams is not supported yet (splitstreams cannot be walked)',
    );
  }
  const rootImages = new Set<string>();
  for (const link of refLinks(repo, `${IMAGES_DIR}/${REFS_DIR}`)) {
    const name = basename(readlinkat(repo.fd, link));
    if (!images.some((e) => e.name === name && e.type === 'symlink')) {
      throw new RepositoryError('Corrupt', repo.describe(link), `reference points at missing image ${name}`);
    }
    rootImages.add(name);
  }
  for (const r of roots) {
    if (images.some((e) => e.name === r && e.type === 'symlink')) rootImages.add(r);
    else if (streams.some((e) => e.name === r)) {
      // unreachable today: streams are refused above
    } else {
      throw new RepositoryError('ImageNotFound', repo.describe(`${IMAGES_DIR}/${r}`), `image not found: ${r}`);
    }
  }
  for (const name of rootImages) {
    const id = repo.linkObjectId(IMAGES_DIR, name);
    if (id === undefined) {
      throw new RepositoryError('Corrupt', repo.describe(`${IMAGES_DIR}/${name}`), 'image link does not point at an object');
    }
    live.add(id);
    for (const o of repo.imageObjects(name)) live.add(o);
  }
  return live;
}

/**
 * Runs gc under LOCK_EX (blocks until every other opener is gone), or a dry run under the
 * shared lock the repository already holds. Only the real run needs a writable repository.
 */
export function gc(repo: Repository, opts: GcOptions = {}): GcResult {
  const dry = opts.dryRun === true;
  if (!dry) repo.checkWritable();
  if (!dry) repo.lockExclusive();
  try {
    const live = liveObjects(repo, opts.roots ?? []);
    const result: GcResult = { objectsRemoved: 0, objectsBytes: 0, imagesPruned: 0, streamsPruned: 0, tempFilesRemoved: 0 };
    const removed = new Set<string>();
    for (const d of listDir(repo, OBJECTS_DIR) ?? []) {
      if (d.type === 'file' && d.name.startsWith(TEMP_OBJECT_PREFIX)) {
        const rel = `${OBJECTS_DIR}/${d.name}`;
        result.objectsBytes += sizeOf(repo, rel);
        result.tempFilesRemoved++;
        if (!dry) unlinkQuiet(repo, rel);
        continue;
      }
      if (d.type !== 'dir' || d.name.length !== 2) continue;
      for (const f of listDir(repo, `${OBJECTS_DIR}/${d.name}`) ?? []) {
        const hex = parseObjectName(d.name, f.name, repo.hash);
        if (hex === undefined || live.has(hex)) continue;
        const rel = `${OBJECTS_DIR}/${d.name}/${f.name}`;
        result.objectsBytes += sizeOf(repo, rel);
        result.objectsRemoved++;
        removed.add(rel);
        if (!dry) unlinkQuiet(repo, rel);
      }
    }
    // Dangling symlinks: first level, then below refs/ (recursively). In a dry run, "dangling"
    // includes links whose object would have been removed.
    const danglingAfter = (rel: string, depthFromRepo: string): boolean => {
      if (!dry) return !resolves(repo, rel);
      if (!resolves(repo, rel)) return true;
      return removedTarget(repo, rel, depthFromRepo, removed);
    };
    for (const dir of [IMAGES_DIR, STREAMS_DIR] as const) {
      const pruned = new Set<string>();
      for (const e of listDir(repo, dir) ?? []) {
        if (e.type !== 'symlink') continue;
        const rel = `${dir}/${e.name}`;
        if (danglingAfter(rel, dir)) {
          pruned.add(e.name);
          if (!dry) unlinkQuiet(repo, rel);
          if (dir === IMAGES_DIR) result.imagesPruned++;
          else result.streamsPruned++;
        }
      }
      for (const link of refLinks(repo, `${dir}/${REFS_DIR}`)) {
        const target = basename(readlinkat(repo.fd, link));
        const dangling = dry ? pruned.has(target) || !resolves(repo, link) : !resolves(repo, link);
        if (dangling) {
          if (!dry) unlinkQuiet(repo, link);
          if (dir === IMAGES_DIR) result.imagesPruned++;
          else result.streamsPruned++;
        }
      }
    }
    return result;
  } finally {
    if (!dry) repo.lockShared();
  }
}

/** Dry run: does the first-level link at `rel` point at an object we would remove? */
function removedTarget(repo: Repository, rel: string, dir: string, removed: Set<string>): boolean {
  const name = rel.slice(dir.length + 1);
  const id = repo.linkObjectId(dir as typeof IMAGES_DIR, name);
  if (id === undefined) return false;
  return removed.has(`${OBJECTS_DIR}/${id.slice(0, 2)}/${id.slice(2)}`);
}

function sizeOf(repo: Repository, rel: string): number {
  try {
    return statx(repo.fd, rel, constants.AT_SYMLINK_NOFOLLOW).size;
  } catch (e) {
    if (isSysError(e, 'ENOENT')) return 0;
    throw ioError(repo.describe(rel), 'stat', e);
  }
}

function unlinkQuiet(repo: Repository, rel: string): void {
  try {
    unlinkat(repo.fd, rel);
  } catch (e) {
    if (!isSysError(e, 'ENOENT')) throw ioError(repo.describe(rel), 'removing', e);
  }
}

/** The lines `cfsctl gc` prints. */
export function formatGcResult(r: GcResult, dryRun: boolean): string[] {
  const lines: string[] = [];
  if (dryRun) lines.push('Dry run (no files deleted):');
  lines.push(`Objects: ${r.objectsRemoved} removed (${r.objectsBytes} bytes)`);
  if (r.imagesPruned > 0 || r.streamsPruned > 0) lines.push(`Pruned symlinks: ${r.imagesPruned} images, ${r.streamsPruned} streams`);
  return lines;
}
