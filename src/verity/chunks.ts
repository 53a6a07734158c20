/** Sizes shared by the streaming and the threaded digest paths. */

/** Read size for streaming: large reads keep syscalls and JS overhead per byte low. */
export const READ_CHUNK = 1 << 20;
/** Files at least this large are hashed by several threads when more than one is allowed. */
export const PARALLEL_THRESHOLD = 32 << 20;
