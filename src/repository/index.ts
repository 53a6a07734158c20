/** The composefs repository core (boot.md §2). */
export * from './errors.js';
export * from './meta.js';
export * from './paths.js';
export {
  replaceSymlink, randomSuffix, TEMP_OBJECT_PREFIX, TEMP_SYMLINK_PREFIX, type StoreResult, type WriteOptions,
} from './atomic.js';
export * from './repository.js';
export * from './gc.js';
export * from './fsck.js';
export { imageObjects, setImageObjectReader, ImageParseError, type ImageObjectReader } from './image-objects.js';
