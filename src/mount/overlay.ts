/**
 * Overlay mounts with the layer-passing strategy chosen at run time (boot.md §3.9–3.10), newest
 * kernel interface first:
 *
 *   fd               `lowerdir+`/`datadir+`/`upperdir`/`workdir` as fds (FSCONFIG_SET_FD), a detached
 *                    EROFS mount used directly (≥ 6.15);
 *   proc-fd          detached layers attached to private temp dirs, every layer passed as a
 *                    `/proc/self/fd/N` string to `lowerdir+`/`datadir+` (≥ 6.7);
 *   lowerdir-string  one `lowerdir=A::B` string (data-only layers after `::`, ≥ 6.5);
 *   legacy           mount(2) with an option string, when overlayfs still uses the legacy parser.
 *
 * A strategy that fails with the errno an older kernel gives (EINVAL/EBADF) falls through to the
 * next; the first that works is remembered for the rest of the process. The result is always a
 * detached mount fd; temp mount points are unmounted and removed before returning (the overlay
 * keeps its layers alive), and on failure everything created is unwound.
 */
import * as fs from 'node:fs';
import {
  close, constants, mount as mount2, openTree, umount2,
} from '../sys/index.js';
import {
  LAYER_STRATEGIES, kernelPath, simulatedError, simulatedMissing, type LayerStrategy,
} from './compat.js';
import { MountError, hasErrno, mountError } from './errors.js';
import { FsContext } from './fs-context.js';
import { attachToTempDir, makeTempMountpoint } from './tempdir.js';
import { Unwinder } from './unwind.js';

export interface Layer {
  /** A detached mount fd (`detached`), or an O_PATH/O_RDONLY directory fd. */
  fd: number;
  detached: boolean;
  /** For messages. */
  label: string;
}

export interface OverlaySpec {
  /** Mount source shown in mountinfo (`composefs:<hex>`, `overlay`, `transient`). */
  source: string;
  /** Lower layers, topmost first. */
  lower: Layer[];
  /** Data-only lower layers (composefs objects). */
  data?: Layer[];
  upper?: { upper: Layer; work: Layer };
  /** composefs: metacopy=on and redirect_dir=on. */
  composefs?: boolean;
  /** `require`: verity=require (error if unsupported); `try`: set it if the kernel knows it. */
  verity?: 'require' | 'try';
  readOnly: boolean;
}

export interface OverlayMount {
  fd: number;
  strategy: LayerStrategy;
  messages: string[];
  /** The overlay options as the kernel got them (for status and messages). */
  options: string[];
}

/** Signals "this kernel lacks the interface; try the next strategy". */
class Fallback extends Error {
  constructor(readonly original: unknown) {
    super((original as Error)?.message ?? String(original));
  }
}

const FALLBACK_ERRNOS = ['EINVAL', 'EBADF'];

/** A layer as a path string, attaching a detached mount to a private temp dir when needed. */
class PathLayers {
  private readonly attached = new Map<number, number>();
  constructor(private readonly unwind: Unwinder) {}

  path(layer: Layer): string {
    if (!layer.detached) return `/proc/self/fd/${layer.fd}`;
    let fd = this.attached.get(layer.fd);
    if (fd === undefined) {
      fd = attachToTempDir(layer.fd, layer.label, this.unwind);
      this.attached.set(layer.fd, fd);
    }
    return `/proc/self/fd/${fd}`;
  }
}

function composefsOptions(spec: OverlaySpec): Array<[string, string]> {
  return spec.composefs === true ? [['metacopy', 'on'], ['redirect_dir', 'on']] : [];
}

/** New mount API, with the given way of passing layers. */
function viaFsContext(spec: OverlaySpec, strategy: Exclude<LayerStrategy, 'legacy'>, paths: PathLayers, options: string[]): { fd: number; messages: string[] } {
  const ctx = new FsContext('overlay');
  const set = (key: string, value: string, fallbackOk: boolean): void => {
    options.push(`${key}=${value}`);
    try {
      ctx.setString(key, value, fallbackOk && strategy === 'proc-fd' ? 'overlay-lowerdir-plus' : undefined);
    } catch (e) {
      if (fallbackOk && hasErrno(e, FALLBACK_ERRNOS)) throw new Fallback(e);
      throw e;
    }
  };
  const setFd = (key: string, layer: Layer): void => {
    options.push(`${key}=<fd ${layer.label}>`);
    try {
      ctx.setFd(key, layer.fd, 'overlay-fd-layers');
    } catch (e) {
      if (hasErrno(e, FALLBACK_ERRNOS)) throw new Fallback(e);
      throw e;
    }
  };
  try {
    // an overlayfs still on the legacy option parser accepts any key (C's probe)
    let legacyParser = simulatedMissing().has('overlay-new-api');
    if (!legacyParser) {
      try {
        ctx.setString('unsupported', 'unsupported');
        legacyParser = true;
      } catch {
        legacyParser = false;
      }
    }
    if (legacyParser) {
      throw new Fallback(simulatedMissing().has('overlay-new-api')
        ? simulatedError('overlay-new-api', 'fsconfig', 'overlay, "unsupported"="unsupported"')
        : new Error('overlayfs accepts unknown options: it still uses the legacy option parser'));
    }
    set('source', spec.source, false);
    for (const [k, v] of composefsOptions(spec)) set(k, v, false);
    if (spec.verity !== undefined) {
      try {
        set('verity', spec.verity === 'require' ? 'require' : 'on', false);
      } catch (e) {
        if (spec.verity === 'require') {
          throw mountError('overlayfs refused verity=require (fs-verity checking of lower files needs Linux ≥ 6.6)', e);
        }
        options.pop();
      }
    }
    if (strategy === 'fd') {
      for (const l of spec.lower) setFd('lowerdir+', l);
      for (const l of spec.data ?? []) setFd('datadir+', l);
      if (spec.upper !== undefined) {
        setFd('upperdir', spec.upper.upper);
        setFd('workdir', spec.upper.work);
      }
    } else if (strategy === 'proc-fd') {
      for (const l of spec.lower) set('lowerdir+', paths.path(l), true);
      for (const l of spec.data ?? []) set('datadir+', paths.path(l), true);
      if (spec.upper !== undefined) {
        set('upperdir', paths.path(spec.upper.upper), true);
        set('workdir', paths.path(spec.upper.work), true);
      }
    } else {
      const lower = spec.lower.map((l) => paths.path(l)).join(':');
      const data = (spec.data ?? []).map((l) => paths.path(l));
      set('lowerdir', data.length > 0 ? `${lower}::${data.join('::')}` : lower, true);
      if (spec.upper !== undefined) {
        set('upperdir', paths.path(spec.upper.upper), false);
        set('workdir', paths.path(spec.upper.work), false);
      }
    }
    try {
      ctx.create();
    } catch (e) {
      // an fd layer the kernel cannot use yet shows up here ("failed to clone lowerpath");
      // with string layers an error here is about the layers themselves: report it
      if (strategy === 'fd' && hasErrno(e, FALLBACK_ERRNOS)) throw new Fallback(e);
      throw e;
    }
    return { fd: ctx.mount(spec.readOnly), messages: ctx.messages };
  } finally {
    ctx.close();
  }
}

