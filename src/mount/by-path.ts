/**
 * Mounting a composefs image by hand (mount.composefs, `cfsboot mount`, `cfsboot repo mount`):
 * an image file, object directories and an optional upper/work pair given as paths, attached at
 * a mount point. Shares the runtime kernel detection with the boot path; nothing is left mounted
 * when it fails.
 */
import * as fs from 'node:fs';
import { close, constants, moveMount, openat } from '../sys/index.js';
import { isSysError } from '../sys/errors.js';
import { measureVerity } from '../sys/verity.js';
import type { HashName } from '../verity/hashes.js';
import { hashFromDigestSize } from '../verity/algorithm.js';
import { VERITY_ABSENT } from '../verity/kernel.js';
import { mountComposefs, type ComposefsMount } from './composefs.js';
import { MountError, mountError } from './errors.js';

export interface MountByPathOptions {
  /** Open image fd (the caller keeps ownership), or a path to open. */
  image: number | string;
  imageLabel: string;
  basedirs: string[];
  /** Measure the image and require this digest (implies verity=require). */
  expectedDigest?: { hash: HashName; hex: string };
  verity: 'require' | 'try' | 'off';
  upperdir?: string;
  workdir?: string;
  /** Path of a user namespace file (`/proc/PID/ns/user`) to idmap the image through. */
  idmap?: string;
  readOnly: boolean;
  /** Mount source shown in mountinfo. */
  source: string;
  mountpoint: string;
}

/**
 * An expected image digest given as hex on a command line (`digest=`, `--digest`): the hash is
 * chosen by length (64 → sha256, 128 → sha512). Undefined when it is neither.
 */
export function expectedDigestFromHex(hex: string): { hash: HashName; hex: string } | undefined {
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) return undefined;
  const hash = hashFromDigestSize(hex.length / 2);
  return hash === undefined ? undefined : { hash, hex };
}

/** Why an image is refused before mounting (C mount.composefs wording). */
export class ImageVerityError extends Error {
  override readonly name = 'ImageVerityError';
}

function openDirPath(p: string, what: string): number {
  try {
    return openat(constants.AT_FDCWD, p, constants.O_PATH | constants.O_DIRECTORY);
  } catch (e) {
    throw mountError(`opening ${what} ${p}`, e);
  }
}

export function mountByPath(o: MountByPathOptions): ComposefsMount {
  const fds: number[] = [];
  try {
    let imageFd: number;
    if (typeof o.image === 'number') {
      imageFd = o.image;
    } else {
      try {
        imageFd = openat(constants.AT_FDCWD, o.image, constants.O_RDONLY);
      } catch (e) {
        throw mountError(`opening ${o.image}`, e);
      }
      fds.push(imageFd);
    }
    if (o.expectedDigest !== undefined) {
      let measured: { algorithm: HashName; digest: Buffer };
      try {
        measured = measureVerity(imageFd);
      } catch (e) {
        if (isSysError(e, VERITY_ABSENT)) throw new ImageVerityError(`Image has no fs-verity (${e.code})`);
        throw mountError(`measuring ${o.imageLabel}`, e);
      }
      const found = `${measured.algorithm}:${measured.digest.toString('hex')}`;
      const expected = `${o.expectedDigest.hash}:${o.expectedDigest.hex.toLowerCase()}`;
      if (found !== expected) throw new ImageVerityError(`Image has wrong fs-verity: expected ${expected}, found ${found}`);
    }
    const dataDirs = o.basedirs.map((b) => {
      const fd = openDirPath(b, 'object directory');
      fds.push(fd);
      return { fd, label: b };
    });
    let upper;
    if (o.upperdir !== undefined && o.workdir !== undefined) {
      const u = openDirPath(o.upperdir, 'upperdir');
      fds.push(u);
      const w = openDirPath(o.workdir, 'workdir');
      fds.push(w);
      upper = { upper: { fd: u, detached: false, label: o.upperdir }, work: { fd: w, detached: false, label: o.workdir } };
    }
    let idmapFd: number | undefined;
    if (o.idmap !== undefined) {
      try {
        idmapFd = fs.openSync(o.idmap, fs.constants.O_RDONLY | fs.constants.O_NOCTTY);
      } catch (e) {
        throw new MountError('idmap', `Failed to open userns ${o.idmap}: ${(e as Error).message}`);
      }
      fds.push(idmapFd);
    }
    const m = mountComposefs({
      imageFd,
      imageLabel: o.imageLabel,
      dataDirs,
      verity: o.expectedDigest !== undefined ? 'require' : o.verity,
      source: o.source,
      readOnly: o.readOnly,
      ...(upper !== undefined ? { upper } : {}),
      ...(idmapFd !== undefined ? { idmapFd } : {}),
    });
    try {
      moveMount(m.fd, '', constants.AT_FDCWD, o.mountpoint, constants.MOVE_MOUNT_F_EMPTY_PATH);
    } catch (e) {
      throw mountError(`attaching the composefs mount to ${o.mountpoint}`, e);
    } finally {
      close(m.fd);
    }
    return m;
  } finally {
    for (const fd of fds) close(fd);
  }
}
