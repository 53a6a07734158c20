import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as sys from '../../../src/sys';
import { catchSys, tempDir } from './helpers';

const c = sys.constants;

/** glibc's makedev() encoding, as used by Node's stat().dev. */
function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n) | ((ma & ~0xfffn) << 32n);
}

describe('fs-at wrappers', () => {
  let dir: string;
  let cleanup: () => void;
  let dirfd: number;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    dirfd = sys.openat(c.AT_FDCWD, dir, c.O_RDONLY | c.O_DIRECTORY);
  });
  afterEach(() => {
    sys.close(dirfd);
    cleanup();
  });

  it('statx matches fs.lstatSync', () => {
    fs.writeFileSync(path.join(dir, 'f'), 'hello world');
    fs.symlinkSync('f', path.join(dir, 'l'));
    for (const name of ['f', 'l', '.']) {
      const st = sys.statx(dirfd, name, c.AT_SYMLINK_NOFOLLOW);
      const ref = fs.lstatSync(path.join(dir, name), { bigint: true });
      expect(st.mode).toBe(Number(ref.mode));
      expect(st.ino).toBe(ref.ino);
      expect(st.size).toBe(Number(ref.size));
      expect(st.nlink).toBe(Number(ref.nlink));
      expect(st.uid).toBe(Number(ref.uid));
      expect(st.gid).toBe(Number(ref.gid));
      expect(st.blocks).toBe(Number(ref.blocks));
      expect(BigInt(st.mtime.sec) * 1_000_000_000n + BigInt(st.mtime.nsec)).toBe(ref.mtimeNs);
      expect(BigInt(st.ctime.sec) * 1_000_000_000n + BigInt(st.ctime.nsec)).toBe(ref.ctimeNs);
      expect((st.mask & c.STATX_BASIC_STATS) === c.STATX_BASIC_STATS).toBe(true);
      expect(makedev(st.devMajor, st.devMinor)).toBe(ref.dev);
    }
    const byFd = sys.fstatx(dirfd);
    expect(byFd.ino).toBe(fs.statSync(dir, { bigint: true }).ino);
    expect(catchSys(() => sys.statx(dirfd, 'missing')).syscall).toBe('statx');
  });

  it('O_TMPFILE + linkat via /proc/self/fd with AT_SYMLINK_FOLLOW', () => {
    const fd = sys.openat(dirfd, '.', c.O_TMPFILE | c.O_RDWR, 0o644);
    try {
      fs.writeSync(fd, 'tmpfile data');
      expect(fs.readdirSync(dir)).toEqual([]);
      sys.linkat(c.AT_FDCWD, `/proc/self/fd/${fd}`, dirfd, 'linked', c.AT_SYMLINK_FOLLOW);
      expect(fs.readFileSync(path.join(dir, 'linked'), 'utf8')).toBe('tmpfile data');
      expect(fs.fstatSync(fd).ino).toBe(fs.statSync(path.join(dir, 'linked')).ino);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('O_TMPFILE + linkat with AT_EMPTY_PATH', () => {
    const fd = sys.openat(dirfd, '.', c.O_TMPFILE | c.O_WRONLY, 0o600);
    try {
      fs.writeSync(fd, Buffer.from('empty path'));
      sys.fsync(fd);
      sys.linkat(fd, '', dirfd, 'named', c.AT_EMPTY_PATH);
      expect(fs.readFileSync(path.join(dir, 'named'), 'utf8')).toBe('empty path');
      expect(fs.statSync(path.join(dir, 'named')).mode & 0o777).toBe(0o600);
    } finally {
      sys.close(fd);
    }
  });

  it('renameat2 RENAME_NOREPLACE gives EEXIST; RENAME_EXCHANGE swaps', () => {
    fs.writeFileSync(path.join(dir, 'a'), 'A');
    fs.writeFileSync(path.join(dir, 'b'), 'B');
    const e = catchSys(() => sys.renameat2(dirfd, 'a', dirfd, 'b', c.RENAME_NOREPLACE));
    expect(e).toMatchObject({ code: 'EEXIST', syscall: 'renameat2', path: 'a', dest: 'b' });
    sys.renameat2(dirfd, 'a', dirfd, 'b', c.RENAME_EXCHANGE);
    expect(fs.readFileSync(path.join(dir, 'a'), 'utf8')).toBe('B');
    sys.renameat2(dirfd, 'a', dirfd, 'c', c.RENAME_NOREPLACE);
    expect(fs.readdirSync(dir).sort()).toEqual(['b', 'c']);
  });

  it('symlinkat / readlinkat round trip, including raw bytes', () => {
    sys.symlinkat('../some/target', dirfd, 'link');
    expect(sys.readlinkat(dirfd, 'link')).toBe('../some/target');
    expect(fs.readlinkSync(path.join(dir, 'link'))).toBe('../some/target');
    const long = 'x/'.repeat(700) + 'end';
    sys.symlinkat(long, dirfd, 'long');
    expect(sys.readlinkat(dirfd, 'long')).toBe(long);
    const raw = Buffer.from([0x61, 0xff, 0xfe, 0x62]);
    sys.symlinkat(raw, dirfd, Buffer.from('raw\xe9', 'latin1'));
    expect(sys.readlinkatBuffer(dirfd, Buffer.from('raw\xe9', 'latin1'))).toEqual(raw);
    expect(catchSys(() => sys.readlinkat(dirfd, '.')).code).toBe('EINVAL');
  });

  it('unlinkat files and directories', () => {
    fs.writeFileSync(path.join(dir, 'f'), '');
    sys.mkdirat(dirfd, 'd', 0o700);
    expect(fs.statSync(path.join(dir, 'd')).mode & 0o777).toBe(0o700);
    expect(catchSys(() => sys.unlinkat(dirfd, 'd')).code).toBe('EISDIR');
    sys.unlinkat(dirfd, 'd', c.AT_REMOVEDIR);
    sys.unlinkat(dirfd, 'f');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('openat2 RESOLVE_BENEATH refuses escapes', () => {
    fs.writeFileSync(path.join(dir, 'inside'), 'in');
    const fd = sys.openat2(dirfd, 'inside', { flags: c.O_RDONLY, resolve: c.RESOLVE_BENEATH });
    expect(fs.readFileSync(fd, 'utf8')).toBe('in');
    fs.closeSync(fd);
    const e = catchSys(() => sys.openat2(dirfd, '../x', { flags: c.O_RDONLY, resolve: c.RESOLVE_BENEATH }));
    expect(e).toMatchObject({ code: 'EXDEV', syscall: 'openat2', path: '../x', fd: dirfd });
  });

  it('fchmodat, fsync and syncfs', () => {
    fs.writeFileSync(path.join(dir, 'f'), 'x');
    sys.fchmodat(dirfd, 'f', 0o640);
    expect(fs.statSync(path.join(dir, 'f')).mode & 0o777).toBe(0o640);
    sys.fsync(dirfd);
    sys.syncfs(dirfd);
  });

  it('flock: exclusive lock conflicts with LOCK_NB on a second fd', () => {
    fs.writeFileSync(path.join(dir, 'lock'), '');
    const a = sys.openat(dirfd, 'lock', c.O_RDONLY);
    const b = sys.openat(dirfd, 'lock', c.O_RDONLY);
    try {
      sys.flock(a, c.LOCK_EX | c.LOCK_NB);
      const e = catchSys(() => sys.flock(b, c.LOCK_EX | c.LOCK_NB));
      expect(e).toMatchObject({ code: 'EAGAIN', syscall: 'flock', fd: b });
      expect(catchSys(() => sys.flock(b, c.LOCK_SH | c.LOCK_NB)).errno).toBe(11);
      sys.flock(a, c.LOCK_UN);
      sys.flock(b, c.LOCK_EX | c.LOCK_NB);
    } finally {
      sys.close(a);
      sys.close(b);
    }
  });

  it('constants come from the system headers', () => {
    expect(c.AT_FDCWD).toBe(-100);
    expect(c.O_PATH).toBe(0o10000000);
    expect(c.O_TMPFILE).toBe(0o20200000);
    expect(c.O_CLOEXEC).toBe(0o2000000);
    expect(c.RENAME_NOREPLACE).toBe(1);
    expect(c.STATX_ATTR_VERITY).toBe(0x100000);
    expect(c.FSCONFIG_CMD_CREATE).toBe(6);
    expect(c.MOUNT_ATTR_RDONLY).toBe(1);
    expect(c.LO_FLAGS_DIRECT_IO).toBe(16);
    expect(Object.keys(c)).toContain('MS_BIND');
    expect('O_PATH' in c).toBe(true);
  });
});
