import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DumpfileError,
  DumpfileParser,
  dumpfileToString,
  parseDumpfile,
  parseDumpfileStream,
} from '../../../src/dumpfile/index.js';
import { S_IFCHR, S_IFREG, isDir } from '../../../src/tree/node.js';

import { D, ERROR_CASES, F, H64, R } from './cases.js';
import { child } from '../../helpers/tree.js';

function err(text: string): { line: number; reason: string } {
  try {
    parseDumpfile(text);
  } catch (e) {
    if (e instanceof DumpfileError) {
      expect(e.message).toBe(`line ${e.line}: ${e.reason}`);
      return { line: e.line, reason: e.reason };
    }
    throw e;
  }
  throw new Error('expected a DumpfileError');
}

describe('validation errors (line number and C reason)', () => {
  const cases = ERROR_CASES;
  it.each(cases)('%s', (_name, text, line, reason) => {
    expect(err(text)).toEqual({ line, reason });
  });
  it('DumpfileError is an Error with name, line and reason', () => {
    const e = (() => {
      try {
        parseDumpfile(`${R}/a/b${F}`);
      } catch (x) {
        return x;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(DumpfileError);
    expect(e).toBeInstanceOf(Error);
    expect((e as DumpfileError).name).toBe('DumpfileError');
    expect((e as DumpfileError).message).toBe('line 2: Parent directory missing for /a/b');
  });
  it('counts lines across chunk boundaries', () => {
    const p = new DumpfileParser();
    p.push(Buffer.from(`${R}/a${F}/b 0 1006`));
    expect(() => p.push(Buffer.from(`49 1 0 0 0 0.0 - - -\n`))).toThrow('line 3: Invalid integer 100649');
    // the parser stays failed
    expect(() => p.end()).toThrow('line 3: Invalid integer 100649');
  });
});

describe('accepted input and stored semantics', () => {
  it('parses the §10.4 example lines', () => {
    const root = parseDumpfile(
      [
        '/ 4096 40755 3 0 0 0 1700000000.0 - - -',
        `/f 100 100644 1 0 0 0 1700000000.0 e4/0425 - ${H64}`,
        '/s 6 100644 1 0 0 0 1700000000.0 - hello\\n -',
        '/dev 0 40755 2 0 0 0 1700000000.0 - - -',
        '/dev/wh 0 20000 1 0 0 0 1700000000.0 - - -',
        '/b 11 @100644 2 1000 1000 0 1700000000.0 /a hello\\x20world - user.shared=abc',
        '/a 11 100644 2 1000 1000 0 1700000000.0 - hello\\x20world - user.shared=abc',
      ].join('\n'),
    );
    expect(root.size).toBe(4096n);
    expect(root.nlink).toBe(3);
    const f = child(root, 'f');
    expect(f.payload).toBe('e4/0425');
    expect(f.digest?.toString('hex')).toBe(H64);
    expect(f.size).toBe(100n);
    expect(child(root, 's').content?.toString()).toBe('hello\n');
    expect(child(root, 'dev', 'wh').mode).toBe(S_IFCHR);
    expect(child(root, 'b')).toBe(child(root, 'a'));
    expect(child(root, 'a').xattrs.get('user.shared')?.toString()).toBe('abc');
  });

  it('numbers follow strtoull: wrap, saturate, whitespace, sign, leading zeros', () => {
    const root = parseDumpfile(
      R +
        '/a 0 1100644 99999999999999999999 -1 +3 0 -1.-1 - - -\n' +
        '/b 18446744073709551615 0100644 \t1 \v2 4294967297 0 -18446744073709551615.0 - - -\n' +
        '/c 0 100644 1 0 0 0 -18446744073709551616.4294967297 - - -\n' +
        '/d 0 100644 1 0 0 0 9223372036854775808.0 - - -\n' +
        '/e 0 20644 1 0 0 -2 007.010 - - -\n',
    );
    const a = child(root, 'a');
    expect(a.mode).toBe(0o100644); // bits above 0o177777 dropped (the image has 16 bits)
    expect([a.nlink, a.uid, a.gid]).toEqual([0xffffffff, 0xffffffff, 3]);
    expect(a.mtime).toEqual({ sec: -1n, nsec: 0xffffffff });
    const b = child(root, 'b');
    expect(b.size).toBe((1n << 64n) - 1n);
    expect([b.nlink, b.uid, b.gid]).toEqual([1, 2, 1]);
    expect(b.mtime.sec).toBe(1n);
    expect(child(root, 'c').mtime).toEqual({ sec: -1n, nsec: 1 });
    expect(child(root, 'd').mtime.sec).toBe(-(1n << 63n));
    expect(child(root, 'e').rdev).toBe((1n << 64n) - 2n);
    expect(child(root, 'e').mtime).toEqual({ sec: 7n, nsec: 10 });
  });

  it('normalizes per file type (§10.1)', () => {
    const root = parseDumpfile(
      R +
        `/dir 77 40755 9 0 0 5 0.0 pay ${'x'.repeat(77)} ${H64}\n` +
        `/sym 1 120777 1 0 0 5 0.0 target x ${H64}\n` +
        `/chr 9 20644 1 0 0 259 0.0 pay - ${H64}\n` +
        '/fifo 2 10644 1 0 0 7 0.0 - xx -\n' +
        '/sock 0 140644 1 0 0 0 0.0 - - -\n' +
        `/inline 3 100644 1 0 0 0 0.0 pay abc ${H64}\n` +
        `/empty 0 100644 1 0 0 0 0.0 pay - ${H64}\n` +
        `/emptycontent 0 100644 1 0 0 0 0.0 - \x20- -\n`.replace('\x20-', '') +
        `/ext 5 100644 1 0 0 9 0.0 xx/yy - ${H64}\n` +
        '/ext-nopayload 5 100644 1 0 0 0 0.0 - - -\n' +
        '/ext-dash 5 100644 1 0 0 0 0.0 \\x2d - -\n' +
        `/ext-512 5 100644 1 0 0 0 0.0 - - ${'CD'.repeat(64)}\n`,
    );
    const dir = child(root, 'dir');
    expect(isDir(dir)).toBe(true);
    expect([dir.size, dir.nlink, dir.rdev, dir.payload, dir.content, dir.digest]).toEqual([77n, 9, 0n, undefined, undefined, undefined]);
    const sym = child(root, 'sym');
    expect([sym.size, sym.payload, sym.content, sym.digest, sym.rdev]).toEqual([6n, 'target', undefined, undefined, 0n]);
    const chr = child(root, 'chr');
    expect([chr.size, chr.rdev, chr.payload, chr.digest]).toEqual([9n, 259n, undefined, undefined]); // SIZE kept (inode size choice)
    const fifo = child(root, 'fifo');
    expect([fifo.size, fifo.rdev, fifo.content]).toEqual([2n, 0n, undefined]);
    expect(child(root, 'sock').size).toBe(0n);
    const inline = child(root, 'inline');
    expect([inline.content?.toString(), inline.payload, inline.digest]).toEqual(['abc', undefined, undefined]);
    const empty = child(root, 'empty');
    expect([empty.payload, empty.digest, empty.content]).toEqual([undefined, undefined, undefined]);
    expect(child(root, 'emptycontent').content).toBeUndefined();
    const ext = child(root, 'ext');
    expect([ext.size, ext.payload, ext.digest?.length, ext.rdev]).toEqual([5n, 'xx/yy', 32, 0n]);
    expect(child(root, 'ext-nopayload').payload).toBeUndefined();
    expect(child(root, 'ext-dash').payload).toBe('-');
    expect(child(root, 'ext-512').digest?.toString('hex')).toBe('cd'.repeat(64));
  });

  it('paths: leading / optional, repeated / collapse, escapes apply before splitting', () => {
    const root = parseDumpfile(`${R}/d${D}d//a${F}//d/b${F}\\x2fd\\x2fc${F}/d/sp\\x20ace${F}`);
    expect([...child(root, 'd').children!.keys()]).toEqual(['a', 'b', 'c', 'sp ace']);
    expect(parseDumpfile(`\\x2f${D}`).children!.size).toBe(0);
  });

  it('xattrs: key ends at first raw =, repeated key replaces in place, one trailing space ok', () => {
    const root = parseDumpfile(`${R}/a${F.slice(0, -1)} k\\x3dx=v=w b=1 k\\x3dx=2 e= \n`);
    const a = child(root, 'a');
    expect([...a.xattrs.keys()]).toEqual(['k=x', 'b', 'e']);
    expect(a.xattrs.get('k=x')?.toString()).toBe('2');
    expect(a.xattrs.get('e')?.length).toBe(0);
    // replacing does not count the old value towards the 32767 total
    const big = 'v'.repeat(20000);
    expect(() => parseDumpfile(`${R}/a${F.slice(0, -1)} k=${big} k=${big}\n`)).not.toThrow();
    expect(() => parseDumpfile(`${R}/a${F.slice(0, -1)} k=${'v'.repeat(32747)}\n`)).not.toThrow();
    const rem = ` k=${'v'.repeat(16000)}`.repeat(4).slice(1);
    expect(() => parseDumpfile(`${R}/a${F.slice(0, -1)} ${rem} k=${'v'.repeat(1521)}\n`)).not.toThrow();
    expect(() => parseDumpfile(`${R}/a${F.slice(0, -1)} ${'k'.repeat(255)}=\n`)).not.toThrow();
  });

  it('limits that are accepted: 4095-byte symlink and payload, 5000-byte content', () => {
    const root = parseDumpfile(
      `${R}/l 0 120777 1 0 0 0 0.0 ${'t'.repeat(4095)} - -\n/p 1 100644 1 0 0 0 0.0 ${'p'.repeat(4095)} - -\n/c 5000 100644 1 0 0 0 0.0 - ${'c'.repeat(5000)} -\n`,
    );
    expect(child(root, 'l').size).toBe(4095n);
    expect(child(root, 'c').content?.length).toBe(5000);
  });

  it('the last newline is optional; NUL in content and xattr values is fine', () => {
    const root = parseDumpfile(`${R}/a 2 100644 1 0 0 0 0.0 - \\x00\\x00 - k=\\x00`);
    expect(child(root, 'a').content).toEqual(Buffer.alloc(2));
    expect(child(root, 'a').xattrs.get('k')).toEqual(Buffer.alloc(1));
  });

  it('a string argument is a byte string', () => {
    const root = parseDumpfile(`${R}/\xe9${F}`);
    expect(root.children!.has('\xe9')).toBe(true);
    expect(() => parseDumpfile(`${R}/\u0101${F}`)).toThrow(TypeError);
  });
});

describe('hardlinks', () => {
  it('resolve to the same Node, targets may come later, chains are followed', () => {
    const root = parseDumpfile(
      R +
        '/l1 x @100644 x x x x x /l2 \\q \\q \\q junk\n' + // only PATH, MODE, PAYLOAD are read
        '/l2 0 @20644 0 0 0 0 0.0 //t// - -\n' + // mode type may differ; slashes collapse
        '/t 5 100644 7 0 0 0 0.0 obj - -\n' +
        '/d 0 40755 2 0 0 0 0.0 - - -\n' +
        '/d/l3 0 @100644 0 0 0 0 0.0 t - -\n', // relative target
    );
    const t = child(root, 't');
    expect(child(root, 'l1')).toBe(t);
    expect(child(root, 'l2')).toBe(t);
    expect(child(root, 'd', 'l3')).toBe(t);
    expect(t.nlink).toBe(7); // stored as given, not recounted
    expect(t.mode).toBe(S_IFREG | 0o644);
    // entry order in the parent is the line order
    expect([...root.children!.keys()]).toEqual(['l1', 'l2', 't', 'd']);
  });
  it('are written back as @ lines pointing at the first occurrence in the walk', () => {
    const root = parseDumpfile(`${R}/z 0 100644 2 0 0 0 0.0 - - -\n/a 0 @100644 0 0 0 0 0.0 /z - -\n`);
    expect(dumpfileToString(root)).toBe(
      `${R}/a 0 100644 2 0 0 0 0.0 - - -\n/z 0 @100644 2 0 0 0 0.0 /a - -\n`,
    );
  });
});

describe('fixtures (composefs-rs 0.9)', () => {
  const dir = '/work/shared/fixtures/composefs-rs-0.9';
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.dump')) : [];
  it.skipIf(files.length === 0).each(files)('%s parses and round-trips', (f) => {
    const text = fs.readFileSync(path.join(dir, f));
    const root = parseDumpfile(text);
    const out = dumpfileToString(root);
    expect(dumpfileToString(parseDumpfile(out))).toBe(out);
  });
  it.skipIf(files.length === 0)('simple.dump has the expected nodes', () => {
    const root = parseDumpfile(fs.readFileSync(path.join(dir, 'simple.dump')));
    expect([...root.children!.keys()].sort()).toEqual(['blkdev', 'chrdev', 'fifo', 'regular-external', 'regular-inline', 'socket', 'symlink']);
    expect(child(root, 'regular-external').digest).toEqual(Buffer.alloc(32, 0x5a));
    expect(child(root, 'symlink').payload).toBe('/target');
    expect(child(root, 'blkdev').rdev).toBe(123n);
  });
});

describe('parseDumpfileStream', () => {
  it('splits lines itself across arbitrary chunk boundaries', async () => {
    const text = Buffer.from(`${R}/a 3 100644 1 0 0 0 0.0 - abc - k=v\n/b 0 @100644 0 0 0 0 0.0 /a - -\n/c${F}`);
    const expected = dumpfileToString(parseDumpfile(text));
    for (const size of [1, 2, 3, 7, 13, 64]) {
      async function* gen(): AsyncGenerator<Buffer> {
        for (let i = 0; i < text.length; i += size) yield text.subarray(i, i + size);
      }
      expect(dumpfileToString(await parseDumpfileStream(gen()))).toBe(expected);
    }
  });
  it('does not keep a reference to reused chunk buffers', async () => {
    const text = `${R}/a 3 100644 1 0 0 0 0.0 - abc - k=v\n`;
    const shared = Buffer.alloc(5);
    async function* gen(): AsyncGenerator<Buffer> {
      for (let i = 0; i < text.length; i += 5) {
        shared.fill(0x21);
        const n = shared.write(text.slice(i, i + 5), 'latin1');
        yield shared.subarray(0, n);
      }
    }
    const root = await parseDumpfileStream(gen());
    expect(dumpfileToString(root)).toBe(text);
  });
});
