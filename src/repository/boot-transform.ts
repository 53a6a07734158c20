/**
 * `--bootable`: composefs-rs 0.9's boot transform of an imported tree
 * (crates/composefs-boot/src/lib.rs `transform_for_boot`, `transform_for_boot_from_dir`):
 *
 *  1. `/usr`, `/boot` and `/sysroot` must exist as directories (else `Directory entry "boot" does
 *     not exist` / `… is not a subdirectory`);
 *  2. `/boot` and `/sysroot` are emptied and take `/usr`'s mtime SECONDS (their own nanoseconds
 *     stay, as upstream sets only `st_mtim_sec`);
 *  3. SELinux labels from the tree's own policy (src/repository/selinux.ts).
 *
 * Upstream's `create-image --bootable` also collects the boot entries (BLS entries, UKIs,
 * `/usr/lib/modules/*\/vmlinuz`) before emptying `/boot`, only to discard them; that step can only
 * fail, never change the image, and is not done here.
 */
import { isDir, type Node } from '../tree/node.js';
import { ImportError } from './import-error.js';
import { selabel, type PolicySource } from './selinux.js';

export const REQUIRED_TOPLEVEL_TO_EMPTY_DIRS: readonly string[] = ['boot', 'sysroot'];

/** The top-level directory `name` of the tree, with upstream's errors when it is missing or not one. */
export function topDir(root: Node, name: string): Node {
  const d = root.children!.get(name);
  if (d === undefined) throw new ImportError(`Directory entry ${JSON.stringify(name)} does not exist`);
  if (!isDir(d)) throw new ImportError(`Directory entry ${JSON.stringify(name)} is not a subdirectory`);
  return d;
}

/** Rules 1–2 (`empty_toplevel_dirs`). */
export function emptyToplevelDirs(root: Node): void {
  const usr = topDir(root, 'usr');
  for (const name of REQUIRED_TOPLEVEL_TO_EMPTY_DIRS) {
    const d = topDir(root, name);
    d.mtime = { sec: usr.mtime.sec, nsec: d.mtime.nsec };
    d.children = new Map();
  }
}

/** The whole transform; returns true when a SELinux policy was applied. */
export function transformForBoot(root: Node, policy: PolicySource): boolean {
  emptyToplevelDirs(root);
  return selabel(root, policy);
}
