// Calls every reporter in its own try/catch: one broken reporter must not
// sink the run or the other reporters.
import { mkdir } from 'node:fs/promises';
import type { ProfileSource, RunResult } from '../result.js';
import type { Reporter } from './reporter.js';

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
  for (const reporter of reporters) {
    if (!reporter.write) continue;
    try {
      const its = await reporter.write(result, outDir);
      files.push(...its);
      written(its);
    } catch (err) {
      failures.push({ reporter: reporter.name, message: (err as Error)?.message ?? String(err) });
    }
  }
  return { files, failures };
}
