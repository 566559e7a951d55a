// 5. Cold start: how long `keyprobe --version` and `keyprobe validate` take
// from spawn to exit, against a bare `node -e 0` on the same machine.
// The three commands are interleaved run by run so drift hits them alike.
import { join } from 'node:path';
import type { Benchmark } from './lib/benchmark.js';
import { CLI, ROOT } from './lib/keyprobe.js';
import { timedSpawn } from './lib/spawn.js';
import { formatNumber, show, spread } from './lib/stats.js';
import type { Row } from './lib/table.js';

const GOAL_RATIO = 2;
const WARMUP = 2;

export const coldStart: Benchmark = {
  id: 'cold-start',
  title: 'Cold start',
  async run(ctx) {
    const profile = join(ROOT, 'profiles', 'crm-prod-agent-call.yaml');
    const commands = [
      { name: 'node -e 0', args: ['-e', '0'] },
      { name: 'keyprobe --version', args: [CLI, '--version'] },
      { name: 'keyprobe validate (demo profile)', args: [CLI, 'validate', profile] },
    ];
    const runs = Math.max(5, ctx.runs * 5);
    const times = commands.map(() => [] as number[]);
    for (let i = 0; i < WARMUP + runs; i++) {
      for (const [c, cmd] of commands.entries()) {
        const t = await timedSpawn(process.execPath, cmd.args, { cwd: ROOT, timeoutMs: 30_000 });
        if (t.code !== 0) throw new Error(`${cmd.name} exited with ${t.code}: ${t.stderr.trim().slice(0, 300)}`);
        if (i >= WARMUP) times[c]!.push(t.ms);
      }
      if ((i + 1) % 5 === 0 || i + 1 === WARMUP + runs)
        ctx.progress(`cold start: round ${i + 1}/${WARMUP + runs} (the first ${WARMUP} are warm-up)`);
    }
    const [base, version, validate] = times.map(spread) as [
      ReturnType<typeof spread>,
      ReturnType<typeof spread>,
      ReturnType<typeof spread>,
    ];
    const ratio = (s: typeof base) => s.median / base.median;
    const rows: Row[] = [
      {
        benchmark: 'Cold start',
        scenario: 'keyprobe --version',
        keyprobe: show(version, 'ms'),
        against: `node -e 0: ${show(base, 'ms')}`,
        result: `${formatNumber(ratio(version), 2)}×`,
        goal: `< ${GOAL_RATIO}×`,
        status: ratio(version) < GOAL_RATIO ? 'met' : 'MISSED',
      },
      {
        benchmark: 'Cold start',
        scenario: 'keyprobe validate (demo profile)',
        keyprobe: show(validate, 'ms'),
        against: `node -e 0: ${show(base, 'ms')}`,
        result: `${formatNumber(ratio(validate), 2)}×`,
        goal: '(no goal; reported)',
        status: 'info',
      },
    ];
    return { rows, notes: [] };
  },
};
