// `keyprobe report <results.json>`: renders junit.xml, report.html (and with
// --pdf report.pdf) again from a stored result, with a fresh manifest,
// published through a staging folder like a run's (cli/publish.ts). The
// verdict is recomputed from the checks and the cleanups (as `merge` does),
// never taken from the file, and the command exits with it, so a pipeline can
// gate on a kept result. results.json itself is published as it is: it is the
// input, not ours to rewrite. An audit's result is rendered by report-audit.ts
// as an audit, through the same publish pipeline.
import { basename, dirname, join, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { useColor } from '../../reporters/console.js';
import { makeReporters, REPORTER_NAMES } from '../../reporters/index.js';
import { Multiplexer } from '../../reporters/multiplexer.js';
import { readResults } from '../../reporters/results-file.js';
import type { RunResult } from '../../result.js';
import { verdictOf } from '../../runner/verdict.js';
import type { CliIo } from '../io.js';
import { checkOutDir, publishReports } from '../publish.js';
import { selectReporters } from '../reporter-selection.js';
import { isAuditResult, reportAudit } from './report-audit.js';

export interface ReportOptions {
  readonly out?: string;
  readonly pdf?: boolean;
  readonly quiet?: boolean;
  /** --reporter: console, junit, html, markdown, pdf (default console, junit, html). */
  readonly reporter?: string[];
}

/** results.json is the input, published as read: there is no json reporter to choose here. */
/** Every reporter but json: results.json is the input, published again as it was read. */
const REPORT_REPORTERS = REPORTER_NAMES.filter((n) => n !== 'json');
const REPORT_DEFAULTS = ['console', 'junit', 'html'] as const;

export function reportCommand(io: CliIo) {
  return async (input: string, opts: ReportOptions): Promise<number> => {
    let file = resolve(io.cwd, input);
    if (isDirectory(file)) file = join(file, 'results.json');
    const stored = await readResults(file);
    // An audit is rendered as an audit (from its findings.json), never as a launch report of "key-inventory".
    if (isAuditResult(stored)) return reportAudit(io, file, stored, opts);
    const names = selectReporters(opts.reporter, REPORT_REPORTERS, REPORT_DEFAULTS);
    if (opts.pdf && !names.includes('pdf')) names.push('pdf');
    // The console is an ordinary reporter here too: it prints the summary once the files are in place.
    const reporters = makeReporters(names, {
      console: { write: (t) => io.stdout.write(t), color: useColor(io.stdout, io.env), quiet: opts.quiet },
      chromium: io.env.KEYPROBE_CHROMIUM,
      stepSummary: io.env.GITHUB_STEP_SUMMARY,
    });
    const multiplexer = new Multiplexer(reporters);
    const outDir = await checkOutDir(io.cwd, opts.out, dirname(file));
    const recomputed = verdictOf(stored);
    if (recomputed.verdict !== stored.verdict || recomputed.exitCode !== stored.exitCode)
      io.stderr.write(
        `keyprobe: the stored verdict (${stored.verdict.toUpperCase()}, exit ${stored.exitCode}) disagrees with the checks and cleanups in ${basename(file)} (${recomputed.verdict.toUpperCase()}, exit ${recomputed.exitCode}); the reports show ${recomputed.verdict.toUpperCase()}\n`,
      );
    const result: RunResult = { ...stored, ...recomputed };
    // The manifest covers results.json too (published with the rest), so the directory stays one verifiable set.
    // A stored result holds no secrets to look for (keys are fingerprints); the scan runs with none.
    const published = await publishReports(result, outDir, [], reporters, [{ from: file, name: 'results.json' }]);
    for (const f of published.failures) io.stderr.write(`keyprobe: the ${f.reporter} report could not be written: ${f.message}\n`);
    // A report that could not be written leaves a passing result not fully on record: exit 3.
    const exitCode = published.failures.length > 0 && recomputed.exitCode === 0 ? 3 : recomputed.exitCode;
    // The console's summary and a CI step summary (the markdown reporter with $GITHUB_STEP_SUMMARY).
    const rendered = `Rendered run ${result.runId}: ${published.files.map((f) => basename(f)).join(', ')}`;
    await multiplexer.published(result, { exitCode, outDir, files: published.files, explanation: opts.quiet ? [] : [rendered] });
    for (const f of multiplexer.failures) io.stderr.write(`keyprobe: the ${f.reporter} report could not be written: ${f.message}\n`);
    return multiplexer.failures.length > 0 && exitCode === 0 ? 3 : exitCode;
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
