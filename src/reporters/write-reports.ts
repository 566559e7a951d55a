// Calls every reporter in its own try/catch: one broken reporter must not
// sink the run or the other reporters.
//
// Reporters in a row that read every profile before they write (a `pass`:
// junit.xml, report.html) share one reading of the profiles: from a run's
// spool every reading parses each profile again, a thousand profiles' evidence
// (issue #15). The files are the same as each reporter's `write` gives.
import { mkdir } from 'node:fs/promises';
import type { ProfileRun, ProfileSource, RunResult } from '../result.js';
import type { ProfilePass, Reporter } from './reporter.js';
import { EventLoopTurns } from './write-text.js';

export interface ReportOutcome {
  readonly files: string[];
  readonly failures: { reporter: string; message: string }[];
}

export async function writeReports(
  result: RunResult<ProfileSource>,
  outDir: string,
  reporters: readonly Reporter[],
  /** Told each reporter's files as soon as they are written (the leak scan starts on them while the next is rendered). */
  written: (files: string[]) => void = () => undefined,
): Promise<ReportOutcome> {
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  const failures: { reporter: string; message: string }[] = [];
  const wrote = (its: string[]) => {
    files.push(...its);
    written(its);
  };
  const failed = (reporter: Reporter, err: unknown) => failures.push({ reporter: reporter.name, message: messageOf(err) });
  for (let i = 0; i < reporters.length; i++) {
    const reporter = reporters[i]!;
    if (reporter.pass) {
      // This reporter and every one right after it with a pass: one reading of the profiles for them all.
      let end = i + 1;
      while (reporters[end]?.pass) end++;
      await writeThroughPasses(result, outDir, reporters.slice(i, end), wrote, failed);
      i = end - 1;
      continue;
    }
    if (!reporter.write) continue;
    try {
      wrote(await reporter.write(result, outDir));
    } catch (err) {
      failed(reporter, err);
    }
  }
  return { files, failures };
}

/**
 * Reads the profiles once, handing each to every reporter's pass, then has
 * each write its files, in order. A pass that throws is dropped and named;
 * the others go on. A failed reading of the profiles fails every pass still
 * going, as it would have failed each reporter reading them on its own.
 */
async function writeThroughPasses(
  result: RunResult<ProfileSource>,
  outDir: string,
  reporters: readonly Reporter[],
  wrote: (files: string[]) => void,
  failed: (reporter: Reporter, err: unknown) => void,
): Promise<void> {
  const going = new Map<Reporter, ProfilePass>();
  const drop = (reporter: Reporter, err: unknown) => {
    failed(reporter, err);
    going.get(reporter)?.close();
    going.delete(reporter);
  };
  try {
    for (const reporter of reporters) {
      try {
        going.set(reporter, reporter.pass!(result, outDir));
      } catch (err) {
        failed(reporter, err);
      }
    }
    try {
      await readProfiles(result, (run) => {
        for (const [reporter, pass] of going) {
          try {
            pass.add(run);
          } catch (err) {
            drop(reporter, err);
          }
        }
      });
    } catch (err) {
      for (const reporter of [...going.keys()]) drop(reporter, err);
    }
    for (const [reporter, pass] of going) {
      try {
        wrote(await pass.write());
      } catch (err) {
        failed(reporter, err);
      } finally {
        pass.close();
        going.delete(reporter);
      }
    }
  } finally {
    for (const pass of going.values()) pass.close();
  }
}

/** A reporter's `write` through its own pass: the profiles read for it alone. */
export async function writeThroughPass(result: RunResult<ProfileSource>, pass: ProfilePass): Promise<string[]> {
  try {
    await readProfiles(result, (run) => pass.add(run));
    return await pass.write();
  } finally {
    pass.close();
  }
}

/**
 * Every profile, in order, to `each`. Nothing is written meanwhile, so the
 * event loop is let turn every few milliseconds (the leak scan's workers wait
 * on it for their next part: write-text.ts).
 */
async function readProfiles(result: RunResult<ProfileSource>, each: (run: ProfileRun) => void): Promise<void> {
  const turns = new EventLoopTurns();
  for (const run of result.profiles) {
    each(run);
    if (turns.due()) await turns.turn();
  }
}

function messageOf(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}
