import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  digestFromObjectLinkTarget, objectPathname, objectRepoPath, parseObjectName, refComponents, relativeLinkTarget,
} from '../../../src/repository/paths';

const H64 = 'ab' + 'c'.repeat(62);
const H128 = '0f' + '1'.repeat(126);

describe('object naming', () => {
  it('XX/<rest>', () => {
    expect(objectPathname(H64)).toBe(`ab/${'c'.repeat(62)}`);
    expect(objectRepoPath(H128)).toBe(`objects/0f/${'1'.repeat(126)}`);
    expect(() => objectPathname('AB' + 'c'.repeat(62))).toThrow(/lowercase hex/);
  });
  it('parses names only of the right length and case', () => {
    expect(parseObjectName('ab', 'c'.repeat(62), 'sha256')).toBe(H64);
    expect(parseObjectName('ab', 'c'.repeat(62), 'sha512')).toBeUndefined();
    expect(parseObjectName('0f', '1'.repeat(126), 'sha512')).toBe(H128);
    expect(parseObjectName('AB', 'c'.repeat(62), 'sha256')).toBeUndefined();
    expect(parseObjectName('abc', 'c'.repeat(61), 'sha256')).toBeUndefined();
    expect(parseObjectName('ab', 'C'.repeat(62), 'sha256')).toBeUndefined();
  });
  it('reads the digest from the tail of a first-level link', () => {
    expect(digestFromObjectLinkTarget(`../objects/ab/${'c'.repeat(62)}`, 'sha256')).toBe(H64);
    expect(digestFromObjectLinkTarget(`ab/${'c'.repeat(62)}`, 'sha256')).toBe(H64);
    expect(digestFromObjectLinkTarget(`../objects/xab/${'c'.repeat(62)}`, 'sha256')).toBeUndefined();
    expect(digestFromObjectLinkTarget('../objects/ab/cc', 'sha256')).toBeUndefined();
  });
});

describe('relative link targets (§2.2)', () => {
  it('documented examples', () => {
    expect(relativeLinkTarget(`images/${H64}`, `objects/ab/${'c'.repeat(62)}`)).toBe(`../objects/ab/${'c'.repeat(62)}`);
    expect(relativeLinkTarget('images/refs/foo', `images/${H64}`)).toBe(`../${H64}`);
    expect(relativeLinkTarget('images/refs/a/b', `images/${H64}`)).toBe(`../../${H64}`);
    expect(relativeLinkTarget('streams/refs/oci/x', 'streams/oci-config-sha256:1')).toBe('../../oci-config-sha256:1');
    expect(relativeLinkTarget('streams/x', 'objects/ab/cd')).toBe('../objects/ab/cd');
  });

  it('the target resolves to the intended file (property, random depths)', () => {
    const comp = fc.stringMatching(/^[a-z]{1,3}$/);
    fc.assert(
      fc.property(fc.array(comp, { minLength: 1, maxLength: 6 }), fc.array(comp, { minLength: 1, maxLength: 6 }), (link, target) => {
        const linkPath = link.join('/');
        const targetPath = target.join('/');
        const rel = relativeLinkTarget(linkPath, targetPath);
        expect(rel.startsWith('/')).toBe(false);
        expect(path.posix.normalize(path.posix.join(path.posix.dirname(linkPath), rel))).toBe(path.posix.normalize(targetPath));
      }),
      { numRuns: 500 },
    );
  });

  it('ref names must stay below refs/', () => {
    expect(refComponents('a/b')).toEqual(['a', 'b']);
    for (const bad of ['', '/a', 'a/', 'a//b', '../x', 'a/./b', 'a/..']) expect(() => refComponents(bad)).toThrow(/invalid reference name/);
  });
});
