'use strict';
// tmpfs via fsopen/fsconfig/fsmount/move_mount and via mount(2);
// fs-context error messages.
const fs = require('node:fs');
const path = require('node:path');
const { addon: a, work, C, catchErr, mountsUnder, run } = require('./common.cjs');

function newApi() {
  const target = path.join(work, 'newapi');
  fs.mkdirSync(target);
  const fsfd = a.fsopen('tmpfs', C.FSOPEN_CLOEXEC);
  const emptyMessages = a.fsReadMessages(fsfd);
  a.fsconfig(fsfd, C.FSCONFIG_SET_STRING, 'size', '1m', 0);
  a.fsconfig(fsfd, C.FSCONFIG_SET_STRING, 'mode', Buffer.from('0750'), 0);
  a.fsconfig(fsfd, C.FSCONFIG_CMD_CREATE, null, null, 0);
  const mfd = a.fsmount(fsfd, C.FSMOUNT_CLOEXEC, C.MOUNT_ATTR_NODEV | C.MOUNT_ATTR_NOSUID);
  a.close(fsfd);
  a.moveMount(mfd, '', C.AT_FDCWD, target, C.MOVE_MOUNT_F_EMPTY_PATH);
  a.close(mfd);
  fs.writeFileSync(path.join(target, 'hello'), 'hi');
  const st = a.statx(C.AT_FDCWD, target, 0, C.STATX_BASIC_STATS);
  const mounted = mountsUnder(target);
  a.umount2(target, 0);
  return {
    emptyMessages,
    mounted,
    mode: st.mode & 0o7777,
    mountRoot: (st.attributes & C.STATX_ATTR_MOUNT_ROOT) !== 0,
    after: mountsUnder(target),
    umountAgain: catchErr(() => a.umount2(target, 0)),
    fileVisibleAfter: fs.existsSync(path.join(target, 'hello')),
  };
}

function badOption() {
  const fsfd = a.fsopen('tmpfs', C.FSOPEN_CLOEXEC);
  const error = catchErr(() => a.fsconfig(fsfd, C.FSCONFIG_SET_STRING, 'nosuchoption', 'x', 0));
  const messages = a.fsReadMessages(fsfd);
  const again = a.fsReadMessages(fsfd);
  a.close(fsfd);
  return { error, messages, again };
}

function classicMount() {
  const target = path.join(work, 'classic');
  fs.mkdirSync(target);
  a.mount('cfsboot-test', target, 'tmpfs', C.MS_NOSUID | C.MS_NODEV, 'size=1m,mode=0700');
  const mounted = mountsUnder(target);
  const mode = fs.statSync(target).mode & 0o7777;
  a.umount2(target, C.MNT_DETACH);
  const missing = path.join(work, 'missing');
  return {
    mounted,
    mode,
    after: mountsUnder(target),
    missingTarget: catchErr(() => a.mount('x', missing, 'tmpfs', 0, null)),
    badFsType: catchErr(() => a.mount('x', target, 'nosuchfs', 0, null)),
  };
}

run(() => ({ newApi: newApi(), badOption: badOption(), classicMount: classicMount(), end: mountsUnder(work) }));
