/**
 * fast-check arbitraries for RANDOM VALID composefs trees (src/tree/node.ts) and their dumpfiles.
 *
 * Every tree produced here is accepted by C `mkcomposefs --from-file` 1.0.8 AND yields an image:
 *  * no hardlinks to directories;
 *  * per-node xattrs stay far below the limits (≤ ~16 KiB per node), so the xattrs the C writer
 *    adds (metacopy, redirect of up to 4 KiB, whiteout markers) still fit;
 *  * overlay marker keys (`trusted.overlay.{whiteout,whiteouts,opaque}`,
 *    `user.overlay.{whiteout,whiteouts,opaque}`) only ever carry an EMPTY value, which avoids the
 *    C ERANGE bug of erofs.md §6.12 (it needs an old value longer than the new one);
 *  * digests are 32 bytes (C keeps only 32), rdev < 2^32 (the image stores u32), external sizes
 *    < 2^47 (far from the §6.8 huge chunk-map quirk).
 *
 * The trees are "parse-normalized": exactly what `parseDumpfile` returns for their dumpfile (see
 * the top of src/dumpfile/parse.ts: symlink size = target length, devices/fifos/sockets keep SIZE,
 * payload/digest only on external files, …). Hard links are shared Node objects.
 *
 * The dumpfile text is produced by an independent serializer here (not src/dumpfile/write.ts),
 * with random but meaning-preserving variations: line order (any parent-first order, children
 * shuffled), which occurrence of a hard link is the original (so `@` lines may point forward),
 * upper-case hex escapes, gratuitous escapes, leading zeros / `+` on numbers, `//`-prefixed or
 * relative paths, junk in the ignored fields of `@` lines, replaced duplicate xattrs, a missing
 * final newline.
 *
 * Exports: arbTree(), arbDumpfile(), arbTreeAndDumpfile(), serializeTree(), compareTrees().
 */
import fc from 'fast-check';
import {
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  compareBytes,
  type ByteString,
  type Node,
} from '../../src/tree/node.js';
import { xorshift32 } from './prng.js';

export interface TreeArbOptions {
  /** Max number of random entries below the root (default 30). */
  maxEntries?: number;
  /** Sometimes add one directory with 150–400 entries (default true). */
  bigDirs?: boolean;
  /** Hard links (default true). */
  hardlinks?: boolean;
  /** Whiteouts (`c 0 0`, default true). */
  whiteouts?: boolean;
  /**
   * Overlay marker xattr keys with empty values (default true). They are valid for C, but the C
   * reader (composefs-info) maps them back differently, so dump comparisons turn them off.
   */
  overlayMarkers?: boolean;
  /** Allow long symlink targets / payloads / xattr values / inline content (default true). */
  large?: boolean;
}

export const OVERLAY_MARKER_KEYS: readonly string[] = [
  'trusted.overlay.whiteout',
  'trusted.overlay.whiteouts',
  'trusted.overlay.opaque',
  'user.overlay.whiteout',
  'user.overlay.whiteouts',
  'user.overlay.opaque',
];

const latin1 = (bytes: Uint8Array): ByteString => Buffer.from(bytes).toString('latin1');

/** Bytes without NUL (and without `/` when `noSlash`). */
function arbBytes(min: number, max: number, noSlash: boolean): fc.Arbitrary<ByteString> {
  return fc.uint8Array({ minLength: min, maxLength: max }).map((a) => {
    for (let i = 0; i < a.length; i++) {
      if (a[i] === 0) a[i] = 1;
      if (noSlash && a[i] === 0x2f) a[i] = 0x5c;
    }
    return latin1(a);
  });
}

