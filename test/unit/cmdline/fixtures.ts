/** Shared digests for the cmdline tests (the upstream unit-test constants plus synthetic ones). */
export const SHA256_HEX = '8b7df143d91c716ecfa5fc1730022f6b421b05cedee8fd52b1fc65a96030ad52';
export const SHA512_HEX =
  '6f06b5e82420abec546d6e6d3ddd612c50cfa9b707c129345b7ec16f456b92fe' +
  '35df68999b042e1a6a70dfe75f2fed8cf9f67afd0bf08d2374678d75e2f65a02';
export const OTHER_SHA256 = '1'.repeat(64);
export const H64 = 'a'.repeat(64);
export const H64B = 'b'.repeat(64);
export const H128 = 'c'.repeat(128);
export const H128D = 'd'.repeat(128);

/** Runs `fn` expecting it to throw; returns the error. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an exception');
}
