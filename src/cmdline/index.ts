export * from './errors.js';
export * from './hex.js';
export * from './tokenize.js';
export * from './karg.js';
export * from './setup-root.js';
export * from './library.js';
export * from './emit.js';
