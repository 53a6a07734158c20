import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostMountsUnder, isRoot, rootReason, runInMountNamespace, sysErrorShape } from './helpers';

describe.skipIf(!isRoot)(`mount syscalls in a private mount namespace${rootReason}`, () => {
  let work: string;
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-mnt-'));
  });
  afterEach(() => {
    expect(hostMountsUnder(work)).toEqual([]);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('tmpfs via fsopen/fsconfig/fsmount/moveMount, fs-context messages, mount(2)', () => {
    const out = runInMountNamespace('tmpfs.cjs', work);
    const target = path.join(work, 'newapi');

    expect(out['newApi'].emptyMessages).toEqual([]);
    expect(out['newApi'].mounted).toEqual([expect.objectContaining({ mountPoint: target, fstype: 'tmpfs' })]);
    expect(out['newApi'].mounted[0].options).toMatch(/nosuid.*nodev|nodev.*nosuid/);
    expect(out['newApi'].mode).toBe(0o750);
    expect(out['newApi'].mountRoot).toBe(true);
    expect(out['newApi'].after).toEqual([]);
    expect(out['newApi'].umountAgain).toEqual(sysErrorShape('EINVAL', 'umount2'));
    expect(out['newApi'].umountAgain.path).toBe(target);
    expect(out['newApi'].fileVisibleAfter).toBe(false);

    expect(out['badOption'].error).toEqual(sysErrorShape('EINVAL', 'fsconfig'));
    expect(out['badOption'].error.message).toContain('"nosuchoption"');
    expect(out['badOption'].messages.join('\n')).toMatch(/^e tmpfs: .*nosuchoption/m);
    expect(out['badOption'].again).toEqual([]);

    expect(out['classicMount'].mounted).toEqual([
      expect.objectContaining({ fstype: 'tmpfs', source: 'cfsboot-test' }),
    ]);
    expect(out['classicMount'].mode).toBe(0o700);
    expect(out['classicMount'].after).toEqual([]);
    expect(out['classicMount'].missingTarget).toEqual(sysErrorShape('ENOENT', 'mount'));
    expect(out['classicMount'].missingTarget.path).toBe(path.join(work, 'missing'));
    expect(out['classicMount'].badFsType).toEqual(sysErrorShape('ENODEV', 'mount'));
    expect(out['end']).toEqual([]);
  });

  it('open_tree clone + move_mount, mount_setattr read-only gives EROFS', () => {
    const out = runInMountNamespace('open-tree.cjs', work);
    expect(out['cloneContent']).toBe('from source');
    expect(out['writeClone']).toEqual(sysErrorShape('EROFS', 'openat'));
    expect(out['nodeWrite']).toBe('EROFS');
    expect(out['visibleInClone']).toBe(true);
    expect(out['mounted']).toHaveLength(2);
    const clone = out['mounted'].find((m: { mountPoint: string }) => m.mountPoint === path.join(work, 'clone'));
    expect(clone.options.split(',')).toContain('ro');
    expect(out['badMove']).toEqual(sysErrorShape('EBADF', 'move_mount'));
    expect(out['badMove']).toMatchObject({ path: '', dest: path.join(work, 'clone'), fd: 9999 });
    expect(out['badSetattr']).toEqual(sysErrorShape('ENOENT', 'mount_setattr'));
    expect(out['after']).toEqual([]);
  });
});
