/** Mounting composefs images: runtime kernel detection, EROFS, overlay, unwinding (boot.md §3). */
export * from './compat.js';
export * from './errors.js';
export * from './erofs.js';
export * from './overlay.js';
export * from './composefs.js';
export * from './mountinfo.js';
export * from './unwind.js';
export * from './tempdir.js';
export { FsContext } from './fs-context.js';
export { attachLoop, type LoopDevice } from './loop.js';
export * from './by-path.js';
