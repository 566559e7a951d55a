// 7. Reports at scale: JUnit, HTML and JSON (and the manifest, when there is
// one) written for a generated RunResult of 10,000 check results. Each
// reporter is timed on its own, in a fresh folder per run; the goal is on the
// three together. The HTML is then read back to see that it stays usable:
// failures before passes, failures open, passes collapsed.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark } from './lib/benchmark.js';
import { fromDist, inDist, type RunResult } from './lib/keyprobe.js';
import { formatBytes, formatNumber, show, spread } from './lib/stats.js';
import { syntheticRun } from './lib/synthetic-run.js';
import { notMeasured, type Row } from './lib/table.js';

type Reporter = import('../src/reporters/reporter.js').FileReporter;
type ReportersIndex = typeof import('../src/reporters/index.js');
type ManifestModule = { writeManifest(outDir: string, files: readonly string[]): Promise<string> };

const CHECKS = 10_000;
const GOAL_MS = 2000;
const FORMATS = ['json', 'junit', 'html'] as const;

export const reportsAtScale: Benchmark = {
  id: 'reports',
  title: 'Reports at scale',
  async run(ctx) {
    const rows: Row[] = [];
    const notes: string[] = [];
    const { defaultReporters } = await fromDist<ReportersIndex>('reporters/index.js');
    const defaults = defaultReporters();
    const reporters = new Map<string, Reporter>();
    for (const name of FORMATS) {
      const found = defaults.find((r) => r.name === name) ?? (await reporterModule(name));
      if (found) reporters.set(name, found);
      if (found && !defaults.includes(found))
        notes.push(
          `The ${name} reporter is not in defaultReporters() (src/reporters/index.ts) yet; benchmarked from src/reporters/${name}.ts directly.`,
        );
    }
    const manifest = inDist('reporters/manifest.js') ? await fromDist<ManifestModule>('reporters/manifest.js') : undefined;

    const t0 = performance.now();
    const result: RunResult = syntheticRun(CHECKS);
    ctx.progress(`generated a RunResult of ${CHECKS.toLocaleString('en-US')} checks in ${formatNumber(performance.now() - t0, 0)} ms`);

    const times = new Map<string, number[]>();
    const sizes = new Map<string, number>();
    const totals: number[] = [];
    let lastDir = '';
    const runs = Math.max(3, ctx.runs);
    for (let i = 0; i < runs; i++) {
      const dir = join(ctx.tmp, `reports-${i}`);
      mkdirSync(dir, { recursive: true });
      const written: string[] = [];
      let total = 0;
      for (const [name, reporter] of reporters) {
        const s = performance.now();
        const files = await reporter.write(result, dir);
        const ms = performance.now() - s;
        total += ms;
        written.push(...files);
        push(times, name, ms);
        sizes.set(
          name,
          files.reduce((sum, f) => sum + statSync(f).size, 0),
        );
      }
      if (manifest) {
        const s = performance.now();
        await manifest.writeManifest(dir, written);
        push(times, 'manifest', performance.now() - s);
      }
      totals.push(total);
      lastDir = dir;
      ctx.progress(
        `run ${i + 1}/${runs}: ${[...reporters.keys()].map((n) => `${n} ${formatNumber(times.get(n)!.at(-1)!, 0)} ms`).join(', ')}`,
      );
    }

    for (const name of FORMATS) {
      const t = times.get(name);
      if (!t) {
        rows.push(
          notMeasured(
            'Reports at scale',
            `${name} (10,000 checks)`,
            '(part of < 2 s)',
            `no ${name} reporter in src/reporters yet (issue 5)`,
          ),
        );
        continue;
      }
      rows.push({
        benchmark: 'Reports at scale',
        scenario: `${name}, ${CHECKS.toLocaleString('en-US')} checks`,
        keyprobe: show(spread(t), 'ms', 0),
        against: `file size ${formatBytes(sizes.get(name)!)}`,
        result: '—',
        goal: '(part of < 2 s)',
        status: 'info',
      });
    }
    const mt = times.get('manifest');
    if (mt)
      rows.push({
        benchmark: 'Reports at scale',
        scenario: 'manifest.sha256 of the above',
        keyprobe: show(spread(mt), 'ms', 0),
        against: '—',
        result: '—',
        goal: '(not in the goal)',
        status: 'info',
      });
    const missing = FORMATS.filter((f) => !reporters.has(f));
    const total = spread(totals);
    rows.push({
      benchmark: 'Reports at scale',
      scenario: `${[...reporters.keys()].join(' + ')} together${missing.length ? ` (without ${missing.join(', ')})` : ''}`,
      keyprobe: show(total, 'ms', 0),
      against: `goal ${GOAL_MS} ms`,
      result: `${formatNumber(total.median / 1000, 2)} s`,
      goal: '< 2 s',
      status: missing.length > 0 ? 'not measured' : total.median < GOAL_MS ? 'met' : 'MISSED',
    });
    if (reporters.has('html')) rows.push(htmlUsability(readFileSync(join(lastDir, 'report.html'), 'utf8')));
    return { rows, notes };
  },
};

function push(m: Map<string, number[]>, k: string, v: number): void {
  m.set(k, [...(m.get(k) ?? []), v]);
}

/** A reporter from its own module (src/reporters/<name>.ts exporting `<name>Reporter`), for one not yet in the default list. */
async function reporterModule(name: string): Promise<Reporter | undefined> {
  if (!inDist(`reporters/${name}.js`)) return undefined;
  const mod = await fromDist<Record<string, unknown>>(`reporters/${name}.js`);
  const r = mod[`${name}Reporter`] as Reporter | undefined;
  return r && typeof r.write === 'function' ? r : undefined;
}

/** Reads the cards back: `<details class="card v-<verdict>" … [open]>` in page order. */
function htmlUsability(html: string): Row {
  const cards = [...html.matchAll(/<details class="card v-(pass|fail|error|skip)"[^>]*?(\sopen)?>/g)].map((m) => ({
    verdict: m[1]!,
    open: m[2] !== undefined,
  }));
  const base = {
    benchmark: 'Reports at scale',
    scenario: 'HTML usable at 10,000 checks',
    goal: 'failures first, passes collapsed',
  } as const;
  if (cards.length === 0)
    return {
      ...base,
      keyprobe: '—',
      against: '—',
      result: 'no check cards found: the markup changed, update bench/reports-at-scale.ts',
      status: 'not measured',
    };
  const lastProblem = cards.map((c) => c.verdict === 'fail' || c.verdict === 'error').lastIndexOf(true);
  const firstPass = cards.findIndex((c) => c.verdict === 'pass');
  const failuresFirst = lastProblem < 0 || firstPass < 0 || lastProblem < firstPass;
  const passesCollapsed = cards.filter((c) => c.verdict === 'pass').every((c) => !c.open);
  const failuresOpen = cards.filter((c) => c.verdict === 'fail' || c.verdict === 'error').every((c) => c.open);
  const count = (v: string) => cards.filter((c) => c.verdict === v).length;
  return {
    ...base,
    keyprobe: `${cards.length.toLocaleString('en-US')} cards: ${count('fail')} fail, ${count('error')} error, ${count('skip')} skip, ${count('pass')} pass`,
    against: '—',
    result: `failures first: ${yes(failuresFirst)}; failures open: ${yes(failuresOpen)}; passes collapsed: ${yes(passesCollapsed)}`,
    status: failuresFirst && passesCollapsed && failuresOpen ? 'met' : 'MISSED',
  };
}

function yes(b: boolean): string {
  return b ? 'yes' : 'NO';
}
