/**
 * New mount API (fsopen, fsconfig, fsmount, move_mount, open_tree,
 * mount_setattr) plus mount(2)/umount2(2). fd-returning wrappers add the
 * matching *_CLOEXEC flag. When fsconfig()/fsmount() fail, the fs context's
 * kernel messages are drained into `error.fsMessages` and the message.
 */
import { addon } from './addon';
import { isSysError } from './errors';
import type { NativeBytes, NativeMountAttr, NativePath } from './native';

export type MountAttr = NativeMountAttr;

function withFsMessages<T>(fsfd: number, call: () => T): T {
  try {
    return call();
  } catch (e) {
    if (isSysError(e)) {
      let messages: string[] = [];
      try {
        messages = addon().fsReadMessages(fsfd);
      } catch {
        // keep the original error
      }
      if (messages.length > 0) {
        const old = e.message;
        e.fsMessages = messages;
        e.message = `${old} [${messages.join('; ')}]`;
        if (e.stack !== undefined) e.stack = e.stack.replace(old, e.message);
      }
    }
    throw e;
  }
}

/** fsopen(2) with FSOPEN_CLOEXEC added; returns the fs context fd. */
export function fsopen(fsname: string, flags = 0): number {
  const a = addon();
  return a.fsopen(fsname, flags | a.constants.FSOPEN_CLOEXEC);
}

/** fspick(2) with FSPICK_CLOEXEC added. */
export function fspick(dirfd: number, path: NativePath, flags = 0): number {
  const a = addon();
  return a.fspick(dirfd, path, flags | a.constants.FSPICK_CLOEXEC);
}

/** Generic fsconfig(2); see NativeAddon.fsconfig for value/aux rules. */
export function fsconfig(fsfd: number, cmd: number, key: string | null = null, value: NativeBytes | null = null, aux = 0): void {
  withFsMessages(fsfd, () => addon().fsconfig(fsfd, cmd, key, value, aux));
}

export function fsconfigSetFlag(fsfd: number, key: string): void {
  fsconfig(fsfd, addon().constants.FSCONFIG_SET_FLAG, key);
}

export function fsconfigSetString(fsfd: number, key: string, value: string): void {
  fsconfig(fsfd, addon().constants.FSCONFIG_SET_STRING, key, value);
}

export function fsconfigSetBinary(fsfd: number, key: string, value: Uint8Array): void {
  fsconfig(fsfd, addon().constants.FSCONFIG_SET_BINARY, key, value, value.length);
}

/** FSCONFIG_SET_PATH: `path` is resolved relative to dirfd (default AT_FDCWD). */
export function fsconfigSetPath(fsfd: number, key: string, path: NativePath, dirfd?: number): void {
  const c = addon().constants;
  fsconfig(fsfd, c.FSCONFIG_SET_PATH, key, path, dirfd ?? c.AT_FDCWD);
}

export function fsconfigSetFd(fsfd: number, key: string, fd: number): void {
  fsconfig(fsfd, addon().constants.FSCONFIG_SET_FD, key, null, fd);
}

/** FSCONFIG_CMD_CREATE (or FSCONFIG_CMD_CREATE_EXCL when exclusive). */
export function fsconfigCreate(fsfd: number, exclusive = false): void {
  const c = addon().constants;
  fsconfig(fsfd, exclusive ? c.FSCONFIG_CMD_CREATE_EXCL : c.FSCONFIG_CMD_CREATE);
}

/** fsmount(2) with FSMOUNT_CLOEXEC added; attrFlags are MOUNT_ATTR_*. */
export function fsmount(fsfd: number, flags = 0, attrFlags = 0): number {
  const a = addon();
  return withFsMessages(fsfd, () => a.fsmount(fsfd, flags | a.constants.FSMOUNT_CLOEXEC, attrFlags));
}

/** move_mount(2); flags are MOVE_MOUNT_*. */
export function moveMount(fromDirfd: number, fromPath: NativePath, toDirfd: number, toPath: NativePath, flags = 0): void {
  addon().moveMount(fromDirfd, fromPath, toDirfd, toPath, flags);
}

/** open_tree(2) with OPEN_TREE_CLOEXEC added; flags: OPEN_TREE_CLONE, AT_RECURSIVE, AT_*. */
export function openTree(dirfd: number, path: NativePath, flags = 0): number {
  const a = addon();
  return a.openTree(dirfd, path, flags | a.constants.OPEN_TREE_CLOEXEC);
}

/** mount_setattr(2); flags: AT_EMPTY_PATH, AT_RECURSIVE, AT_SYMLINK_NOFOLLOW. */
export function mountSetattr(dirfd: number, path: NativePath, flags: number, attr: MountAttr): void {
  addon().mountSetattr(dirfd, path, flags, attr);
}

/** Drains the fs context's message log; [] when empty. */
export function fsReadMessages(fsfd: number): string[] {
  return addon().fsReadMessages(fsfd);
}

/** mount(2); flags are MS_*. */
export function mount(
  source: NativePath | null,
  target: NativePath,
  fstype: string | null,
  flags = 0,
  data: NativeBytes | null = null,
): void {
  addon().mount(source, target, fstype, flags, data);
}

/** umount2(2); flags: MNT_DETACH, MNT_FORCE, MNT_EXPIRE, UMOUNT_NOFOLLOW. */
export function umount2(target: NativePath, flags = 0): void {
  addon().umount2(target, flags);
}
