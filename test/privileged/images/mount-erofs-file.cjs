'use strict';
// File-backed EROFS mount through the new mount API (fsopen "erofs", source=<image file>), which
// util-linux 2.38 `mount` cannot do (it always attaches a loop device to a regular file).
// Called by mount-compare.sh inside its private mount namespace.
// argv: <addon.node> <image> <target>
const addon = require(process.argv[2]);
const [image, target] = process.argv.slice(3);
const C = addon.constants;
const fsfd = addon.fsopen('erofs', C.FSOPEN_CLOEXEC);
try {
  addon.fsconfig(fsfd, C.FSCONFIG_SET_STRING, 'source', image, 0);
  addon.fsconfig(fsfd, C.FSCONFIG_CMD_CREATE, null, null, 0);
  const mfd = addon.fsmount(fsfd, C.FSMOUNT_CLOEXEC, C.MOUNT_ATTR_RDONLY);
  try {
    addon.moveMount(mfd, '', C.AT_FDCWD, target, C.MOVE_MOUNT_F_EMPTY_PATH);
  } finally {
    addon.close(mfd);
  }
} catch (e) {
  let messages = [];
  try {
    messages = addon.fsReadMessages(fsfd);
  } catch {}
  process.stderr.write(`file-backed erofs mount of ${image} failed: ${e.message} ${JSON.stringify(messages)}\n`);
  process.exit(1);
} finally {
  addon.close(fsfd);
}
