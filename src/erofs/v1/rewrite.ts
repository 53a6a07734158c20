/**
 * Working copy + rewrite pass (erofs.md §6.3): overlay xattr escaping, metacopy/redirect for
 * external files, user whiteouts, `.`/`..`, the root's opaque marker and the `00`–`ff` stubs.
 * The source tree is read only.
 */
import {
  S_IFCHR, S_IFDIR, S_IFMT, S_IFREG, fileKind,
  type ByteString, type Mtime, type Node,
} from '../../tree/node.js';
import {
  MAX_INLINE_CONTENT, OVERLAY_ESCAPED_PREFIX, OVERLAY_PREFIX, PATH_MAX,
  XATTR_ESCAPED_OPAQUE, XATTR_ESCAPED_WHITEOUT, XATTR_ESCAPED_WHITEOUTS, XATTR_METACOPY, XATTR_OPAQUE,
  XATTR_REDIRECT, XATTR_SELINUX, XATTR_USER_OPAQUE, XATTR_USER_WHITEOUT, XATTR_USER_WHITEOUTS,
  encodeMetacopy,
} from '../format.js';
import type { WEntry, WNode, WriteV1Options } from './model.js';

export class TreeError extends Error {
  constructor(message: string, readonly code = 'EINVAL') {
    super(message);
  }
}

const EPOCH: Mtime = { sec: 0n, nsec: 0 };
const EMPTY = Buffer.alloc(0);
const STUB_MODE = S_IFCHR | 0o644;

/** `trusted.overlay.X` → `trusted.overlay.overlay.X` (any depth), everything else unchanged. */
export function escapeXattrs(src: Map<ByteString, Buffer>): Map<ByteString, Buffer> {
  const out = new Map<ByteString, Buffer>();
  if (src.size === 0) return out;
  for (const [k, v] of src) {
    if (k.length === 0 || k.length > 255) throw new TreeError(`xattr name length ${k.length} not in 1..255`);
    if (v.length > 0xffff) throw new TreeError(`xattr ${k}: value of ${v.length} bytes > 65535`);
    out.set(k.startsWith(OVERLAY_PREFIX) ? OVERLAY_ESCAPED_PREFIX + k.slice(OVERLAY_PREFIX.length) : k, v);
  }
  return out;
}

function checkName(name: ByteString): void {
  if (name.length === 0 || name.length > 255 || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new TreeError(`invalid directory entry name ${JSON.stringify(name)}`);
  }
}

function copyNode(n: Node, useEpoch: boolean): WNode {
  const kind = fileKind(n.mode);
  if (kind === undefined) throw new TreeError(`unsupported file type in mode 0${n.mode.toString(8)}`);
  let size = n.size;
  let content = n.content !== undefined && n.content.length > 0 ? n.content : undefined;
  if (kind === 'symlink') {
    const t = n.payload ?? '';
    if (t.length === 0 || t.length >= PATH_MAX) throw new TreeError(`symlink target length ${t.length} not in 1..${PATH_MAX - 1}`);
    size = BigInt(t.length);
  } else if (n.payload !== undefined && n.payload.length >= PATH_MAX) {
    throw new TreeError(`payload of ${n.payload.length} bytes is too long`);
  }
  if (kind !== 'file') content = undefined;
  else if (content !== undefined) {
    if (content.length > MAX_INLINE_CONTENT) throw new TreeError(`inline content of ${content.length} bytes > ${MAX_INLINE_CONTENT}`);
    if (BigInt(content.length) !== n.size) throw new TreeError(`inline content of ${content.length} bytes but size ${n.size}`);
  }
  if (size < 0n || size >= 1n << 64n) throw new TreeError(`size ${size} out of range`);
  return {
    src: n,
    mode: n.mode,
    uid: n.uid >>> 0,
    gid: n.gid >>> 0,
    nlink: n.nlink >>> 0,
    rdev: n.rdev,
    size,
    mtime: useEpoch ? EPOCH : n.mtime,
    payload: n.payload,
    content,
    digest: n.digest,
    xattrs: escapeXattrs(n.xattrs),
    entries: undefined,
    parent: undefined as unknown as WNode, // set by the caller
    ownerDir: undefined,
    ownerName: '',
    ino: -1,
  };
}

