/**
 * Mutation fuzzing of the dumpfile parser (src/dumpfile: parseDumpfile, DumpfileParser).
 *
 * Seeds: the composefs-rs 0.9 fixtures (copied below as strings: CI has /work/shared only as
 * ../shared), a few handwritten dumpfiles, and valid random dumpfiles from test/helpers/tree-arb.ts.
 * Each case applies 1–4 mutations to a seed: bit flips, byte insert/delete/overwrite, truncation,
 * duplicated/deleted/swapped lines, swapped fields (within a line and across lines), fields
 * replaced by edge values (huge/negative/odd numbers, odd modes, paths, digests, xattrs), random
 * escapes (valid, invalid, truncated), huge fields, separator changes (tabs, CRLF, blank lines),
 * lines spliced in from other seeds.
 *
 * Oracle, per case:
 *  1. parseDumpfile either returns a root directory or throws DumpfileError with a 1-based line
 *     number and a non-empty reason; anything else (TypeError, RangeError, an internal error, a
 *     non-directory root) is a failure;
 *  2. on a share of the cases, the streaming DumpfileParser fed the same bytes in random chunks
 *     agrees with it (same accept/reject, same line and reason);
 *  3. each case is bounded in time: cases run in batches under a vm watchdog (which interrupts
 *     even an endless loop), and every case's own duration must stay under CASE_MS.
 *
 * Env: CFSBOOT_FUZZ_CASES (default 100000), CFSBOOT_FUZZ_SEED (default: fixed), CFSBOOT_FUZZ_CASE_MS
 * (default 1000). A failure prints the seed, the case number and the path of the saved input.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DumpfileError, DumpfileParser, dumpfileToBuffer, parseDumpfile } from '../../../src/dumpfile/index.js';
import { S_IFDIR, S_IFMT, type Node } from '../../../src/tree/node.js';
import { arbDumpfile, compareTrees } from '../../helpers/tree-arb.js';

const CASES = Number(process.env.CFSBOOT_FUZZ_CASES ?? 100_000);
const SEED = Number(process.env.CFSBOOT_FUZZ_SEED ?? 0x5eed_cf5b);
const CASE_MS = Number(process.env.CFSBOOT_FUZZ_CASE_MS ?? 1000);
const BATCH = 250;
/** Share of the cases also parsed by the streaming parser in random chunks (1 in N). */
const STREAM_EVERY = 4;

// ------------------------------------------------------------------------------------ seeds ---

