// The audit benchmark of issue 8 (bench/audit-bench.ts, its own script and
// its own engineer's), run as a child process so this table has it too. Its
// lines are read back; a line this parser does not know goes to the notes as
// it was printed.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Benchmark } from './lib/benchmark.js';
import { ROOT } from './lib/keyprobe.js';
import { timedSpawn } from './lib/spawn.js';
import { notMeasured, type Row } from './lib/table.js';

const GOAL_S = 5;
const FULL_SIZE = 100_000;

export const inventoryAudit: Benchmark = {
  id: 'audit',
  title: 'Audit (issues 8, 16)',
  async run(ctx) {
    const script = fileURLToPath(new URL('./audit-bench.js', import.meta.url));
    if (!existsSync(script))
      return {
        rows: [notMeasured('Audit', '—', `< ${GOAL_S} s for 100,000 keys`, 'bench/audit-bench.ts is not there yet (issue 8)')],
        notes: [],
      };
    ctx.progress('running bench/audit-bench (its own progress is not shown)');
    const t = await timedSpawn(process.execPath, [script], {
      cwd: ROOT,
      env: { ...process.env, BENCH_RUNS: String(Math.max(3, ctx.runs)) },
      timeoutMs: 5 * 60_000,
    });
    if (t.code !== 0) throw new Error(`audit-bench exited ${t.code}: ${(t.stderr || t.stdout).trim().split('\n').slice(-2).join(' ')}`);
    const rows: Row[] = [];
    const notes: string[] = [];
    for (const line of t.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)) {
      const m = /^([\w+]+)\s+(\d+) keys: total ([\d.]+) s median \(min ([\d.]+) s, max ([\d.]+) s\)(.*)$/.exec(line);
      if (!m) {
        notes.push(line);
        continue;
      }
      const [, format, keys, median, min, max, rest] = m as unknown as [string, string, string, string, string, string, string];
      const full = Number(keys) >= FULL_SIZE;
      rows.push({
        benchmark: 'Audit',
        scenario: `${format} inventory, ${Number(keys).toLocaleString('en-US')} keys (read + rules + reports)`,
        keyprobe: `${median} s (${min}–${max}, ${Math.max(3, ctx.runs)} runs)`,
        against: full ? `goal ${GOAL_S} s` : '—',
        result: rest.replace(/^\s*·\s*/, '').trim(),
        goal: full ? `< ${GOAL_S} s` : '(smaller inventory; reported)',
        status: full ? (Number(median) < GOAL_S ? 'met' : 'MISSED') : 'info',
      });
    }
    if (rows.length === 0)
      rows.push(
        notMeasured('Audit', '—', `< ${GOAL_S} s for 100,000 keys`, 'audit-bench printed no line this runner can read (see notes)'),
      );
    return { rows, notes };
  },
};