const arbName: fc.Arbitrary<ByteString> = fc
  .oneof(
    { weight: 8, arbitrary: fc.stringMatching(/^[a-z0-9_.-]{1,10}$/) },
    { weight: 3, arbitrary: arbBytes(1, 24, true) },
    { weight: 1, arbitrary: arbBytes(200, 255, true) },
    { weight: 1, arbitrary: fc.integer({ min: 200, max: 255 }).map((n) => 'n'.repeat(n)) },
    {
      weight: 2,
      arbitrary: fc.constantFrom('a b', 'x=y', '=', 'back\\slash', '-', '@', '00', 'ff', 'é', '\xff\xfe', 'tab\there', 'nl\nx', ' ', '...', '.a'),
    },
  )
  .filter((n) => n !== '.' && n !== '..' && n.length >= 1 && n.length <= 255);

const arbPerm = fc.oneof(fc.constantFrom(0o755, 0o644, 0o777, 0o000, 0o4755), fc.integer({ min: 0, max: 0o7777 }));
const arbId = fc.oneof(
  fc.constantFrom(0, 1, 1000, 65534, 65535, 65536, 0xffffffff),
  fc.integer({ min: 0, max: 0xffffffff }),
);
const arbNlink = fc.oneof(fc.constantFrom(1, 2, 3, 65535, 65536), fc.integer({ min: 0, max: 0xffffffff }));
const arbMtime = fc.record({
  sec: fc.oneof(
    fc.constantFrom(0n, 1700000000n, -1n, -5n, -(1n << 63n), (1n << 63n) - 1n),
    fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }),
  ),
  nsec: fc.oneof(fc.constantFrom(0, 1, 999999999, 0xffffffff), fc.integer({ min: 0, max: 999999999 })),
});
const arbDigest32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a));

interface XattrPair {
  key: ByteString;
  value: Buffer;
}

function arbXattrPair(opts: Required<TreeArbOptions>): fc.Arbitrary<XattrPair> {
  const keys: Array<fc.Arbitrary<string>> = [
    fc.constantFrom(
      'user.foo',
      'user.shared',
      'security.selinux',
      'security.ima',
      'system.posix_acl_access',
      'system.posix_acl_default',
      'trusted.foo',
      'trusted.overlay.redirect',
      'trusted.overlay.metacopy',
      'trusted.overlay.origin',
      'trusted.overlay.overlay.foo',
      'user.overlay.redirect',
      'user.overlay.bar',
      'lustre.lov',
      'user.a=b',
      'user.sp ace',
    ),
    fc.tuple(fc.constantFrom('user.', 'trusted.', 'security.', 'system.', 'x.'), arbBytes(1, 40, false)).map(
      ([p, s]) => p + s.replace(/=/g, '_'),
    ),
    fc.integer({ min: 240, max: 255 }).map((n) => `user.${'k'.repeat(n - 5)}`),
  ];
  if (opts.overlayMarkers) keys.push(fc.constantFrom(...OVERLAY_MARKER_KEYS));
  const value = fc.oneof(
    { weight: 6, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.constantFrom('', 'x', 'y', '-', '=', 'a=b', 'system_u:object_r:etc_t:s0\0').map((s) => Buffer.from(s, 'latin1')) },
    { weight: opts.large ? 1 : 0, arbitrary: fc.uint8Array({ minLength: 500, maxLength: 3000 }) },
  );
  return fc.record({ key: fc.oneof(...keys), value }).map(({ key, value }) => ({
    key,
    value: OVERLAY_MARKER_KEYS.includes(key) ? Buffer.alloc(0) : Buffer.from(value),
  }));
}

const MAX_XATTR_TOTAL = 16000;

function buildXattrs(pool: XattrPair[], picks: number[], own: XattrPair[]): Map<ByteString, Buffer> {
  const m = new Map<ByteString, Buffer>();
  let total = 12;
  const add = (p: XattrPair): void => {
    if (m.has(p.key)) return;
    const cost = 7 + p.key.length + p.value.length;
    if (total + cost > MAX_XATTR_TOTAL) return;
    total += cost;
    m.set(p.key, p.value);
  };
  if (pool.length > 0) for (const i of picks) add(pool[i % pool.length]!);
  for (const p of own) add(p);
  return m;
}

type Kind = 'dir' | 'inline' | 'external' | 'empty' | 'symlink' | 'chr' | 'blk' | 'whiteout' | 'fifo' | 'sock' | 'link';

