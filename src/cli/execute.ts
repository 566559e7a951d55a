// Shared by `run` and `demo`: run the suite, print as it goes, write the
// reports, point reports/latest at them, scan every file written and
// everything printed for every secret the run resolved, and return the exit code.
import { dirname, join, resolve, sep } from 'node:path';
import type { LoadedProfile } from '../config/load-profile.js';
import { readRegularFile } from '../config/read-file.js';
import type { LoadedSuite } from '../config/suite.js';
import { EXIT, SecretLeakError, UsageError } from '../errors.js';
import type { AcceptanceInput } from '../governance/acceptance.js';
import { applyRunAcceptance } from '../governance/run-acceptance.js';
import { consoleObserver, painter, summary, useColor, useLiveView, type Stream } from '../reporters/console.js';
import { pointLatest } from '../reporters/latest.js';
import { OutputRecorder, SecretScanner } from '../reporters/secret-scan.js';
import { newRunId, runSuite } from '../runner/run.js';
import { SecretRegistry } from '../secrets.js';
import type { CliIo } from './io.js';
import { commandsAllowed } from './operator.js';
import { publishReports, recordingIo } from './publish.js';

export interface ExecuteOptions {
  readonly out?: string;
  readonly only?: string[];
  readonly skip?: string[];
  readonly concurrency?: number;
  readonly budget?: number;
  readonly ca?: string;
  readonly operator?: string;
  readonly interactive?: boolean;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
  /** Also write report.pdf through a local Chromium. */
  readonly pdf?: boolean;
  /** Let the command lifecycle adapter run shell commands (--allow-commands). */
  readonly allowCommands?: boolean;
  /** Secrets known before the run (e.g. the demo's admin token). */
  readonly secrets?: SecretRegistry;
  /** --baseline / --waivers / --fail-on: what still gates (see governance/run-acceptance.ts). */
  readonly acceptance?: AcceptanceInput;
}

export async function executeRun(
  rawIo: CliIo,
  profiles: readonly LoadedProfile[],
  suite: LoadedSuite,
  opts: ExecuteOptions,
): Promise<number> {
  // Everything printed from here on is kept, to be scanned for secrets at the end.
  const recorder = new OutputRecorder();
  const io = recordingIo(rawIo, recorder);
  const known = new Set(suite.checks.map((c) => c.check.id));
  for (const id of [...(opts.only ?? []), ...(opts.skip ?? [])]) {
    if (!known.has(id)) throw new UsageError(`check "${id}" is not in suite ${suite.name}; it has: ${[...known].join(', ')}`);
  }
  const ca = opts.ca ? readCa(resolve(io.cwd, opts.ca)) : undefined;
  const secrets = opts.secrets ?? new SecretRegistry();
  const runId = newRunId(new Date());
  const color = useColor(io.stdout, io.env);
  // A manual lifecycle step prompts on the terminal: no live redrawing under it.
  const live = useLiveView(io.stdout, io.env) && !opts.interactive;
  const observer = consoleObserver({
    write: (s) => io.stdout.write(s),
    color,
    live,
    columns: (io.stdout as Stream).columns,
    quiet: opts.quiet,
    verbose: opts.verbose,
  });
  const ran = await runSuite({
    profiles,
    suite,
    only: opts.only,
    skip: opts.skip,
    concurrency: opts.concurrency,
    budget: opts.budget,
    ca,
    operator: opts.operator,
    interactive: opts.interactive,
    // Manual lifecycle steps ask on the terminal; without stdin they are skipped.
    terminal: io.stdin ? { input: io.stdin, output: io.stdout } : undefined,
    env: io.env,
    allowCommands: commandsAllowed(opts, io),
    signal: io.signal,
    runId,
    secrets,
    observer,
  }).finally(() => observer.stop());
  // Accepted failures (waived, or persisting under --fail-on new) keep their verdict but stop gating.
  const accepted = opts.acceptance ? applyRunAcceptance(ran, opts.acceptance) : undefined;
  const result = accepted?.result ?? ran;
  const outDir = resolve(io.cwd, opts.out ?? join('reports', runId));
  const published = await publishReports(result, outDir, secrets.all(), { pdf: opts.pdf, chromium: io.env.KEYPROBE_CHROMIUM });
  for (const f of published.failures)
    io.stderr.write(`keyprobe: the ${f.reporter} report could not be written: ${secrets.redact(f.message)}\n`);
  // reports/latest points at the newest run written under ./reports. A run sent
  // elsewhere with --out leaves it alone: a `latest` link beside, say,
  // shards/<name>/ would be picked up by a `shards/*/results.json` glob.
  const reportsDir = resolve(io.cwd, 'reports');
  if (dirname(outDir) === reportsDir || outDir.startsWith(`${reportsDir}${sep}`))
    await pointLatest(join(reportsDir, 'latest'), outDir).catch((err: Error) =>
      io.stderr.write(`keyprobe: reports/latest was not updated: ${secrets.redact(err.message)}\n`),
    );
  if (!opts.quiet)
    io.stdout.write(`Reports: ${outDir}${opts.pdf && !published.failures.some((f) => f.reporter === 'pdf') ? ' (with report.pdf)' : ''}\n`);

  const scanner = new SecretScanner(secrets.all());
  const leaks = [...published.leaks];
  const printedLeak = () => scanner.leaks(recorder.text());
  if (printedLeak()) leaks.push('the console output');
  const exitCode = leaks.length > 0 ? EXIT.secretLeak : result.exitCode;
  for (const line of accepted?.explanation ?? []) io.stdout.write(`${secrets.redact(line)}\n`);
  io.stdout.write(summary(result, exitCode, painter(color), accepted?.verdictNote || undefined));
  if (!leaks.includes('the console output') && printedLeak()) leaks.push('the console output');
  if (leaks.length > 0) throw new SecretLeakError(leaks);
  return exitCode;
}

/** A certificate bundle is far below this. */
const CA_MAX_BYTES = 1024 * 1024;

function readCa(file: string): string {
  const read = readRegularFile(file, CA_MAX_BYTES);
  if (!read.ok) throw new UsageError(`--ca ${file}: ${read.reason}`);
  return read.bytes.toString('utf8');
}
