// Interrupted runs are clean: the real bin (node dist/cli.js) runs as a child
// process against a reference target that lives in this test process, so the
// test can list the target's keys afterwards. SIGINT and SIGTERM arrive in
// the middle of a burst, of a revocation wait and of a canary's expiry wait
// (the moment is picked from the run's own progress output); the run must
// exit non-zero with partial reports marked incomplete, and leave no canary
// behind and no key disabled.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_PROFILE, PACKAGE_ROOT } from '../../src/paths.js';
import type { RunResult } from '../../src/result.js';
import { tempDir } from '../helpers/tmp.js';
import { expectNoCrash, expectNoSecrets } from './helpers.js';
import { countingProxy, expectKeysAsBefore, keyStates, startReference, type CountingProxy, type Demo } from './reference-harness.js';

const BIN = join(PACKAGE_ROOT, 'dist', 'cli.js');
/** From the signal to the child's exit: cleanup and reports, with room for a busy machine. */
const EXIT_WITHIN_MS = 15_000;

let demo: Demo | undefined;
let proxy: CountingProxy | undefined;
let child: ChildProcess | undefined;
let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await proxy?.close();
  await demo?.target.close();
  tmp?.cleanup();
  demo = proxy = child = tmp = undefined;
});

interface Interrupted {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outDir: string;
  readonly exitAfterSignalMs: number;
  readonly result?: RunResult;
  /** The target's keys before the run started. */
  readonly before: ReturnType<typeof keyStates>;
}

/**
 * Starts `keyprobe run` on the demo profile as a child, waits for a progress
 * line matching `moment`, sends `signal` after `delayMs`, and collects what happened.
 */