const OPAQUE_X = Buffer.from('x');

/**
 * Sets an xattr on a working node, reproducing C 1.0.8's per-node size accounting so that inputs
 * C rejects with ERANGE are rejected here too (§6.12): the deep copy starts every node's counter
 * at 0; replacing a key first subtracts `7 + len(key) + len(old)` (if other xattrs remain), which
 * can wrap the unsigned counter; the new entry (`7 + len(key) + len(value)`, plus the 12-byte
 * header for a first xattr) must keep the total within 0..65535.
 */
function makeSetter(): (wn: WNode, key: ByteString, value: Buffer) => void {
  const counters = new Map<WNode, number>();
  return (wn, key, value) => {
    let counter = counters.get(wn) ?? 0;
    const old = wn.xattrs.get(key);
    if (old !== undefined) {
      wn.xattrs.delete(key);
      counter = wn.xattrs.size > 0 ? counter - (7 + key.length + old.length) : 0;
    }
    const entry = 7 + key.length + value.length + (wn.xattrs.size === 0 ? 12 : 0);
    const total = counter + entry;
    if (total < 0 || total > 0xffff) {
      throw new TreeError(`setting ${key}: Numerical result out of range (ERANGE, as C mkcomposefs 1.0.8)`, 'ERANGE');
    }
    counters.set(wn, total);
    wn.xattrs.set(key, value);
  };
}

/** Inserts `e` into the name-sorted `entries` (binary search). */
function insertSorted(entries: WEntry[], e: WEntry): void {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid]!.name < e.name) lo = mid + 1;
    else hi = mid;
  }
  entries.splice(lo, 0, e);
}

interface DirRec {
  readonly src: Node;
  readonly w: WNode;
  /** sorted names */
  readonly names: ByteString[];
  /** working node of each name */
  readonly kids: WNode[];
}