interface EntrySpec {
  parent: number;
  name: ByteString;
  kind: Kind;
  perm: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: { sec: bigint; nsec: number };
  picks: number[];
  own: XattrPair[];
  /** kind-specific */
  size: bigint;
  content: Buffer;
  payload: ByteString | undefined;
  digest: Buffer | undefined;
  rdev: bigint;
  linkTarget: number;
}

function arbEntry(opts: Required<TreeArbOptions>): fc.Arbitrary<EntrySpec> {
  const kinds: Array<{ weight: number; arbitrary: fc.Arbitrary<Kind> }> = [
    { weight: 5, arbitrary: fc.constant('dir') },
    { weight: 5, arbitrary: fc.constant('inline') },
    { weight: 5, arbitrary: fc.constant('external') },
    { weight: 2, arbitrary: fc.constant('empty') },
    { weight: 3, arbitrary: fc.constant('symlink') },
    { weight: 1, arbitrary: fc.constant('chr') },
    { weight: 1, arbitrary: fc.constant('blk') },
    { weight: opts.whiteouts ? 2 : 0, arbitrary: fc.constant('whiteout') },
    { weight: 1, arbitrary: fc.constant('fifo') },
    { weight: 1, arbitrary: fc.constant('sock') },
    { weight: opts.hardlinks ? 3 : 0, arbitrary: fc.constant('link') },
  ];
  const contentLen = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 1, max: 100 }) },
    { weight: opts.large ? 2 : 0, arbitrary: fc.constantFrom(63, 64, 65, 2048, 2049, 4095, 4096, 4097, 5000) },
    { weight: opts.large ? 1 : 0, arbitrary: fc.integer({ min: 101, max: 5000 }) },
  );
  const extSize = fc.oneof(
    fc.bigInt({ min: 1n, max: 100000n }),
    fc.constantFrom(1n, 4095n, 4096n, 4097n, 1n << 20n, (1n << 32n) + 1n, 1n << 40n, (1n << 40n) + 12345n),
    fc.bigInt({ min: 1n, max: (1n << 46n) }),
  );
  const payloadArb = fc.oneof(
    fc.constant(undefined),
    fc.tuple(fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([d]) => {
      const h = Buffer.from(d).toString('hex');
      return `${h.slice(0, 2)}/${h.slice(2)}`;
    }),
    arbBytes(1, 60, false),
    fc.constantFrom('/abs/x', 'rel', '-', 'a b=c'),
    ...(opts.large ? [arbBytes(3900, 4095, false)] : []),
  );
  const symTarget = fc.oneof(
    { weight: 8, arbitrary: arbBytes(1, 60, false) },
    { weight: 1, arbitrary: fc.constantFrom('-', '/target', '../x', 'a b') },
    { weight: opts.large ? 1 : 0, arbitrary: arbBytes(4000, 4095, false) },
  );
  return fc
    .record({
      parent: fc.nat(),
      name: arbName,
      kind: fc.oneof(...kinds),
      perm: arbPerm,
      uid: arbId,
      gid: arbId,
      nlink: arbNlink,
      mtime: arbMtime,
      picks: fc.array(fc.nat(), { maxLength: 4 }),
      own: fc.array(arbXattrPair(opts), { maxLength: 1 }),
      contentLen,
      contentSeed: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      extSize,
      payload: payloadArb,
      symTarget,
      digest: fc.option(arbDigest32, { nil: undefined }),
      rdev: fc.oneof(fc.constantFrom(1n, 259n, 0xffffffffn), fc.bigInt({ min: 1n, max: 0xffffffffn })),
      linkTarget: fc.nat(),
    })
    .map((r): EntrySpec => {
      let size = 0n;
      let content = Buffer.alloc(0);
      let payload: ByteString | undefined;
      let digest: Buffer | undefined;
      let rdev = 0n;
      switch (r.kind) {
        case 'inline': {
          content = Buffer.alloc(r.contentLen);
          for (let i = 0; i < content.length; i++) content[i] = r.contentSeed[i % r.contentSeed.length]! ^ (i >> 6);
          size = BigInt(content.length);
          break;
        }
        case 'external':
          size = r.extSize;
          payload = r.payload;
          digest = r.digest;
          break;
        case 'symlink':
          payload = r.symTarget;
          size = BigInt(r.symTarget.length);
          break;
        case 'chr':
        case 'blk':
          rdev = r.rdev;
          break;
        default:
          break;
      }
      return {
        parent: r.parent,
        name: r.name,
        kind: r.kind,
        perm: r.perm,
        uid: r.uid,
        gid: r.gid,
        nlink: r.nlink,
        mtime: r.mtime,
        picks: r.picks,
        own: r.own,
        size,
        content,
        payload,
        digest,
        rdev,
        linkTarget: r.linkTarget,
      };
    });
}

