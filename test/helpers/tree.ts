import type { Node } from '../../src/tree/node.js';

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
