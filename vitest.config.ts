import { defineConfig } from 'vitest/config';

// Tests whose assertions depend on wall-clock timing (revocation latency within
// 50 ms, 1 s rate windows, signals sent mid-burst). They run in their own
// project, one file at a time, after the others, so a busy 2-core machine
// (browser tests, package installs) cannot skew what they measure.
export const TIMING_SENSITIVE = [
  'test/reliability/stability.test.ts',
  'test/reliability/budget.test.ts',
  'test/reliability/interrupt.test.ts',
  'test/reliability/rate-timing.test.ts',
  'test/detection/lifecycle-matrix.test.ts',
  'test/detection/behaviours.test.ts',
  'test/reliability/nginx-gateway.test.ts',
  'test/checks/throttled-lifecycle.test.ts',
  'test/detection/cli-no-secrets.test.ts',
  'test/checks/rate-checks.test.ts',
  'test/checks/lifecycle-key-models.test.ts',
  'test/detection/behaviour-matrix.test.ts',
  // Real gateways (Debian's nginx and HAProxy): rate windows and revocation budgets.
  'test/recipes/nginx.test.ts',
  'test/recipes/haproxy.test.ts',
  'test/checks/rate-latency.test.ts',
  'test/http/burst-h2.test.ts',
  'test/http/burst-pacing.test.ts',
];

export default defineConfig({
  test: {
    // Every test talks to loopback servers it starts itself.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: TIMING_SENSITIVE,
          // Vitest's default on a 2-core machine is one file at a time (cores − 1), yet most
          // of these files spend their time waiting on loopback servers, child processes
          // (the built CLI, npm, bash) and sleeps, not on a core: three at a time overlap
          // those waits. Nothing here depends on the clock (those files are the timing project).
          maxWorkers: 3,
        },
      },
      { extends: true, test: { name: 'timing', include: TIMING_SENSITIVE, fileParallelism: false } },
    ],
  },
});
