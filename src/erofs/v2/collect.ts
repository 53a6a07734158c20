/**
 * V2 inode collection (erofs.md §13.2): depth-first pre-order, a directory then its entries in
 * name order, each subdirectory's whole subtree before the next sibling. A node reached through
 * several entries (hard link) gets its inode at its first encounter; its nlink is the number of
 * entries that reach it. No whiteout stubs, no root `opaque`, user whiteouts stay char devices.
 */
import { S_IFMT, compareBytes, fileKind, type ByteString, type Node } from '../../tree/node.js';
import { PATH_MAX, XATTR_METACOPY, XATTR_REDIRECT, encodeMetacopy } from '../format.js';
import { escapeXattrs } from '../v1/rewrite.js';
import { V2Error, V2Kind, type V2Entry, type V2Inode, type WriteV2Options } from './model.js';

const U32_MAX = 0xffffffff;

/** `xx/yyyy…`: hex of digest byte 0, a slash, hex of the rest (composefs-rs `to_object_pathname`). */
export function objectPathname(digest: Uint8Array): ByteString {
  const hex = Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('hex');
  return `${hex.slice(0, 2)}/${hex.slice(2)}`;
}

function checkName(name: ByteString): void {
  if (name.length === 0 || name.length > 255 || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new V2Error(`invalid directory entry name ${JSON.stringify(name)}`);
  }
}

const byKey = (a: readonly [ByteString, Buffer], b: readonly [ByteString, Buffer]): number => compareBytes(a[0], b[0]);

/** The inode's xattrs in V2 order (§13.2 "per-inode xattr order"). */
function xattrsOf(n: Node, kind: V2Kind): Array<[ByteString, Buffer]> {
  const out: Array<[ByteString, Buffer]> = [];
  if (kind === V2Kind.External) {
    const d = n.digest!;
    out.push([XATTR_METACOPY, encodeMetacopy(d)]);
    out.push([XATTR_REDIRECT, Buffer.from('/' + objectPathname(d), 'latin1')]);
  } else if (kind === V2Kind.ExternalNoMap) {
    out.push([XATTR_METACOPY, Buffer.alloc(0)]);
    if (n.payload !== undefined && n.payload.length > 0) out.push([XATTR_REDIRECT, Buffer.from('/' + n.payload, 'latin1')]);
  }
  if (n.xattrs.size > 0) {
    // composefs-rs keeps xattrs in a BTreeMap by their ORIGINAL name; escaping comes after.
    const own = [...n.xattrs.entries()].sort(byKey);
    for (const [k, v] of escapeXattrs(new Map(own))) out.push([k, v]);
  }
  return out;
}

function classify(n: Node): V2Kind {
  const kind = fileKind(n.mode);
  switch (kind) {
    case 'dir': return V2Kind.Dir;
    case 'symlink': return V2Kind.Symlink;
    case 'file':
      if (n.content !== undefined && n.content.length > 0) return V2Kind.InlineFile;
      if (n.size === 0n) return V2Kind.Plain;
      if (n.digest !== undefined) return V2Kind.External;
      return V2Kind.ExternalNoMap;
    case 'chr': case 'blk': case 'fifo': case 'sock':
      return V2Kind.Plain;
    default:
      throw new V2Error(`unsupported file type in mode 0${n.mode.toString(8)}`);
  }
}

