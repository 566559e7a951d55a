// Shared by `run` and `demo`: run the suite, print as it goes, write the
// reports, and return the exit code.
import { readFile } from 'node:fs/promises';
import { resolve, join } from 'node:path';
import type { LoadedProfile } from '../config/load-profile.js';
import type { LoadedSuite } from '../config/suite.js';
import { UsageError } from '../errors.js';
import { consoleObserver, useColor } from '../reporters/console.js';
import { defaultReporters } from '../reporters/index.js';
import { writeReports } from '../reporters/write-reports.js';
import { newRunId, runSuite } from '../runner/run.js';
import { SecretRegistry } from '../secrets.js';
import type { CliIo } from './io.js';

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
  /** Secrets known before the run (e.g. the demo's admin token). */
  readonly secrets?: SecretRegistry;
}

export async function executeRun(io: CliIo, profiles: readonly LoadedProfile[], suite: LoadedSuite, opts: ExecuteOptions): Promise<number> {
  const known = new Set(suite.checks.map((c) => c.check.id));
  for (const id of [...(opts.only ?? []), ...(opts.skip ?? [])]) {
    if (!known.has(id)) throw new UsageError(`check "${id}" is not in suite ${suite.name}; it has: ${[...known].join(', ')}`);
  }
  const ca = opts.ca ? await readCa(resolve(io.cwd, opts.ca)) : undefined;
  const secrets = opts.secrets ?? new SecretRegistry();
  const runId = newRunId(new Date());
  const color = useColor(io.stdout, io.env);
  const result = await runSuite({
    profiles,
    suite,
    only: opts.only,
    skip: opts.skip,
    concurrency: opts.concurrency,
    budget: opts.budget,
    ca,
    operator: opts.operator,
    interactive: opts.interactive,
    signal: io.signal,
    runId,
    secrets,
    observer: consoleObserver({ write: (s) => io.stdout.write(s), color, quiet: opts.quiet, verbose: opts.verbose }),
  });
  const outDir = resolve(io.cwd, opts.out ?? join('reports', runId));
  const written = await writeReports(result, outDir, defaultReporters());
  for (const f of written.failures) io.stderr.write(`keyprobe: the ${f.reporter} report could not be written: ${secrets.redact(f.message)}\n`);
  if (!opts.quiet) io.stdout.write(`Reports: ${outDir}\n`);
  return result.exitCode;
}

async function readCa(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--ca ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
