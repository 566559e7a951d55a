// While a large report renders, the event loop still turns (issue #15): the
// leak scan's worker threads get their next part, and the scan of a report
// already written starts, only when it does. junit.xml and report.html read
// every profile in a first pass that writes nothing; that pass must let the
// loop turn too, not only the writes after it.
import { describe, expect, it } from 'vitest';
import { htmlReporter } from '../../src/reporters/html.js';
import { junitReporter } from '../../src/reporters/junit.js';
import type { FileReporter } from '../../src/reporters/reporter.js';
import { writeReports } from '../../src/reporters/write-reports.js';
import type { ProfileSource, RunResult } from '../../src/result.js';
import { tempDir } from '../helpers/tmp.js';
import { check, profileRun, runResult } from './sample-results.js';

/** Long enough that a writer which lets the loop turn every few milliseconds must have done so before the last profile. */
const SLOW_READ_MS = 4;
const PROFILES = 20;

/**
 * A run whose profiles each take SLOW_READ_MS to read (as a large profile
 * parsed from the spool does), and a record of whether a setImmediate queued
 * before the report started had run by the time the last profile was read.
 */
function slowRun(): { result: RunResult<ProfileSource>; turnedBeforeLast: () => boolean | undefined; arm: () => void } {
  const base = runResult(
    Array.from({ length: PROFILES }, (_, i) => profileRun(`svc${i}-prod-agent-call`, [check('auth.valid-key-accepted', 'pass')])),
  );
  let turned = false;
  let atLast: boolean | undefined;
  const profiles: ProfileSource = {
    length: base.profiles.length,
    at: (i) => base.profiles.at(i),
    *[Symbol.iterator]() {
      for (const [i, p] of base.profiles.entries()) {
        const until = performance.now() + SLOW_READ_MS;
        while (performance.now() < until) {
          // A busy wait: reading a profile is synchronous work.
        }
        if (i === base.profiles.length - 1 && atLast === undefined) atLast = turned;
        yield p;
      }
    },
  };
  return {
    result: { ...base, profiles },
    turnedBeforeLast: () => atLast,
    arm: () => {
      turned = false;
      setImmediate(() => {
        turned = true;
      });
    },
  };
}

describe('rendering a report lets the event loop turn', () => {
  for (const reporter of [junitReporter, htmlReporter] as FileReporter[]) {
    it(`${reporter.name}: during its first pass over the profiles, before it writes anything`, async () => {
      const tmp = tempDir();
      try {
        const run = slowRun();
        run.arm();
        await reporter.write(run.result, tmp.dir);
        expect(run.turnedBeforeLast()).toBe(true);
      } finally {
        tmp.cleanup();
      }
    });
  }

  it('junit and html together: during the one pass over the profiles they share (writeReports)', async () => {
    const tmp = tempDir();
    try {
      const run = slowRun();
      run.arm();
      const out = await writeReports(run.result, tmp.dir, [junitReporter, htmlReporter]);
      expect(out.failures).toEqual([]);
      expect(run.turnedBeforeLast()).toBe(true);
    } finally {
      tmp.cleanup();
    }
  });
});
