import { S_IFDIR, newNode, type Node } from '../../src/tree/node.js';

/** The node at `names` below `n` (byte-string names); throws naming the missing entry. */
export function child(n: Node, ...names: string[]): Node {
  let cur = n;
  for (const name of names) {
    const c = cur.children?.get(name);
    if (c === undefined) throw new Error(`no child ${JSON.stringify(name)}`);
    cur = c;
  }
  return cur;
}

/**
 * The directory at `names` below `root`, made (mode 0755) where missing; a non-directory in the
 * way becomes a directory. For building in-memory trees from path lists.
 */
export function mkdirs(root: Node, names: readonly string[]): Node {
  let d = root;
  for (const c of names) {
    let n = d.children!.get(c);
    if (n === undefined) {
      n = newNode(S_IFDIR | 0o755);
      d.children!.set(c, n);
    } else if (n.children === undefined) {
      n.mode = S_IFDIR | 0o755;
      n.children = new Map();
    }
    d = n;
  }
  return d;
}