function makeInode(n: Node, opts: WriteV2Options): V2Inode {
  const kind = classify(n);
  let size = n.size;
  let inline: Buffer | undefined;
  let rdev = 0;
  switch (kind) {
    case V2Kind.Symlink: {
      const t = n.payload ?? '';
      if (t.length === 0 || t.length >= PATH_MAX) throw new V2Error(`symlink target length ${t.length} not in 1..${PATH_MAX - 1}`);
      inline = Buffer.from(t, 'latin1');
      size = BigInt(t.length);
      break;
    }
    case V2Kind.InlineFile:
      if (BigInt(n.content!.length) !== n.size) throw new V2Error(`inline content of ${n.content!.length} bytes but size ${n.size}`);
      inline = n.content;
      break;
    case V2Kind.External:
      if (n.digest!.length !== 32 && n.digest!.length !== 64) throw new V2Error(`fs-verity digest of ${n.digest!.length} bytes (expected 32 or 64)`);
      break;
    case V2Kind.Plain:
      if ((n.mode & S_IFMT) === 0o020000 || (n.mode & S_IFMT) === 0o060000) {
        if (n.rdev < 0n || n.rdev > BigInt(U32_MAX)) throw new V2Error(`device number ${n.rdev} does not fit in 32 bits`);
        rdev = Number(n.rdev);
      }
      size = 0n;
      break;
    default:
      break;
  }
  if (size < 0n || size >= 1n << 64n) throw new V2Error(`size ${size} out of range`);
  return {
    src: n,
    kind,
    mode: n.mode & 0xffff,
    uid: n.uid >>> 0,
    gid: n.gid >>> 0,
    nlink: 1,
    rdev,
    size,
    mtime: opts.useEpoch === true ? 0n : BigInt.asUintN(64, n.mtime.sec),
    inline,
    xattrs: xattrsOf(n, kind),
    entries: undefined,
  };
}

interface Frame {
  readonly dir: number;
  readonly names: ByteString[];
  readonly node: Node;
  i: number;
  readonly entries: V2Entry[];
}

/** Collects the inodes of `root` in V2 (DFS) order; `inodes[0]` is the root. */
export function collectV2(root: Node, opts: WriteV2Options = {}): V2Inode[] {
  if (fileKind(root.mode) !== 'dir' || root.children === undefined) throw new V2Error('the root must be a directory');

  // Reference counts of leaves (composefs-rs `nlinks()`); directories must be reached once.
  const refs = new Map<Node, number>();
  const seenDirs = new Set<Node>([root]);
  const todo: Node[] = [root];
  while (todo.length > 0) {
    const d = todo.pop()!;
    for (const [name, c] of d.children!) {
      checkName(name);
      if (fileKind(c.mode) === 'dir') {
        if (c.children === undefined) throw new V2Error(`directory ${JSON.stringify(name)} without a children map`);
        if (seenDirs.has(c)) throw new V2Error(`hard link to a directory at ${JSON.stringify(name)}`);
        seenDirs.add(c);
        todo.push(c);
      } else {
        refs.set(c, (refs.get(c) ?? 0) + 1);
      }
    }
  }

  const inodes: V2Inode[] = [];
  const leafInode = new Map<Node, number>();
  const open = (node: Node, parent: number): Frame => {
    const me = inodes.length;
    inodes.push(makeInode(node, opts));
    const names = [...node.children!.keys()].sort();
    return { dir: me, names, node, i: 0, entries: [{ name: '.', inode: me }, { name: '..', inode: parent < 0 ? me : parent }] };
  };
  const close = (f: Frame): void => {
    const entries = f.entries.sort((a, b) => compareBytes(a.name, b.name));
    let subdirs = 0;
    for (const e of entries) if (inodes[e.inode]!.kind === V2Kind.Dir) subdirs++;
    const ino = inodes[f.dir]!;
    ino.entries = entries;
    ino.nlink = subdirs; // `.` and `..` are directories too: 2 + real subdirectories
  };

  const stack: Frame[] = [open(root, -1)];
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    if (f.i === f.names.length) {
      close(f);
      stack.pop();
      continue;
    }
    const name = f.names[f.i++]!;
    const child = f.node.children!.get(name)!;
    if (fileKind(child.mode) === 'dir') {
      const sub = open(child, f.dir);
      f.entries.push({ name, inode: sub.dir });
      stack.push(sub);
      continue;
    }
    let idx = leafInode.get(child);
    if (idx === undefined) {
      idx = inodes.length;
      const ino = makeInode(child, opts);
      ino.nlink = refs.get(child) ?? 1;
      inodes.push(ino);
      leafInode.set(child, idx);
    }
    f.entries.push({ name, inode: idx });
  }
  return inodes;
}