function escapeLegacy(p: string): string {
  return p.replace(/\\/g, '\\\\').replace(/,/g, '\\,');
}

/** mount(2) onto a private temp dir, then a detached clone of it. */
function viaLegacy(spec: OverlaySpec, paths: PathLayers, unwind: Unwinder, options: string[]): { fd: number; messages: string[] } {
  const opts: string[] = [];
  if (spec.composefs === true) opts.push('metacopy=on', 'redirect_dir=on');
  const lower = spec.lower.map((l) => escapeLegacy(paths.path(l))).join(':');
  const data = (spec.data ?? []).map((l) => escapeLegacy(paths.path(l)));
  const lowerdir = data.length > 0 ? `${lower}::${data.join('::')}` : lower;
  opts.push(`lowerdir=${lowerdir}`);
  if (spec.upper !== undefined) opts.push(`upperdir=${escapeLegacy(paths.path(spec.upper.upper))}`, `workdir=${escapeLegacy(paths.path(spec.upper.work))}`);
  if (spec.verity === 'require') opts.push('verity=require');
  options.push(...opts);
  const target = makeTempMountpoint();
  unwind.push(`temp dir ${target}`, () => fs.rmdirSync(target));
  const flags = (spec.readOnly ? constants.MS_RDONLY : 0) | constants.MS_SILENT;
  mount2(spec.source, target, 'overlay', flags, opts.join(','));
  unwind.push(`temp mount ${target}`, () => umount2(target, constants.MNT_DETACH));
  const fd = openTree(constants.AT_FDCWD, target, constants.OPEN_TREE_CLONE);
  return { fd, messages: [] };
}

/**
 * Creates the overlay described by `spec` as a detached mount. `step` names it in errors.
 * `from` restricts the strategies (e.g. the floating assembly needs `fd`).
 */
export function mountOverlay(spec: OverlaySpec, step: string, allowed: readonly LayerStrategy[] = LAYER_STRATEGIES): OverlayMount {
  const learned = kernelPath();
  const start = learned.layers !== undefined ? LAYER_STRATEGIES.indexOf(learned.layers) : 0;
  const candidates = LAYER_STRATEGIES.slice(start).filter((s) => allowed.includes(s));
  let last: unknown;
  // layers attached to temp dirs stay attached across strategies (a mount can be attached once)
  const attachments = new Unwinder();
  const paths = new PathLayers(attachments);
  const finish = (): string[] => attachments.unwind();
  for (const strategy of candidates) {
    const unwind = new Unwinder();
    const options: string[] = [];
    try {
      const r = strategy === 'legacy' ? viaLegacy(spec, paths, unwind, options) : viaFsContext(spec, strategy, paths, options);
      // temp mount points go away now: the overlay holds its layers
      const failures = [...unwind.unwind(), ...finish()];
      if (failures.length > 0) {
        close(r.fd);
        throw new MountError(step, `${step}: cleaning up temporary layer mounts: ${failures.join('; ')}`);
      }
      learned.layers = strategy;
      return { fd: r.fd, strategy, messages: r.messages, options };
    } catch (e) {
      if (e instanceof MountError && e.step === step) throw e;
      const failures = unwind.unwind();
      const cause = e instanceof Fallback ? e.original : e;
      if (failures.length > 0 || !(e instanceof Fallback)) failures.push(...finish());
      if (failures.length > 0) {
        throw mountError(step, new Error(`${(cause as Error)?.message ?? String(cause)}; and cleaning up: ${failures.join('; ')}`));
      }
      if (!(e instanceof Fallback)) throw mountError(step, cause);
      learned.fallbacks.push(`overlay layers as ${strategy}: ${(cause as Error)?.message ?? String(cause)}`);
      last = cause;
    }
  }
  const failures = finish();
  if (failures.length > 0) throw mountError(step, new Error(`${(last as Error)?.message ?? String(last)}; and cleaning up: ${failures.join('; ')}`));
  if (last === undefined) throw new MountError(step, `${step}: no way to pass overlay layers is allowed here (${allowed.join(', ')})`);
  throw mountError(step, last);
}