/** composefs-rs 0.9 test fixtures (/work/shared/fixtures/composefs-rs-0.9/*.dump), verbatim. */
const FIXTURES: Record<string, string> = {
  'empty.dump': '/ 0 40755 2 0 0 0 0.0 - - -\n',
  'simple.dump': [
    '/ 0 40755 2 0 0 0 0.0 - - -',
    '/blkdev 0 60000 1 0 0 123 0.0 - - -',
    '/chrdev 0 20000 1 0 0 123 0.0 - - -',
    '/fifo 0 10000 1 0 0 0 0.0 - - -',
    '/regular-external 1234 100000 1 0 0 0 0.0 5a/5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a - 5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a',
    '/regular-inline 4 100000 1 0 0 0 0.0 - hihi -',
    '/socket 0 140000 1 0 0 0 0.0 - - -',
    '/symlink 7 120000 1 0 0 0 0.0 /target - -',
    '',
  ].join('\n'),
  'special.dump': [
    '/ 0 40555 2 0 0 0 1633950376.0 - - - trusted.foo1=bar-1 user.foo2=bar-2',
    '/blockdev 0 60777 1 0 0 107690 1633950376.0 - - - trusted.bar=bar-2',
    '/chardev 0 20777 1 0 0 10769 1633950376.0 - - - trusted.foo=bar-2',
    '/escaped-xattr 0 100777 1 0 0 0 1633950376.0 - - - trusted.overlay.redirect=/foo\\n user.foo=bar-2 user.overlay.redirect=/foo\\n',
    '/external 42 100755 1 0 0 0 1731497312.0 70/a9125438f7255245f596c54cebb6621cb9a64f062752cf26763c1b690e7340 - 70a9125438f7255245f596c54cebb6621cb9a64f062752cf26763c1b690e7340',
    '/fifo 0 10777 1 0 0 0 1633950376.0 - - - trusted.bar=bar-2',
    '/inline 15 100777 1 0 0 0 1633950376.0 - FOOBAR\\nINAFILE\\n - user.foo=bar-2',
    `/inline-large1 63 100777 1 0 0 0 1633950376.0 - ${'A'.repeat(63)} -`,
    `/inline-large2 64 100777 1 0 0 0 1633950376.0 - ${'B'.repeat(64)} -`,
    `/inline-large3 256 100777 1 0 0 0 1665486376.0 - ${'C'.repeat(256)} -`,
    '/whiteout 0 20777 1 0 0 0 1633950376.0 - - - trusted.foo=bar-2',
    '',
  ].join('\n'),
  'special_v1.dump': [
    '/ 4096 40555 2 0 0 0 1633950376.0 - - - trusted.foo1=bar-1 user.foo2=bar-2',
    '/blockdev 0 60777 1 0 0 107690 1633950376.0 - - - trusted.bar=bar-2',
    '/chardev 0 20777 1 0 0 10769 1633950376.0 - - - trusted.foo=bar-2',
    '/escaped-xattr 0 100777 1 0 0 0 1633950376.0 - - - trusted.overlay.redirect=/foo\\n user.overlay.redirect=/foo\\n user.foo=bar-2',
    '/fifo 0 10777 1 0 0 0 1633950376.0 - - - trusted.bar=bar-2',
    '/inline 15 100777 1 0 0 0 1633950376.0 - FOOBAR\\nINAFILE\\n - user.foo=bar-2',
    '/whiteout 0 20777 1 0 0 0 1633950376.0 - - - trusted.foo=bar-2',
    '',
  ].join('\n'),
};

/** Handwritten seeds for what the fixtures lack: hard links (forward, chained), nesting, escapes. */
const HANDWRITTEN: string[] = [
  [
    '/ 4096 40755 3 0 0 0 1700000000.123456789 - - - user.root=yes security.selinux=system_u:object_r:root_t:s0\\x00',
    '/d 4096 40700 2 1000 1000 0 1700000004.0 - - - trusted.overlay.opaque=y',
    '/d/hard 11 @100644 1 0 0 0 0.0 /hello - -',
    '/d/chain junk @100644 x y z w v /d/hard q r',
    '/hello 11 100644 2 1000 1000 0 1700000001.5 - hello\\x20world -',
    '/big 100000 100644 1 0 0 0 1700000002.0 1e/2eaa4202d750a41174ee454970b92c1bc2f925b1e35076d8c7d5f56362ba64 - 1e2eaa4202d750a41174ee454970b92c1bc2f925b1e35076d8c7d5f56362ba64',
    '/link 5 120777 1 0 0 0 1700000003.0 hello - -',
    '/wh 0 20000 1 0 0 0 0.0 - - -',
    '/sp\\x20ace\\x3d 0 100644 1 4294967295 4294967295 0 -5.999999999 - - - user.a\\x3db=c\\x00d',
    '/e 0 100000 1 0 0 0 0.0 - - - user.empty=',
    '',
  ].join('\n'),
  '/ 0 40755 2 0 0 0 0.0 - - -\n/a 4096 40755 2 0 0 0 0.0 - - -\n/a/b 4096 40755 2 0 0 0 0.0 - - -\n/a/b/c 3 100644 1 0 0 0 0.0 - abc -\n/a/b/l 0 @100644 0 0 0 0 0.0 a/b/c - -\n',
  `/ 0 40755 2 0 0 0 0.0 - - -\n/${'n'.repeat(255)} 0 100644 1 0 0 0 0.0 - - -\n/s ${4095} 120777 1 0 0 0 0.0 ${'t'.repeat(4095)} - -\n`,
];

