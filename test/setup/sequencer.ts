// The order `npm test` hands files to its workers, group by group
// (sequence.groupOrder). In the first group the timing files go first: each
// then waits for one of the run's timing slots (timing-slot.ts), so they run
// about two at a time from the start, back to back, while the unit files fill
// the other workers. Within each project the files keep vitest's own order
// (the longest first when it has timed them before, else the largest).
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The projects whose files take a timing slot. */
const SLOTTED_PROJECTS = new Set(['timing']);

export class TimingFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const group = (s: TestSpecification) => s.project.config.sequence.groupOrder ?? 0;
    const slotted = (s: TestSpecification) => (SLOTTED_PROJECTS.has(s.project.name) ? 0 : 1);
    // A stable sort: vitest's order stays within each (group, slotted) part.
    return sorted.sort((a, b) => group(a) - group(b) || slotted(a) - slotted(b));
  }
}
