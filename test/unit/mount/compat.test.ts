import { afterEach, describe, expect, it } from 'vitest';
import { KERNEL_FEATURES, setSimulatedMissing, simulatedError, simulatedMissing } from '../../../src/mount/compat.js';
import { isSysError } from '../../../src/sys/errors.js';

describe('kernel feature simulation', () => {
  afterEach(() => {
    setSimulatedMissing(undefined);
    delete process.env['CFSBOOT_SIMULATE_MISSING'];
  });

  it('reads CFSBOOT_SIMULATE_MISSING once and refuses unknown names', () => {
    process.env['CFSBOOT_SIMULATE_MISSING'] = 'erofs-file-backed, overlay-fd-layers';
    expect([...simulatedMissing()]).toEqual(['erofs-file-backed', 'overlay-fd-layers']);
    setSimulatedMissing(undefined);
    process.env['CFSBOOT_SIMULATE_MISSING'] = 'no-such-feature';
    expect(() => simulatedMissing()).toThrow(/unknown kernel feature 'no-such-feature'/);
  });

  it('simulated errors look like the kernel call failing with the older kernel\'s errno', () => {
    for (const f of Object.keys(KERNEL_FEATURES) as Array<keyof typeof KERNEL_FEATURES>) {
      const e = simulatedError(f, 'fsconfig', 'x');
      expect(isSysError(e)).toBe(true);
      expect((e as unknown as { code: string }).code).toBe(f === 'erofs-file-backed' ? 'ENOTBLK' : 'EINVAL');
      expect(e.message).toContain(`simulated: CFSBOOT_SIMULATE_MISSING=${f}`);
    }
  });
});
