// At most TIMING_AT_ONCE timing files run their tests at the same moment.
// `npm test` runs the timing files beside the unit files (vitest.config.ts),
// and vitest hands a group's files to its workers without asking which
// project they belong to, so a timing file first takes one of the run's
// timing slots and waits (its worker idle, no core used) until one is free.
// The unit files beside them run at a lower CPU priority
// (background-priority.ts), so they do not skew what a timing file measures.
// The slots belong to one vitest run: its main process's pid names them.
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, expect } from 'vitest';
import { takeSlot } from './slots.js';
import { TIMING_SENSITIVE } from './timing-files.js';

const TIMING_AT_ONCE = 2;

// Files take their slots in the order the lists give (longest first), whatever order their workers started in.
const rank = TIMING_SENSITIVE.indexOf(relative(process.cwd(), expect.getState().testPath ?? ''));
const slot = await takeSlot(join(tmpdir(), `keyprobe-timing-slots-${process.ppid}`), TIMING_AT_ONCE, rank === -1 ? {} : { rank });
process.once('exit', () => slot.release());
afterAll(() => slot.release());
