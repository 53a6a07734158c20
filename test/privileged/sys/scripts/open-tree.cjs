'use strict';
// open_tree(OPEN_TREE_CLONE) + move_mount, then mount_setattr(MOUNT_ATTR_RDONLY).
const fs = require('node:fs');
const path = require('node:path');
const { addon: a, work, C, catchErr, mountsUnder, run } = require('./common.cjs');

run(() => {
  const src = path.join(work, 'src');
  const clone = path.join(work, 'clone');
  fs.mkdirSync(src);
  fs.mkdirSync(clone);
  a.mount('cfsboot-src', src, 'tmpfs', 0, 'size=1m');
  fs.writeFileSync(path.join(src, 'file'), 'from source');
  const tfd = a.openTree(C.AT_FDCWD, src, C.OPEN_TREE_CLONE | C.OPEN_TREE_CLOEXEC);
  a.moveMount(tfd, '', C.AT_FDCWD, clone, C.MOVE_MOUNT_F_EMPTY_PATH);
  a.close(tfd);
  const cloneContent = fs.readFileSync(path.join(clone, 'file'), 'utf8');
  a.mountSetattr(C.AT_FDCWD, clone, 0, { attrSet: C.MOUNT_ATTR_RDONLY });
  const writeClone = catchErr(() => a.openat(C.AT_FDCWD, path.join(clone, 'new'), C.O_CREAT | C.O_WRONLY, 0o644));
  let nodeWrite = null;
  try {
    fs.writeFileSync(path.join(clone, 'new2'), 'x');
  } catch (e) {
    nodeWrite = e.code;
  }
  fs.writeFileSync(path.join(src, 'still-writable'), 'yes');
  const visibleInClone = fs.existsSync(path.join(clone, 'still-writable'));
  const mounted = mountsUnder(work);
  const badMove = catchErr(() => a.moveMount(9999, '', C.AT_FDCWD, clone, C.MOVE_MOUNT_F_EMPTY_PATH));
  const badSetattr = catchErr(() => a.mountSetattr(C.AT_FDCWD, path.join(work, 'nope'), 0, { attrSet: C.MOUNT_ATTR_RDONLY }));
  a.umount2(clone, 0);
  a.umount2(src, 0);
  return { cloneContent, writeClone, nodeWrite, visibleInClone, mounted, badMove, badSetattr, after: mountsUnder(work) };
});
