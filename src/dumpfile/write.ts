/**
 * Dumpfile writer with the conventions of `composefs-info dump` (erofs.md §10.4):
 *
 *  * depth-first, pre-order, children in byte order of their names; root PATH `/`;
 *  * a node reached a second (third, …) time in that walk is a hardlink: MODE gets `@`, PAYLOAD
 *    is the absolute path of the first occurrence, and every other field is the target's;
 *  * MODE in octal without leading zeros, MTIME as `%lld.%u`;
 *  * xattrs in the node's map order (an EROFS reader supplies them in C reader order);
 *  * escaping per §10.2 (see escape.ts).
 *
 * Fields are printed exactly as the Node holds them (SIZE and NLINK of directories included):
 * computing image-specific values is the job of the image writer/reader that built the Node.
 * Output is streamed in chunks of about 64 KiB; each chunk is a fresh Buffer the callback may
 * keep.
 */
import { escapeInto, maxEscapedLength, type EscapeKind } from './escape.js';
import { compareBytes, type ByteString, type Node } from '../tree/node.js';

const CHUNK = 64 * 1024;
const HEX = '0123456789abcdef';

class ChunkWriter {
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;

  constructor(private readonly out: (chunk: Buffer) => void) {}

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  flush(): void {
    if (this.pos > 0) this.out(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
  }

  /** ASCII text (numbers, separators). */
  ascii(s: string): void {
    this.reserve(s.length);
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }

  escaped(src: Buffer | string, kind: EscapeKind): void {
    this.reserve(maxEscapedLength(src.length) + 4);
    this.pos = escapeInto(src, kind, this.buf, this.pos);
  }

  hex(bytes: Buffer): void {
    this.reserve(bytes.length * 2);
    for (const b of bytes) {
      this.buf[this.pos++] = HEX.charCodeAt(b >> 4);
      this.buf[this.pos++] = HEX.charCodeAt(b & 15);
    }
  }
}

function writeEntry(w: ChunkWriter, path: ByteString, node: Node, linkTarget: ByteString | undefined): void {
  w.escaped(path, 'path');
  w.ascii(` ${node.size} ${linkTarget !== undefined ? '@' : ''}${node.mode.toString(8)} ${node.nlink} ${node.uid} ${node.gid} ${node.rdev} ${node.mtime.sec}.${node.mtime.nsec} `);
  const payload = linkTarget ?? node.payload;
  if (payload === undefined) w.byte(0x2d);
  else w.escaped(payload, 'payload');
  w.byte(0x20);
  if (node.content === undefined || node.content.length === 0) w.byte(0x2d);
  else w.escaped(node.content, 'content');
  w.byte(0x20);
  if (node.digest === undefined) w.byte(0x2d);
  else w.hex(node.digest);
  for (const [key, value] of node.xattrs) {
    w.byte(0x20);
    w.escaped(key, 'xattr');
    w.byte(0x3d);
    w.escaped(value, 'xattr');
  }
  w.byte(0x0a);
}

/** Writes the dumpfile of the tree rooted at `root` to `out`, in chunks. */
export function writeDumpfile(root: Node, out: (chunk: Buffer) => void): void {
  const w = new ChunkWriter(out);
  const firstPath = new Map<Node, ByteString>();
  // Explicit stack (deep trees must not overflow the JS stack); pushed in reverse name order.
  const stack: Array<[ByteString, Node]> = [['/', root]];
  while (stack.length > 0) {
    const [path, node] = stack.pop()!;
    const seen = firstPath.get(node);
    if (seen !== undefined) {
      writeEntry(w, path, node, seen);
      continue;
    }
    firstPath.set(node, path);
    writeEntry(w, path, node, undefined);
    if (node.children !== undefined && node.children.size > 0) {
      const names = [...node.children.keys()].sort(compareBytes);
      const prefix = path === '/' ? '/' : `${path}/`;
      for (let i = names.length - 1; i >= 0; i--) {
        const name = names[i]!;
        stack.push([prefix + name, node.children.get(name)!]);
      }
    }
  }
  w.flush();
}

/** The whole dumpfile as one Buffer. */
export function dumpfileToBuffer(root: Node): Buffer {
  const chunks: Buffer[] = [];
  writeDumpfile(root, (c) => chunks.push(c));
  return Buffer.concat(chunks);
}

/** The whole dumpfile as a string (ASCII: every other byte is escaped). */
export function dumpfileToString(root: Node): string {
  return dumpfileToBuffer(root).toString('latin1');
}
