import { describe, expect, it } from 'vitest';
import { composefsSourceDigest, mountsUnder, parseMountinfo, topMountAt } from '../../../src/mount/mountinfo.js';

const H = 'ab'.repeat(32);
const TEXT = [
  '22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
  '30 22 0:40 / /sysroot rw,relatime shared:9 - ext4 /dev/vdb rw',
  `41 30 0:50 / /sysroot ro,relatime - overlay composefs:${H} ro,lowerdir+=/proc/self/fd/5,datadir+=/a\\,b,redirect_dir=on,metacopy=on,verity=require`,
  '42 41 0:40 / /sysroot/sysroot ro,relatime - ext4 /dev/vdb rw',
  '43 41 0:52 /state/x/var /sysroot/var rw master:3 - ext4 /dev/vdb rw',
  '44 22 0:60 / /mnt/with\\040space rw - tmpfs none rw',
].join('\n');

describe('mountinfo', () => {
  const m = parseMountinfo(TEXT);

  it('parses fields, optional fields and octal escapes', () => {
    expect(m).toHaveLength(6);
    expect(m[1]).toMatchObject({ id: 30, parent: 22, major: 0, minor: 40, root: '/', mountPoint: '/sysroot', fstype: 'ext4', source: '/dev/vdb' });
    expect(m[4]!.root).toBe('/state/x/var');
    expect(m[5]!.mountPoint).toBe('/mnt/with space');
  });

  it('splits super options at unescaped commas only', () => {
    expect(m[2]!.superOptions).toEqual(['ro', 'lowerdir+=/proc/self/fd/5', 'datadir+=/a,b', 'redirect_dir=on', 'metacopy=on', 'verity=require']);
    expect(m[2]!.options).toEqual(['ro', 'relatime']);
  });

  it('topMountAt follows mounts stacked on the same point', () => {
    expect(topMountAt(m, '/sysroot')?.id).toBe(41);
    expect(topMountAt(m, '/')?.id).toBe(22);
    expect(topMountAt(m, '/nowhere')).toBeUndefined();
  });

  it('mountsUnder', () => {
    expect(mountsUnder(m, '/sysroot').map((e) => e.id)).toEqual([30, 41, 42, 43]);
    expect(mountsUnder(m, '/sysroot/').map((e) => e.id)).toEqual([30, 41, 42, 43]);
  });

  it('recognises composefs mount sources (rs and bootc transient forms)', () => {
    expect(composefsSourceDigest(`composefs:${H}`)).toBe(H);
    expect(composefsSourceDigest(`transient:composefs=${H}`)).toBe(H);
    expect(composefsSourceDigest('composefs')).toBeUndefined();
    expect(composefsSourceDigest('overlay')).toBeUndefined();
    expect(composefsSourceDigest(`composefs:${H} x`)).toBeUndefined();
  });

  it('refuses a malformed line', () => {
    expect(() => parseMountinfo('1 2 3')).toThrow(/malformed mountinfo line/);
  });
});
