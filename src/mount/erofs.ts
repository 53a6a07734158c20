/**
 * The EROFS layer of a composefs mount: a detached, read-only mount of the image. File-backed
 * first (`source=/proc/self/fd/N`); a kernel without file-backed EROFS answers ENOTBLK, and the
 * image is then put on a loop device (boot.md §3.9 step 3).
 */
import * as fs from 'node:fs';
import { close } from '../sys/index.js';
import { kernelPath } from './compat.js';
import { hasErrno, mountError } from './errors.js';
import { FsContext } from './fs-context.js';
import { attachLoop } from './loop.js';
import {
  COMPOSEFS_FLAG_HAS_ACL, COMPOSEFS_HEADER, COMPOSEFS_MAGIC, decodeComposefsHeader,
} from '../erofs/format.js';

export interface ErofsMount {
  /** Detached mount fd. */
  fd: number;
  via: 'file' | 'loop';
  loopDevice?: string;
  noacl: boolean;
  messages: string[];
}

export interface ImageHeaderInfo {
  /** composefs_version of the header (0/1: C format, 2: composefs-rs V2). */
  formatVersion: number;
  /** The header says no inode carries an ACL (only trusted for C-format images). */
  noAcl: boolean;
}

/** Reads the composefs header: the magic must match (as C checks), else the image is refused. */
export function readImageHeader(imageFd: number, label: string): ImageHeaderInfo {
  const buf = Buffer.alloc(COMPOSEFS_HEADER.size);
  let n: number;
  try {
    n = fs.readSync(imageFd, buf, 0, buf.length, 0);
  } catch (e) {
    throw mountError(`reading the header of ${label}`, e);
  }
  const h = n === buf.length ? decodeComposefsHeader(buf) : undefined;
  if (h === undefined || h.magic !== COMPOSEFS_MAGIC) {
    throw mountError(`reading the header of ${label}`, new Error('not a composefs image (bad magic)'));
  }
  // composefs-rs V2 images always write flags 0, so only a C-format header can promise "no ACLs"
  return { formatVersion: h.composefs_version, noAcl: h.composefs_version <= 1 && (h.flags & COMPOSEFS_FLAG_HAS_ACL) === 0 };
}

function mountWithSource(source: string, noacl: boolean, feature: 'erofs-file-backed' | undefined): { fd: number; messages: string[] } {
  const ctx = new FsContext('erofs');
  try {
    ctx.setString('source', source);
    ctx.setFlag('ro');
    if (noacl) ctx.setFlag('noacl');
    ctx.create(feature);
    return { fd: ctx.mount(true), messages: ctx.messages };
  } finally {
    ctx.close();
  }
}

/** Mounts the image open at `imageFd` (detached, read-only). `label` names it in errors. */
export function mountErofs(imageFd: number, label: string, opts: { noacl: boolean }): ErofsMount {
  const step = `mounting EROFS image ${label}`;
  const learned = kernelPath();
  if (learned.erofs !== 'loop') {
    try {
      const r = mountWithSource(`/proc/self/fd/${imageFd}`, opts.noacl, 'erofs-file-backed');
      learned.erofs = 'file';
      return { fd: r.fd, via: 'file', noacl: opts.noacl, messages: r.messages };
    } catch (e) {
      if (!hasErrno(e, ['ENOTBLK'])) throw mountError(step, e);
      learned.fallbacks.push(`erofs file-backed: ${(e as Error).message}`);
    }
  }
  const loop = attachLoop(imageFd, label);
  try {
    const r = mountWithSource(`/proc/self/fd/${loop.fd}`, opts.noacl, undefined);
    learned.erofs = 'loop';
    return { fd: r.fd, via: 'loop', loopDevice: loop.path, noacl: opts.noacl, messages: r.messages };
  } catch (e) {
    throw mountError(`${step} from ${loop.path}`, e);
  } finally {
    // autoclear: the device lives as long as the mount
    close(loop.fd);
  }
}
