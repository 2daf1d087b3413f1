import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // Property tests and real-server tests share two cores: keep parallelism modest.
    maxWorkers: 2,
  },
});
