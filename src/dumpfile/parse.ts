/**
 * Streaming dumpfile (composefs-dump(5)) parser: erofs.md §10, producing the shared tree model
 * (`src/tree/node.ts`).
 *
 * The parser follows `mkcomposefs --from-file` 1.0.8 (observed by running it), including its
 * reason texts, (mostly) its order of checks, and its number parsing (strtoull: optional leading
 * whitespace and sign, negative values wrap modulo 2^64, out-of-range values saturate to
 * 2^64-1, then truncation to the field width).
 *
 * Deliberate differences from C (each rejects input that C accepts; everything else C accepts we
 * accept, and everything C rejects we reject):
 *
 *  1. GID/RDEV quirk (§6.12): C silently reads an unparsable GID or RDEV as 0 when UID ≠ 0. We
 *     always require a valid integer ("Invalid integer X"): a typo must not turn into group 0.
 *  2. DIGEST: C decodes it ignoring errors, so an empty, short, odd, non-hex or escaped (`\x2d`)
 *     digest yields partly undefined bytes. We require `-` or exactly 64 hex digits (sha256), or
 *     128 hex digits (sha512, used by composefs-rs V2 images), either case ("Invalid digest").
 *     C keeps only the first 32 bytes of a 128-digit digest; we store all 64 bytes and leave it
 *     to the image writer to decide (a V1 writer should reject or truncate them explicitly).
 *     Consequences of the same rule: a regular line with fewer than 11 fields (C reads missing
 *     fields as empty strings, so DIGEST would be empty) and CRLF line endings (DIGEST `-\r`)
 *     are rejected, unless the line is a hardlink (those never look at DIGEST).
 *  3. Embedded NUL bytes (`\x00`) in PATH, PAYLOAD (including hardlink targets) and xattr keys:
 *     C truncates the string at the NUL; we reject ("Invalid embedded NUL in path/payload/xattr
 *     name"). NUL in CONTENT and xattr values is fine (they are binary).
 *  4. Hardlinks to directories (§6.12), including the empty / `/` target which C resolves to the
 *     root: rejected ("Hardlinks to directories are not supported").
 *  5. Hardlink cycles longer than a self-link: C accepts the dumpfile and fails later while
 *     writing ("Too many levels of symbolic links"); we reject at parse time. The overall
 *     accept/reject result is the same.
 *
 * The other way round: C's WRITER fails with "Numerical result out of range" on some valid
 * dumpfiles (overlay marker xattrs on whiteouts/their parents, erofs.md §6.12). That is not a
 * parse error, so we accept them; an image writer may reject them.
 *
 * Not differences, but worth knowing (what the Node holds):
 *
 *  * MODE is parsed as a u32 (checked as C does), then stored masked to 16 bits: bits above
 *    0o177777 are dropped by every EROFS image anyway (`i_mode` is u16).
 *  * The Node holds what an image can represent, nothing more:
 *      - regular: CONTENT only if non-empty; PAYLOAD and DIGEST only for an external file
 *        (size > 0, no CONTENT), and PAYLOAD only if non-empty;
 *      - symlink: PAYLOAD is the target, SIZE := target length; no CONTENT/DIGEST;
 *      - chr/blk: RDEV kept (u64; an EROFS writer truncates it to u32); SIZE kept (C stores
 *        no data for them, but a SIZE above 2^32-1 makes it pick the 64-byte inode);
 *      - fifo/socket: SIZE kept, as for devices;
 *      - directory: SIZE and NLINK kept as given (image writers compute their own);
 *      - RDEV := 0 for everything but chr/blk; PAYLOAD/CONTENT/DIGEST dropped where not listed.
 *    C ignores the same fields when it writes the image, so no image changes.
 *  * Hardlink lines: only PATH, MODE and PAYLOAD are read (all other fields, even invalid
 *    escapes or numbers, are ignored, as in C). The entry becomes the target Node itself, and
 *    the target's `owner` records its own (non-`@`) entry, where C lays the inode out.
 *    Targets are resolved after the whole input, may come later, and chains are followed.
 *    Target paths are looked up literally: repeated `/` collapse, `.`/`..` are not special.
 *  * Xattr values of up to 256 (escaped) bytes are interned: nodes with equal values may share
 *    one Buffer. Treat xattr values as immutable (replace them, never write into them).
 *  * A final path component must be 1–255 bytes, like C ("Can't add child").
 *  * Line numbers are 1-based. Errors found while resolving hardlinks carry the hardlink's line.
 *    C prints no line numbers; the reasons are C's texts where C has one.
 */
