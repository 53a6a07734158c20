/**
 * Private temporary mount points (mode 0700) for kernels that cannot use detached mounts as
 * overlay layers. Their names carry a fixed prefix so that a re-run can find and remove what a
 * killed run left mounted (see cleanupLeftovers in src/setup-root/rerun.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { close, constants, moveMount, openat, umount2 } from '../sys/index.js';
import { mountError } from './errors.js';
import type { Unwinder } from './unwind.js';

export const TEMP_PREFIX = '.cfsboot-layer-';

export function tempBase(): string {
  const t = process.env['TMPDIR'];
  return t !== undefined && t !== '' && path.isAbsolute(t) ? t : '/tmp';
}

/** Creates `$TMPDIR/.cfsboot-layer-XXXXXX` (0700) and returns its path. */
export function makeTempMountpoint(): string {
  return fs.mkdtempSync(path.join(tempBase(), TEMP_PREFIX));
}

/**
 * Attaches the detached mount `mountFd` to a fresh private temp mount point and returns an
 * O_PATH fd of it. `unwind` gets, newest last: remove the dir, lazily unmount it, close the fd.
 */
export function attachToTempDir(mountFd: number, label: string, unwind: Unwinder): number {
  const dir = makeTempMountpoint();
  unwind.push(`temp dir ${dir}`, () => fs.rmdirSync(dir));
  try {
    moveMount(mountFd, '', constants.AT_FDCWD, dir, constants.MOVE_MOUNT_F_EMPTY_PATH);
  } catch (e) {
    throw mountError(`attaching ${label} to ${dir}`, e);
  }
  unwind.push(`temp mount ${dir}`, () => umount2(dir, constants.MNT_DETACH));
  const fd = openat(constants.AT_FDCWD, dir, constants.O_PATH | constants.O_DIRECTORY);
  unwind.push(`fd of ${dir}`, () => close(fd));
  return fd;
}
