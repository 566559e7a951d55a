// The budget holds: whatever the budget, the requests the target received
// never exceed it, for the whole prelaunch suite and for every check alone
// (the burst included); running out is an `error` that names the budget; and
// running out never strands a canary key or leaves a key disabled.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { EXIT } from '../../src/errors.js';
import { DEMO_PROFILE } from '../../src/paths.js';
import type { RunResult } from '../../src/result.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { expectNoCrash, expectNoSecrets } from './helpers.js';
import { countingProxy, expectKeysAsBefore, keyStates, startReference, type CountingProxy, type Demo } from './reference-harness.js';
import { readFileSync } from 'node:fs';

let demo: Demo | undefined;
let proxy: CountingProxy | undefined;
let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await proxy?.close();
  await demo?.target.close();
  tmp?.cleanup();
  demo = proxy = tmp = undefined;
});

async function runWithBudget(
  budget: number,
  only?: string,
  faults: readonly string[] = [],
): Promise<{ result: RunResult; code: number; proxied: number; counted: number; stdout: string; stderr: string; outDir: string }> {
  demo = await startReference(faults);
  proxy = await countingProxy(demo.target.origin);
  const before = keyStates(demo.target.listKeys());
  tmp = tempDir('keyprobe-budget-');
  const outDir = join(tmp.dir, 'out');
  const run = await runCli(['run', DEMO_PROFILE, '--budget', String(budget), '--out', outDir, ...(only ? ['--only', only] : [])], {
    env: { PATH: process.env.PATH, ...demo.env, KEYPROBE_DEMO_TARGET: proxy.origin },
    cwd: tmp.dir,
  });
  expectNoCrash(run);
  expectNoSecrets(demo.secrets, { ...run, outDir });
  expectKeysAsBefore(demo, before);
  const result = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as RunResult;
  return {
    result,
    code: run.code,
    proxied: proxy.count(),
    counted: demo.target.stats().requests,
    stdout: run.stdout,
    stderr: run.stderr,
    outDir,
  };
}

describe('the whole prelaunch suite never sends more than its budget', () => {
  for (const budget of [1, 7, 25, 60, 120]) {
    it(`budget ${budget}`, async () => {
      const r = await runWithBudget(budget);
      // What the target saw (its own count, and every request through the proxy, /admin included).
      expect(r.counted).toBeLessThanOrEqual(budget);
      expect(r.proxied).toBeLessThanOrEqual(budget);
      expect(r.result.profiles[0]!.requestsSent).toBeLessThanOrEqual(budget);
      expect(r.result.profiles[0]!.requestBudget).toBe(budget);
      // Running out is an error that names the budget, never a pass or a fail.
      const outOfBudget = r.result.profiles[0]!.checks.filter((c) => /request budget/.test(c.message));
      expect(outOfBudget.length).toBeGreaterThan(0);
      for (const c of outOfBudget) expect(c.verdict).toBe('error');
      expect(r.code).toBe(EXIT.unverified);
    });
  }
});

describe('each check alone never sends more than a small budget', () => {
  const destinations = CHECKS.filter((c) => c.id !== 'naming.key-name-convention' && c.id !== 'governance.owner-and-expiry').map(
    (c) => c.id,
  );
  for (const id of destinations) {
    it(`${id} with budget 4`, async () => {
      const r = await runWithBudget(4, id);
      expect(r.counted).toBeLessThanOrEqual(4);
      expect(r.proxied).toBeLessThanOrEqual(4);
      const check = r.result.profiles[0]!.checks.find((c) => c.id === id)!;
      if (/budget/.test(check.message)) {
        expect(check.verdict).toBe('error');
        expect(check.message).toMatch(/request budget/);
      }
    });
  }

  // 46 is the least a burst runs with: 2 preflight requests, 34 for the burst (limit + tolerance + concurrency + a few), 10 kept back for cleanup.
  for (const budget of [46, 60, 100]) {
    it(`a burst that is never refused (no-rate-limit fault) stops at budget ${budget}`, async () => {
      const r = await runWithBudget(budget, 'rate.limit-triggered', ['no-rate-limit']);
      expect(r.counted).toBeLessThanOrEqual(budget);
      expect(r.proxied).toBeLessThanOrEqual(budget);
      const check = r.result.profiles[0]!.checks[0]!;
      // The burst really ran (it is the fault's detection), and still kept within the budget.
      expect(check.timeline?.kind).toBe('burst');
      expect(check.timeline!.points.length).toBeGreaterThan(20);
      expect(['fail', 'error']).toContain(check.verdict);
    });
  }
});
