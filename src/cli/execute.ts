// Shared by `run` and `demo`: check --out, run the suite with the selected
// reporters (--reporter; the console prints as it goes, screened for
// secrets), publish the reports (a file holding a secret is
// withheld), point reports/latest at them, and return the exit code.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { LoadedProfile } from '../config/load-profile.js';
import { readRegularFile } from '../config/read-file.js';
import type { LoadedSuite } from '../checks/suite.js';
import { EXIT, SecretLeakError, UsageError } from '../errors.js';
import type { AcceptanceInput } from '../governance/acceptance.js';
import { applyRunAcceptance } from '../governance/run-acceptance.js';
import { type Stream, useColor, useLiveView } from '../reporters/console.js';
import { makeReporters, REPORTER_NAMES, RUN_DEFAULT_REPORTERS } from '../reporters/index.js';
import { Multiplexer } from '../reporters/multiplexer.js';
import { pointLatest } from '../reporters/latest.js';
import { describeFindings, OutputGuard } from '../reporters/secret-scan.js';
import { newRunId, runSuite } from '../runner/run.js';
import { ProfileSpool } from '../runner/spool.js';
import { SecretRegistry } from '../secrets.js';
import type { CliIo } from './io.js';
import { forTerminal } from '../terminal-text.js';
import { commandsAllowed, runOperator } from './operator.js';
import { selectReporters } from './reporter-selection.js';
import { checkOutDir, guardedIo, publishReports } from './publish.js';

