import { describe, expect, it } from 'vitest';
import * as sys from '../../../src/sys';
import { isRoot, rootReason, sysErrorShape } from './helpers';

// fsopen/fsconfig only build a filesystem context; nothing is mounted, so
// these run in the test process itself.
describe.skipIf(!isRoot)(`fs-context wrappers (no mount is made)${rootReason}`, () => {
  it('fsconfig failures carry the kernel messages', () => {
    const fsfd = sys.fsopen('tmpfs');
    try {
      let caught: unknown;
      try {
        sys.fsconfigSetString(fsfd, 'nosuchoption', 'x');
      } catch (e) {
        caught = e;
      }
      expect(sys.isSysError(caught, 'EINVAL')).toBe(true);
      const e = caught as sys.SysError;
      expect(e.fsMessages?.join('\n')).toMatch(/tmpfs: .*nosuchoption/);
      expect(e.message).toContain('nosuchoption');
      expect(e.message).not.toContain('\n');
      expect(sys.fsReadMessages(fsfd)).toEqual([]);
    } finally {
      sys.close(fsfd);
    }
  });

  it('fsopen of an unknown filesystem type', () => {
    let caught: unknown;
    try {
      sys.fsopen('no-such-filesystem');
    } catch (e) {
      caught = e;
    }
    expect(caught).toEqual(sysErrorShape('ENODEV', 'fsopen'));
  });
});
