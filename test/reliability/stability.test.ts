// Verdicts are stable: the prelaunch suite, run back to back against one
// reference target per scenario, gives the same verdicts every time — every
// run passes against the healthy target, and every run against a fault is
// caught by the check that fault must make fail. Each run is the real bin in
// a child process (so scenarios run side by side, as a loaded CI machine
// would), against a target in a process of its own (test/helpers/reference-child.ts:
// in this process, the targets shared its event loop and, under load, one
// answered nothing within keyprobe's timeout); after every run the test lists
// the target's keys (nothing left behind) and scans everything for secrets.
//
// Default (`npm test`): one run per scenario, which proves every fault caught
// by the real bin with nothing left behind and nothing leaked; the repeats
// that prove the verdicts stable are `npm run test:stability`
// (KEYPROBE_STABILITY=1): 20 runs per scenario. KEYPROBE_STABILITY_RUNS=N
// overrides either; KEYPROBE_STABILITY_REPORT=<file> writes the figures as JSON.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, afterAll } from 'vitest';
import { parseDocument } from 'yaml';
import { DEMO_PROFILE, PACKAGE_ROOT } from '../../src/paths.js';
import { FAULTS } from '../../src/reference/index.js';
import type { RunResult, Verdict } from '../../src/result.js';
import { startReferenceChild } from '../helpers/reference-child.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';
import { keyStates } from './reference-harness.js';
import { FAULT_CHECKS } from '../detection/fault-checks.js';
import { SHORT_STABILITY_WINDOW_MS } from '../detection/run-case.js';

const STABILITY = process.env.KEYPROBE_STABILITY === '1';
const RUNS = Number(process.env.KEYPROBE_STABILITY_RUNS ?? (STABILITY ? 20 : 1));
const BIN = join(PACKAGE_ROOT, 'dist', 'cli.js');
/** One prelaunch run takes ~10 s (it waits out rate windows and expiries); this is a hang detector, not a speed test. */
const RUN_TIMEOUT_MS = 60_000;

/**
 * The profile a scenario's runs use. `npm test`'s one run per scenario proves the fault caught, nothing left
 * behind and nothing leaked, not how long a disabled key stays refused: outside revocation-flap (which only the
 * stability window catches) it watches the window for 500 ms, as the detection matrix does
 * (test/detection/run-case.ts), instead of the demo profile's 2 s: each run is 1.5 s shorter. The repeated runs
 * of `npm run test:stability` keep the demo profile as shipped.
 */
function profileFor(scenario: Scenario, dir: string): string {
  if (STABILITY || scenario.faults.some((f) => f.startsWith('revocation-flap'))) return DEMO_PROFILE;
  const doc = parseDocument(readFileSync(DEMO_PROFILE, 'utf8'));
  doc.setIn(['lifecycle', 'stabilityWindowMs'], SHORT_STABILITY_WINDOW_MS);
  const file = join(dir, 'profile.yaml');
  writeFileSync(file, doc.toString());
  return file;
}

interface Scenario {
  readonly name: string;
  readonly faults: readonly string[];
  /** The check that must fail in every run; undefined for the healthy target (every run passes). */
  readonly detectedBy?: string;
}

const SCENARIOS: Scenario[] = [
  { name: 'healthy', faults: [] },
  ...FAULTS.map((f) => ({ name: f.name, faults: [f.name], detectedBy: FAULT_CHECKS[f.name] })),
];

interface RunFigures {
  readonly code: number | null;
  readonly ms: number;
  readonly verdicts: Record<string, Verdict>;
  readonly problems: string[];
  /** Other checks that could not verify under this fault (expected: they lean on what the fault breaks). */
  readonly notes: string[];
}

const figures: Record<string, RunFigures[]> = {};

