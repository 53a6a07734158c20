/** Typed wrappers over the cfsboot native addon (Linux system calls). */
export { addon, findAddonFile, setEmbeddedAddon } from './addon';
export { constants } from './constants';
export type { Constants } from './constants';
export { errnoName, isSysError, strerror } from './errors';
export type { SysError } from './errors';
export * from './fs-at';
export * from './loop';
export * from './mount-api';
export * from './verity';
export * from './xattr';
export type { NativeAddon, NativeBytes, NativePath } from './native';
