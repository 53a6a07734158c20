/**
 * Re-runs of setup-root (people re-run it from the emergency shell): what an interrupted run left
 * behind, and whether a composefs root on the target is a finished one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { composefsSourceDigest, mountsUnder, readMountinfo, TEMP_PREFIX, tempBase, topMountAt, type MountEntry } from '../mount/index.js';
import { constants, umount2 } from '../sys/index.js';
import type { SetupRootConfig } from './config.js';
import type { BootLog } from './log.js';

/**
 * Detaches what an earlier, interrupted run left: composefs mounts on `target`, temp layer mounts.
 * `entries` is the mount table as the caller read it; it is read again only after a change.
 */
export function cleanupLeftovers(target: string, log: BootLog, entries: readonly MountEntry[]): string[] {
  const done: string[] = [];
  let now = entries;
  for (let i = 0; i < 16; i++) {
    const top = topMountAt(now, target);
    if (top === undefined || composefsSourceDigest(top.source) === undefined) break;
    umount2(target, constants.MNT_DETACH);
    done.push(`detached ${top.source} from ${target} (mount ${top.id})`);
    now = readMountinfo();
  }
  const base = tempBase();
  const detached = new Set<string>();
  for (const m of mountsUnder(now, base)) {
    if (path.dirname(m.mountPoint) === base && path.basename(m.mountPoint).startsWith(TEMP_PREFIX)) {
      umount2(m.mountPoint, constants.MNT_DETACH);
      done.push(`detached stale layer mount ${m.mountPoint}`);
      detached.add(m.mountPoint);
    }
  }
  // only the directories detached here: rmdir(2) of a directory that is a mount point in another
  // mount namespace succeeds and detaches that mount there (Linux ≥ 3.18), which would break a
  // run in progress elsewhere; an unmounted leftover directory is harmless
  for (const dir of detached) {
    try {
      fs.rmdirSync(dir);
      done.push(`removed ${dir}`);
    } catch {
      // stacked twice or not empty: leave it
    }
  }
  for (const d of done) log.warn(`cleaning up an earlier run: ${d}`);
  return done;
}

/**
 * `top` (a composefs mount on `target`) when it was attached as a finished tree: no physical root
 * mount below it at the same mount point, and the mounts the configuration makes are present on
 * it. A mount-first run stacks on the physical root, so it never qualifies (and is safe to unwind).
 */
export function wholeRoot(target: string, top: MountEntry, config: SetupRootConfig, entries: readonly MountEntry[]): MountEntry | undefined {
  const byId = new Map(entries.map((e) => [e.id, e]));
  let bottom = top;
  for (let p = byId.get(bottom.parent); p !== undefined && p.mountPoint === target; p = byId.get(p.parent)) bottom = p;
  if (composefsSourceDigest(bottom.source) === undefined) return undefined;
  const wanted = ['sysroot', ...(['etc', 'var'] as const).filter((d) => config[d] !== 'none')];
  for (const d of wanted) {
    if (!entries.some((e) => e.mountPoint === path.join(target, d) && e.parent === top.id)) return undefined;
  }
  return top;
}
