/**
 * `composefs-setup-root` (boot.md §3): inside the initramfs, after the physical root is mounted on
 * /sysroot, mount the composefs image named on the kernel command line (verified by fs-verity)
 * and put it in place of /sysroot, with the physical root at /sysroot/sysroot and the
 * deployment's /etc and /var state attached.
 *
 * Order of work: everything that can be checked is checked before anything is mounted (karg,
 * config, sysroot, repository, meta.json, image digest, state directories); then the tree is
 * assembled — floating (detached, swapped in at the end, kernel ≥ 6.15) or mount-first (stacked on
 * /sysroot, older kernels), whichever the kernel accepts. Any failure unwinds every mount made, so
 * /proc/self/mountinfo is as before; a re-run after success says so and does nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CmdlineError, parseSetupRootKargs, type ComposefsKarg } from '../cmdline/index.js';
import {
  mountComposefs, MountError, kernelPath, mountOverlay, readMountinfo, topMountAt, composefsSourceDigest, Unwinder,
} from '../mount/index.js';
import {
  close, constants, mkdirat, mountSetattr, moveMount, openat, openTree, statx, umount2,
} from '../sys/index.js';
import { isSysError } from '../sys/errors.js';
import { formatAlgorithmId } from '../verity/algorithm.js';
import { ChooseError, chooseImage, type ChosenImage } from './choose.js';
import { ConfigError, loadConfig, type SetupRootConfig } from './config.js';
import type { BootLog } from './log.js';
import { readStatus, StatusRecorder, type StatusKarg } from './status.js';
import { BootFailure, fail } from './failure.js';
import { cleanupLeftovers, wholeRoot } from './rerun.js';
import { dropTempMounts, mountStateDir, O_DIR_PATH, openState, transientTmpfs, type Assembly, type Undo } from './state-mounts.js';

export interface SetupRootOptions {
  sysroot: string;
  config: string;
  /** Instead of /proc/cmdline. */
  cmdline?: string;
  /** Testing: clone this tree instead of mounting an image (no repository, no verity). */
  rootFs?: string;
  /** Mount the result here instead of replacing the sysroot (bootc's `--target`). */
  target?: string;
  /** status.json path; undefined: none. */
  statusFile?: string;
}

/** The karg as written on the command line (for messages and status). */
export function kargText(k: ComposefsKarg): string {
  const q = k.insecure ? '?' : '';
  return k.key === 'composefs' ? `composefs=${q}${k.hex}` : `composefs.digest=${q}v${k.version ?? 1}-${k.hash}-12:${k.hex}`;
}

function mountIdOf(dirfd: number, p: string, flags = 0): number {
  return statx(dirfd, p, flags, constants.STATX_MNT_ID).mntId;
}

function isMountPoint(fd: number): boolean {
  const st = statx(fd, '', constants.AT_EMPTY_PATH, constants.STATX_BASIC_STATS);
  if ((st.attributesMask & constants.STATX_ATTR_MOUNT_ROOT) !== 0) return (st.attributes & constants.STATX_ATTR_MOUNT_ROOT) !== 0;
  // very old kernels: compare with the parent's device
  const parent = statx(fd, '..', 0, constants.STATX_BASIC_STATS);
  return parent.devMajor !== st.devMajor || parent.devMinor !== st.devMinor || parent.ino === st.ino;
}

