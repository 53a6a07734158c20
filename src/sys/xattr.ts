/**
 * Extended attributes as raw bytes. l* variants never follow symlinks. Attribute NAMES are byte
 * strings (latin1: one code unit per byte, see src/tree/node.ts), so names that are not valid
 * UTF-8 round-trip exactly; for ASCII names this is the same as ordinary strings.
 */
import { addon } from './addon';
import type { NativeBytes, NativePath } from './native';

const nameBytes = (name: string): Buffer => Buffer.from(name, 'latin1');

/** Attribute names of `path` (not following a final symlink), as byte strings. */
export function llistxattr(path: NativePath): string[] {
  return addon().llistxattr(path);
}

export function flistxattr(fd: number): string[] {
  return addon().flistxattr(fd);
}

export function lgetxattr(path: NativePath, name: string): Buffer {
  return addon().lgetxattr(path, nameBytes(name));
}

export function fgetxattr(fd: number, name: string): Buffer {
  return addon().fgetxattr(fd, nameBytes(name));
}

/** flags: 0, XATTR_CREATE or XATTR_REPLACE. */
export function lsetxattr(path: NativePath, name: string, value: NativeBytes, flags = 0): void {
  addon().lsetxattr(path, nameBytes(name), value, flags);
}

/** flags: 0, XATTR_CREATE or XATTR_REPLACE. */
export function fsetxattr(fd: number, name: string, value: NativeBytes, flags = 0): void {
  addon().fsetxattr(fd, nameBytes(name), value, flags);
}

export function lremovexattr(path: NativePath, name: string): void {
  addon().lremovexattr(path, nameBytes(name));
}

export function fremovexattr(fd: number, name: string): void {
  addon().fremovexattr(fd, nameBytes(name));
}
