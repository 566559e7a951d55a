import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/setup/sequencer.js';

import { TIMING_ALONE, TIMING_SENSITIVE, TIMING_WAITS } from './test/setup/timing-files.js';

export default defineConfig({
  test: {
    // Every test talks to loopback servers it starts itself.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The listed files go out longest first (test/setup/sequencer.ts).
    sequence: { sequencer: LongestFirstSequencer },
    // `npm test` is one vitest run of three groups, one after the other.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: TIMING_SENSITIVE,
          // Most of these files wait on loopback servers and child processes, not on a core.
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      // Two files at a time: their waits overlap, and nothing CPU-bound runs beside them.
      { extends: true, test: { name: 'timing', include: TIMING_WAITS, maxWorkers: 2, sequence: { groupOrder: 1 } } },
      // Two files at a time, with nothing else running.
      { extends: true, test: { name: 'timing-alone', include: TIMING_ALONE, maxWorkers: 2, sequence: { groupOrder: 2 } } },
    ],
  },
});
