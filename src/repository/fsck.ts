/**
 * Repository consistency check (boot.md §2.10).
 *
 * Phases: (0) meta.json re-read and compatibility; (1) unless metadata-only, every object:
 * name decodes, opens, and its digest (kernel measurement; in an insecure repository a userspace
 * digest when the kernel has none) equals its name; (2) streams/: first-level entries are
 * resolving symlinks (TODO(splitstream): parse splitstreams and check their object and named
 * refs — `missing-object-ref`/`missing-named-ref`); (3) images/: first-level entries are
 * resolving symlinks whose EROFS parses and whose referenced objects exist; refs resolve.
 */
import * as fs from 'node:fs';
import { close, constants, openat, readlinkat, statx } from '../sys/index.js';
import { isSysError } from '../sys/errors.js';
import { verityDigestOfFd } from '../verity/file-digest.js';
import { measureOptional } from './atomic.js';
import { RepositoryError } from './errors.js';
import { imageObjects } from './image-objects.js';
import { META_FILENAME, checkCompatible, parseMetadata } from './meta.js';
import { IMAGES_DIR, OBJECTS_DIR, REFS_DIR, STREAMS_DIR, objectPathname, parseObjectName } from './paths.js';
import { readAllFd, type Repository } from './repository.js';

export type FsckKind =
  | 'metadata-invalid'
  | 'object-invalid-name'
  | 'object-open-failed'
  | 'object-verity-missing'
  | 'object-digest-mismatch'
  | 'entry-not-symlink'
  | 'broken-symlink'
  | 'missing-object-ref'
  | 'missing-named-ref'
  | 'image-invalid'
  | 'image-missing-object'
  | 'unexpected-file-type';

export interface FsckFinding {
  kind: FsckKind;
  /** relative to the repository root */
  path: string;
  detail?: string;
}

export interface PhaseCount {
  checked: number;
  ok: number;
}

export interface FsckResult {
  metadata: 'ok' | 'error' | 'absent';
  objects: PhaseCount;
  streams: PhaseCount;
  images: PhaseCount;
  brokenSymlinks: number;
  missingObjects: number;
  findings: FsckFinding[];
}

export interface FsckOptions {
  metadataOnly?: boolean;
}

type Kind = 'dir' | 'symlink' | 'file' | 'other';