const KIND_TYPE: Record<Exclude<Kind, 'link'>, number> = {
  dir: S_IFDIR,
  inline: S_IFREG,
  external: S_IFREG,
  empty: S_IFREG,
  symlink: S_IFLNK,
  chr: S_IFCHR,
  blk: S_IFBLK,
  whiteout: S_IFCHR,
  fifo: S_IFIFO,
  sock: S_IFSOCK,
};

function buildTree(
  root: EntrySpec,
  entries: EntrySpec[],
  pool: XattrPair[],
  big: { count: number; seed: number } | null,
): Node {
  const mk = (e: EntrySpec, kind: Exclude<Kind, 'link'>): Node => {
    const node: Node = {
      mode: KIND_TYPE[kind] | e.perm,
      uid: e.uid,
      gid: e.gid,
      nlink: e.nlink,
      rdev: kind === 'chr' || kind === 'blk' ? e.rdev : 0n,
      size: kind === 'dir' ? 0n : e.size,
      mtime: { sec: e.mtime.sec, nsec: e.mtime.nsec },
      xattrs: buildXattrs(pool, e.picks, e.own),
    };
    if (kind === 'dir') node.children = new Map();
    if (kind === 'inline') node.content = e.content;
    if ((kind === 'external' || kind === 'symlink') && e.payload !== undefined && e.payload !== '') node.payload = e.payload;
    if (kind === 'external' && e.digest !== undefined) node.digest = e.digest;
    return node;
  };
  const rootNode = mk(root, 'dir');
  const dirs: Node[] = [rootNode];
  const nonDirs: Node[] = [];
  const pendingLinks: Array<{ parent: Node; name: ByteString; target: number }> = [];
  for (const e of entries) {
    const parent = dirs[e.parent % dirs.length]!;
    if (parent.children!.has(e.name)) continue;
    if (e.kind === 'link') {
      // Placeholder so the name is taken; resolved once all nodes exist (targets may be later).
      parent.children!.set(e.name, rootNode);
      pendingLinks.push({ parent, name: e.name, target: e.linkTarget });
      continue;
    }
    const node = mk(e, e.kind);
    parent.children!.set(e.name, node);
    if (e.kind === 'dir') dirs.push(node);
    else nonDirs.push(node);
  }
  for (const l of pendingLinks) {
    if (nonDirs.length === 0) {
      const empty: Node = { mode: S_IFREG | 0o644, uid: 0, gid: 0, nlink: 1, rdev: 0n, size: 0n, mtime: { sec: 0n, nsec: 0 }, xattrs: new Map() };
      l.parent.children!.set(l.name, empty);
      nonDirs.push(empty);
    } else {
      l.parent.children!.set(l.name, nonDirs[l.target % nonDirs.length]!);
    }
  }
  if (big !== null) {
    const dir: Node = { mode: S_IFDIR | 0o755, uid: 0, gid: 0, nlink: 2, rdev: 0n, size: 0n, mtime: { sec: 1700000000n, nsec: 0 }, xattrs: new Map(), children: new Map() };
    let name = 'big';
    while (rootNode.children!.has(name)) name += '_';
    rootNode.children!.set(name, dir);
    for (let i = 0; i < big.count; i++) {
      const n = (i * 2654435761 + big.seed) >>> 0;
      const childName = `${'f'.repeat(n % 40)}${i.toString(36)}_${n.toString(16)}`;
      const kind = n % 5;
      const child: Node = {
        mode: (kind === 0 ? S_IFLNK | 0o777 : S_IFREG | 0o644),
        uid: n % 3 === 0 ? 70000 : 0,
        gid: 0,
        nlink: 1,
        rdev: 0n,
        size: 0n,
        mtime: { sec: 1700000000n + BigInt(n % 1000), nsec: n % 7 === 0 ? n % 1000000000 : 0 },
        xattrs: new Map(n % 4 === 0 ? [['user.shared', Buffer.from('v')]] : []),
      };
      if (kind === 0) {
        child.payload = `target-${n}`;
        child.size = BigInt(child.payload.length);
      } else if (kind === 1) {
        child.content = Buffer.from(`content ${n}\n`, 'latin1');
        child.size = BigInt(child.content.length);
      } else if (kind === 2) {
        child.size = BigInt(n % 100000) + 1n;
      }
      dir.children!.set(childName, child);
    }
  }
  return rootNode;
}

