'use strict';
// EROFS image mounted file-backed (fsopen "erofs", source=<file>) and via a
// loop device (LOOP_CTL_GET_FREE + LOOP_CONFIGURE + mount(2)).
// argv: <addon.node> <workdir> <image>
const fs = require('node:fs');
const path = require('node:path');
const { addon: a, work, C, catchErr, mountsUnder, run } = require('./common.cjs');

const image = process.argv[4];

function fileBacked() {
  const target = path.join(work, 'file-backed');
  fs.mkdirSync(target);
  const fsfd = a.fsopen('erofs', C.FSOPEN_CLOEXEC);
  a.fsconfig(fsfd, C.FSCONFIG_SET_STRING, 'source', image, 0);
  a.fsconfig(fsfd, C.FSCONFIG_CMD_CREATE, null, null, 0);
  const mfd = a.fsmount(fsfd, C.FSMOUNT_CLOEXEC, C.MOUNT_ATTR_RDONLY | C.MOUNT_ATTR_NODEV);
  a.close(fsfd);
  a.moveMount(mfd, '', C.AT_FDCWD, target, C.MOVE_MOUNT_F_EMPTY_PATH);
  a.close(mfd);
  const content = fs.readFileSync(path.join(target, 'hello.txt'), 'utf8');
  const mounted = mountsUnder(target);
  const write = catchErr(() => a.openat(C.AT_FDCWD, path.join(target, 'new'), C.O_CREAT | C.O_WRONLY, 0o644));
  a.umount2(target, 0);
  return { content, mounted, write, after: mountsUnder(target) };
}

function badSource() {
  const fsfd = a.fsopen('erofs', C.FSOPEN_CLOEXEC);
  a.fsconfig(fsfd, C.FSCONFIG_SET_STRING, 'source', path.join(work, 'no-such-image'), 0);
  const error = catchErr(() => a.fsconfig(fsfd, C.FSCONFIG_CMD_CREATE, null, null, 0));
  const messages = a.fsReadMessages(fsfd);
  a.close(fsfd);
  return { error, messages };
}

function sysfs(n, rel) {
  try {
    return fs.readFileSync(`/sys/block/loop${n}/${rel}`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Attaches `image` to a free loop device, retrying if another process races us. */
function attach(config) {
  const ctl = a.openat(C.AT_FDCWD, '/dev/loop-control', C.O_RDWR | C.O_CLOEXEC, 0);
  const backing = a.openat(C.AT_FDCWD, image, C.O_RDONLY | C.O_CLOEXEC, 0);
  try {
    for (let attempt = 0; ; attempt++) {
      const n = a.loopCtlGetFree(ctl);
      const fd = a.openat(C.AT_FDCWD, `/dev/loop${n}`, C.O_RDWR | C.O_CLOEXEC, 0);
      try {
        a.loopConfigure(fd, backing, config);
        return { n, fd };
      } catch (e) {
        a.close(fd);
        if (e.code !== 'EBUSY' || attempt > 10) throw e;
      }
    }
  } finally {
    a.close(backing);
    a.close(ctl);
  }
}

function waitDetached(n) {
  const deadline = Date.now() + 5000;
  while (sysfs(n, 'loop/backing_file') !== null && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return sysfs(n, 'loop/backing_file');
}

function loopMount() {
  const target = path.join(work, 'loop');
  fs.mkdirSync(target);
  const { n, fd } = attach({ readOnly: true, autoclear: true, directIo: true, blockSize: 4096 });
  const state = {
    backingFile: sysfs(n, 'loop/backing_file'),
    autoclear: sysfs(n, 'loop/autoclear'),
    dio: sysfs(n, 'loop/dio'),
    ro: sysfs(n, 'ro'),
    blockSize: sysfs(n, 'queue/logical_block_size'),
  };
  a.mount(`/dev/loop${n}`, target, 'erofs', C.MS_RDONLY | C.MS_NODEV, null);
  const content = fs.readFileSync(path.join(target, 'hello.txt'), 'utf8');
  const mounted = mountsUnder(target);
  a.umount2(target, 0);
  a.close(fd);
  return { state, content, mounted, after: mountsUnder(target), detachedBacking: waitDetached(n) };
}

function loopClear() {
  const { n, fd } = attach({ readOnly: true });
  const attached = sysfs(n, 'loop/backing_file');
  a.loopClrFd(fd);
  // The kernel defers the detach until the last opener closes the device.
  const again = catchErr(() => a.loopClrFd(fd));
  a.close(fd);
  return { attached, detached: waitDetached(n), again };
}

run(() => ({
  fileBacked: fileBacked(),
  badSource: badSource(),
  loopMount: loopMount(),
  loopClear: loopClear(),
  end: mountsUnder(work),
}));
