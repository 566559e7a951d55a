// `keyprobe merge`: one report for many CI shards. Reads each shard's
// results.json, combines them, recomputes the verdict and writes every
// report format (and the manifest), exiting with the combined verdict so the
// merge job can be the gate.
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from '../../errors.js';
import { mergeResults, type MergeInput } from '../../merge/merge-results.js';
import { useColor } from '../../reporters/console.js';
import { makeReporters, REPORTER_NAMES } from '../../reporters/index.js';
import { Multiplexer } from '../../reporters/multiplexer.js';
import { readResults } from '../../reporters/results-file.js';
import { allChecks } from '../../result.js';
import { newRunId } from '../../runner/run.js';
import { TOOL } from '../../version.js';
import type { CliIo } from '../io.js';
import { checkOutDir, publishReports } from '../publish.js';
import { selectReporters } from '../reporter-selection.js';

const MERGE_REPORTERS = REPORTER_NAMES;
const MERGE_DEFAULTS = ['console', 'json', 'junit', 'html'] as const;

export function mergeCommand(io: CliIo) {
  return async (files: string[], opts: { out?: string; quiet?: boolean; reporter?: string[] }): Promise<number> => {
    const names = selectReporters(opts.reporter, MERGE_REPORTERS, MERGE_DEFAULTS);
    // The console is an ordinary reporter here too: it prints the summary once the files are in place.
    const reporters = makeReporters(names, {
      console: { write: (t) => io.stdout.write(t), color: useColor(io.stdout, io.env), quiet: opts.quiet },
      chromium: io.env.KEYPROBE_CHROMIUM,
      stepSummary: io.env.GITHUB_STEP_SUMMARY,
    });
    const multiplexer = new Multiplexer(reporters);
    const inputs = await readAll(files.map((f) => resultsFileOf(resolve(io.cwd, f))));
    const runId = newRunId(new Date());
    const merged = mergeResults(inputs, { runId, tool: TOOL });
    const outDir = await checkOutDir(io.cwd, opts.out, join('reports', runId));
    // The inputs hold fingerprints, never keys: there is no secret to scan for.
    const published = await publishReports(merged, outDir, [], reporters);
    for (const f of published.failures) io.stderr.write(`keyprobe: the ${f.reporter} report could not be written: ${f.message}\n`);
    // A report that could not be written leaves a passing merge not fully on record: exit 3.
    const exitCode = published.failures.length > 0 && merged.exitCode === 0 ? 3 : merged.exitCode;
    const checks = allChecks(merged);
    const count = (v: string) => checks.filter((c) => c.verdict === v).length;
    const mergedLine = `Merged ${inputs.length} run(s): ${merged.profiles.length} profile(s), ${checks.length} check(s): ${count('pass')} passed, ${count('fail')} failed, ${count('error')} errors, ${count('skip')} skipped${merged.incomplete ? ' (a run was incomplete)' : ''}`;
    // The console's summary and a CI step summary (the markdown reporter with $GITHUB_STEP_SUMMARY).
    await multiplexer.published(merged, { exitCode, outDir, files: published.files, explanation: opts.quiet ? [] : [mergedLine] });
    for (const f of multiplexer.failures) io.stderr.write(`keyprobe: the ${f.reporter} report could not be written: ${f.message}\n`);
    return multiplexer.failures.length > 0 && exitCode === 0 ? 3 : exitCode;
  };
}

/** Reads every input, reporting the problems of all of them at once. */
async function readAll(files: readonly string[]): Promise<MergeInput[]> {
  const inputs: MergeInput[] = [];
  const problems: ConfigProblem[] = [];
  for (const file of files) {
    try {
      inputs.push({ file, result: await readResults(file) });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return inputs;
}

/** A report directory stands for the results.json in it. */
function resultsFileOf(path: string): string {
  try {
    return statSync(path).isDirectory() ? join(path, 'results.json') : path;
  } catch {
    return path;
  }
}
