import { defineConfig } from 'vitest/config';
import { TimingFirstSequencer } from './test/setup/sequencer.js';

import { TIMING_ALONE, TIMING_SENSITIVE, TIMING_WAITS } from './test/setup/timing-files.js';

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
