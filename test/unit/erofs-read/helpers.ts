/**
 * Helpers for the image reader tests: comparing our dump with C `composefs-info dump` modulo the
 * two documented C reader bugs, and a few fixed small trees used as fuzzing seeds.
 */
import { parseDumpfile } from '../../../src/dumpfile/index.js';
import type { Node } from '../../../src/tree/node.js';

/** Splits a dumpfile line into fields (fields never contain raw spaces). */
const fields = (line: string): string[] => line.split(' ');

/** Number of raw bytes an escaped dumpfile field stands for. */
function unescapedLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; n++) {
    if (s[i] !== '\\') i += 1;
    else if (s[i + 1] === 'x') i += 4;
    else i += 2;
  }
  return n;
}

const EMPTY_ACL = /^system\.posix_acl_(access|default)=$/;

/**
 * Why `ours` (a line of our dump) may differ from `theirs` (C's line for the same entry):
 *  1. C's redirect bug (erofs.md §6.12): C's PAYLOAD of a regular file is ours plus up to 2 bytes
 *     read past the `trusted.overlay.redirect` value (cut at a NUL, as a C string).
 *  2. C's empty-ACL bug: C drops an empty `system.posix_acl_*` xattr when it is the last inline
 *     entry, so ours may have exactly one such field more.
 *  3. C's stale content on whiteouts: a regular file with inline content that carries
 *     `trusted.overlay.overlay.whiteout` becomes a whiteout (size 0) but keeps its content pointer,
 *     so C prints an EMPTY content field (an unparsable dumpfile line); ours prints `-`.
 * Returns undefined if the lines are equal or differ only in those ways, else a description.
 */
export function explainLineDiff(ours: string, theirs: string): string | undefined {
  if (ours === theirs) return undefined;
  const a = fields(ours);
  const b = fields(theirs);
  for (let i = 0; i < 11; i++) {
    if (a[i] === b[i]) continue;
    if (i === 8 && a[i] !== '-' && b[i] !== '-' && b[i]!.startsWith(a[i]!) && !a[2]!.startsWith('@') && unescapedLength(b[i]!.slice(a[i]!.length)) <= 2) continue;
    // a payload of exactly "-" is escaped as \x2d by both; C's junk turns it into "-<junk>"
    if (i === 8 && a[i] === '\\x2d' && b[i]!.startsWith('-') && unescapedLength(b[i]!) <= 3) continue;
    if (i === 9 && a[i] === '-' && b[i] === '' && (parseInt(a[2]!.replace('@', ''), 8) & 0o170000) === 0o020000 && a[1] === '0') continue;
    return `field ${i}: ours ${JSON.stringify(a[i])} vs C ${JSON.stringify(b[i])}`;
  }
  const xa = a.slice(11);
  const xb = b.slice(11);
  if (xa.join(' ') === xb.join(' ')) return undefined;
  if (xa.length === xb.length + 1) {
    for (let i = 0; i < xa.length; i++) {
      if (EMPTY_ACL.test(xa[i]!) && [...xa.slice(0, i), ...xa.slice(i + 1)].join(' ') === xb.join(' ')) return undefined;
    }
  }
  return `xattrs: ours ${JSON.stringify(xa.join(' '))} vs C ${JSON.stringify(xb.join(' '))}`;
}

/** Compares two whole dumps line by line with `explainLineDiff`; undefined when equivalent. */
export function explainDumpDiff(ours: Buffer, theirs: Buffer): string | undefined {
  if (ours.equals(theirs)) return undefined;
  const a = ours.toString('latin1').split('\n');
  const b = theirs.toString('latin1').split('\n');
  if (a.length !== b.length) return `${a.length} lines (ours) vs ${b.length} (C)`;
  for (let i = 0; i < a.length; i++) {
    const why = explainLineDiff(a[i]!, b[i]!);
    if (why !== undefined) return `line ${i + 1} (${a[i]!.slice(0, 80)}): ${why}`;
  }
  return undefined;
}

/** Small fixed trees (dumpfiles) that exercise every inode kind; fuzzing seeds. */
export const SEED_DUMPS: Record<string, string> = {
  mixed: [
    '/ 0 40755 2 0 0 0 1700000000.0 - - - user.shared=abc security.selinux=system_u:object_r:root_t:s0',
    '/a 11 100644 2 1000 1000 0 1700000000.0 - hello\\x20world - user.shared=abc',
    '/b 11 @100644 2 1000 1000 0 1700000000.0 /a - -',
    '/dev 0 40755 2 0 0 0 1700000000.0 - - -',
    '/dev/null 0 20666 1 0 0 259 1700000000.0 - - -',
    '/dev/fifo 0 10644 1 0 0 0 1700000000.0 - - -',
    '/dev/sock 0 140644 1 0 0 0 1700000000.0 - - -',
    '/dev/blk 0 60644 1 0 0 2049 1700000000.0 - - -',
    '/dev/wh 0 20000 1 0 0 0 1700000000.0 - - -',
    '/sym 3 120777 1 0 0 0 1700000000.123 foo - -',
    '/ext 70000 100644 1 70000 0 0 1700000000.0 ab/cdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789 - abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789 trusted.overlay.foo=1 user.overlay.bar=2',
    '/acl 0 100644 1 0 0 0 1700000000.0 - - - system.posix_acl_access=\\x02\\x00\\x00\\x00',
    '',
  ].join('\n'),
  deep: [
    '/ 0 40755 2 0 0 0 0.0 - - -',
    '/d1 0 40700 2 5 5 0 -5.7 - - - user.x=1',
    '/d1/d2 0 40700 2 0 0 0 0.0 - - -',
    '/d1/d2/d3 0 40700 2 0 0 0 0.0 - - - trusted.overlay.opaque=y',
    '/d1/d2/d3/f 4097 100600 1 0 0 0 0.0 - ' + 'ab'.repeat(2048) + 'c - user.big=' + 'v'.repeat(600),
    '/d1/d2/d3/long 4000 120777 1 0 0 0 0.0 ' + 'L'.repeat(4000) + ' - -',
    '/d1/d2/e 0 40755 2 0 0 0 0.0 - - -',
    '/d1/x 1 100644 3 0 0 0 0.0 - x - user.shared=abc',
    '/d1/y 1 @100644 3 0 0 0 0.0 /d1/x - -',
    '/z 1 @100644 3 0 0 0 0.0 /d1/x - -',
    '',
  ].join('\n'),
  bigdir: [
    '/ 0 40755 2 0 0 0 0.0 - - -',
    '/big 0 40755 2 0 0 0 0.0 - - -',
    ...Array.from({ length: 300 }, (_, i) => `/big/${'n'.repeat(i % 50)}${i} ${i % 3 === 0 ? '0 100644' : `5 120777`} 1 0 0 0 ${i}.0 ${i % 3 === 0 ? '-' : 'tgt' + String(i % 100).padStart(2, '0')} - -${i % 7 === 0 ? ' user.shared=v' : ''}`),
    '',
  ].join('\n'),
  payloads: [
    '/ 0 40755 2 0 0 0 0.0 - - -',
    '/p1 10 100644 1 0 0 0 0.0 /abs/x - -',
    '/p2 10 100644 1 0 0 0 0.0 rel - -',
    '/p3 10 100644 1 0 0 0 0.0 - - -',
    '/p4 1099511627776 100644 1 0 0 0 0.0 - - 0000000000000000000000000000000000000000000000000000000000000000',
    '',
  ].join('\n'),
};

export function seedTrees(): Array<[string, Node]> {
  return Object.entries(SEED_DUMPS).map(([name, d]) => [name, parseDumpfile(d)]);
}