export interface ExecuteOptions {
  readonly out?: string;
  readonly only?: string[];
  readonly skip?: string[];
  readonly concurrency?: number;
  /** --threads: worker threads for the checks (1: none; undefined: the run decides). */
  readonly threads?: number;
  readonly budget?: number;
  readonly ca?: string;
  readonly operator?: string;
  readonly interactive?: boolean;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
  /** Also write report.pdf through a local Chromium (the same as adding `--reporter pdf`). */
  readonly pdf?: boolean;
  /** --reporter: which reporters to use (default console, json, junit, html). */
  readonly reporter?: string[];
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
  keepHeapNearLiveSize();
  // Finished checks and profiles wait on disk (src/runner/spool.ts) until the reports are published, then the spool is removed.
  const spoolDir = await makeSpoolDir();
  const spool = new ProfileSpool(spoolDir);
  try {
    return await runAndPublish(rawIo, profiles, suite, opts, spool);
  } finally {
    spool.close();
    await rm(spoolDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function runAndPublish(
  rawIo: CliIo,
  profiles: readonly LoadedProfile[],
  suite: LoadedSuite,
  opts: ExecuteOptions,
  spool: ProfileSpool,
): Promise<number> {
  const secrets = opts.secrets ?? new SecretRegistry();
  // Everything printed from here on is screened for every secret the run knows before it is printed.
  const guard = new OutputGuard(secrets.scanner);
  const io = guardedIo(rawIo, guard);
  // Manual steps ask on this thread's terminal, which a worker thread cannot.
  if (opts.interactive && opts.threads !== undefined && opts.threads > 1)
    throw new UsageError('--threads cannot be more than 1 with --interactive: manual lifecycle steps ask on this terminal');
  const known = new Set(suite.checks.map((c) => c.check.id));
  for (const id of [...(opts.only ?? []), ...(opts.skip ?? [])]) {
    if (!known.has(id)) throw new UsageError(`check "${id}" is not in suite ${suite.name}; it has: ${[...known].join(', ')}`);
  }
  // Before any request: a reporter name that does not exist is bad usage.
  const names = selectReporters(opts.reporter, REPORTER_NAMES, RUN_DEFAULT_REPORTERS);
  if (opts.pdf && !names.includes('pdf')) names.push('pdf');
  const runId = newRunId(new Date());
  // Before any request: a run that cannot publish its reports must not act on keys first.
  const outDir = await checkOutDir(io.cwd, opts.out, join('reports', runId));
  const ca = opts.ca ? readCa(resolve(io.cwd, opts.ca)) : undefined;
  const color = useColor(io.stdout, io.env);
  // A manual lifecycle step prompts on the terminal: no live redrawing under it.
  const live = useLiveView(io.stdout, io.env) && !opts.interactive;
  const reporters = new Multiplexer(
    makeReporters(names, {
      console: {
        write: (s) => io.stdout.write(s),
        color,
        live,
        columns: (io.stdout as Stream).columns,
        quiet: opts.quiet,
        verbose: opts.verbose,
      },
      chromium: io.env.KEYPROBE_CHROMIUM,
      stepSummary: io.env.GITHUB_STEP_SUMMARY,
    }),
  );
  const ran = await runSuite({
    profiles,
    suite,
    only: opts.only,
    skip: opts.skip,
    concurrency: opts.concurrency,
    threads: opts.threads,
    budget: opts.budget,
    ca,
    operator: runOperator(opts, io),
    interactive: opts.interactive,
    // Manual lifecycle steps ask on the terminal; without stdin they are skipped.
    terminal: io.stdin ? { input: io.stdin, output: io.stdout } : undefined,
    env: io.env,
    allowCommands: commandsAllowed(opts, io),
    signal: io.signal,
    runId,
    secrets,
    observer: reporters.observer(),
    spool,
  }).catch((err: unknown) => {
    reporters.runAborted();
    throw err;
  });
  // Accepted failures (waived, or persisting under --fail-on new) keep their verdict but stop gating.
  const accepted = opts.acceptance ? applyRunAcceptance(ran, opts.acceptance) : undefined;
  const result = accepted?.result ?? ran;
  const published = await publishReports(result, outDir, secrets.scanner, reporters.reporters);
  // A live hook that threw is recorded like a report that could not be written.
  const failures = [...reporters.failures, ...published.failures];
  for (const f of failures)
    io.stderr.write(`keyprobe: the ${f.reporter} report could not be written: ${forTerminal(secrets.redact(f.message))}\n`);
  // reports/latest points at the newest run written under ./reports. A run sent
  // elsewhere with --out leaves it alone: a `latest` link beside, say,
  // shards/<name>/ would be picked up by a `shards/*/results.json` glob.
  const reportsDir = resolve(io.cwd, 'reports');
  if (published.files.length > 0 && (dirname(outDir) === reportsDir || outDir.startsWith(`${reportsDir}${sep}`)))
    await pointLatest(join(reportsDir, 'latest'), outDir).catch((err: Error) =>
      io.stderr.write(`keyprobe: reports/latest was not updated: ${forTerminal(secrets.redact(err.message))}\n`),
    );

  const withheldFiles = published.withheld.map((w) => `${w.file} (withheld: replaced by a stub; found ${describeFindings(w.findings)})`);
  const leaking = () => [...withheldFiles, ...(guard.findings.length > 0 ? ['the console output (withheld before it was printed)'] : [])];
  // A report that could not be written leaves the run unverified: never exit 0 without the reports.
  const unpublished = failures.length > 0 && result.exitCode === EXIT.pass;
  const exitCode = leaking().length > 0 ? EXIT.secretLeak : unpublished ? EXIT.unverified : result.exitCode;
  // The console's "Reports: …", the governance lines and the summary; a CI step summary.
  const recorded = reporters.failures.length;
  await reporters.published(result, {
    exitCode,
    outDir,
    files: published.files,
    explanation: (accepted?.explanation ?? []).map((line) => secrets.redact(line)),
    ...(accepted?.verdictNote ? { verdictNote: accepted.verdictNote } : {}),
  });
  const late = reporters.failures.slice(recorded);
  for (const f of late)
    io.stderr.write(`keyprobe: the ${f.reporter} report could not be written: ${forTerminal(secrets.redact(f.message))}\n`);
  if (unpublished && exitCode === EXIT.unverified)
    io.stderr.write(
      `keyprobe: exit 3 because ${failures.map((f) => `the ${f.reporter} report`).join(', ')} could not be written: the run is not fully on record\n`,
    );
  // The summary is screened too: a secret withheld from it also makes the run exit 4.
  if (leaking().length > 0) throw new SecretLeakError(leaking());
  // A reporter that failed only after the summary (appending a CI step summary) still leaves a passing run not fully on record.
  return late.length > 0 && exitCode === EXIT.pass ? EXIT.unverified : exitCode;
}

/**
 * How far V8 lets the heap grow past what the last full collection found
 * alive: 50 = one and a half times the live size. By default V8 picks up to
 * 4× when collecting is cheap next to the program's own work, which is what a
 * run does: its checks' exchanges, closures and sockets live for seconds (so
 * they outlive the young generation) and then die by the thousand. Measured
 * for issue #15 at --concurrency 200: a 600-profile run never had more than
 * ~190 MB alive (most of it every secret's forms for redaction, and the
 * profiles in progress), yet a 500-profile run's RSS reached 993 MiB; a
 * 300-profile run peaked at 533-560 MiB by default, 360-371 MiB at 2× and
 * 309-316 MiB at 1.5×, for some 5-15% more CPU time than at 2×. Set for the
 * whole process (a CLI run owns it); V8 reads it each time it sizes the heap
 * after a collection.
 */
const HEAP_GROWING_PERCENT = 50;

function keepHeapNearLiveSize(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/** A fresh private folder for the run's spool, in the system's temporary folder. */
async function makeSpoolDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'keyprobe-spool-'));
}

/** A certificate bundle is far below this. */
const CA_MAX_BYTES = 1024 * 1024;

function readCa(file: string): string {
  const read = readRegularFile(file, CA_MAX_BYTES);
  if (!read.ok) throw new UsageError(`--ca ${file}: ${read.reason}`);
  return read.bytes.toString('utf8');
}
