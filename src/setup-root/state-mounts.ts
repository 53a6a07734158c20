/**
 * The deployment state (boot.md §3.3 J–K, §3.6): `state/deploy/<hex>` opened and checked before
 * anything is mounted, then /etc and /var mounted per the configuration (bind, overlay with
 * upper/work in the state directory, or transient on a fresh tmpfs).
 */
import * as path from 'node:path';
import { attachToTempDir, FsContext, mountOverlay, type Layer, type Unwinder } from '../mount/index.js';
import { close, constants, mkdirat, moveMount, openat, openTree } from '../sys/index.js';
import { isSysError } from '../sys/errors.js';
import type { MountType, SetupRootConfig } from './config.js';
import { BootFailure, fail } from './failure.js';
import type { StatusRecorder } from './status.js';

export const O_DIR_PATH = (): number => constants.O_PATH | constants.O_DIRECTORY;

/** Opens `state/deploy/<hex>` and checks the subdirectories the configuration will use. */
export function openState(sysrootFd: number, sysroot: string, hex: string, config: SetupRootConfig): number {
  const rel = `state/deploy/${hex}`;
  let fd: number;
  try {
    fd = openat(sysrootFd, rel, O_DIR_PATH());
  } catch (e) {
    throw fail('state', e, `opening the state directory ${path.join(sysroot, rel)}`);
  }
  for (const d of ['etc', 'var'] as const) {
    const t: MountType = config[d];
    if (t !== 'bind' && t !== 'overlay') continue;
    try {
      close(openat(fd, d, O_DIR_PATH()));
    } catch (e) {
      close(fd);
      throw fail('state', e, `opening ${path.join(sysroot, rel, d)} (needed for the ${t} mount of /${d})`);
    }
  }
  return fd;
}

function mkdirExistOk(dirfd: number, name: string, mode: number, label: string): void {
  try {
    mkdirat(dirfd, name, mode);
  } catch (e) {
    if (!isSysError(e, 'EEXIST')) throw fail('state', e, `creating ${label}`);
  }
}

export interface Undo {
  mounts: Unwinder;
  resources: Unwinder;
}

export interface Assembly {
  floating: boolean;
  unwind: Unwinder;
  rec: StatusRecorder;
}

/** O_PATH fds of `upper` and `work` in `dirFd` as overlay layers of `what`, closed by `a.unwind`. */
function upperWorkLayers(a: Assembly, dirFd: number, what: string): { upper: Layer; work: Layer } {
  const upper = openat(dirFd, 'upper', O_DIR_PATH());
  const work = openat(dirFd, 'work', O_DIR_PATH());
  a.unwind.push(`fds of ${what} upper/work`, () => {
    close(upper);
    close(work);
  });
  return { upper: { fd: upper, detached: false, label: `${what} upper` }, work: { fd: work, detached: false, label: `${what} work` } };
}

/** A fresh tmpfs for transient upper/work dirs; attached to a temp dir unless floating. */
export function transientTmpfs(a: Assembly, what: string): { upper: Layer; work: Layer } {
  const ctx = new FsContext('tmpfs');
  let tfd: number;
  try {
    ctx.create();
    tfd = ctx.mount(false);
  } catch (e) {
    throw fail('mount', e, `creating the tmpfs for ${what}`);
  } finally {
    ctx.close();
  }
  a.unwind.push(`tmpfs fd for ${what}`, () => close(tfd));
  // older kernels cannot use directories inside a detached mount as overlay layers
  const dirFd = a.floating ? tfd : attachToTempDir(tfd, `the tmpfs for ${what}`, a.unwind);
  mkdirat(dirFd, 'upper', 0o755);
  mkdirat(dirFd, 'work', 0o700);
  return upperWorkLayers(a, dirFd, what);
}

/** Runs the unwind actions of temp mounts made for one overlay (the overlay keeps its layers). */
export function dropTempMounts(a: Assembly): void {
  const failures = a.unwind.unwind();
  if (failures.length > 0) throw new BootFailure('mount', `cleaning up temporary mounts: ${failures.join('; ')}`);
}

/**
 * Step K for one of /etc, /var: mounted on `d` of the visible root (`rootFd`). An overlay takes
 * its lower layer from `lowerRootFd`, the composefs root: below a transient root overlay the
 * visible /etc is itself on an overlay, and a third overlay level exceeds the kernel's stacking
 * limit (FILESYSTEM_MAX_STACK_DEPTH 2: "maximum fs stacking depth exceeded", EINVAL).
 */
export function mountStateDir(a: Assembly, rootFd: number, lowerRootFd: number, stateFd: number, statePath: string, d: 'etc' | 'var', type: MountType): void {
  if (type === 'none') return;
  const where = `/${d}`;
  if (type === 'bind') {
    let clone: number;
    try {
      clone = openTree(stateFd, d, constants.OPEN_TREE_CLONE);
    } catch (e) {
      throw fail('state', e, `cloning ${path.join(statePath, d)}`);
    }
    try {
      moveMount(clone, '', rootFd, d, constants.MOVE_MOUNT_F_EMPTY_PATH);
    } catch (e) {
      throw fail('mount', e, `bind-mounting ${path.join(statePath, d)} on ${where}`);
    } finally {
      close(clone);
    }
    a.rec.doc.mounts.push({ path: where, what: `bind of ${path.join(statePath, d)}` });
    return;
  }
  let base: number;
  let mountpoint: number;
  try {
    base = openat(lowerRootFd, d, O_DIR_PATH());
  } catch (e) {
    throw fail('mount', e, `opening ${where} of the composefs image`);
  }
  try {
    mountpoint = rootFd === lowerRootFd ? base : openat(rootFd, d, O_DIR_PATH());
  } catch (e) {
    close(base);
    throw fail('mount', e, `opening ${where} of the new root`);
  }
  try {
    let layers: { upper: Layer; work: Layer };
    let source: string;
    let what: string;
    if (type === 'overlay') {
      const st = openat(stateFd, d, O_DIR_PATH());
      try {
        mkdirExistOk(st, 'upper', 0o755, path.join(statePath, d, 'upper'));
        mkdirExistOk(st, 'work', 0o700, path.join(statePath, d, 'work'));
        layers = upperWorkLayers(a, st, where);
      } finally {
        close(st);
      }
      source = 'overlay';
      what = `overlay, upper ${path.join(statePath, d, 'upper')}`;
    } else {
      layers = transientTmpfs(a, where);
      source = 'transient';
      what = 'overlay on a fresh tmpfs (transient)';
    }
    let ovl;
    try {
      ovl = mountOverlay({ source, lower: [{ fd: base, detached: false, label: `${where} of the image` }], upper: layers, readOnly: false }, `mounting the ${where} overlay`);
    } catch (e) {
      throw fail('mount', e);
    }
    try {
      moveMount(ovl.fd, '', mountpoint, '.', constants.MOVE_MOUNT_F_EMPTY_PATH);
    } catch (e) {
      throw fail('mount', e, `attaching the ${where} overlay`);
    } finally {
      close(ovl.fd);
    }
    dropTempMounts(a);
    a.rec.doc.mounts.push({ path: where, what });
  } finally {
    close(base);
    if (mountpoint !== base) close(mountpoint);
  }
}

