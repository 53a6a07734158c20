/**
 * A read-only loop device over an image fd (boot.md §3.5), for kernels whose EROFS cannot mount a
 * regular file: LOOP_CTL_GET_FREE, then LOOP_CONFIGURE (read-only, autoclear, direct I/O,
 * 4096-byte blocks). Autoclear detaches the device when the last mount of it goes away.
 */
import { close, constants, loopConfigure, loopCtlGetFree, openat } from '../sys/index.js';
import { isSysError } from '../sys/errors.js';
import { mountError } from './errors.js';

export interface LoopDevice {
  fd: number;
  path: string;
}

const ATTEMPTS = 8;

/** Attaches `imageFd` to a free loop device; `label` names the image in errors. */
export function attachLoop(imageFd: number, label: string): LoopDevice {
  for (let attempt = 1; ; attempt++) {
    let n: number;
    try {
      const ctl = openat(constants.AT_FDCWD, '/dev/loop-control', constants.O_RDWR);
      try {
        n = loopCtlGetFree(ctl);
      } finally {
        close(ctl);
      }
    } catch (e) {
      throw mountError(`setting up a loop device for ${label}`, e);
    }
    const path = `/dev/loop${n}`;
    let fd: number;
    try {
      fd = openat(constants.AT_FDCWD, path, constants.O_RDWR);
    } catch (e) {
      throw mountError(`opening ${path} for ${label}`, e);
    }
    try {
      loopConfigure(fd, imageFd, {
        readOnly: true, autoclear: true, directIo: true, blockSize: 4096, fileName: label.slice(-63),
      });
      return { fd, path };
    } catch (e) {
      close(fd);
      // another process took the device between GET_FREE and CONFIGURE: take the next one
      if (isSysError(e, 'EBUSY') && attempt < ATTEMPTS) continue;
      throw mountError(`attaching ${label} to ${path}`, e);
    }
  }
}
