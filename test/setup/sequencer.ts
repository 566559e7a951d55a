// The order `npm test` hands files to its workers, group by group
// (sequence.groupOrder). The files test/setup/timing-files.ts lists go out in
// that order, longest first, so two lanes end close together and no long file
// starts last; other files keep vitest's own order (the longest first when it
// has timed them before, else the largest). A fresh clone (CI) has no timings.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { LONG_UNIT_FILES, MOCKING_FILES, TIMING_SENSITIVE } from './timing-files.js';

// The mocking files run in the unit group, each in a fresh worker: early, so
// none of them is the group's tail.
const LISTED = [...TIMING_SENSITIVE, ...LONG_UNIT_FILES, ...MOCKING_FILES];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const group = (s: TestSpecification) => s.project.config.sequence.groupOrder ?? 0;
    // Where the lists name the file (else after every listed one).
    const named = (s: TestSpecification) => {
      const at = LISTED.indexOf(relative(s.project.config.root, s.moduleId));
      return at === -1 ? Number.MAX_SAFE_INTEGER : at;
    };
    // A stable sort: vitest's order stays among files the rules do not tell apart.
    return sorted.sort((a, b) => group(a) - group(b) || named(a) - named(b));
  }
}