function seeds(): string[] {
  const generated = fc.sample(
    fc.oneof(
      { weight: 8, arbitrary: arbDumpfile({ maxEntries: 12, bigDirs: false, large: false }) },
      { weight: 3, arbitrary: arbDumpfile({ maxEntries: 12, bigDirs: false, large: true }) },
      { weight: 1, arbitrary: arbDumpfile({ maxEntries: 4, bigDirs: true, large: false }) },
    ),
    { numRuns: 150, seed: SEED },
  );
  return [...Object.values(FIXTURES), ...HANDWRITTEN, ...generated];
}

// ---------------------------------------------------------------------------------- mutator ---

/** sfc32: small, fast, seedable. */
function prng(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed | 0;
  const next = (): number => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

type Rng = () => number;
const int = (r: Rng, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;

const HUGE_NUMBERS = [
  '0', '00', '-0', '+0', '-1', '+1', '-', '+', '', ' 1', '1 ', '\\x31',
  '4294967295', '4294967296', '-4294967296', '65535', '65536',
  '18446744073709551615', '18446744073709551616', '-18446744073709551615', '-18446744073709551616',
  '9223372036854775807', '9223372036854775808', '-9223372036854775808',
  '340282366920938463463374607431768211456', '9'.repeat(40), '1'.repeat(400), '0'.repeat(300) + '1',
  '0x10', '1e3', '1.5', '0777', '0999', '08', '\u00b9', '\t7', '\x0b3',
];
const MTIMES = [
  '0.0', '0', '.', '1.', '.1', '-1.0', '-1.-1', '1.-1', '1.999999999', '1.1000000000', '1.4294967296', '1.18446744073709551616',
  '18446744073709551616.0', '-9223372036854775809.5', '9223372036854775807.999999999', '1.2.3', '1..2', 'a.b', '+1.+1', ' 1. 1',
];
const MODES = [
  '40755', '100644', '120777', '20000', '60644', '10644', '140755', '@100644', '@40755', '@120777', '@', '@@100644',
  '0', '170000', '177777', '7777777', '37777777777', '40000000000', '-40755', '+100644', '0100644', '100648', '@-1', '0x41ed',
];
const PATHS = [
  '/', '//', '///', 'rel', '.', '..', '/.', '/..', '/a/.', '/a/..', '/a//b', '/a/', '/x/y/z', '/\\x2f', '/a\\x00b', '\\x00',
  `/${'n'.repeat(255)}`, `/${'n'.repeat(256)}`, `/${'d/'.repeat(2000)}f`, '/\\xff\\xfe', '/-', '/@', '/=', '-',
];
const DIGESTS = [
  '-', '', 'a'.repeat(64), 'A'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), 'f'.repeat(128), 'g'.repeat(64), '0'.repeat(127),
  `${'ab'.repeat(31)}\\x61b`, '5a/5a5a', '--',
];
const PAYLOADS = ['-', '', '/', '/target', 'ab/cdef', 't'.repeat(4095), 't'.repeat(4096), '/hello', '/d/hard', '/d', '\\x00', '\\', '//hello'];
const CONTENTS = ['-', '', 'x', 'hihi', 'A'.repeat(5000), 'A'.repeat(5001), '\\x00\\x01', '\\', 'abc\\'];
const XATTRS = [
  'user.a=b', 'user.a=', '=', '=x', 'user.', 'user.=v', 'nokey', 'a=b=c', 'user.a=b user.a=c', 'trusted.overlay.opaque=y',
  'trusted.overlay.whiteout=', 'user.overlay.whiteouts=x', 'trusted.overlay.redirect=/foo', 'trusted.overlay.metacopy=',
  'security.selinux=\\x00', `user.${'k'.repeat(251)}=v`, `user.${'k'.repeat(252)}=v`, `user.v=${'v'.repeat(65535)}`,
  `user.v=${'v'.repeat(65536)}`, Array.from({ length: 200 }, (_, i) => `user.x${i}=${'y'.repeat(150)}`).join(' '),
  'user.\\x00=1', 'user.a=\\', 'user.a=\\x', '\\x3d=\\x3d',
];
const ESCAPES = [
  '\\', '\\\\', '\\x', '\\x4', '\\x41', '\\xZZ', '\\x00', '\\xff', '\\XFF', '\\n', '\\t', '\\r', '\\0', '\\u0041', '\\=', '\\ ', '\\-', '\\x2d', '\\x20', '\\x0a',
];
const BYTES = [0x00, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x2d, 0x2b, 0x2e, 0x2f, 0x3d, 0x40, 0x5c, 0x78, 0x30, 0x39, 0x7f, 0x80, 0xff];

function tokenFor(r: Rng, field: number): string {
  switch (field) {
    case 0:
      return pick(r, PATHS);
    case 2:
      return pick(r, MODES);
    case 7:
      return pick(r, MTIMES);
    case 8:
      return pick(r, PAYLOADS);
    case 9:
      return pick(r, CONTENTS);
    case 10:
      return pick(r, DIGESTS);
    case 1:
    case 3:
    case 4:
    case 5:
    case 6:
      return pick(r, HUGE_NUMBERS);
    default:
      return pick(r, XATTRS);
  }
}

const randomByteChar = (r: Rng): string => String.fromCharCode(r() < 0.5 ? pick(r, BYTES) : int(r, 256));

/** One mutation of a byte string (a latin1 JS string: each char one byte). */
function mutateOnce(r: Rng, s: string, corpus: readonly string[]): string {
  const pos = (): number => int(r, s.length + 1);
  const lines = (): string[] => s.split('\n');
  switch (int(r, 17)) {
    case 0: {
      // bit flip
      if (s.length === 0) return s;
      const i = int(r, s.length);
      return s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << int(r, 8))) + s.slice(i + 1);
    }
    case 1: {
      // overwrite a byte with an interesting one
      if (s.length === 0) return s;
      const i = int(r, s.length);
      return s.slice(0, i) + randomByteChar(r) + s.slice(i + 1);
    }
    case 2: {
      // insert 1–8 bytes
      const i = pos();
      let ins = '';
      for (let n = 1 + int(r, 8); n > 0; n--) ins += randomByteChar(r);
      return s.slice(0, i) + ins + s.slice(i);
    }
    case 3: {
      // delete 1–16 bytes
      const i = pos();
      return s.slice(0, i) + s.slice(i + 1 + int(r, 16));
    }
    case 4:
      // truncate
      return s.slice(0, pos());
    case 5: {
      // duplicate a line (in place or elsewhere)
      const ls = lines();
      const i = int(r, ls.length);
      ls.splice(r() < 0.5 ? i : int(r, ls.length + 1), 0, ls[i]!);
      return ls.join('\n');
    }
    case 6: {
      // delete a line
      const ls = lines();
      ls.splice(int(r, ls.length), 1);
      return ls.join('\n');
    }
    case 7: {
      // swap two lines
      const ls = lines();
      const i = int(r, ls.length);
      const j = int(r, ls.length);
      [ls[i], ls[j]] = [ls[j]!, ls[i]!];
      return ls.join('\n');
    }
    case 8: {
      // swap two fields of one line
      const ls = lines();
      const li = int(r, ls.length);
      const fs_ = ls[li]!.split(' ');
      const i = int(r, fs_.length);
      const j = int(r, fs_.length);
      [fs_[i], fs_[j]] = [fs_[j]!, fs_[i]!];
      ls[li] = fs_.join(' ');
      return ls.join('\n');
    }
    case 9: {
      // swap the same field between two lines
      const ls = lines();
      const a = int(r, ls.length);
      const b = int(r, ls.length);
      const fa = ls[a]!.split(' ');
      const fb = ls[b]!.split(' ');
      const f = int(r, Math.max(fa.length, fb.length));
      if (f < fa.length && f < fb.length) {
        [fa[f], fb[f]] = [fb[f]!, fa[f]!];
        ls[a] = fa.join(' ');
        if (a !== b) ls[b] = fb.join(' ');
      }
      return ls.join('\n');
    }
    case 10:
    case 11: {
      // replace a field by an edge value of its kind (or of any kind)
      const ls = lines();
      const li = int(r, ls.length);
      const fs_ = ls[li]!.split(' ');
      const f = int(r, fs_.length + 1);
      const tok = tokenFor(r, r() < 0.8 ? f : int(r, 12));
      if (f < fs_.length) fs_[f] = tok;
      else fs_.push(tok);
      ls[li] = fs_.join(' ');
      return ls.join('\n');
    }
    case 12: {
      // insert an escape (valid, invalid, truncated) anywhere
      const i = pos();
      return s.slice(0, i) + pick(r, ESCAPES) + s.slice(i);
    }
    case 13: {
      // add or remove fields at the end of a line
      const ls = lines();
      const li = int(r, ls.length);
      const fs_ = ls[li]!.split(' ');
      if (r() < 0.5) fs_.length = int(r, fs_.length + 1);
      else for (let n = 1 + int(r, 3); n > 0; n--) fs_.push(tokenFor(r, int(r, 12)));
      ls[li] = fs_.join(' ');
      return ls.join('\n');
    }
    case 14: {
      // separators: tabs, double spaces, CRLF, blank lines, no final newline, leading space
      switch (int(r, 6)) {
        case 0:
          return s.replace(' ', '\t');
        case 1:
          return s.replace(/ /g, (m) => (r() < 0.1 ? '  ' : m));
        case 2:
          return s.replace(/\n/g, '\r\n');
        case 3: {
          const i = s.indexOf('\n', pos());
          return i < 0 ? `${s}\n\n` : `${s.slice(0, i)}\n${s.slice(i)}`;
        }
        case 4:
          return s.endsWith('\n') ? s.slice(0, -1) : `${s}\n`;
        default:
          return ` ${s}`;
      }
    }
    case 15: {
      // splice in a line from another seed
      const ls = lines();
      const other = pick(r, corpus).split('\n');
      ls.splice(int(r, ls.length + 1), r() < 0.5 ? 1 : 0, pick(r, other));
      return ls.join('\n');
    }
    default: {
      // rewrite a path so that it collides with / nests below an existing entry
      const ls = lines();
      const a = ls[int(r, ls.length)]!.split(' ');
      const b = ls[int(r, ls.length)]!.split(' ');
      if (a.length > 0 && b.length > 0) b[0] = r() < 0.5 ? a[0]! : `${a[0]}/${pick(r, ['x', '..', '.', '', 'y/z'])}`;
      ls.push(b.join(' '));
      return ls.join('\n');
    }
  }
}

