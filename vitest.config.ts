import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/setup/sequencer.js';

import { MOCKING_FILES, TIMING_ALONE, TIMING_SENSITIVE, TIMING_WAITS } from './test/setup/timing-files.js';

/** The unit group's workers, shared by its two projects (vitest requires one figure per group). */
const UNIT_WORKERS = 4;

export default defineConfig({
  test: {
    // Every test talks to loopback servers it starts itself.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The listed files go out longest first (test/setup/sequencer.ts).
    sequence: { sequencer: LongestFirstSequencer },
    // `npm test` is one vitest run of three groups, one after the other (the unit
    // files and the few that mock a module run together).
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...TIMING_SENSITIVE, ...MOCKING_FILES],
          // Many of these files wait on loopback servers and child processes, not on a core.
          maxWorkers: UNIT_WORKERS,
          // A worker runs file after file in one module registry: a fresh process
          // and module graph per file cost more CPU than most of these files' tests.
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      // Files that replace a module (vi.mock) need a registry of their own, or the
      // mock would miss a module an earlier file had loaded, or leak into later files.
      // They share the unit files' four workers: vitest runs a project of one isolated
      // worker at group order 0 on its own, after every group.
      { extends: true, test: { name: 'unit-mocks', include: MOCKING_FILES, maxWorkers: UNIT_WORKERS, sequence: { groupOrder: 0 } } },
      // Four files at a time: they mostly wait, and nothing CPU-bound runs beside them.
      // Some tests wait on protocol clocks for over 20 s (a whole suite of rate
      // windows): a minute keeps the hang guard from mistaking a slow machine for a hang.
      {
        extends: true,
        test: { name: 'timing', include: TIMING_WAITS, maxWorkers: 4, testTimeout: 60_000, sequence: { groupOrder: 1 } },
      },
      // Three files at a time, mostly waiting too, with nothing else running.
      {
        extends: true,
        test: { name: 'timing-alone', include: TIMING_ALONE, maxWorkers: 3, testTimeout: 60_000, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
