/** Extended attributes as raw bytes. l* variants never follow symlinks. */
import { addon } from './addon';
import type { NativeBytes, NativePath } from './native';

/** Attribute names of `path` (not following a final symlink). */
export function llistxattr(path: NativePath): string[] {
  return addon().llistxattr(path);
}

export function flistxattr(fd: number): string[] {
  return addon().flistxattr(fd);
}

export function lgetxattr(path: NativePath, name: string): Buffer {
  return addon().lgetxattr(path, name);
}

export function fgetxattr(fd: number, name: string): Buffer {
  return addon().fgetxattr(fd, name);
}

/** flags: 0, XATTR_CREATE or XATTR_REPLACE. */
export function lsetxattr(path: NativePath, name: string, value: NativeBytes, flags = 0): void {
  addon().lsetxattr(path, name, value, flags);
}

/** flags: 0, XATTR_CREATE or XATTR_REPLACE. */
export function fsetxattr(fd: number, name: string, value: NativeBytes, flags = 0): void {
  addon().fsetxattr(fd, name, value, flags);
}

export function lremovexattr(path: NativePath, name: string): void {
  addon().lremovexattr(path, name);
}

export function fremovexattr(fd: number, name: string): void {
  addon().fremovexattr(fd, name);
}
