/**
 * Xattr planning (erofs.md §5.1–§5.4, §6.5): prefix compression, the per-inode name filter, the
 * shared table (pairs on more than one inode, sorted descending) and each inode's split into
 * shared references (at most 128) and inline entries.
 */
import type { ByteString } from '../../tree/node.js';
import {
  MAX_SHARED_XATTR_REFS, XATTR_FILTER_SEED, XATTR_IBODY_HEADER_SIZE, XATTR_SHARED_ID_SIZE,
  splitXattrName, xattrEntrySize,
} from '../format.js';
import { xxh32 } from '../xxh32.js';

interface KeyInfo {
  readonly index: number;
  readonly suffix: ByteString;
  /** 1 << (xxh32(suffix, seed + index) & 31) */
  readonly filterBit: number;
  /** the distinct values seen with this key (by their latin1 string) */
  readonly values: Map<string, XattrPair>;
}

export interface XattrPair {
  readonly key: ByteString;
  readonly value: Buffer;
  readonly index: number;
  readonly suffix: ByteString;
  readonly filterBit: number;
  /** padded entry size */
  readonly entrySize: number;
  /** number of inodes carrying this exact pair */
  count: number;
  /** byte offset inside the shared table, or -1 if not shared */
  sharedOffset: number;
}

export interface InodeXattrPlan {
  /** shared references, in key order */
  readonly refs: XattrPair[];
  /** inline entries, in key order */
  readonly inline: XattrPair[];
  /** h_name_filter */
  readonly filter: number;
  /** xattr area size (0 if the inode has no xattrs) */
  readonly size: number;
}

export interface XattrPlan {
  /** shared table entries in on-disk order */
  readonly shared: XattrPair[];
  /** total shared table size in bytes */
  readonly sharedSize: number;
  readonly perInode: InodeXattrPlan[];
}

const NO_XATTRS: InodeXattrPlan = { refs: [], inline: [], filter: 0, size: 0 };
const NO_PAIRS: XattrPair[] = [];

/** Shared-table order: key descending, then longer value first, then value bytes descending. */
export function compareSharedDesc(a: XattrPair, b: XattrPair): number {
  if (a.key !== b.key) return a.key > b.key ? -1 : 1;
  if (a.value.length !== b.value.length) return b.value.length - a.value.length;
  return Buffer.compare(b.value, a.value);
}

/** Plans the xattrs of all inodes; `lists[ino]` is the inode's xattrs sorted by key. */
export function planXattrs(lists: ReadonlyArray<ReadonlyArray<readonly [ByteString, Buffer]>>): XattrPlan {
  const keys = new Map<ByteString, KeyInfo>();
  const all: XattrPair[] = [];
  const perInodePairs: XattrPair[][] = new Array(lists.length);
  for (let i = 0; i < lists.length; i++) {
    const list = lists[i]!;
    if (list.length === 0) {
      perInodePairs[i] = NO_PAIRS;
      continue;
    }
    const mine: XattrPair[] = new Array(list.length);
    for (let j = 0; j < list.length; j++) {
      const [key, value] = list[j]!;
      let k = keys.get(key);
      if (k === undefined) {
        const { index, suffix } = splitXattrName(key);
        k = { index, suffix, filterBit: 1 << (xxh32(suffix, (XATTR_FILTER_SEED + index) >>> 0) & 31), values: new Map() };
        keys.set(key, k);
      }
      const id = value.length === 0 ? '' : value.toString('latin1');
      let p = k.values.get(id);
      if (p === undefined) {
        p = {
          key, value, index: k.index, suffix: k.suffix, filterBit: k.filterBit,
          entrySize: xattrEntrySize(k.suffix.length, value.length), count: 0, sharedOffset: -1,
        };
        k.values.set(id, p);
        all.push(p);
      }
      p.count++;
      mine[j] = p;
    }
    perInodePairs[i] = mine;
  }

  const shared: XattrPair[] = [];
  for (const p of all) if (p.count > 1) shared.push(p);
  shared.sort(compareSharedDesc);
  let sharedSize = 0;
  for (const p of shared) {
    p.sharedOffset = sharedSize;
    sharedSize += p.entrySize;
  }

  const perInode = perInodePairs.map((mine): InodeXattrPlan => {
    if (mine.length === 0) return NO_XATTRS;
    const refs: XattrPair[] = [];
    const inline: XattrPair[] = [];
    let bits = 0;
    let size = XATTR_IBODY_HEADER_SIZE;
    for (const p of mine) {
      bits |= p.filterBit;
      if (p.sharedOffset >= 0 && refs.length < MAX_SHARED_XATTR_REFS) {
        refs.push(p);
        size += XATTR_SHARED_ID_SIZE;
      } else {
        inline.push(p);
        size += p.entrySize;
      }
    }
    return { refs, inline, filter: ~bits >>> 0, size };
  });
  return { shared, sharedSize, perInode };
}
