/**
 * A small dumpfile reader for the EROFS writer tests only (erofs.md §10), used while
 * `src/dumpfile` does not exist yet and to learn which entry of a hard link is the original
 * (the line without `@`), which the tree model does not keep. Not a validating parser.
 */
import { S_IFDIR, S_IFMT, newNode, type ByteString, type Node } from '../../../../src/tree/node.js';

function unescape(s: string): ByteString {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const d = s[++i];
    if (d === '\\') out += '\\';
    else if (d === 'n') out += '\n';
    else if (d === 'r') out += '\r';
    else if (d === 't') out += '\t';
    else if (d === 'x') {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else throw new Error(`bad escape \\${d}`);
  }
  return out;
}

const opt = (s: string): ByteString | undefined => (s === '-' ? undefined : unescape(s));

export interface MiniParsed {
  root: Node;
  /** node → the entry written without `@` */
  owners: Map<Node, { parent: Node; name: ByteString }>;
}

function splitPath(p: ByteString): ByteString[] {
  return p.split('/').filter((x) => x.length > 0);
}

export function miniParseDumpfile(data: Buffer | string): MiniParsed {
  const text = typeof data === 'string' ? data : data.toString('latin1'); // strings are byte strings
  const lines = text.split('\n').filter((l) => l.length > 0);
  let root: Node | undefined;
  const links: Array<[Node, ByteString, ByteString]> = [];
  const owners = new Map<Node, { parent: Node; name: ByteString }>();
  const lookup = (path: ByteString): Node => {
    let n = root!;
    for (const comp of splitPath(path)) {
      const c = n.children?.get(comp);
      if (c === undefined) throw new Error(`no such path ${path}`);
      n = c;
    }
    return n;
  };
  for (const line of lines) {
    const f = line.split(' ');
    const [path, size, modeStr, nlink, uid, gid, rdev, mtime, payload, content, digest] = f as [string, ...string[]];
    const xattrs = f.slice(11).filter((x) => x.length > 0);
    const comps = splitPath(unescape(path));
    const isLink = modeStr!.startsWith('@');
    const mode = parseInt(isLink ? modeStr!.slice(1) : modeStr!, 8);
    if (comps.length === 0) {
      const [sec, nsec] = mtime!.split('.') as [string, string];
      root = newNode(mode, {
        uid: Number(uid), gid: Number(gid), nlink: Number(nlink), mtime: { sec: BigInt(sec), nsec: Number(nsec) },
      });
      for (const x of xattrs) {
        const eq = x.indexOf('=');
        root.xattrs.set(unescape(x.slice(0, eq)), Buffer.from(unescape(x.slice(eq + 1)), 'latin1'));
      }
      continue;
    }
    const name = comps[comps.length - 1]!;
    const parent = lookup('/' + comps.slice(0, -1).join('/'));
    if (isLink) {
      links.push([parent, name, unescape(payload!)]);
      continue;
    }
    const [sec, nsec] = mtime!.split('.') as [string, string];
    const c = opt(content!);
    const node = newNode(mode, {
      size: BigInt(size!),
      uid: Number(BigInt.asUintN(32, BigInt(uid!))),
      gid: Number(BigInt.asUintN(32, BigInt(gid!))),
      nlink: Number(BigInt.asUintN(32, BigInt(nlink!))),
      rdev: BigInt(rdev!),
      mtime: { sec: BigInt(sec), nsec: Number(nsec) },
    });
    const p = opt(payload!);
    if (p !== undefined) node.payload = p;
    if (c !== undefined && c.length > 0) node.content = Buffer.from(c, 'latin1');
    if (digest !== '-') node.digest = Buffer.from(digest!, 'hex');
    if ((mode & S_IFMT) === 0o120000) node.size = BigInt(p!.length);
    for (const x of xattrs) {
      const eq = x.indexOf('=');
      node.xattrs.set(unescape(x.slice(0, eq)), Buffer.from(unescape(x.slice(eq + 1)), 'latin1'));
    }
    if ((mode & S_IFMT) === S_IFDIR && node.children === undefined) node.children = new Map();
    parent.children!.set(name, node);
    owners.set(node, { parent, name });
  }
  for (const [parent, name, target] of links) parent.children!.set(name, lookup(target));
  // Links to links were resolved in file order; re-resolve chains until stable.
  for (let round = 0; round < links.length; round++) {
    let changed = false;
    for (const [parent, name, target] of links) {
      const t = lookup(target);
      if (parent.children!.get(name) !== t) {
        parent.children!.set(name, t);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return { root: root!, owners };
}
