import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostMountsUnder, isRoot, rootReason, runInMountNamespace, sysErrorShape } from './helpers';

function findMkfsErofs(): boolean {
  return spawnSync('mkfs.erofs', ['--version'], { encoding: 'utf8' }).error === undefined;
}

describe.skipIf(!isRoot)(`EROFS images${rootReason}`, () => {
  let work: string;
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-erofs-'));
  });
  afterEach(() => {
    expect(hostMountsUnder(work)).toEqual([]);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('mounts file-backed and through a loop device', () => {
    if (!findMkfsErofs()) {
      throw new Error('mkfs.erofs not found: install the erofs-utils package (apt-get install erofs-utils)');
    }
    const tree = path.join(work, 'tree');
    fs.mkdirSync(tree);
    fs.writeFileSync(path.join(tree, 'hello.txt'), 'hello from erofs\n');
    const image = path.join(work, 'image.erofs');
    const mk = spawnSync('mkfs.erofs', [image, tree], { encoding: 'utf8' });
    expect(mk.status, mk.stderr).toBe(0);

    const out = runInMountNamespace('erofs.cjs', work, image);

    expect(out['fileBacked'].content).toBe('hello from erofs\n');
    expect(out['fileBacked'].mounted).toEqual([expect.objectContaining({ fstype: 'erofs' })]);
    expect(out['fileBacked'].write).toEqual(sysErrorShape('EROFS', 'openat'));
    expect(out['fileBacked'].after).toEqual([]);

    expect(out['badSource'].error.syscall).toBe('fsconfig');
    expect(out['badSource'].error.message).toContain('FSCONFIG_CMD_CREATE');
    expect(out['badSource'].error.code).toBe('ENOENT');
    expect(Array.isArray(out['badSource'].messages)).toBe(true);

    const loop = out['loopMount'];
    expect(loop.state).toEqual({ backingFile: image, autoclear: '1', dio: '1', ro: '1', blockSize: '4096' });
    expect(loop.content).toBe('hello from erofs\n');
    expect(loop.mounted).toEqual([expect.objectContaining({ fstype: 'erofs', source: expect.stringMatching(/^\/dev\/loop\d+$/) })]);
    expect(loop.after).toEqual([]);
    expect(loop.detachedBacking).toBeNull();

    expect(out['loopClear'].attached).toBe(image);
    expect(out['loopClear'].detached).toBeNull();
    expect(out['loopClear'].again).toEqual(sysErrorShape('ENXIO', 'ioctl'));
    expect(out['end']).toEqual([]);
  });
});
