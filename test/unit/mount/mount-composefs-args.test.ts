import { describe, expect, it } from 'vitest';
import { parseMountComposefsArgv, parseMountOptions } from '../../../src/cli/mount-composefs.js';

const parse = (...a: string[]) => parseMountComposefsArgv(a, 'mount.composefs');

describe('mount.composefs arguments (C 1.0.8 rules)', () => {
  it('splits options at unescaped commas, first = separates, backslash escapes', () => {
    expect(parseMountOptions('basedir=/a\\,b:/c,verity,digest=x=y,ro')).toEqual([
      { key: 'basedir', value: '/a,b:/c' },
      { key: 'verity', value: undefined },
      { key: 'digest', value: 'x=y' },
      { key: 'ro', value: undefined },
    ]);
  });

  it('parses a full invocation, options before or after the operands (GNU getopt permutation)', () => {
    const want = { image: 'img', mountpoint: '/mnt', basedirs: ['/o1', '/o2'], verity: true, tryverity: false, readOnly: true, upperdir: '/u', workdir: '/w', idmap: '/proc/1/ns/user', digest: 'ab' };
    expect(parse('-t', 'composefs', '-o', 'basedir=/o1:/o2,verity,ro,upperdir=/u,workdir=/w,idmap=/proc/1/ns/user,digest=ab', 'img', '/mnt')).toEqual(want);
    expect(parse('img', '/mnt', '-obasedir=/o1:/o2,verity,ro,upperdir=/u,workdir=/w,idmap=/proc/1/ns/user,digest=ab')).toEqual(want);
  });

  it('the last -o wins and rw after ro turns it off', () => {
    expect(parse('-o', 'basedir=/x', '-o', 'basedir=/y,ro,rw', 'i', 'm')).toMatchObject({ basedirs: ['/y'], readOnly: false });
  });

  it('-h is help', () => {
    expect(parse('-h')).toBe('help');
  });

  it.each([
    [['-o', 'basedir=/x,bogus', 'i', 'm'], 'Unsupported option bogus'],
    [['-o', 'basedir', 'i', 'm'], 'No value specified for basedir option'],
    [['-o', 'basedir=/x,digest', 'i', 'm'], 'No value specified for digest option'],
    [['-o', 'basedir=/x,upperdir=/u', 'i', 'm'], 'Both workdir and upperdir must be specified if used'],
    [['-o', 'basedir=/x::/y', 'i', 'm'], 'Value for basedir option has incorrect format'],
    [['-o', 'verity', 'i', 'm'], 'No object dirs specified (use -o basedir=PATH)'],
    [['-t', 'ext4', 'i', 'm'], "Unsupported fs type 'ext4'"],
    [['-o', 'basedir=/x'], /^No source path specified/],
    [['-o', 'basedir=/x', 'i'], /^No mount path specified/],
    [['-x', 'i', 'm'], /^invalid option -- 'x'/],
    [['--bogus', 'i', 'm'], /^unrecognized option '--bogus'/],
    [['i', 'm', '-o'], "option requires an argument -- 'o'"],
  ])('%j → %s', (args, msg) => {
    let err: Error | undefined;
    try {
      parse(...(args as string[]));
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeDefined();
    if (typeof msg === 'string') expect(err!.message).toBe(msg);
    else expect(err!.message).toMatch(msg);
    expect(err!.message).not.toContain('\n');
  });
});
