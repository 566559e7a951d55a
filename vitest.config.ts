import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every test talks to loopback servers it starts itself; none should take long.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