function runOnce(
  profile: string,
  env: NodeJS.ProcessEnv,
  outDir: string,
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, 'run', profile, '--quiet', '--out', outDir], {
      cwd,
      env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

afterAll(() => {
  const summary = Object.entries(figures).map(([name, runs]) => {
    const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
    return {
      scenario: name,
      runs: runs.length,
      asExpected: runs.filter((r) => r.problems.length === 0).length,
      medianMs: Math.round(ms[Math.floor(ms.length / 2)] ?? 0),
      maxMs: Math.round(ms[ms.length - 1] ?? 0),
      problems: [...new Set(runs.flatMap((r) => r.problems))],
      notes: [...new Set(runs.flatMap((r) => r.notes.map((n) => n.split(':')[0]!)))],
    };
  });
  if (process.env.KEYPROBE_STABILITY_REPORT)
    writeFileSync(process.env.KEYPROBE_STABILITY_REPORT, `${JSON.stringify({ runsPerScenario: RUNS, summary, figures }, null, 2)}\n`);
  console.info(
    summary
      .map(
        (s) =>
          `${s.scenario.padEnd(24)} ${s.asExpected}/${s.runs} as expected, median ${s.medianMs} ms, max ${s.maxMs} ms${s.notes.length ? ` (also error: ${s.notes.join(', ')})` : ''}${s.problems.length ? ` — ${s.problems.join('; ')}` : ''}`,
      )
      .join('\n'),
  );
});

describe.concurrent(`the prelaunch suite, ${RUNS} runs back to back per scenario`, () => {
  for (const scenario of SCENARIOS) {
    it(
      scenario.detectedBy ? `${scenario.name}: caught by ${scenario.detectedBy} every time` : 'healthy target: passes every time',
      async ({ expect }) => {
        const demo = await startReferenceChild(scenario.faults);
        const tmp = tempDir(`keyprobe-stab-${scenario.name}-`);
        const runs: RunFigures[] = [];
        figures[scenario.name] = runs;
        try {
          const profile = profileFor(scenario, tmp.dir);
          const before = keyStates(await demo.listKeys());
          for (let i = 0; i < RUNS; i++) {
            const outDir = join(tmp.dir, `run-${i}`);
            const run = await runOnce(profile, demo.env, outDir, tmp.dir);
            const result = existsSync(join(outDir, 'results.json'))
              ? (JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as RunResult)
              : undefined;
            const verdicts = Object.fromEntries((result?.profiles[0]?.checks ?? []).map((c) => [c.id, c.verdict])) as Record<
              string,
              Verdict
            >;
            const problems: string[] = [];
            const notes: string[] = [];
            if (!result) problems.push(`no results.json (exit ${run.code}): ${run.stderr.slice(0, 300)}`);
            // Under a fault, checks that lean on the broken behaviour may give `error` (cannot verify):
            // that is recorded as a note, not a problem. Anything else off is a problem.
            for (const c of result?.profiles[0]?.checks ?? []) {
              const wanted = c.id === scenario.detectedBy ? 'fail' : 'pass';
              if (c.verdict === wanted) continue;
              const note = scenario.detectedBy && c.id !== scenario.detectedBy && c.verdict === 'error';
              (note ? notes : problems).push(`${c.id} ${c.verdict}: ${c.message.slice(0, 160)}`);
            }
            if (run.code !== (scenario.detectedBy ? 1 : 0)) problems.push(`exit ${run.code}`);
            if (JSON.stringify(keyStates(await demo.listKeys())) !== JSON.stringify(before))
              problems.push("the target's keys changed (a canary left behind or a key left disabled)");
            if (
              findSecrets(demo.secrets, { dirs: existsSync(outDir) ? [outDir] : [], texts: { stdout: run.stdout, stderr: run.stderr } })
                .length > 0
            )
              problems.push('a secret in the output');
            runs.push({ code: run.code, ms: run.ms, verdicts, problems, notes });
          }
        } finally {
          await demo.close();
          tmp.cleanup();
        }
        // Detection (or a pass) in every run, with nothing left behind and nothing leaked.
        const detected = runs.filter((r) =>
          scenario.detectedBy ? r.verdicts[scenario.detectedBy] === 'fail' && r.code === 1 : r.code === 0,
        );
        expect(detected.length, JSON.stringify(runs.map((r) => r.problems))).toBe(RUNS);
        // Stable: every run gave the very same verdict for every check.
        const vectors = new Set(runs.map((r) => JSON.stringify(r.verdicts)));
        expect([...vectors], 'verdicts differ between runs').toHaveLength(1);
        expect(runs.flatMap((r) => r.problems)).toEqual([]);
      },
      RUNS * RUN_TIMEOUT_MS,
    );
  }
});
