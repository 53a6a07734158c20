import { describe, expect, it } from 'vitest';
import { dumpfileToBuffer, dumpfileToString, parseDumpfile, writeDumpfile } from '../../../src/dumpfile/index.js';
import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG, newNode, type Node } from '../../../src/tree/node.js';

describe('writeDumpfile (composefs-info dump conventions, §10.4)', () => {
  it('writes pre-order, children in byte order, octal modes, %lld.%u mtimes, escapes', () => {
    const root = newNode(S_IFDIR | 0o755, { nlink: 3, size: 4096n, mtime: { sec: 1700000000n, nsec: 5 } });
    const sub = newNode(S_IFDIR | 0o700, { uid: 70000, gid: 4294967295 });
    const f = newNode(S_IFREG | 0o644, { size: 6n, content: Buffer.from('hello\n') });
    const ext = newNode(S_IFREG | 0o600, { size: 1n << 40n, payload: 'ab/cd', digest: Buffer.alloc(32, 0xab) });
    const sym = newNode(S_IFLNK | 0o777, { size: 1n, payload: '-' });
    const wh = newNode(S_IFCHR, { mtime: { sec: -5n, nsec: 7 }, rdev: 0n });
    const dev = newNode(S_IFCHR | 0o666, { rdev: 259n });
    ext.xattrs.set('user.b', Buffer.from('1=2'));
    ext.xattrs.set('user.a', Buffer.from(' \x00'));
    root.children!.set('sub', sub);
    root.children!.set('B', f);
    root.children!.set('a b', ext);
    sub.children!.set('z', sym);
    sub.children!.set('wh', wh);
    sub.children!.set('\xff', dev);
    root.children!.set('-', newNode(S_IFREG, { size: 1n, content: Buffer.from('-') }));
    expect(dumpfileToString(root)).toBe(
      [
        '/ 4096 40755 3 0 0 0 1700000000.5 - - -',
        '/- 1 100000 1 0 0 0 0.0 - \\x2d -',
        '/B 6 100644 1 0 0 0 0.0 - hello\\n -',
        `/a\\x20b 1099511627776 100600 1 0 0 0 0.0 ab/cd - ${'ab'.repeat(32)} user.b=1\\x3d2 user.a=\\x20\\x00`,
        '/sub 0 40700 1 70000 4294967295 0 0.0 - - -',
        '/sub/wh 0 20000 1 0 0 0 -5.7 - - -',
        '/sub/z 1 120777 1 0 0 0 0.0 \\x2d - -',
        '/sub/\\xff 0 20666 1 0 0 259 0.0 - - -',
        '',
      ].join('\n'),
    );
  });

  it('writes second and later occurrences of a Node as @ lines with the target fields', () => {
    const root = newNode(S_IFDIR | 0o755);
    const t = newNode(S_IFREG | 0o644, { nlink: 3, uid: 5, size: 3n, content: Buffer.from('abc') });
    t.xattrs.set('user.x', Buffer.from('y'));
    const d = newNode(S_IFDIR | 0o755);
    root.children!.set('z', t);
    root.children!.set('d', d);
    d.children!.set('a', t);
    root.children!.set('b', t);
    expect(dumpfileToString(root)).toBe(
      [
        '/ 0 40755 1 0 0 0 0.0 - - -',
        '/b 3 100644 3 5 0 0 0.0 - abc - user.x=y',
        '/d 0 40755 1 0 0 0 0.0 - - -',
        '/d/a 3 @100644 3 5 0 0 0.0 /b abc - user.x=y',
        '/z 3 @100644 3 5 0 0 0.0 /b abc - user.x=y',
        '',
      ].join('\n'),
    );
  });

  it('streams in chunks (each a fresh Buffer) and handles huge fields and deep trees', () => {
    const root = newNode(S_IFDIR | 0o755);
    let cur: Node = root;
    for (let i = 0; i < 1500; i++) {
      const next = newNode(S_IFDIR | 0o755);
      cur.children!.set('d', next);
      cur = next;
    }
    const big = newNode(S_IFREG, { size: 5000n, content: Buffer.alloc(5000, 0xff) });
    big.xattrs.set('user.v', Buffer.alloc(30000, 0x76));
    big.xattrs.set('user.w', Buffer.alloc(500, 0));
    root.children!.set('big', big);
    const chunks: Buffer[] = [];
    writeDumpfile(root, (c) => chunks.push(c));
    expect(chunks.length).toBeGreaterThan(1);
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(chunks.length);
    const whole = Buffer.concat(chunks);
    expect(whole.equals(dumpfileToBuffer(root))).toBe(true);
    const again = parseDumpfile(whole);
    expect(dumpfileToBuffer(again).equals(whole)).toBe(true);
  });
});
