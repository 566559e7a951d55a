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
): Promise<ReportOutcome> {
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  const failures: { reporter: string; message: string }[] = [];
  for (const reporter of reporters) {
    if (!reporter.write) continue;
    try {
      files.push(...(await reporter.write(result, outDir)));
    } catch (err) {
      failures.push({ reporter: reporter.name, message: (err as Error)?.message ?? String(err) });
    }
  }
  return { files, failures };
}