const DEFAULTS: Required<TreeArbOptions> = {
  maxEntries: 30,
  bigDirs: true,
  hardlinks: true,
  whiteouts: true,
  overlayMarkers: true,
  large: true,
};

/** Random valid trees (see the module comment). */
export function arbTree(options: TreeArbOptions = {}): fc.Arbitrary<Node> {
  const opts = { ...DEFAULTS, ...options };
  return fc
    .record({
      root: arbEntry(opts),
      entries: fc.array(arbEntry(opts), { maxLength: opts.maxEntries }),
      pool: fc.array(arbXattrPair(opts), { maxLength: 8 }),
      big: opts.bigDirs
        ? fc.option(fc.record({ count: fc.integer({ min: 150, max: 400 }), seed: fc.nat() }), { freq: 12, nil: null })
        : fc.constant(null),
    })
    .map(({ root, entries, pool, big }) => {
      // The root is always a directory; its spec's kind is ignored.
      return buildTree({ ...root, size: 0n }, entries, pool, big);
    });
}

/** Meaning-preserving variations of the textual form. */
export interface SerializeStyle {
  shuffleSeed: number;
  /** Which walk occurrence of a hard-linked node gets the full line. */
  original: 'first' | 'last';
  upperHex: boolean;
  /** Escape these printable bytes gratuitously (`\xHH`). */
  extraEscape: string;
  numberPrefix: '' | '0' | '+';
  modePrefix: '' | '0';
  pathForm: 'abs' | 'double' | 'relative';
  linkJunk: boolean;
  dupXattr: boolean;
  finalNewline: boolean;
  /** SIZE written on symlink lines (the parser overrides it with the target length); undefined = real. */
  fakeSize: bigint | undefined;
}

export const arbStyle: fc.Arbitrary<SerializeStyle> = fc.record({
  shuffleSeed: fc.nat(),
  original: fc.constantFrom('first' as const, 'last' as const),
  upperHex: fc.boolean(),
  extraEscape: fc.constantFrom('', 'a', 'a/', '-=', 'xyz'),
  numberPrefix: fc.constantFrom('' as const, '0' as const, '+' as const),
  modePrefix: fc.constantFrom('' as const, '0' as const),
  pathForm: fc.constantFrom('abs' as const, 'double' as const, 'relative' as const),
  linkJunk: fc.boolean(),
  dupXattr: fc.boolean(),
  finalNewline: fc.boolean(),
  fakeSize: fc.constantFrom(undefined, 0n, 1n, 4096n),
});

export const CANONICAL_STYLE: SerializeStyle = {
  shuffleSeed: 0,
  original: 'first',
  upperHex: false,
  extraEscape: '',
  numberPrefix: '',
  modePrefix: '',
  pathForm: 'abs',
  linkJunk: false,
  dupXattr: false,
  finalNewline: true,
  fakeSize: undefined,
};

