/**
 * Inode order (breadth-first) and per-inode fix-ups (erofs.md §6.4, §6.6).
 */
import { S_IFDIR, S_IFMT, type ByteString, type Mtime } from '../../tree/node.js';
import { XATTR_POSIX_ACL_ACCESS, XATTR_POSIX_ACL_DEFAULT } from '../format.js';
import type { WNode } from './model.js';

export interface Ordered {
  /** Inodes in BFS order; `inodes[i].ino === i`. */
  inodes: WNode[];
  /** Per inode (by ino): its xattrs sorted by key. */
  xattrs: Array<Array<[ByteString, Buffer]>>;
  /** Minimum (sec, nsec) over all inodes: the superblock build_time. */
  minMtime: Mtime;
  /** Some inode has a POSIX ACL xattr. */
  hasAcl: boolean;
}

const NONE: Array<[ByteString, Buffer]> = [];
const byKey = (a: [ByteString, Buffer], b: [ByteString, Buffer]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export function bfsOrder(root: WNode): Ordered {
  const inodes: WNode[] = [root];
  const xattrs: Array<Array<[ByteString, Buffer]>> = [];
  let minSec = root.mtime.sec;
  let minNsec = root.mtime.nsec;
  let hasAcl = false;
  for (let i = 0; i < inodes.length; i++) {
    const n = inodes[i]!;
    n.ino = i;
    if (n.entries !== undefined) {
      let subdirs = 0;
      for (const e of n.entries) {
        if (e.isLink) continue;
        inodes.push(e.target);
        if ((e.target.mode & S_IFMT) === S_IFDIR) subdirs++;
      }
      n.nlink = 2 + subdirs;
    }
    if (n.xattrs.size === 0) xattrs.push(NONE);
    else {
      const list = [...n.xattrs.entries()];
      if (list.length > 1) list.sort(byKey);
      xattrs.push(list);
    }
    const { sec, nsec } = n.mtime;
    if (sec < minSec || (sec === minSec && nsec < minNsec)) {
      minSec = sec;
      minNsec = nsec;
    }
    if (!hasAcl && (n.xattrs.has(XATTR_POSIX_ACL_ACCESS) || n.xattrs.has(XATTR_POSIX_ACL_DEFAULT))) hasAcl = true;
  }
  return { inodes, xattrs, minMtime: { sec: minSec, nsec: minNsec }, hasAcl };
}
