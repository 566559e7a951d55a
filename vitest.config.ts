import { defineConfig } from 'vitest/config';
import { TimingFirstSequencer } from './test/setup/sequencer.js';

// Tests that wait on wall-clock protocol windows (rate windows, revocation
// stability windows, expiries, gateways' limiters) but judge each case against a
// target, ports and temp dirs of their own, with lags bracketed by what the
// target itself recorded: most of their time is waiting, not CPU. They run
// beside the unit files from the start, two at a time (test/setup/timing-slot.ts),
// while the unit files run at a lower CPU priority (test/setup/background-priority.ts).
export const TIMING_WAITS = [
  'test/detection/lifecycle-matrix.test.ts',
  'test/detection/behaviours.test.ts',
  'test/detection/behaviour-matrix.test.ts',
  'test/reliability/nginx-gateway.test.ts',
  'test/checks/throttled-lifecycle.test.ts',
  'test/detection/cli-no-secrets.test.ts',
  'test/checks/lifecycle-key-models.test.ts',
  // Real gateways (Debian's nginx and HAProxy) on free loopback ports of their own.
  'test/recipes/nginx.test.ts',
  'test/recipes/haproxy.test.ts',
  // Every scenario's real bin side by side against targets in this one process
  // (five at a time): verdicts, not wall-clock figures, but the targets must answer on time.
  'test/reliability/stability.test.ts',
];

// Tests whose assertions are wall-clock figures (revocation latency within 50 ms
// at a 10 ms probe resolution, 1 s rate windows a proxy straddles on purpose,
// signals sent mid-burst, a burst paced against a window, 20 ms of injected
// latency): they run last, two files at a time (each mostly waiting) and
// nothing else, so no CPU-bound file skews what they measure.
export const TIMING_ALONE = [
  'test/detection/revocation-latency.test.ts',
  'test/reliability/budget.test.ts',
  'test/reliability/interrupt.test.ts',
  'test/reliability/rate-timing.test.ts',
  'test/checks/rate-checks.test.ts',
  'test/checks/rate-latency.test.ts',
  'test/http/burst-h2.test.ts',
  'test/http/burst-pacing.test.ts',
];

export const TIMING_SENSITIVE = [...TIMING_WAITS, ...TIMING_ALONE];

/**
 * The first group's workers (vitest wants one count per group): one for each
 * timing file, which mostly waits for a timing slot or on protocol windows,
 * and UNIT_WORKERS more for the unit files from the start.
 */
const UNIT_WORKERS = 5;
const FIRST_GROUP_WORKERS = TIMING_WAITS.length + UNIT_WORKERS;

export default defineConfig({
  test: {
    // Every test talks to loopback servers it starts itself.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    sequence: { sequencer: TimingFirstSequencer },
    // `npm test` is one vitest run of two groups, one after the other: first
    // `unit` and `timing` side by side, then `timing-alone`.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: TIMING_SENSITIVE,
          // Nothing here depends on the clock: these files fill the cores the
          // timing files leave idle, at a lower CPU priority (test/setup/background-priority.ts).
          setupFiles: ['test/setup/background-priority.ts'],
          maxWorkers: FIRST_GROUP_WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'timing',
          include: TIMING_WAITS,
          // Two timing files at a time (test/setup/timing-slot.ts), handed out first (test/setup/sequencer.ts).
          setupFiles: ['test/setup/timing-slot.ts'],
          maxWorkers: FIRST_GROUP_WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      // Two files at a time, with nothing else running.
      {
        extends: true,
        test: { name: 'timing-alone', include: TIMING_ALONE, maxWorkers: 2, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