function mutate(r: Rng, corpus: readonly string[]): string {
  let s = pick(r, corpus);
  for (let n = 1 + int(r, r() < 0.8 ? 2 : 4); n > 0; n--) s = mutateOnce(r, s, corpus);
  // Keep inputs bounded: the point is odd structure, not size.
  return s.length > 300_000 ? s.slice(0, 300_000) : s;
}

// ----------------------------------------------------------------------------------- oracle ---

type Outcome = { ok: true; root: Node } | { ok: false; err: DumpfileError };

/** Parses; returns the outcome or throws what is not a DumpfileError. */
function outcomeOf(f: () => Node): Outcome {
  try {
    return { ok: true, root: f() };
  } catch (e) {
    if (e instanceof DumpfileError) return { ok: false, err: e };
    throw e;
  }
}

function parseChunked(buf: Buffer, r: Rng): Node {
  const p = new DumpfileParser();
  let i = 0;
  while (i < buf.length) {
    const n = r() < 0.3 ? 1 + int(r, 4) : 1 + int(r, 512);
    // A fresh copy per chunk, and scribble over it afterwards: the parser must not keep it.
    const chunk = Buffer.from(buf.subarray(i, i + n));
    p.push(chunk);
    chunk.fill(0x41);
    i += n;
  }
  return p.end();
}

