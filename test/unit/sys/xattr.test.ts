import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as sys from '../../../src/sys';
import { catchSys, tempDir } from './helpers';

const c = sys.constants;
const isRoot = process.getuid?.() === 0;

describe('xattr wrappers', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    file = path.join(dir, 'f');
    fs.writeFileSync(file, 'data');
  });
  afterEach(() => cleanup());

  it('path variants round trip raw bytes', () => {
    const value = Buffer.from([0, 1, 2, 0xff, 0]);
    sys.lsetxattr(file, 'user.cfs.one', value);
    sys.lsetxattr(file, 'user.cfs.two', 'text');
    sys.lsetxattr(file, 'user.cfs.empty', Buffer.alloc(0));
    expect(sys.lgetxattr(file, 'user.cfs.one')).toEqual(value);
    expect(sys.lgetxattr(file, 'user.cfs.two').toString()).toBe('text');
    expect(sys.lgetxattr(file, 'user.cfs.empty').length).toBe(0);
    expect(sys.llistxattr(file).filter((n) => n.startsWith('user.')).sort()).toEqual([
      'user.cfs.empty',
      'user.cfs.one',
      'user.cfs.two',
    ]);
    sys.lremovexattr(file, 'user.cfs.one');
    const e = catchSys(() => sys.lgetxattr(file, 'user.cfs.one'));
    expect(e).toMatchObject({ code: 'ENODATA', syscall: 'lgetxattr', path: file });
    expect(e.message).toContain('"user.cfs.one"');
    expect(catchSys(() => sys.lremovexattr(file, 'user.cfs.one')).code).toBe('ENODATA');
  });

  it('XATTR_CREATE / XATTR_REPLACE', () => {
    sys.lsetxattr(file, 'user.x', 'a', c.XATTR_CREATE);
    expect(catchSys(() => sys.lsetxattr(file, 'user.x', 'b', c.XATTR_CREATE)).code).toBe('EEXIST');
    expect(catchSys(() => sys.lsetxattr(file, 'user.y', 'b', c.XATTR_REPLACE)).code).toBe('ENODATA');
    sys.lsetxattr(file, 'user.x', 'c', c.XATTR_REPLACE);
    expect(sys.lgetxattr(file, 'user.x').toString()).toBe('c');
  });

  it('large values (bigger than the first read buffer)', () => {
    const big = Buffer.alloc(3000, 0x5a);
    sys.lsetxattr(file, 'user.big', big);
    expect(sys.lgetxattr(file, 'user.big')).toEqual(big);
  });

  it('long name lists (bigger than the first read buffer)', () => {
    const names = Array.from({ length: 40 }, (_, i) => `user.cfsboot.long-attribute-name-${i}`);
    for (const n of names) sys.lsetxattr(file, n, 'v');
    expect(sys.llistxattr(file).filter((n) => n.startsWith('user.cfsboot.')).sort()).toEqual([...names].sort());
  });

  it('fd variants', () => {
    const fd = sys.openat(c.AT_FDCWD, file, c.O_RDONLY);
    try {
      sys.fsetxattr(fd, 'user.fd', Buffer.from('v'));
      expect(sys.fgetxattr(fd, 'user.fd').toString()).toBe('v');
      expect(sys.flistxattr(fd)).toContain('user.fd');
      sys.fremovexattr(fd, 'user.fd');
      const e = catchSys(() => sys.fgetxattr(fd, 'user.fd'));
      expect(e).toMatchObject({ code: 'ENODATA', syscall: 'fgetxattr', fd });
      expect(e.path).toBeUndefined();
    } finally {
      sys.close(fd);
    }
  });

  it('l* variants do not follow symlinks', () => {
    const link = path.join(dir, 'link');
    fs.symlinkSync('f', link);
    sys.lsetxattr(file, 'user.t', 'x');
    expect(sys.llistxattr(link)).not.toContain('user.t');
    expect(catchSys(() => sys.lgetxattr(link, 'user.t')).code).toBe('ENODATA');
  });

  it.skipIf(!isRoot)('trusted.* names (root only)', () => {
    sys.lsetxattr(file, 'trusted.overlay.redirect', '/x');
    expect(sys.lgetxattr(file, 'trusted.overlay.redirect').toString()).toBe('/x');
    expect(sys.llistxattr(file)).toContain('trusted.overlay.redirect');
  });

  it('errors for missing files', () => {
    const e = catchSys(() => sys.llistxattr(path.join(dir, 'missing')));
    expect(e).toMatchObject({ code: 'ENOENT', syscall: 'llistxattr', path: path.join(dir, 'missing') });
  });
});