async function interruptRun(opts: {
  only?: string;
  moment: RegExp;
  signal: NodeJS.Signals;
  delayMs?: number;
  faults?: string[];
  proxyDelayMs?: number;
}): Promise<Interrupted> {
  demo = await startReference(opts.faults ?? []);
  proxy = await countingProxy(demo.target.origin, { delayMs: opts.proxyDelayMs });
  const before = keyStates(demo.target.listKeys());
  tmp = tempDir('keyprobe-int-');
  const outDir = join(tmp.dir, 'out');
  child = spawn(process.execPath, [BIN, 'run', DEMO_PROFILE, '--verbose', ...(opts.only ? ['--only', opts.only] : []), '--out', outDir], {
    cwd: tmp.dir,
    env: { PATH: process.env.PATH, NO_COLOR: '1', ...demo.env, KEYPROBE_DEMO_TARGET: proxy.origin },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let signalledAt = 0;
  const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
  const signalled = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the moment ${opts.moment} never came; output so far:\n${stdout}\n${stderr}`)), 20_000);
    child!.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!signalledAt && opts.moment.test(stdout)) {
        signalledAt = -1;
        clearTimeout(timer);
        setTimeout(() => {
          signalledAt = performance.now();
          child!.kill(opts.signal);
          resolve();
        }, opts.delayMs ?? 0);
      }
    });
    child!.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    void exited.then(() => {
      clearTimeout(timer);
      if (!signalledAt) reject(new Error(`the run ended before the moment ${opts.moment}:\n${stdout}\n${stderr}`));
    });
  });
  await signalled;
  const code = await exited;
  const exitAfterSignalMs = performance.now() - signalledAt;
  const resultsFile = join(outDir, 'results.json');
  const result = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as RunResult) : undefined;
  return { code, stdout, stderr, outDir, exitAfterSignalMs, result, before };
}

function expectCleanInterruption(r: Interrupted, signal: string, checkId: string): void {
  expectNoCrash(r);
  expect(r.stderr).toContain(`${signal} received`);
  expect(r.code).toBe(3);
  expect(r.exitAfterSignalMs).toBeLessThan(EXIT_WITHIN_MS);
  // Partial reports, marked incomplete, in every format that exists.
  expect(r.result, 'results.json').toBeDefined();
  expect(r.result!.incomplete).toBe(true);
  expect(r.result!.verdict).toBe('error');
  const check = r.result!.profiles[0]!.checks.find((c) => c.id === checkId)!;
  expect(check.verdict).toBe('error');
  expect(check.message).toMatch(/interrupted/);
  expect(readFileSync(join(r.outDir, 'junit.xml'), 'utf8')).toMatch(/name="incomplete" value="true"/);
  expect(readFileSync(join(r.outDir, 'report.html'), 'utf8')).toMatch(/The run was interrupted: results are incomplete/);
  expect(readFileSync(join(r.outDir, 'manifest.sha256'), 'utf8')).toMatch(/results\.json/);
  expect(r.stdout).toMatch(/run interrupted|incomplete/i);
  // Nothing left behind on the platform.
  expectKeysAsBefore(demo!, r.before);
  expectNoSecrets(demo!.secrets, r);
}

describe.each(['SIGINT', 'SIGTERM'] as const)('%s', (signal) => {
  it('during a burst: the burst stops, the run ends incomplete, exit 3', async () => {
    // 40 ms per request through the proxy stretches the burst (33 requests, 8 at a time) to ~200 ms.
    const r = await interruptRun({
      only: 'rate.limit-triggered',
      moment: /rate\.limit-triggered: burst of up to/,
      signal,
      delayMs: 60,
      proxyDelayMs: 40,
    });
    expectCleanInterruption(r, signal, 'rate.limit-triggered');
    // The burst really was cut short: fewer requests than it set out to send.
    const sent = Number(r.result!.profiles[0]!.checks[0]!.measurements.sent ?? 0);
    expect(r.result!.profiles[0]!.requestsSent).toBeLessThan(33);
    expect(sent).toBeLessThan(33);
  });

  it('during the wait for a fresh rate window between two rate checks: partial reports are still written', async () => {
    const r = await interruptRun({
      only: 'rate.limit-triggered,rate.limit-signalled',
      moment: /PASS\s+rate\.limit-triggered/,
      signal,
      delayMs: 200,
    });
    expectCleanInterruption(r, signal, 'rate.limit-signalled');
    expect(r.result!.profiles[0]!.checks.map((c) => c.verdict)).toEqual(['pass', 'error']);
  });

  it('during a revocation wait (revocation-delay fault): the declared canary is re-enabled', async () => {
    const r = await interruptRun({
      only: 'lifecycle.disabled-key-rejected',
      moment: /disabling the declared canary/,
      signal,
      delayMs: 400,
      faults: ['revocation-delay=60000'],
    });
    const canary = demo!.target.listKeys().find((k) => k.name === 'crm-prod-agent-call-canary')!;
    expect(canary.enabled).toBe(true);
    expectCleanInterruption(r, signal, 'lifecycle.disabled-key-rejected');
    // It was disabled by the run, and re-enabled on the way out.
    const actions = r.result!.profiles[0]!.checks[0]!.lifecycleActions ?? [];
    expect(actions.map((a) => [a.action, a.outcome])).toEqual([
      ['disable', 'done'],
      ['enable', 'done'],
    ]);
  });

  it('while waiting for a created canary to expire: the canary is deleted', async () => {
    const r = await interruptRun({
      only: 'lifecycle.expired-key-rejected',
      moment: /waiting \d+ s for the canary to expire/,
      signal,
      delayMs: 100,
    });
    expect(demo!.target.listKeys().some((k) => k.name.startsWith('keyprobe-canary-'))).toBe(false);
    const actions = r.result!.profiles[0]!.checks[0]!.lifecycleActions ?? [];
    expect(actions.map((a) => [a.action, a.outcome])).toEqual([
      ['create', 'done'],
      ['delete', 'done'],
    ]);
    expectCleanInterruption(r, signal, 'lifecycle.expired-key-rejected');
  });
});

it('SIGINT in the middle of the whole prelaunch suite: finished checks keep their verdicts, the rest are marked not run', async () => {
  const r = await interruptRun({ moment: /rate\.limit-triggered: burst of up to/, signal: 'SIGINT', delayMs: 60, proxyDelayMs: 40 });
  expectCleanInterruption(r, 'SIGINT', 'rate.limit-triggered');
  const checks = r.result!.profiles[0]!.checks;
  const at = checks.findIndex((c) => c.id === 'rate.limit-triggered');
  // Everything before the burst ran to its verdict; everything after it was not run.
  for (const c of checks.slice(0, at)) expect(c.verdict, `${c.id}: ${c.message}`).toBe('pass');
  for (const c of checks.slice(at + 1)) expect(c.message).toBe('not run: the run was interrupted');
}, 40_000);