/** Step A: the gpt-auto `volatile-root` link (systemd#35017); best effort, as upstream. */
function gptAutoLink(rec: StatusRecorder): void {
  try {
    const st = fs.statSync('/dev/gpt-auto-root');
    const target = `/dev/block/${Math.floor(st.rdev / 256) & 0xfff}:${(st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00)}`;
    try {
      fs.symlinkSync(target, '/run/systemd/volatile-root');
      rec.doc.mounts.push({ path: '/run/systemd/volatile-root', what: `symlink to ${target}` });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  } catch {
    // ENOENT (no gpt-auto root) and any other failure are ignored, as composefs-rs does
  }
}

/** Step E with status and log lines. */
function chooseWithStatus(kargs: ComposefsKarg[], sysroot: string, rec: StatusRecorder, log: BootLog): ChosenImage {
  // "not found, trying the next karg" is said only once a later karg is mounted: a refused boot
  // stays one line (its message lists every digest tried; status.json has each karg's outcome)
  const notFound: string[] = [];
  try {
    return chooseImage(kargs, sysroot, (r) => {
      const entry = rec.doc.kargs.find((k) => k.hex === r.karg.hex && k.outcome === 'not-tried');
      if (entry !== undefined) {
        entry.outcome = r.outcome;
        if (r.outcome !== 'mounted') entry.detail = r.detail;
      }
      if (r.outcome === 'not-found') notFound.push(`image ${r.karg.hex} not found (${r.detail}), trying next karg`);
      if (r.outcome === 'mounted') {
        for (const line of notFound) log.warn(line);
        rec.doc.repository = { path: path.join(sysroot, 'composefs'), algorithm: `fsverity-${r.karg.hash}-12`, metaVerity: false };
      }
    });
  } catch (e) {
    if (e instanceof ChooseError) throw new BootFailure(e.step, e.message);
    throw e;
  }
}

function describeVerity(verity: boolean): string {
  return verity ? 'verity=require' : 'no verity (insecure karg, image without fs-verity)';
}

/**
 * Runs the whole sequence. Returns the exit status (0 success or already in place, 1 failure);
 * every outcome is logged as one line and recorded in the status file.
 */
export function setupRoot(o: SetupRootOptions, log: BootLog): number {
  const sysroot = path.resolve(o.sysroot);
  const target = path.resolve(o.target ?? o.sysroot);
  const replacing = o.target === undefined;
  const rec = new StatusRecorder(o.statusFile, sysroot, target);
  if (o.rootFs !== undefined) rec.doc.rootFs = o.rootFs;
  // mounts: undone on failure; resources (fds, the repository lock): released either way
  const u: Undo = { mounts: new Unwinder(), resources: new Unwinder() };
  let result = 1;
  try {
    const outcome = run(o, sysroot, target, replacing, rec, u, log);
    u.mounts.release();
    rec.finish(outcome);
    result = 0;
  } catch (e) {
    const failure = e instanceof BootFailure ? e : e instanceof MountError ? new BootFailure('mount', e.message) : fail('internal', e);
    const cleanup = [...u.mounts.unwind(), ...u.resources.unwind()];
    rec.doc.mounts = [];
    if (cleanup.length > 0) rec.doc.cleanup = [...(rec.doc.cleanup ?? []), ...cleanup.map((c) => `FAILED: ${c}`)];
    rec.finish('failed', { step: failure.step, message: failure.message });
    log.error(`boot failed, nothing mounted: ${failure.message}`);
    for (const c of cleanup) log.error(`cleanup failed: ${c}`);
  }
  const released = u.resources.unwind();
  for (const c of released) log.warn(`releasing: ${c}`);
  const k = kernelPath();
  if (rec.doc.kernel !== undefined && rec.doc.result !== 'already-mounted') {
    rec.doc.kernel.fallbacks = [...k.fallbacks];
  }
  const w = rec.write();
  if (w !== undefined) log.warn(w);
  return result;
}

function run(o: SetupRootOptions, sysroot: string, target: string, replacing: boolean, rec: StatusRecorder, u: Undo, log: BootLog): 'ok' | 'already-mounted' {
  // A. gpt-auto link
  gptAutoLink(rec);
  // B. configuration
  let config: SetupRootConfig;
  try {
    const c = loadConfig(o.config);
    config = c.config;
    rec.doc.config = { file: o.config, found: c.found, root: c.config.root, etc: c.config.etc, var: c.config.var };
  } catch (e) {
    throw fail('config', e instanceof ConfigError ? e : e, 'reading the configuration');
  }
  rec.step('config');
  // D. kernel command line
  let cmdline: string;
  try {
    cmdline = o.cmdline ?? fs.readFileSync('/proc/cmdline', 'utf8');
  } catch (e) {
    throw fail('cmdline', e, 'reading /proc/cmdline');
  }
  rec.doc.cmdline = cmdline.trim();
  let kargs: ComposefsKarg[];
  try {
    kargs = parseSetupRootKargs(cmdline);
  } catch (e) {
    const text = e instanceof CmdlineError ? e.chain.join(': ') : (e as Error).message;
    throw new BootFailure('cmdline', `kernel command line: ${text}`);
  }
  rec.doc.kargs = kargs.map((k): StatusKarg => ({ arg: kargText(k), hex: k.hex, insecure: k.insecure, outcome: 'not-tried' }));
  rec.step('cmdline');

  // already in place? (re-run in the emergency shell, or after a partial run)
  const mounts = readMountinfo();
  const top = topMountAt(mounts, target);
  const topDigest = top === undefined ? undefined : composefsSourceDigest(top.source);
  if (top !== undefined && topDigest !== undefined) {
    let previous;
    try {
      previous = o.statusFile !== undefined ? readStatus(o.statusFile) : undefined;
    } catch {
      previous = undefined;
    }
    const named = kargs.some((k) => k.hex === topDigest);
    if (named && previous !== undefined && (previous.result === 'ok' || previous.result === 'already-mounted') && previous.rootMountId === top.id) {
      Object.assign(rec.doc, { ...previous, steps: rec.doc.steps, started: rec.doc.started });
      rec.doc.rootMountId = top.id;
      log.info(`the composefs root is already in place: ${top.source} on ${target} (mount ${top.id}); nothing to do`);
      return 'already-mounted';
    }
    if (wholeRoot(target, top, config, mounts) !== undefined) {
      // no physical root below it: detaching it would lose the only handle on the physical root
      // (the floating assembly attaches only a finished tree), so never unwind it
      if (named) {
        rec.doc.rootMountId = top.id;
        log.info(`the composefs root is already in place: ${top.source} on ${target} (mount ${top.id}, no earlier status record); nothing to do`);
        return 'already-mounted';
      }
      if (replacing) {
        throw new BootFailure('sysroot', `${target} already holds the composefs root ${top.source} (mount ${top.id}) and no physical root below it; the command line names ${kargs.map((k) => k.hex).join(', ')}: not replacing it`);
      }
    }
    rec.doc.cleanup = cleanupLeftovers(target, log, mounts);
  } else {
    const stale = cleanupLeftovers(target, log, mounts);
    if (stale.length > 0) rec.doc.cleanup = stale;
  }

  // C. sysroot
  let sysrootFd: number;
  try {
    sysrootFd = openat(constants.AT_FDCWD, sysroot, O_DIR_PATH());
  } catch (e) {
    throw fail('sysroot', e, `opening the sysroot ${sysroot}`);
  }
  u.resources.push('sysroot fd', () => close(sysrootFd));
  if (replacing && !isMountPoint(sysrootFd)) {
    throw new BootFailure('sysroot', `${sysroot} is not a mount point: the physical root filesystem must be mounted there first`);
  }
  rec.step('sysroot');

  // E. the image (or the --root-fs tree), checked before anything is mounted
  let chosen: ChosenImage | undefined;
  let hex: string;
  if (o.rootFs === undefined) {
    chosen = chooseWithStatus(kargs, sysroot, rec, log);
    rec.doc.repository!.metaVerity = chosen.repo.metaVerity;
    rec.doc.repository!.algorithm = formatAlgorithmId(chosen.repo.algorithm);
    const c = chosen;
    u.resources.push('repository', () => {
      close(c.imageFd);
      c.repo.close();
    });
    hex = chosen.karg.hex;
    rec.doc.image = { hex, path: chosen.imagePath, verity: chosen.verity ? 'require' : 'off' };
  } else {
    hex = kargs[0]!.hex;
    rec.doc.kargs[0]!.outcome = 'mounted';
    rec.doc.kargs[0]!.detail = `--root-fs ${o.rootFs} (no image, no verity)`;
  }
  rec.step('image');
  const statePath = path.join(sysroot, 'state/deploy', hex);
  const stateFd = openState(sysrootFd, sysroot, hex, config);
  u.resources.push('state fd', () => close(stateFd));
  rec.step('state');

  // mount the composefs root (detached)
  const kernel = rec.kernel();
  let rootFd: number;
  let floating: boolean;
  const source = `composefs:${hex}`;
  if (chosen !== undefined) {
    let objectsFd: number;
    try {
      try {
        objectsFd = openat(chosen.repo.fd, 'objects', O_DIR_PATH());
      } catch (e) {
        if (!isSysError(e, 'ENOENT')) throw e;
        mkdirat(chosen.repo.fd, 'objects', 0o777);
        objectsFd = openat(chosen.repo.fd, 'objects', O_DIR_PATH());
      }
    } catch (e) {
      throw fail('repository', e, `opening ${path.join(sysroot, 'composefs/objects')}`);
    }
    const ofd = objectsFd;
    u.resources.push('objects fd', () => close(ofd));
    let m;
    try {
      m = mountComposefs({
        imageFd: chosen.imageFd,
        imageLabel: chosen.imagePath,
        dataDirs: [{ fd: objectsFd, label: path.join(sysroot, 'composefs/objects') }],
        verity: chosen.verity ? 'require' : 'off',
        source,
        readOnly: true,
      });
    } catch (e) {
      throw fail('mount', e);
    }
    rootFd = m.fd;
    floating = m.floating;
    rec.doc.image!.formatVersion = m.formatVersion;
    kernel.erofs = m.erofs.via;
    if (m.erofs.loopDevice !== undefined) kernel.loopDevice = m.erofs.loopDevice;
    kernel.layers = m.overlay.strategy;
    kernel.messages.push(...m.erofs.messages, ...m.overlay.messages);
  } else {
    try {
      rootFd = openTree(constants.AT_FDCWD, o.rootFs!, constants.OPEN_TREE_CLONE);
      mountSetattr(rootFd, '', constants.AT_EMPTY_PATH, { attrSet: constants.MOUNT_ATTR_RDONLY });
    } catch (e) {
      throw fail('mount', e, `cloning --root-fs ${o.rootFs}`);
    }
    floating = false;
  }
  const rfd = rootFd;
  u.resources.push('composefs root fd', () => close(rfd));
  kernel.assembly = floating ? 'floating' : 'mount-first';
  rec.step('mount-image');

  const a: Assembly = { floating, unwind: new Unwinder(), rec };
  u.mounts.push('temporary mounts', () => {
    const f = a.unwind.unwind();
    if (f.length > 0) throw new Error(f.join('; '));
  });

  // G. mount-first: stack the composefs root on the target now
  if (!floating) {
    try {
      moveMount(rootFd, '', constants.AT_FDCWD, target, constants.MOVE_MOUNT_F_EMPTY_PATH);
    } catch (e) {
      throw fail('mount', e, `attaching the composefs root to ${target}`);
    }
    const id = mountIdOf(rootFd, '', constants.AT_EMPTY_PATH);
    u.mounts.push(`composefs root on ${target}`, () => {
      const now = topMountAt(readMountinfo(), target);
      if (now !== undefined && (now.id === id || now.parent === id || composefsSourceDigest(now.source) === hex)) {
        // lazily detaches the root and everything mounted on it
        umount2(target, constants.MNT_DETACH);
        const again = topMountAt(readMountinfo(), target);
        if (again !== undefined && again.id === id) umount2(target, constants.MNT_DETACH);
      }
    });
  }
  rec.doc.mounts.push({ path: '/', what: chosen !== undefined ? `${source}: EROFS ${chosen.imagePath} + objects, ${describeVerity(chosen.verity)}, read-only` : `${source}: clone of ${o.rootFs}, read-only` });

  // H. transient root, with bootc's visible-root fix
  let visibleFd = rootFd;
  if (config.root.transient) {
    const layers = transientTmpfs(a, '/');
    let ovl;
    try {
      ovl = mountOverlay({
        source: `transient:composefs=${hex}`,
        lower: [{ fd: rootFd, detached: floating, label: 'the composefs root' }],
        upper: layers,
        readOnly: false,
      }, 'mounting the transient root overlay');
    } catch (e) {
      throw fail('mount', e);
    }
    try {
      moveMount(ovl.fd, '', rootFd, '.', constants.MOVE_MOUNT_F_EMPTY_PATH);
    } catch (e) {
      close(ovl.fd);
      throw fail('mount', e, 'attaching the transient root overlay');
    }
    visibleFd = ovl.fd;
    u.resources.push('transient root fd', () => close(ovl.fd));
    dropTempMounts(a);
    rec.doc.mounts.push({ path: '/', what: `transient:composefs=${hex}: overlay on a fresh tmpfs over the composefs root` });
  }

  // I. the physical root at /sysroot inside the new root (read-only clone, not recursive)
  let clone: number;
  try {
    clone = openTree(sysrootFd, '', constants.OPEN_TREE_CLONE | constants.AT_EMPTY_PATH);
    mountSetattr(clone, '', constants.AT_EMPTY_PATH, { attrSet: constants.MOUNT_ATTR_RDONLY });
  } catch (e) {
    throw fail('mount', e, `cloning the physical root ${sysroot}`);
  }
  try {
    moveMount(clone, '', visibleFd, 'sysroot', constants.MOVE_MOUNT_F_EMPTY_PATH);
    rec.doc.mounts.push({ path: '/sysroot', what: `read-only clone of the physical root (${sysroot})` });
  } catch (e) {
    if (!isSysError(e, 'ENOENT')) throw fail('mount', e, 'attaching the physical root at /sysroot of the new root');
    log.warn('the image has no /sysroot directory; the physical root is not reachable from the new root');
  } finally {
    close(clone);
  }
  rec.step('sysroot-clone');

  // K. /etc, then /var
  mountStateDir(a, visibleFd, rootFd, stateFd, statePath, 'etc', config.etc);
  mountStateDir(a, visibleFd, rootFd, stateFd, statePath, 'var', config.var);
  rec.step('state-mounts');

  // L. floating: swap the finished tree in
  if (floating) {
    if (replacing) {
      let rescue: number;
      try {
        rescue = openTree(sysrootFd, '', constants.OPEN_TREE_CLONE | constants.AT_EMPTY_PATH);
      } catch (e) {
        throw fail('mount', e, `keeping a handle on ${sysroot}`);
      }
      try {
        umount2(sysroot, constants.MNT_DETACH);
      } catch (e) {
        close(rescue);
        throw fail('mount', e, `detaching the physical root from ${sysroot}`);
      }
      try {
        moveMount(rootFd, '', constants.AT_FDCWD, sysroot, constants.MOVE_MOUNT_F_EMPTY_PATH);
      } catch (e) {
        // put the physical root back where it was
        try {
          moveMount(rescue, '', constants.AT_FDCWD, sysroot, constants.MOVE_MOUNT_F_EMPTY_PATH);
        } catch (e2) {
          throw fail('mount', e, `moving the composefs root to ${sysroot} (and restoring the physical root failed too: ${(e2 as Error).message})`);
        }
        throw fail('mount', e, `moving the composefs root to ${sysroot}`);
      } finally {
        close(rescue);
      }
    } else {
      try {
        moveMount(rootFd, '', constants.AT_FDCWD, target, constants.MOVE_MOUNT_F_EMPTY_PATH);
      } catch (e) {
        throw fail('mount', e, `moving the composefs root to ${target}`);
      }
    }
  }
  rec.step('attach');
  const topNow = topMountAt(readMountinfo(), target);
  if (topNow !== undefined) rec.doc.rootMountId = topNow.id;
  const how = [
    chosen !== undefined ? describeVerity(chosen.verity) : 'no verity (--root-fs)',
    kernel.erofs !== undefined ? `EROFS ${kernel.erofs === 'loop' ? `on ${kernel.loopDevice ?? 'a loop device'}` : 'file-backed'}` : undefined,
    kernel.layers !== undefined ? `layers ${kernel.layers}` : undefined,
    floating ? 'floating assembly' : 'mount-first assembly',
  ].filter((x) => x !== undefined).join(', ');
  log.info(`mounted ${source} on ${target} (${how}) in ${Math.round(rec.doc.steps.reduce((s, x) => s + x.ms, 0))} ms`);
  return 'ok';
}
