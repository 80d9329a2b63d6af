import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start servers and child processes; CDK tests bundle with esbuild.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers than that only slows the process-spawning tests down.
    maxWorkers: 2,
  },
});