/** Independent escaper (deliberately not src/dumpfile/escape.ts). */
function esc(s: ByteString | Buffer, field: 'path' | 'payload' | 'content' | 'xattr', style: SerializeStyle): string {
  const str = typeof s === 'string' ? s : s.toString('latin1');
  if ((field === 'payload' || field === 'content') && str === '-') return style.upperHex ? '\\x2D' : '\\x2d';
  let out = '';
  for (let i = 0; i < str.length; i++) {
    const ch = str[i]!;
    const c = str.charCodeAt(i);
    const hex = (): string => {
      const h = c.toString(16).padStart(2, '0');
      return `\\x${style.upperHex ? h.toUpperCase() : h}`;
    };
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x21 || c > 0x7e) out += hex();
    else if (field === 'xattr' && ch === '=') out += hex();
    else if (style.extraEscape.includes(ch) && !(field === 'path' && ch === '/')) out += hex();
    else out += ch;
  }
  return out;
}

/** Tiny deterministic PRNG for shuffling, in [0, 1). */
function rng(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 0x100000000;
}

/**
 * Serializes a tree to dumpfile text (a byte string; ASCII apart from nothing — all other bytes
 * are escaped) with the given style. Parsing the result gives back an equal tree.
 */
export function serializeTree(root: Node, style: SerializeStyle = CANONICAL_STYLE): string {
  const rand = rng(style.shuffleSeed);
  // 1. Walk order (parents before children, children shuffled unless seed 0).
  const order: Array<{ path: ByteString; node: Node }> = [];
  const walk = (path: ByteString, node: Node): void => {
    order.push({ path, node });
    if (node.children === undefined) return;
    const names = [...node.children.keys()].sort(compareBytes);
    if (style.shuffleSeed !== 0) {
      for (let i = names.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [names[i], names[j]] = [names[j]!, names[i]!];
      }
    }
    for (const n of names) walk(path === '/' ? `/${n}` : `${path}/${n}`, node.children.get(n)!);
  };
  walk('/', root);
  // 2. Originals of hard-linked nodes.
  const originalPath = new Map<Node, ByteString>();
  const seq = style.original === 'first' ? order : [...order].reverse();
  for (const { path, node } of seq) if (!originalPath.has(node)) originalPath.set(node, path);

  const num = (v: bigint | number): string => {
    if (style.numberPrefix === '') return String(v);
    if (typeof v === 'bigint' && v < 0n) return String(v);
    return style.numberPrefix + String(v);
  };
  const pathText = (p: ByteString): string => {
    if (p === '/') return '/';
    const e = esc(p, 'path', style);
    if (style.pathForm === 'double') return `/${e}`;
    if (style.pathForm === 'relative') return e.slice(1);
    return e;
  };
  const lines: string[] = [];
  for (const { path, node } of order) {
    const type = node.mode & S_IFMT;
    const orig = originalPath.get(node)!;
    const isLink = orig !== path;
    if (isLink && style.linkJunk) {
      // Only PATH, MODE and PAYLOAD of an @ line are read: the rest may be anything.
      lines.push(`${pathText(path)} x @${style.modePrefix}${node.mode.toString(8)} x x x x y ${esc(orig, 'payload', style)} \\q - junk`);
      continue;
    }
    const sizeOut = type === S_IFLNK ? (style.fakeSize ?? node.size) : node.size;
    const payload = isLink ? esc(orig, 'payload', style) : node.payload === undefined ? '-' : esc(node.payload, 'payload', style);
    // A content written on a symlink/device/... must then match the fake SIZE; keep `-`.
    const content = node.content === undefined || node.content.length === 0 ? '-' : esc(node.content, 'content', style);
    const digest = node.digest === undefined ? '-' : style.upperHex ? node.digest.toString('hex').toUpperCase() : node.digest.toString('hex');
    let xattrs = '';
    let first = true;
    for (const [k, v] of node.xattrs) {
      if (first && style.dupXattr) xattrs += ` ${esc(k, 'xattr', style)}=`;
      first = false;
      xattrs += ` ${esc(k, 'xattr', style)}=${esc(v, 'xattr', style)}`;
    }
    lines.push(
      `${pathText(path)} ${num(sizeOut)} ${isLink ? '@' : ''}${style.modePrefix}${node.mode.toString(8)} ${num(node.nlink)} ${num(node.uid)} ${num(node.gid)} ${num(node.rdev)} ${num(node.mtime.sec)}.${num(node.mtime.nsec)} ${payload} ${content} ${digest}${xattrs}`,
    );
  }
  return lines.join('\n') + (style.finalNewline ? '\n' : '');
}

