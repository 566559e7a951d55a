// Preflight: before any check, one reachability probe and one valid-key probe
// per profile. A target that cannot be reached used to cost 6–9 s and 100+
// requests, and print "connection refused" 30+ times; now it is one clear
// message, exit 3, in under 2 s, with reports written and every check marked
// "not run: target unreachable". An error repeated across checks is printed
// once in the summary, with the list of checks it stopped.
import { createServer as createTcpServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../src/demo/seed.js';
import { DEMO_PROFILE } from '../../src/paths.js';
import type { RunResult } from '../../src/result.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { expectNoCrash, expectNoSecrets, listen } from './helpers.js';

let demo: Demo | undefined;
let tmp: ReturnType<typeof tempDir> | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await demo?.target.close();
  tmp?.cleanup();
  demo = tmp = undefined;
});

/** A loopback port with nothing listening on it. */
async function deadOrigin(): Promise<string> {
  const l = await listen(createTcpServer());
  await l.close();
  return l.origin;
}

/** Accepts every connection and drops it at once: reachable at TCP level, but never an HTTP answer. Counts connections. */
async function droppingOrigin() {
  const l = await listen(createTcpServer((s) => s.destroy()));
  closers.push(() => l.close());
  return l;
}

async function runDemoProfileAgainst(origin: string, args: string[] = []) {
  demo = await startDemo();
  tmp = tempDir('keyprobe-preflight-');
  const outDir = join(tmp.dir, 'out');
  const r = await runCli(['run', DEMO_PROFILE, '--out', outDir, ...args], {
    env: { PATH: process.env.PATH, ...demo.env, KEYPROBE_DEMO_TARGET: origin },
    cwd: tmp.dir,
  });
  const result = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as RunResult;
  return { ...r, outDir, result };
}

describe('preflight: a target nobody listens on', () => {
  it('one clear message, exit 3, in under 2 s, reports written, every check "not run: target unreachable"', async () => {
    const r = await runDemoProfileAgainst(await deadOrigin());
    expectNoCrash(r);
    expect(r.code).toBe(3);
    // The run's own clock, start to verdict (module loading in this test process is not keyprobe's time).
    expect(r.result.durationMs).toBeLessThan(2000);
    const checks = r.result.profiles[0]!.checks;
    expect(checks).toHaveLength(18);
    for (const c of checks) {
      expect(c.verdict, c.id).toBe('error');
      expect(c.message, c.id).toMatch(/^not run: target unreachable/);
    }
    expect(r.result.profiles[0]!.requestsSent).toBeLessThanOrEqual(2);
    expect(r.result.profiles[0]!.preflight).toMatchObject({ reachable: false, message: expect.stringMatching(/connection refused/) });
    for (const f of ['junit.xml', 'report.html', 'manifest.sha256'])
      expect(readFileSync(join(r.outDir, f), 'utf8').length).toBeGreaterThan(0);
    // "connection refused" once while running and once in the summary — not once per check.
    expect(r.stdout.match(/connection refused/g)?.length ?? 0).toBeLessThanOrEqual(2);
    // The summary names every check the one error stopped.
    const summary = r.stdout.slice(r.stdout.indexOf('Gating checks that need attention'));
    expect(summary.match(/connection refused/g)).toHaveLength(1);
    for (const c of checks) expect(summary).toContain(c.id);
    expectNoSecrets(demo!.secrets, r);
  });

  it('a target that drops every connection gets two connection attempts, not a hundred', async () => {
    const dropping = await droppingOrigin();
    const r = await runDemoProfileAgainst(dropping.origin);
    expect(r.code).toBe(3);
    expect(r.result.durationMs).toBeLessThan(2000);
    expect(dropping.connections()).toBeLessThanOrEqual(2);
    expect(r.result.profiles[0]!.checks.every((c) => c.message.startsWith('not run: target unreachable'))).toBe(true);
  });
});

describe('preflight: a healthy target', () => {
  it('sends one reachability probe and one valid-key probe, records them, and the run goes on', async () => {
    demo = await startDemo();
    tmp = tempDir('keyprobe-preflight-');
    const outDir = join(tmp.dir, 'out');
    const r = await runCli(['run', DEMO_PROFILE, '--only', 'auth.missing-key-rejected', '--out', outDir], {
      env: { PATH: process.env.PATH, ...demo.env },
      cwd: tmp.dir,
    });
    expect(r.code).toBe(0);
    const result = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as RunResult;
    const pre = result.profiles[0]!.preflight!;
    expect(pre).toMatchObject({ reachable: true, keyAccepted: true });
    expect(pre.evidence.map((e) => [e.label, e.status])).toEqual([
      ['preflight: reachability (no credential)', 401],
      ['preflight: the key on an allowed resource', 200],
    ]);
    // 2 preflight requests + 3 of the check + 1 control with the key on the GET resource the preflight
    // did not fetch, to compare each refusal's body with what the key is served (src/checks/served-data.ts).
    expect(result.profiles[0]!.requestsSent).toBe(6);
  });
});
