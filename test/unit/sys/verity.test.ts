import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as sys from '../../../src/sys';
import { addon } from '../../../src/sys/addon';
import { catchSys, tempDir } from './helpers';

// Kernels without CONFIG_FS_VERITY (or filesystems without the feature)
// answer ENOTTY/EOPNOTSUPP; a file without verity gives ENODATA.
const UNSUPPORTED = ['ENOTTY', 'EOPNOTSUPP', 'ENODATA'];

describe('fs-verity wrappers', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    file = path.join(dir, 'f');
    fs.writeFileSync(file, 'some content\n'.repeat(1000));
  });
  afterEach(() => cleanup());

  it('measuring a file without verity fails with a SysError', () => {
    const fd = fs.openSync(file, 'r');
    try {
      const e = catchSys(() => sys.measureVerity(fd));
      expect(UNSUPPORTED).toContain(e.code);
      expect(e).toMatchObject({ syscall: 'ioctl', fd });
      expect(e.message).toContain('FS_IOC_MEASURE_VERITY');
      const raw = catchSys(() => addon().fsverityMeasure(fd, 64));
      expect(raw.code).toBe(e.code);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('enabling verity either works or fails with a SysError', () => {
    const fd = fs.openSync(file, 'r');
    try {
      let error: unknown;
      try {
        sys.enableVerity(fd, 'sha256');
      } catch (e) {
        error = e;
      }
      if (error === undefined) {
        const m = sys.measureVerity(fd);
        expect(m.algorithm).toBe('sha256');
        expect(m.digest.length).toBe(32);
        expect(sys.fstatx(fd).attributes & sys.constants.STATX_ATTR_VERITY).not.toBe(0);
      } else {
        const e = catchSys(() => {
          throw error;
        });
        expect(UNSUPPORTED).toContain(e.code);
        expect(e).toMatchObject({ syscall: 'ioctl', fd });
        expect(e.message).toContain('FS_IOC_ENABLE_VERITY');
      }
    } finally {
      fs.closeSync(fd);
    }
  });

  it('bad fds give EBADF', () => {
    expect(catchSys(() => sys.enableVerity(99999, 'sha512')).code).toBe('EBADF');
  });
});