/** A random valid tree together with a (randomly styled) dumpfile that describes it. */
export function arbTreeAndDumpfile(options: TreeArbOptions = {}): fc.Arbitrary<{ tree: Node; dumpfile: string }> {
  return fc.tuple(arbTree(options), arbStyle).map(([tree, style]) => ({ tree, dumpfile: serializeTree(tree, style) }));
}

/** Random valid dumpfile text (a byte string). */
export function arbDumpfile(options: TreeArbOptions = {}): fc.Arbitrary<string> {
  return arbTreeAndDumpfile(options).map((x) => x.dumpfile);
}

/**
 * Structural comparison of two trees, including hard-link identity (the same Node reached twice
 * in `a` must be the same Node in `b`, and vice versa). Returns undefined when equal, otherwise a
 * description of the first difference.
 */
export function compareTrees(a: Node, b: Node): string | undefined {
  const mapAB = new Map<Node, Node>();
  const mapBA = new Map<Node, Node>();
  const stack: Array<[string, Node, Node]> = [['/', a, b]];
  const show = (s: string): string => JSON.stringify(s);
  while (stack.length > 0) {
    const [path, x, y] = stack.pop()!;
    const mx = mapAB.get(x);
    const my = mapBA.get(y);
    if (mx !== undefined || my !== undefined) {
      if (mx !== y || my !== x) return `${show(path)}: hard-link structure differs`;
      continue;
    }
    mapAB.set(x, y);
    mapBA.set(y, x);
    const fields = ['mode', 'uid', 'gid', 'nlink', 'rdev', 'size', 'payload'] as const;
    for (const f of fields) {
      if (x[f] !== y[f]) return `${show(path)}: ${f} ${String(x[f])} != ${String(y[f])}`;
    }
    if (x.mtime.sec !== y.mtime.sec || x.mtime.nsec !== y.mtime.nsec) return `${show(path)}: mtime differs`;
    const bufEq = (p?: Buffer, q?: Buffer): boolean => (p === undefined ? q === undefined : q !== undefined && p.equals(q));
    if (!bufEq(x.content, y.content)) return `${show(path)}: content differs`;
    if (!bufEq(x.digest, y.digest)) return `${show(path)}: digest differs`;
    const xa = [...x.xattrs];
    const ya = [...y.xattrs];
    if (xa.length !== ya.length) return `${show(path)}: xattr count ${xa.length} != ${ya.length}`;
    for (let i = 0; i < xa.length; i++) {
      if (xa[i]![0] !== ya[i]![0] || !xa[i]![1].equals(ya[i]![1])) return `${show(path)}: xattr #${i} differs (${show(xa[i]![0])} vs ${show(ya[i]![0])})`;
    }
    if ((x.children === undefined) !== (y.children === undefined)) return `${show(path)}: children presence differs`;
    if (x.children !== undefined && y.children !== undefined) {
      if (x.children.size !== y.children.size) return `${show(path)}: ${x.children.size} != ${y.children.size} children`;
      for (const [name, cx] of x.children) {
        const cy = y.children.get(name);
        if (cy === undefined) return `${show(path)}: missing child ${show(name)}`;
        stack.push([path === '/' ? `/${name}` : `${path}/${name}`, cx, cy]);
      }
    }
  }
  return undefined;
}