import { EscapeError, needsUnescape, unescapeBytes, unescapeLatin1 } from './escape.js';
import {
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  newNode,
  type ByteString,
  type Mtime,
  type Node,
} from '../tree/node.js';

/** A dumpfile validation error: `line` is 1-based, `reason` the bare reason text. */
export class DumpfileError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'DumpfileError';
  }
}

/** Limits of mkcomposefs 1.0.8 (erofs.md §10.3). */
export const DUMPFILE_LIMITS = {
  maxPayload: 4095,
  maxSymlink: 4095,
  maxInlineContent: 5000,
  maxXattrKey: 255,
  maxXattrValue: 65535,
  /** `12 + Σ(7 + len(key) + len(value))` per node. */
  maxXattrTotal: 32767,
  /** Raw bytes after the separator following DIGEST. */
  maxXattrRemainder: 65535,
} as const;

const SPACE = 0x20;
const U64_MAX = (1n << 64n) - 1n;

const IS_SPACE = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]) IS_SPACE[c] = 1;

/**
 * strtoull(base 8 or 10) over `buf[s, e)`, requiring the whole field to be consumed and at least
 * one digit. Returns the u64 value, or undefined for "Invalid integer".
 */
function strtoull(buf: Buffer, s: number, e: number, base: 8 | 10): bigint | undefined {
  let i = s;
  while (i < e && IS_SPACE[buf[i]!] === 1) i++;
  let neg = false;
  if (i < e && (buf[i] === 0x2b || buf[i] === 0x2d)) {
    neg = buf[i] === 0x2d;
    i++;
  }
  if (i >= e) return undefined;
  const maxDigit = 0x30 + base;
  // Fast path: up to 15 digits fit a double exactly.
  let small = 0;
  let j = i;
  const fastEnd = Math.min(e, i + 15);
  for (; j < fastEnd; j++) {
    const c = buf[j]!;
    if (c < 0x30 || c >= maxDigit) return undefined;
    small = small * base + (c - 0x30);
  }
  let v: bigint;
  if (j === e) {
    v = small === 0 ? 0n : BigInt(small);
  } else {
    v = BigInt(small);
    const b = BigInt(base);
    let saturated = false;
    for (; j < e; j++) {
      const c = buf[j]!;
      if (c < 0x30 || c >= maxDigit) return undefined;
      if (!saturated) {
        v = v * b + BigInt(c - 0x30);
        if (v > U64_MAX) saturated = true;
      }
    }
    if (saturated) return U64_MAX; // ERANGE: C does not check errno.
  }
  if (neg && v !== 0n) v = (1n << 64n) - v;
  return v;
}

/** Fast u32 parse (strtoull then truncation). Undefined = invalid. */
function parseU32(buf: Buffer, s: number, e: number): number | undefined {
  const n = e - s;
  if (n > 0 && n <= 9) {
    let v = 0;
    let i = s;
    for (; i < e; i++) {
      const c = buf[i]! - 0x30;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    if (i === e) return v;
  }
  const big = strtoull(buf, s, e, 10);
  return big === undefined ? undefined : Number(BigInt.asUintN(32, big));
}

const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[0x41 + i] = 10 + i;
  HEX_VALUE[0x61 + i] = 10 + i;
}

function parseDigest(buf: Buffer, s: number, e: number): Buffer | undefined {
  const n = e - s;
  if (n !== 64 && n !== 128) return undefined;
  const out = Buffer.allocUnsafe(n >> 1);
  for (let i = 0; i < n; i += 2) {
    const hi = HEX_VALUE[buf[s + i]!]!;
    const lo = HEX_VALUE[buf[s + i + 1]!]!;
    if (hi < 0 || lo < 0) return undefined;
    out[i >> 1] = (hi << 4) | lo;
  }
  return out;
}

const VALID_TYPES = new Set([S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK]);

interface PendingLink {
  /** The placeholder Node standing in the parent's children until resolution. */
  readonly placeholder: Node;
  readonly parent: Node;
  readonly name: ByteString;
  readonly path: ByteString;
  readonly target: ByteString;
  readonly line: number;
  resolved?: Node;
}

const INTERN_MAX = 4096;
const INTERN_VALUE_MAX = 256;

const isDash = (buf: Buffer, s: number, e: number): boolean => e - s === 1 && buf[s] === 0x2d;