/** Checks one input; returns a failure description, or the outcome of the whole parse. */
function check(input: string, r: Rng, stream: boolean): string | Outcome {
  const buf = Buffer.from(input, 'latin1');
  let whole: Outcome;
  try {
    whole = outcomeOf(() => parseDumpfile(buf));
  } catch (e) {
    return `parseDumpfile threw a non-DumpfileError: ${(e as Error)?.stack ?? String(e)}`;
  }
  if (whole.ok) {
    if ((whole.root.mode & S_IFMT) !== S_IFDIR) return `accepted with a non-directory root (mode ${whole.root.mode.toString(8)})`;
    // What was accepted survives our writer and a second parse unchanged.
    let again: Node;
    try {
      again = parseDumpfile(dumpfileToBuffer(whole.root));
    } catch (e) {
      return `accepted, but its dumpfileToBuffer output does not parse: ${(e as Error)?.stack ?? String(e)}`;
    }
    const diff = compareTrees(whole.root, again);
    if (diff !== undefined) return `accepted, but write + re-parse changes it: ${diff}`;
  } else {
    const { line, reason } = whole.err;
    const nLines = input.split('\n').length;
    if (!Number.isInteger(line) || line < 1 || line > nLines + 1) return `DumpfileError with line ${line} (input has ${nLines} lines)`;
    if (typeof reason !== 'string' || reason.length === 0) return 'DumpfileError without a reason';
    if (whole.err.message !== `line ${line}: ${reason}`) return `DumpfileError message ${JSON.stringify(whole.err.message)}`;
  }
  if (stream) {
    let chunked: Outcome;
    try {
      chunked = outcomeOf(() => parseChunked(buf, r));
    } catch (e) {
      return `DumpfileParser (chunked) threw a non-DumpfileError: ${(e as Error)?.stack ?? String(e)}`;
    }
    if (chunked.ok !== whole.ok) {
      return `chunked parse ${chunked.ok ? 'accepted' : `rejected (${chunked.err.message})`} but whole parse ${whole.ok ? 'accepted' : `rejected (${whole.err.message})`}`;
    }
    if (!chunked.ok && !whole.ok && chunked.err.message !== whole.err.message) {
      return `chunked parse: ${chunked.err.message}; whole parse: ${whole.err.message}`;
    }
  }
  return whole;
}

