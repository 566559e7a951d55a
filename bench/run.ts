// `npm run bench`: runs every benchmark on loopback against the reference
// target, prints a table and writes it to bench/RESULTS.md with the machine
// and the date. Options: --only id[,id] (then RESULTS.md is left alone unless
// --write), --runs N (repetitions of the expensive measurements, default 3).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { burstThroughput } from './burst-throughput.js';
import { clientCpu } from './client-cpu.js';
import { coldStart } from './cold-start.js';
import { inventoryAudit } from './inventory-audit.js';
import { rateLimitPrecision } from './rate-limit-precision.js';
import { reportsAtScale } from './reports-at-scale.js';
import { revocationAccuracy } from './revocation-accuracy.js';
import { scale, scale1000, scale1000Threads } from './scale.js';
import { suiteOverhead } from './suite-overhead.js';
import type { BenchContext, Benchmark } from './lib/benchmark.js';
import { ROOT } from './lib/keyprobe.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { markdownTable, notMeasured, textTable, type Row } from './lib/table.js';

const BENCHMARKS: readonly Benchmark[] = [
  suiteOverhead,
  burstThroughput,
  revocationAccuracy,
  rateLimitPrecision,
  coldStart,
  clientCpu,
  scale,
  scale1000,
  scale1000Threads,
  reportsAtScale,
  inventoryAudit,
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      runs: { type: 'string', default: '3' },
      write: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`usage: npm run bench -- [--only ${BENCHMARKS.map((b) => b.id).join('|')}] [--runs N] [--write]\n`);
    return 0;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`bench: --runs must be a whole number of at least 1, got "${values.runs}"\n`);
    return 2;
  }
  const only = (values.only ?? [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only.filter((id) => !BENCHMARKS.some((b) => b.id === id));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')}; there are: ${BENCHMARKS.map((b) => b.id).join(', ')}\n`);
    return 2;
  }
  const selected = only.length > 0 ? BENCHMARKS.filter((b) => only.includes(b.id)) : BENCHMARKS;

  const machine = describeMachine();
  const startedAt = new Date();
  const t0 = performance.now();
  process.stderr.write(`keyprobe bench on ${machineLine(machine)}\n`);
  const tmp = mkdtempSync(join(tmpdir(), 'keyprobe-bench-'));
  const rows: Row[] = [];
  const notes: { title: string; text: string }[] = [];
  try {
    for (const [i, b] of selected.entries()) {
      const started = performance.now();
      const ctx: BenchContext = {
        runs,
        tmp,
        progress: (text) =>
          process.stderr.write(`  [${i + 1}/${selected.length} ${b.id} ${seconds(performance.now() - started)}] ${text}\n`),
      };
      process.stderr.write(`${b.title}…\n`);
      try {
        const report = await b.run(ctx);
        rows.push(...report.rows);
        for (const n of report.notes) notes.push({ title: b.title, text: n });
      } catch (err) {
        const message = (err as Error)?.message ?? String(err);
        rows.push(notMeasured(b.title, '(all)', '—', `the benchmark failed: ${message.split('\n')[0]}`));
        notes.push({ title: b.title, text: `Failed: ${message}` });
      }
      process.stderr.write(`${b.title}: done in ${seconds(performance.now() - started)}\n`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const totalMs = performance.now() - t0;

  process.stdout.write(`\n${textTable(rows)}\n\n`);
  for (const n of notes) process.stdout.write(`- ${n.title}: ${n.text}\n`);
  process.stdout.write(`\nTotal bench time ${seconds(totalMs)} on ${machineLine(machine)}\n`);

  if (only.length === 0 || values.write) {
    const file = join(ROOT, 'bench', 'RESULTS.md');
    writeFileSync(
      file,
      resultsMarkdown({ rows, notes, machine: machineLine(machine), startedAt, totalMs, runs, partial: only.length > 0 }),
    );
    formatMarkdown(file);
    process.stdout.write(`Written to bench/RESULTS.md\n`);
  } else {
    process.stdout.write('(--only: bench/RESULTS.md left as it was; add --write to replace it)\n');
  }
  return 0;
}

function resultsMarkdown(r: {
  rows: Row[];
  notes: { title: string; text: string }[];
  machine: string;
  startedAt: Date;
  totalMs: number;
  runs: number;
  partial: boolean;
}): string {
  return [
    '# keyprobe benchmark results',
    '',
    'Written by `npm run bench` (bench/run.ts); see bench/README.md for what each figure means. Do not edit by hand: run it again.',
    '',
    `- Date: ${r.startedAt.toISOString()}`,
    `- Machine: ${r.machine}`,
    `- Commit: ${gitDescription()}`,
    `- Runs: medians of several runs, min–max in brackets (expensive measurements ×${r.runs}); total bench time ${seconds(r.totalMs)}`,
    ...(r.partial ? ['- Partial: only some benchmarks were run (--only)'] : []),
    '',
    markdownTable(r.rows),
    '',
    '## Notes',
    '',
    ...(r.notes.length > 0 ? r.notes.map((n) => `- **${n.title}:** ${n.text}`) : ['- none']),
    '',
    ...testSuiteSection(),
  ].join('\n');
}

/**
 * `npm test`'s wall time is measured with `time npm test`, not by this bench
 * (it is minutes and runs the whole suite): its figures are kept by hand in
 * bench/test-suite.md and carried into RESULTS.md as they are.
 */
function testSuiteSection(): string[] {
  const file = join(ROOT, 'bench', 'test-suite.md');
  return existsSync(file) ? [readFileSync(file, 'utf8').trimEnd(), ''] : [];
}

/**
 * Biome formats Markdown in this repository (its tables padded), so the file
 * goes through it as `npm run format` would: a fresh RESULTS.md then passes
 * `npm run lint` as written. Without Biome (a production install) it stays as written.
 */
function formatMarkdown(file: string): void {
  const biome = join(ROOT, 'node_modules', '@biomejs', 'biome', 'bin', 'biome');
  if (!existsSync(biome)) return;
  try {
    execFileSync(process.execPath, [biome, 'format', '--write', file], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    process.stdout.write('(bench/RESULTS.md was written but not formatted: run npm run format)\n');
  }
}

function gitDescription(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} with uncommitted changes` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

process.exitCode = await main();