function list(repo: Repository, rel: string): Array<{ name: string; type: Kind }> | undefined {
  let ents: fs.Dirent[];
  try {
    ents = fs.readdirSync(`/proc/self/fd/${repo.fd}/${rel}`, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return ents
    .map((d) => ({ name: d.name, type: (d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'symlink' : d.isFile() ? 'file' : 'other') as Kind }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function describeErr(e: unknown): string {
  if (e instanceof RepositoryError) return e.text;
  const err = e as { code?: string; message?: string };
  return err.code ?? err.message ?? String(e);
}

export function fsck(repo: Repository, opts: FsckOptions = {}): FsckResult {
  const r: FsckResult = {
    metadata: 'ok',
    objects: { checked: 0, ok: 0 },
    streams: { checked: 0, ok: 0 },
    images: { checked: 0, ok: 0 },
    brokenSymlinks: 0,
    missingObjects: 0,
    findings: [],
  };
  const add = (kind: FsckKind, path: string, detail?: string): void => {
    r.findings.push(detail === undefined ? { kind, path } : { kind, path, detail });
    if (kind === 'broken-symlink') r.brokenSymlinks++;
    if (kind === 'image-missing-object' || kind === 'missing-object-ref' || kind === 'missing-named-ref') r.missingObjects++;
  };

  // (0) meta.json
  try {
    const fd = openat(repo.fd, META_FILENAME, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      checkCompatible(parseMetadata(readAllFd(fd)), repo.algorithm);
    } finally {
      close(fd);
    }
  } catch (e) {
    if (isSysError(e, 'ENOENT')) r.metadata = 'absent';
    else {
      r.metadata = 'error';
      add('metadata-invalid', META_FILENAME, describeErr(e));
    }
  }

  // (1) objects
  if (opts.metadataOnly !== true) {
    for (const d of list(repo, OBJECTS_DIR) ?? []) {
      if (d.type !== 'dir') continue; // temp files of interrupted writes are not objects
      for (const f of list(repo, `${OBJECTS_DIR}/${d.name}`) ?? []) {
        const rel = `${OBJECTS_DIR}/${d.name}/${f.name}`;
        r.objects.checked++;
        const hex = parseObjectName(d.name, f.name, repo.hash);
        if (hex === undefined || f.type !== 'file') {
          add('object-invalid-name', rel);
          continue;
        }
        let fd: number;
        try {
          fd = openat(repo.fd, rel, constants.O_RDONLY | constants.O_NOFOLLOW);
        } catch (e) {
          add('object-open-failed', rel, describeErr(e));
          continue;
        }
        try {
          let digest: Buffer | undefined;
          try {
            digest = measureOptional(fd, repo.hash, rel);
          } catch (e) {
            add('object-verity-missing', rel, describeErr(e));
            continue;
          }
          if (digest === undefined) {
            if (!repo.insecure) {
              add('object-verity-missing', rel);
              continue;
            }
            digest = verityDigestOfFd(fd, repo.hash, rel);
          }
          if (digest.toString('hex') !== hex) {
            add('object-digest-mismatch', rel, `actual ${digest.toString('hex')}`);
            continue;
          }
          r.objects.ok++;
        } catch (e) {
          add('object-open-failed', rel, describeErr(e));
        } finally {
          close(fd);
        }
      }
    }
  }

  const resolves = (rel: string): boolean => {
    try {
      statx(repo.fd, rel, 0);
      return true;
    } catch {
      return false;
    }
  };
  const checkRefs = (dir: string): void => {
    const walk = (rel: string): void => {
      for (const e of list(repo, rel) ?? []) {
        const p = `${rel}/${e.name}`;
        if (e.type === 'dir') walk(p);
        else if (e.type === 'symlink') {
          if (!resolves(p)) add('broken-symlink', p, `-> ${readlinkat(repo.fd, p)}`);
        } else add('unexpected-file-type', p);
      }
    };
    walk(`${dir}/${REFS_DIR}`);
  };

  // (2) streams
  for (const e of list(repo, STREAMS_DIR) ?? []) {
    if (e.name === REFS_DIR && e.type === 'dir') continue;
    const rel = `${STREAMS_DIR}/${e.name}`;
    r.streams.checked++;
    if (e.type !== 'symlink') add('entry-not-symlink', rel);
    else if (!resolves(rel)) add('broken-symlink', rel, `-> ${readlinkat(repo.fd, rel)}`);
    else r.streams.ok++;
  }
  checkRefs(STREAMS_DIR);

  // (3) images
  for (const e of list(repo, IMAGES_DIR) ?? []) {
    if (e.name === REFS_DIR && e.type === 'dir') continue;
    const rel = `${IMAGES_DIR}/${e.name}`;
    r.images.checked++;
    if (e.type !== 'symlink') {
      add('entry-not-symlink', rel);
      continue;
    }
    if (!resolves(rel)) {
      add('broken-symlink', rel, `-> ${readlinkat(repo.fd, rel)}`);
      continue;
    }
    let bytes: Buffer;
    try {
      const fd = openat(repo.fd, rel, constants.O_RDONLY);
      try {
        bytes = readAllFd(fd);
      } finally {
        close(fd);
      }
    } catch (e2) {
      add('image-invalid', rel, describeErr(e2));
      continue;
    }
    let refs: string[];
    try {
      refs = imageObjects(bytes, repo.hash);
    } catch (e2) {
      add('image-invalid', rel, (e2 as Error).message);
      continue;
    }
    let ok = true;
    for (const hex of refs) {
      const orel = `${OBJECTS_DIR}/${objectPathname(hex)}`;
      if (!resolves(orel)) {
        add('image-missing-object', rel, orel);
        ok = false;
      }
    }
    if (ok) r.images.ok++;
  }
  checkRefs(IMAGES_DIR);
  return r;
}

export function fsckOk(r: FsckResult): boolean {
  return r.findings.length === 0;
}

/** Human output (one string per line). */
export function formatFsck(r: FsckResult): string[] {
  const lines = [
    `meta.json: ${r.metadata}`,
    `objects: ${r.objects.ok}/${r.objects.checked} ok`,
    `streams: ${r.streams.ok}/${r.streams.checked} ok`,
    `images: ${r.images.ok}/${r.images.checked} ok`,
  ];
  if (r.brokenSymlinks > 0) lines.push(`broken symlinks: ${r.brokenSymlinks}`);
  if (r.missingObjects > 0) lines.push(`missing objects: ${r.missingObjects}`);
  if (r.findings.length === 0) lines.push('status: ok');
  else {
    lines.push(`status: ${r.findings.length} error(s)`);
    for (const f of r.findings) lines.push(`  - fsck: ${f.kind}: ${f.path}${f.detail !== undefined ? `: ${f.detail}` : ''}`);
  }
  return lines;
}

/** JSON output (serde-style pretty, trailing newline added by the caller). */
export function fsckJson(r: FsckResult): Record<string, unknown> {
  return {
    ok: fsckOk(r),
    metadata: r.metadata,
    objects: r.objects,
    streams: r.streams,
    images: r.images,
    broken_symlinks: r.brokenSymlinks,
    missing_objects: r.missingObjects,
    errors: r.findings.map((f) => ({ kind: f.kind, path: f.path, ...(f.detail !== undefined ? { detail: f.detail } : {}) })),
  };
}
