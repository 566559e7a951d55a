// `npm run test:stability`: the stability runs only, 20 per scenario
// (test/reliability/stability.test.ts), every scenario side by side.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/reliability/stability.test.ts'],
    env: { KEYPROBE_STABILITY: '1' },
    maxConcurrency: 32,
    testTimeout: 30 * 60_000,
    pool: 'forks',
  },
});
