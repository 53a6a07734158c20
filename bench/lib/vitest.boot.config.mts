// Runs bench/lib/boot.run.ts (a benchmark, not a test: only bench/boot.sh uses this config).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['bench/lib/boot.run.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 3_600_000,
    fileParallelism: false,
  },
});