// ------------------------------------------------------------------------------------- test ---

interface Failure {
  index: number;
  why: string;
  file: string;
}

function saveInput(index: number, input: string): string {
  const dir = path.join(os.tmpdir(), 'cfsboot-fuzz');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `seed-${SEED}-case-${index}.dump`);
  fs.writeFileSync(file, Buffer.from(input, 'latin1'));
  return file;
}

describe('dumpfile parser fuzzing', () => {
  it(`${CASES} mutated dumpfiles: each parses or throws DumpfileError, streaming agrees, bounded time`, () => {
    const t0 = performance.now();
    const corpus = seeds();
    // Every seed must parse as it is (otherwise the mutations start from a rejected input).
    for (const s of corpus) expect(() => parseDumpfile(s)).not.toThrow();
    const tSeeds = performance.now() - t0;

    const ctx = vm.createContext({ job: () => {} });
    const script = new vm.Script('job()');
    const failures: Failure[] = [];
    let done = 0;
    let accepted = 0;
    let streamed = 0;
    let bytes = 0;
    let slowest = { ms: 0, index: -1, size: 0 };
    const reasons = new Map<string, number>();

    const tFuzz = performance.now();
    for (let start = 0; start < CASES && failures.length < 5; start += BATCH) {
      const n = Math.min(BATCH, CASES - start);
      // Inputs and per-case PRNGs are derived from (SEED, case index) only: any case replays alone.
      const inputs: string[] = [];
      for (let k = 0; k < n; k++) inputs.push(mutate(prng(SEED ^ Math.imul(start + k + 1, 0x9e3779b1)), corpus));
      const runCase = (k: number): void => {
        const index = start + k;
        const input = inputs[k]!;
        const r = prng(SEED + index);
        const stream = index % STREAM_EVERY === 0;
        const c0 = performance.now();
        const res = check(input, r, stream);
        const ms = performance.now() - c0;
        done++;
        bytes += input.length;
        if (stream) streamed++;
        if (ms > slowest.ms) slowest = { ms, index, size: input.length };
        if (typeof res === 'string') failures.push({ index, why: res, file: saveInput(index, input) });
        else if (ms > CASE_MS) failures.push({ index, why: `took ${ms.toFixed(0)} ms (> ${CASE_MS} ms)`, file: saveInput(index, input) });
        else if (res.ok) accepted++;
        else {
          // The reason without its variable part (paths, numbers).
          const reason = res.err.reason.split(' ').slice(0, 3).join(' ').replace(/[:/].*$/, '');
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        }
      };
      // The batch runs under a vm watchdog: an endless loop in the parser is interrupted.
      ctx.job = (): void => {
        for (let k = 0; k < n; k++) runCase(k);
      };
      try {
        script.runInContext(ctx, { timeout: Math.max(CASE_MS * 20, 30_000) });
      } catch (e) {
        if (!/timed out/.test(String((e as Error)?.message))) throw e;
        // Find the culprit: rerun the batch case by case, each under its own watchdog.
        for (let k = 0; k < n; k++) {
          ctx.job = (): void => runCase(k);
          try {
            script.runInContext(ctx, { timeout: CASE_MS * 5 });
          } catch (e2) {
            if (!/timed out/.test(String((e2 as Error)?.message))) throw e2;
            failures.push({ index: start + k, why: `did not finish within ${CASE_MS * 5} ms`, file: saveInput(start + k, inputs[k]!) });
            break;
          }
        }
      }
    }
    const fuzzMs = performance.now() - tFuzz;

    const top = [...reasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
    console.log(
      [
        `dumpfile fuzz: seed ${SEED}, ${corpus.length} seed dumpfiles (${(corpus.reduce((a, c) => a + c.length, 0) / 1e3).toFixed(0)} kB, ${tSeeds.toFixed(0)} ms)`,
        `  ${done} cases in ${(fuzzMs / 1000).toFixed(1)} s = ${Math.round((done / fuzzMs) * 1000)} cases/s, ${(bytes / 1e6).toFixed(1)} MB parsed`,
        `  accepted ${accepted}, rejected ${done - accepted - failures.length}, also streamed in chunks ${streamed}`,
        `  slowest case #${slowest.index}: ${slowest.ms.toFixed(1)} ms (${slowest.size} bytes); limit ${CASE_MS} ms`,
        `  top rejection reasons: ${top.map(([k, v]) => `"${k}…" ${v}`).join(', ')}`,
      ].join('\n'),
    );
    const report = failures
      .map((f) => `case #${f.index} (CFSBOOT_FUZZ_SEED=${SEED}): ${f.why}\n  input saved to ${f.file}`)
      .join('\n');
    expect(failures, report).toEqual([]);
  }, Math.max(60_000, 30_000 + CASES)); // ~7000 cases/s here; 1 ms per case leaves room for a loaded machine
});