/**
 * Incremental dumpfile parser. Feed chunks with {@link push} (lines may span chunks), then call
 * {@link end} to get the root. After an error every further call rethrows it.
 */
export class DumpfileParser {
  private root: Node | undefined;
  private lineNo = 0;
  private carry: Buffer[] = [];
  private carryLength = 0;
  private failure: unknown;
  private finished = false;
  private readonly links: PendingLink[] = [];
  private readonly placeholders = new Map<Node, PendingLink>();
  // Parent lookup cache: consecutive lines usually share their parent directory.
  private lastDirBytes: Buffer | undefined;
  private lastDir: Node | undefined;
  // Interned xattr keys and small values, by their raw (escaped) text: on real trees most nodes
  // carry the same few keys and values (e.g. SELinux labels).
  private readonly keyIntern = new Map<string, string>();
  private readonly valueIntern = new Map<string, Buffer>();
  private lastMtime: Mtime = { sec: 0n, nsec: 0 };
  // Field boundaries of the current line.
  private readonly fs = new Int32Array(11);
  private readonly fe = new Int32Array(11);
  private rest = 0;

  /** Parses all complete lines in `chunk`; keeps a trailing partial line for the next call. */
  push(chunk: Buffer | Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.finished) throw new Error('DumpfileParser: push() after end()');
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    try {
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(0x0a, start);
        if (nl < 0) break;
        if (this.carryLength > 0) {
          this.carry.push(buf.subarray(start, nl));
          const line = Buffer.concat(this.carry, this.carryLength + (nl - start));
          this.carry = [];
          this.carryLength = 0;
          this.parseLine(line);
        } else {
          this.parseLine(buf.subarray(start, nl));
        }
        start = nl + 1;
      }
      if (start < buf.length) {
        // Copy: the caller may reuse its chunk buffer.
        const rest = Buffer.from(buf.subarray(start));
        this.carry.push(rest);
        this.carryLength += rest.length;
      }
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }

  /** Parses the last line (the final newline is optional), resolves hardlinks, returns the root. */
  end(): Node {
    if (this.failure !== undefined) throw this.failure;
    if (this.finished) throw new Error('DumpfileParser: end() called twice');
    try {
      if (this.carryLength > 0) {
        const line = Buffer.concat(this.carry, this.carryLength);
        this.carry = [];
        this.carryLength = 0;
        this.parseLine(line);
      }
      if (this.root === undefined) throw new DumpfileError(1, 'No files in dump file');
      this.resolveLinks(this.root);
      this.finished = true;
      return this.root;
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }

  private fail(reason: string): never {
    throw new DumpfileError(this.lineNo, reason);
  }

  private unescapeStr(buf: Buffer, f: number): string {
    try {
      return unescapeLatin1(buf, this.fs[f]!, this.fe[f]!);
    } catch (err) {
      if (err instanceof EscapeError) this.fail(err.reason);
      throw err;
    }
  }

  private unescapeBuf(buf: Buffer, s: number, e: number): Buffer {
    try {
      return unescapeBytes(buf, s, e);
    } catch (err) {
      if (err instanceof EscapeError) this.fail(err.reason);
      throw err;
    }
  }

  private fieldText(buf: Buffer, f: number, skip = 0): string {
    return buf.toString('latin1', this.fs[f]! + skip, this.fe[f]!);
  }

  private u64(buf: Buffer, f: number): bigint {
    const s = this.fs[f]!;
    const e = this.fe[f]!;
    if (e - s === 1 && buf[s] === 0x30) return 0n;
    const v = strtoull(buf, s, e, 10);
    if (v === undefined) this.fail(`Invalid integer ${this.fieldText(buf, f)}`);
    return v;
  }

  private u32(buf: Buffer, f: number): number {
    const v = parseU32(buf, this.fs[f]!, this.fe[f]!);
    if (v === undefined) this.fail(`Invalid integer ${this.fieldText(buf, f)}`);
    return v;
  }

  private mtime(buf: Buffer): Mtime {
    const s = this.fs[7]!;
    const e = this.fe[7]!;
    let dot = buf.indexOf(0x2e, s);
    if (dot < 0 || dot >= e) dot = e;
    const secU = strtoull(buf, s, dot, 10);
    if (secU === undefined) this.fail(`Invalid integer ${buf.toString('latin1', s, dot)}`);
    const ns = dot + 1 <= e ? dot + 1 : e;
    const nsec = parseU32(buf, ns, e);
    if (nsec === undefined) this.fail(`Invalid integer ${buf.toString('latin1', ns, e)}`);
    const sec = secU === 0n ? 0n : BigInt.asIntN(64, secU);
    const last = this.lastMtime;
    if (last.sec === sec && last.nsec === nsec) return last;
    return (this.lastMtime = { sec, nsec });
  }

  /** Splits the line into the 11 fixed fields (missing ones are empty, as in C). */
  private split(line: Buffer): void {
    const len = line.length;
    let pos = 0;
    for (let f = 0; f < 11; f++) {
      if (pos > len) {
        this.fs[f] = len;
        this.fe[f] = len;
        continue;
      }
      const sp = line.indexOf(SPACE, pos);
      const end = sp < 0 ? len : sp;
      this.fs[f] = pos;
      this.fe[f] = end;
      pos = end + 1;
    }
    this.rest = pos;
  }

  /**
   * Finds the parent directory of the (unescaped) path bytes and returns it with the final
   * component (C's rules, see top). Consecutive lines usually share their parent, so the last
   * directory part is cached by its bytes.
   */
  private lookupParent(pb: Buffer): [Node, string] {
    const slash = pb.lastIndexOf(0x2f);
    const dirLen = slash < 0 ? 0 : slash;
    const name = pb.toString('latin1', slash + 1);
    const cached = this.lastDirBytes;
    if (cached !== undefined && cached.length === dirLen && pb.compare(cached, 0, dirLen, 0, dirLen) === 0) {
      return [this.lastDir!, name];
    }
    let cur: Node | undefined = this.root!;
    for (const comp of pb.toString('latin1', 0, dirLen).split('/')) {
      if (comp === '') continue;
      cur = cur.children?.get(comp);
      if (cur === undefined) this.fail(`Parent directory missing for ${pb.toString('latin1')}`);
    }
    if ((cur.mode & S_IFMT) !== S_IFDIR || cur.children === undefined) {
      this.fail(`Parent must be a directory for ${pb.toString('latin1')}`);
    }
    this.lastDirBytes = Buffer.from(pb.subarray(0, dirLen));
    this.lastDir = cur;
    return [cur, name];
  }

  private parseLine(line: Buffer): void {
    this.lineNo++;
    const len = line.length;
    if (len === 0) this.fail('Invalid empty path');
    const nul = line.indexOf(0);
    if (nul >= 0) this.fail(`Invalid embedded NUL character at position ${nul}`);
    this.split(line);
    const fs = this.fs;
    const fe = this.fe;

    // PATH (kept as bytes: a view of the line unless it has escapes)
    const pb = needsUnescape(line, fs[0]!, fe[0]!)
      ? this.unescapeBuf(line, fs[0]!, fe[0]!)
      : line.subarray(fs[0]!, fe[0]!);
    if (pb.length === 0) this.fail('Invalid empty path');
    if (pb.indexOf(0) >= 0) this.fail('Invalid embedded NUL in path');
    const isRootPath = pb.length === 1 && pb[0] === 0x2f;

    // MODE (optionally `@` = hardlink)
    const hardlink = fe[2]! > fs[2]! && line[fs[2]!] === 0x40;
    const modeU64 = strtoull(line, fs[2]! + (hardlink ? 1 : 0), fe[2]!, 8);
    if (modeU64 === undefined) this.fail(`Invalid integer ${this.fieldText(line, 2, hardlink ? 1 : 0)}`);
    const mode32 = Number(BigInt.asUintN(32, modeU64));
    const type = (mode32 & S_IFMT) >>> 0;
    if (!VALID_TYPES.has(type)) this.fail(`Invalid mode ${mode32.toString(8)}`);
    if (hardlink && type === S_IFDIR) this.fail("Directories can't be hardlinked");
    const mode = mode32 & 0xffff;

    // Location in the tree.
    let parent: Node | undefined;
    let name = '';
    if (this.root === undefined) {
      if (!isRootPath) this.fail('Root node not present');
      if (type !== S_IFDIR || hardlink) this.fail('Root must be a directory');
    } else {
      if (isRootPath) this.fail("Can't have multiple roots");
      [parent, name] = this.lookupParent(pb);
      if (name === '.' || name === '..') this.fail(`Invalid . or .. in path: ${pb.toString('latin1')}`);
      if (name === '' || name.length > 255 || parent.children!.has(name)) this.fail("Can't add child");
    }

    if (hardlink) {
      if (isDash(line, fs[8]!, fe[8]!)) this.fail('No target path for the hardlink');
      const target = this.unescapeStr(line, 8);
      if (target.includes('\0')) this.fail('Invalid embedded NUL in payload');
      const placeholder = newNode(mode);
      const path = pb.toString('latin1');
      const link: PendingLink = { placeholder, parent: parent!, name, path, target, line: this.lineNo };
      this.links.push(link);
      this.placeholders.set(placeholder, link);
      parent!.children!.set(name, placeholder);
      return;
    }

    let size = this.u64(line, 1);
    const nlink = this.u32(line, 3);
    const uid = this.u32(line, 4);
    const gid = this.u32(line, 5);
    let rdev = this.u64(line, 6);
    const mtime = this.mtime(line);

    // PAYLOAD
    let payload: string | undefined;
    if (!isDash(line, fs[8]!, fe[8]!)) {
      payload = this.unescapeStr(line, 8);
      if (payload.includes('\0')) this.fail('Invalid embedded NUL in payload');
    }
    // CONTENT
    let content: Buffer | undefined;
    if (!isDash(line, fs[9]!, fe[9]!)) {
      content = this.unescapeBuf(line, fs[9]!, fe[9]!);
      if (BigInt(content.length) !== size) {
        this.fail(`Invalid content size ${content.length}, must match size ${size}`);
      }
      if (content.length > DUMPFILE_LIMITS.maxInlineContent) {
        this.fail(`Inline content size ${content.length} exceeds maximum ${DUMPFILE_LIMITS.maxInlineContent}`);
      }
      if (content.length === 0) content = undefined;
    }
    // DIGEST
    let digest: Buffer | undefined;
    if (!isDash(line, fs[10]!, fe[10]!)) {
      digest = parseDigest(line, fs[10]!, fe[10]!);
      if (digest === undefined) this.fail('Invalid digest');
    }

    if (type === S_IFLNK) {
      if (payload === undefined || payload.length === 0 || payload.length > DUMPFILE_LIMITS.maxSymlink) {
        this.fail('Invalid symlink');
      }
    } else if (payload !== undefined && payload.length > DUMPFILE_LIMITS.maxPayload) {
      this.fail('Invalid payload');
    }

    // XATTRS
    const xattrs = new Map<ByteString, Buffer>();
    let pos = this.rest;
    if (pos < len) {
      if (len - pos > DUMPFILE_LIMITS.maxXattrRemainder) this.fail('Too many xattrs');
      let total = 12;
      while (pos < len) {
        const sp = line.indexOf(SPACE, pos);
        const end = sp < 0 ? len : sp;
        const eq = line.indexOf(0x3d, pos);
        if (eq < 0 || eq >= end) this.fail('Missing = in xattr');
        const rawKey = line.toString('latin1', pos, eq);
        let key = this.keyIntern.get(rawKey);
        if (key === undefined) {
          key = this.unescapeBuf(line, pos, eq).toString('latin1');
          if (this.keyIntern.size >= INTERN_MAX) this.keyIntern.clear();
          this.keyIntern.set(rawKey, key);
        }
        let value: Buffer | undefined;
        if (end - eq - 1 <= INTERN_VALUE_MAX) {
          const rawValue = line.toString('latin1', eq + 1, end);
          value = this.valueIntern.get(rawValue);
          if (value === undefined) {
            value = this.unescapeBuf(line, eq + 1, end);
            if (this.valueIntern.size >= INTERN_MAX) this.valueIntern.clear();
            this.valueIntern.set(rawValue, value);
          }
        } else {
          value = this.unescapeBuf(line, eq + 1, end);
        }
        if (key.includes('\0')) this.fail('Invalid embedded NUL in xattr name');
        if (key.length === 0 || key.length > DUMPFILE_LIMITS.maxXattrKey) this.fail("Can't set xattr");
        if (value.length > DUMPFILE_LIMITS.maxXattrValue) this.fail("Can't set xattr");
        const old = xattrs.get(key);
        if (old !== undefined) total -= 7 + key.length + old.length;
        total += 7 + key.length + value.length;
        if (total > DUMPFILE_LIMITS.maxXattrTotal) this.fail("Can't set xattr");
        xattrs.set(key, value);
        pos = end + 1;
      }
    }

    // Keep only what an image can represent (see the top comment).
    switch (type) {
      case S_IFREG:
        if (content !== undefined || size === 0n) {
          payload = undefined;
          digest = undefined;
        } else if (payload === '') payload = undefined;
        rdev = 0n;
        break;
      case S_IFLNK:
        size = BigInt(payload!.length);
        content = undefined;
        digest = undefined;
        rdev = 0n;
        break;
      case S_IFDIR:
        payload = undefined;
        content = undefined;
        digest = undefined;
        rdev = 0n;
        break;
      case S_IFCHR:
      case S_IFBLK:
        // SIZE is kept: C stores no data but picks the 64-byte inode for a size above 2^32-1.
        payload = undefined;
        content = undefined;
        digest = undefined;
        break;
      default: // fifo, socket (SIZE kept, as for devices)
        rdev = 0n;
        payload = undefined;
        content = undefined;
        digest = undefined;
    }

    const node: Node = { mode, uid, gid, nlink, rdev, size, mtime, xattrs };
    if (payload !== undefined) node.payload = payload;
    if (content !== undefined) node.content = content;
    if (digest !== undefined) node.digest = digest;
    if (type === S_IFDIR) node.children = new Map();

    if (parent === undefined) this.root = node;
    else parent.children!.set(name, node);
  }

  /** The (parent, name) entry a resolved hardlink target path names: the inode's own line. */
  private ownerEntry(root: Node, target: string): { parent: Node; name: ByteString } {
    const comps = target.split('/').filter((c) => c !== '');
    const name = comps.pop()!;
    const parent = this.lookupTarget(root, comps.join('/'))!;
    return { parent, name };
  }

  /** Looks a hardlink target up from the root (components split on `/`, empty ones skipped). */
  private lookupTarget(root: Node, target: string): Node | undefined {
    let cur: Node | undefined = root;
    for (const comp of target.split('/')) {
      if (comp === '') continue;
      cur = cur.children?.get(comp);
      if (cur === undefined) return undefined;
    }
    return cur;
  }

  private resolveLinks(root: Node): void {
    for (const link of this.links) {
      if (link.resolved !== undefined) continue;
      // Follow the chain; every link on it resolves to the same final node.
      const chain: PendingLink[] = [];
      const onChain = new Set<PendingLink>();
      let cur = link;
      let final: Node;
      for (;;) {
        chain.push(cur);
        onChain.add(cur);
        const t = this.lookupTarget(root, cur.target);
        if (t === undefined) throw new DumpfileError(cur.line, `No target at ${cur.target} for hardlink`);
        const next = this.placeholders.get(t);
        if (next === undefined) {
          final = t;
          break;
        }
        if (next.resolved !== undefined) {
          final = next.resolved;
          break;
        }
        if (next === cur) throw new DumpfileError(cur.line, `Self-referential hardlink ${cur.path}`);
        if (onChain.has(next)) {
          throw new DumpfileError(link.line, `Hardlink cycle through ${link.path} (Too many levels of symbolic links)`);
        }
        cur = next;
      }
      if ((final.mode & S_IFMT) === S_IFDIR) {
        throw new DumpfileError(link.line, `Hardlinks to directories are not supported: ${link.path} -> ${link.target}`);
      }
      for (const l of chain) l.resolved = final;
      if (final.owner === undefined) final.owner = this.ownerEntry(root, chain[chain.length - 1]!.target);
    }
    for (const link of this.links) link.parent.children!.set(link.name, link.resolved!);
    this.placeholders.clear();
  }
}

/**
 * Parses a whole dumpfile. A string is taken as a byte string (each code unit one byte, as
 * `dumpfileToString` returns it); code units above 0xFF are a TypeError.
 */
export function parseDumpfile(data: Buffer | Uint8Array | string): Node {
  let buf: Buffer | Uint8Array;
  if (typeof data === 'string') {
    // eslint-disable-next-line no-control-regex
    if (/[^\u0000-\u00ff]/.test(data)) throw new TypeError('parseDumpfile: string is not a byte string (code unit > 0xFF)');
    buf = Buffer.from(data, 'latin1');
  } else {
    buf = data;
  }
  const p = new DumpfileParser();
  p.push(buf);
  return p.end();
}

/** Parses a dumpfile from a stream of chunks (e.g. a `fs.createReadStream`). */
export async function parseDumpfileStream(stream: AsyncIterable<Buffer | Uint8Array | string>): Promise<Node> {
  const p = new DumpfileParser();
  for await (const chunk of stream) {
    p.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
  }
  return p.end();
}
