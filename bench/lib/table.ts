// One row per figure. The table says plainly whether each goal was met, and
// says "not measured" (with why) rather than leaving a gap.

export type Status = 'met' | 'MISSED' | 'not measured' | 'info';

export interface Row {
  /** e.g. "Cold start" */
  readonly benchmark: string;
  /** e.g. "keyprobe --version" */
  readonly scenario: string;
  /** keyprobe's figure: median (min–max, runs). */
  readonly keyprobe: string;
  /** What it is set against: the baseline, the seeded value, the imposed waits. */
  readonly against: string;
  /** The ratio, error or margin that the goal is judged on. */
  readonly result: string;
  readonly goal: string;
  readonly status: Status;
}

export interface BenchmarkReport {
  readonly rows: Row[];
  /** Sentences for the notes under the table: what limits a missed goal, what is missing. */
  readonly notes: string[];
}

const HEADERS = ['Benchmark', 'Scenario', 'keyprobe', 'Against', 'Result', 'Goal', 'Status'] as const;

function cells(r: Row): string[] {
  return [r.benchmark, r.scenario, r.keyprobe, r.against, r.result, r.goal, r.status === 'MISSED' ? '**MISSED**' : r.status];
}

export function markdownTable(rows: readonly Row[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [`| ${HEADERS.join(' | ')} |`, `|${HEADERS.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${cells(r).map(esc).join(' | ')} |`);
  return lines.join('\n');
}

/** A plain-text table for the terminal, columns padded to fit. */
export function textTable(rows: readonly Row[]): string {
  const all = [HEADERS.slice() as string[], ...rows.map(cells)].map((cs) => cs.map((c) => c.replace(/\*\*/g, '')));
  const widths = HEADERS.map((_, i) => Math.max(...all.map((cs) => cs[i]!.length)));
  const line = (cs: string[]) =>
    cs
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(all[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

export function notMeasured(benchmark: string, scenario: string, goal: string, why: string): Row {
  return { benchmark, scenario, keyprobe: '—', against: '—', result: why, goal, status: 'not measured' };
}
