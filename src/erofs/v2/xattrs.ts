/**
 * V2 xattr planning (erofs.md §13.2): prefix table with `lustre.`, a (key, value) pair on more
 * than one inode is shared; the shared table is ascending by (prefix index, suffix bytes, value
 * bytes); each inode keeps its insertion order, its shared pairs becoming references (no 128 cap)
 * and the others inline. The name filter is the same as V1's (§5.3).
 */
import type { ByteString } from '../../tree/node.js';
import {
  XATTR_FILTER_SEED, XATTR_IBODY_HEADER_SIZE, XATTR_SHARED_ID_SIZE, splitXattrNameV2, xattrEntrySize,
} from '../format.js';
import { xxh32 } from '../xxh32.js';
import { V2Error, type V2Inode } from './model.js';

export interface V2XattrPair {
  readonly index: number;
  readonly suffix: ByteString;
  readonly value: Buffer;
  /** padded entry size */
  readonly entrySize: number;
  readonly filterBit: number;
  count: number;
  /** byte offset inside the shared table, or -1 if not shared */
  sharedOffset: number;
}

export interface V2InodeXattrs {
  /** shared references, in the inode's insertion order */
  readonly refs: V2XattrPair[];
  /** inline entries, in the inode's insertion order */
  readonly inline: V2XattrPair[];
  /** h_name_filter */
  readonly filter: number;
  /** xattr area size (0 without xattrs) */
  readonly size: number;
}

export interface V2XattrPlan {
  /** shared table in on-disk order */
  readonly shared: V2XattrPair[];
  readonly sharedSize: number;
  readonly perInode: V2InodeXattrs[];
}

const NONE: V2InodeXattrs = { refs: [], inline: [], filter: 0, size: 0 };

/** Shared-table order of composefs-rs V2: (index, suffix bytes, value bytes), ascending. */
export function compareSharedAsc(a: V2XattrPair, b: V2XattrPair): number {
  if (a.index !== b.index) return a.index - b.index;
  if (a.suffix !== b.suffix) return a.suffix < b.suffix ? -1 : 1;
  return Buffer.compare(a.value, b.value);
}

export function planXattrsV2(inodes: readonly V2Inode[]): V2XattrPlan {
  const pairs = new Map<string, V2XattrPair>();
  const split = new Map<ByteString, { index: number; suffix: ByteString; filterBit: number }>();
  const lists: V2XattrPair[][] = inodes.map((ino) => {
    const mine: V2XattrPair[] = [];
    for (const [key, value] of ino.xattrs) {
      let s = split.get(key);
      if (s === undefined) {
        const { index, suffix } = splitXattrNameV2(key);
        if (suffix.length > 255) throw new V2Error(`xattr ${JSON.stringify(key)}: name too long once stored`);
        s = { index, suffix, filterBit: 1 << (xxh32(suffix, (XATTR_FILTER_SEED + index) >>> 0) & 31) };
        split.set(key, s);
      }
      if (value.length > 0xffff) throw new V2Error(`xattr ${JSON.stringify(key)}: value of ${value.length} bytes > 65535`);
      // the value is last, so this key is unambiguous (suffixes contain no NUL)
      const id = `${String.fromCharCode(s.index)}${s.suffix}\0${value.toString('latin1')}`;
      let p = pairs.get(id);
      if (p === undefined) {
        p = {
          index: s.index, suffix: s.suffix, value, entrySize: xattrEntrySize(s.suffix.length, value.length),
          filterBit: s.filterBit, count: 0, sharedOffset: -1,
        };
        pairs.set(id, p);
      }
      p.count++;
      mine.push(p);
    }
    return mine;
  });

  const shared = [...pairs.values()].filter((p) => p.count > 1).sort(compareSharedAsc);
  let sharedSize = 0;
  for (const p of shared) {
    p.sharedOffset = sharedSize;
    sharedSize += p.entrySize;
  }

  const perInode = lists.map((mine): V2InodeXattrs => {
    if (mine.length === 0) return NONE;
    const refs: V2XattrPair[] = [];
    const inline: V2XattrPair[] = [];
    let bits = 0;
    let size = XATTR_IBODY_HEADER_SIZE;
    for (const p of mine) {
      bits |= p.filterBit;
      if (p.sharedOffset >= 0) {
        refs.push(p);
        size += XATTR_SHARED_ID_SIZE;
      } else {
        inline.push(p);
        size += p.entrySize;
      }
    }
    // composefs-rs writes `len as u8`; more than 255 references would be a corrupt image.
    if (refs.length > 0xff) throw new V2Error(`an inode references ${refs.length} shared xattrs (> 255)`);
    return { refs, inline, filter: ~bits >>> 0, size };
  });
  return { shared, sharedSize, perInode };
}
