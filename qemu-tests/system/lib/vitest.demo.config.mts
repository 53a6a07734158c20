// Runs qemu-tests/system/lib/demo.run.ts for qemu-tests/system/demo.sh (not a test project).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['qemu-tests/system/lib/demo.run.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 3_600_000,
  },
});
