import { addon } from './addon';
import type { NativeConstants } from './native';

export type Constants = NativeConstants;

/**
 * Numeric constants taken from the system headers at addon build time
 * (O_*, AT_*, RESOLVE_*, STATX_*, FSCONFIG_*, MOUNT_ATTR_*, MS_*, LO_FLAGS_*…).
 * The addon is loaded on first property access, not at import time.
 */
export const constants: Constants = new Proxy({} as Constants, {
  get: (_target, key) => Reflect.get(addon().constants, key),
  has: (_target, key) => Reflect.has(addon().constants, key),
  ownKeys: () => Reflect.ownKeys(addon().constants),
  getOwnPropertyDescriptor: (_target, key) => {
    const desc = Reflect.getOwnPropertyDescriptor(addon().constants, key);
    return desc === undefined ? undefined : { ...desc, configurable: true };
  },
  set: () => false,
  defineProperty: () => false,
  deleteProperty: () => false,
});
