export { HASHES, type HashInfo } from './hashes.js';
export * from './descriptor.js';
export * from './merkle.js';
export * from './file-digest.js';
export * from './format.js';
export * from './algorithm.js';
export * from "./kernel.js";