function byName(a: WEntry, b: WEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Builds the rewritten working tree. `version` is the selected composefs_version (§6.2).
 * Returns the working root; its entries include the stubs.
 */
export function buildWorkingTree(root: Node, version: number, opts: WriteV1Options = {}): WNode {
  if ((root.mode & S_IFMT) !== S_IFDIR || root.children === undefined) throw new TreeError('the root must be a directory');
  const useEpoch = opts.useEpoch === true;

  // Pass 1: depth-first, name order: copy every node once; the first entry met owns its inode.
  const w = new Map<Node, WNode>();
  const wroot = copyNode(root, useEpoch);
  wroot.parent = wroot;
  w.set(root, wroot);
  const dirs: DirRec[] = [];
  const stackDir: DirRec[] = [];
  const stackIdx: number[] = [];
  const expand = (src: Node, wn: WNode): void => {
    const names = [...src.children!.keys()].sort();
    const rec: DirRec = { src, w: wn, names, kids: new Array<WNode>(names.length) };
    dirs.push(rec);
    for (let i = names.length - 1; i >= 0; i--) {
      checkName(names[i]!);
      stackDir.push(rec);
      stackIdx.push(i);
    }
  };
  expand(root, wroot);
  let multi: Node[] | undefined;
  while (stackDir.length > 0) {
    const rec = stackDir.pop()!;
    const i = stackIdx.pop()!;
    const name = rec.names[i]!;
    const child = rec.src.children!.get(name)!;
    if (child === root) throw new TreeError(`hard link to the root directory at ${JSON.stringify(name)}`);
    let wc = w.get(child);
    if (wc === undefined) {
      wc = copyNode(child, useEpoch);
      w.set(child, wc);
      wc.ownerDir = rec.w;
      wc.ownerName = name;
      wc.parent = rec.w;
      if ((child.mode & S_IFMT) === S_IFDIR) {
        if (child.children === undefined) throw new TreeError(`directory ${JSON.stringify(name)} without a children map`);
        expand(child, wc);
      }
    } else {
      if ((child.mode & S_IFMT) === S_IFDIR) throw new TreeError(`hard link to a directory at ${JSON.stringify(name)}`);
      (multi ??= []).push(child);
    }
    rec.kids[i] = wc;
  }
  const override = opts.hardlinkOwner ?? ((n: Node) => n.owner);
  if (override !== undefined && multi !== undefined) {
    for (const n of multi) {
      const o = override(n);
      if (o === undefined) continue;
      const od = w.get(o.parent);
      if (od === undefined || o.parent.children?.get(o.name) !== n) {
        throw new TreeError(`hardlinkOwner: ${JSON.stringify(o.name)} is not an entry of that node`);
      }
      const wn = w.get(n)!;
      wn.ownerDir = od;
      wn.ownerName = o.name;
      wn.parent = od;
    }
  }

  // Pass 2: entries (with `.`/`..`).
  for (const { w: wn, names, kids } of dirs) {
    const entries: WEntry[] = new Array(names.length);
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const wc = kids[i]!;
      entries[i] = { name, target: wc, isLink: !(wc.ownerDir === wn && wc.ownerName === name) };
    }
    // `.` and `..` are ordinary names in the sort: `.-` sorts between them.
    insertSorted(entries, { name: '.', target: wn, isLink: true });
    insertSorted(entries, { name: '..', target: wn.parent, isLink: true });
    wn.entries = entries;
  }

  // Pass 3: the per-node rewrites (§6.3 steps 2 and 3), in depth-first order.
  const set = makeSetter();
  for (const wn of w.values()) {
    const type = wn.mode & S_IFMT;
    if (type === S_IFREG && wn.size > 0n && wn.content === undefined) {
      // C keeps a 32-byte (sha256) digest; a longer one is truncated exactly as C's hex decoding
      // does, unless the caller asks for composefs-rs's behaviour (whole sha512 digests).
      const digest = wn.digest === undefined ? undefined : opts.fullDigests ? wn.digest : wn.digest.subarray(0, 32);
      set(wn, XATTR_METACOPY, encodeMetacopy(digest));
      if (wn.payload !== undefined && wn.payload.length > 0) {
        set(wn, XATTR_REDIRECT, Buffer.from('/' + wn.payload, 'latin1'));
      }
    } else if (type === S_IFCHR && wn.rdev === 0n) {
      wn.mode = S_IFREG | (wn.mode & ~S_IFMT);
      wn.size = 0n;
      set(wn, XATTR_ESCAPED_WHITEOUT, EMPTY);
      set(wn, XATTR_USER_WHITEOUT, EMPTY);
      const p = wn.parent;
      set(p, XATTR_ESCAPED_WHITEOUTS, EMPTY);
      set(p, XATTR_USER_WHITEOUTS, EMPTY);
      if (version >= 1) {
        set(p, XATTR_ESCAPED_OPAQUE, OPAQUE_X);
        set(p, XATTR_USER_OPAQUE, OPAQUE_X);
      }
    }
  }

  // After the pass: root marker and stubs.
  set(wroot, XATTR_OPAQUE, Buffer.from('y'));
  const selinux = wroot.xattrs.get(XATTR_SELINUX);
  const rootEntries = wroot.entries!;
  let added = false;
  for (let i = 0; i < 256; i++) {
    const name = i.toString(16).padStart(2, '0');
    if (root.children.has(name)) continue;
    const stub: WNode = {
      src: undefined,
      mode: STUB_MODE,
      uid: wroot.uid,
      gid: wroot.gid,
      nlink: 1,
      rdev: 0n,
      size: 0n,
      mtime: wroot.mtime,
      payload: undefined,
      content: undefined,
      digest: undefined,
      xattrs: selinux === undefined ? new Map() : new Map([[XATTR_SELINUX, selinux]]),
      entries: undefined,
      parent: wroot,
      ownerDir: wroot,
      ownerName: name,
      ino: -1,
    };
    rootEntries.push({ name, target: stub, isLink: false });
    added = true;
  }
  if (added) rootEntries.sort(byName);
  return wroot;
}
