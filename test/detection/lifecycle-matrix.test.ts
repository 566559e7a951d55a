// The detection matrix for the lifecycle and rate-limit checks, proven over
// real HTTP on loopback against the reference target, under each limiter a
// platform may have (case.ts LIMITERS): with no fault all of them pass; with
// each fault of LIFECYCLE_CASES exactly the named check fails and every other
// one passes or, where it cannot judge without the broken piece, gives
// `error` with its reason. Under the per-client limiter (declared as
// rateLimit.scope: client) rate.per-key-isolation skips by design, and a
// fault that means nothing there is shown to change nothing. revocation-delay
// is measured, not just judged (revocation-latency.test.ts). After every case the target's keys are
// listed: no canary may be left behind and no key left disabled.
import { describe, expect, it, type ExpectStatic } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { allChecks, type CheckResult } from '../../src/result.js';
import { LIFECYCLE_CASES } from './lifecycle-cases.js';
import type { DetectionCase } from './case.js';
import { expectCleanTarget } from './lifecycle-expect.js';
import { runDetectionCase, type CaseRun } from './run-case.js';

const MINE = CHECKS.filter((c) => c.phase === 'lifecycle' || c.phase === 'rate').map((c) => c.id);

/** Checks that cannot judge when the rate limit is missing altogether: they must say so (error), never fail. */
const NEEDS_A_THROTTLE = new Set(['rate.limit-signalled', 'rate.recovers', 'rate.per-key-isolation']);

/** Under a declared per-client limiter, isolation cannot hold by design: it skips, saying why. */
const SKIPS_PER_CLIENT = 'rate.per-key-isolation';

function byId(run: CaseRun): Record<string, CheckResult> {
  return Object.fromEntries(allChecks(run.result).map((c) => [c.id, c]));
}

/** One per-key case: exactly the named check fails, the others pass (or say they cannot judge). */
function perKeyCase(c: DetectionCase): void {
  it(`${c.faults.join(' + ')}: only ${c.expectFail} fails`, async ({ expect }) => {
    const run = await runDetectionCase(c, MINE);
    const results = byId(run);
    expect({ id: c.expectFail, verdict: results[c.expectFail]!.verdict }).toEqual({ id: c.expectFail, verdict: 'fail' });
    for (const id of MINE.filter((i) => i !== c.expectFail)) {
      const r = results[id]!;
      const allowed = c.name === 'no-rate-limit' && NEEDS_A_THROTTLE.has(id) ? 'error' : 'pass';
      expect({ id, verdict: r.verdict, message: r.message }).toEqual({ id, verdict: allowed, message: r.message });
      if (allowed === 'error') expect(r.message).toMatch(/never throttled|no throttled answer/);
    }
    expect(run.result.exitCode).toBe(1);
    expect(results[c.expectFail]!.message.length).toBeGreaterThan(30);
    if (c.name === 'revocation-flap') {
      expect(results[c.expectFail]!.message).toMatch(/stability window were accepted again/);
      expect(results[c.expectFail]!.measurements.acceptedAfterFirstRejection as number).toBeGreaterThan(0);
    }
    expectCleanTarget(run, expect);
  });
}

// Each case has a target of its own (its own port, keys, limiter and clock) and
// spends its time waiting on rate windows and stability windows: they run side by
// side. The revocation latencies measured to within 50 ms are
// revocation-latency.test.ts's, which runs alone.
describe.concurrent('lifecycle and rate-limit detection matrix', () => {
  it('names a case for every lifecycle and rate check that can catch a fault', () => {
    const caught = new Set(LIFECYCLE_CASES.map((c) => c.expectFail));
    // rate.recovers is proven by its own test (a lying Retry-After); the reference target has no fault for it.
    expect(MINE.filter((id) => !caught.has(id) && id !== 'rate.recovers')).toEqual([]);
  });

  it('passes every lifecycle and rate check against the healthy target, in order, and says how it kept bursts apart', async ({
    expect,
  }) => {
    const run = await runDetectionCase({ faults: [] }, MINE);
    const results = byId(run);
    for (const id of MINE)
      expect({ id, verdict: results[id]!.verdict, message: results[id]!.message }).toEqual({
        id,
        verdict: 'pass',
        message: results[id]!.message,
      });
    expect(run.result.exitCode).toBe(0);
    const notes = run.result.profiles[0]!.notes.join('\n');
    expect(notes).toMatch(
      /each of the 4 bursts had the key's rate-limit bucket \(requests carrying key sha256:[0-9a-f]{8} to http:\/\/127\.0\.0\.1:\d+\) to itself and began on a fresh window \(keyprobe waited \d+ ms for that in all\), and keyprobe waited \d+ ms after the last one, so the key was left unthrottled/,
    );
    expect(notes).toMatch(
      /Pacing: the key's rate-limit bucket .* was kept to at most 16 requests per 1 s window \(80% of the declared limit of 20, rateLimit.scope: key\)/,
    );
    expect(notes).toMatch(/cleanup: delete created canary "keyprobe-canary-/);
    expect(notes).toMatch(/cleanup: re-enable declared canary/);
    // The burst chart's data: every request, the throttle at the limit.
    const burst = results['rate.limit-triggered']!.timeline!;
    expect(burst.kind).toBe('burst');
    if (burst.kind === 'burst') {
      expect(burst.firstThrottledAtCall).toBe(21);
      expect(burst.points.filter((p) => p.accepted)).toHaveLength(20);
    }
    expectCleanTarget(run, expect);
  });

  for (const c of LIFECYCLE_CASES) perKeyCase(c);
});

// Each case has a target, and so a limiter, of its own: they run side by side.
// Only verdicts are asserted here (the measurements are the per-key block's).
describe.concurrent('lifecycle and rate-limit detection matrix under the per-client limiter', () => {
  const expectSkippedIsolation = (results: Record<string, CheckResult>, expect: ExpectStatic) => {
    const iso = results[SKIPS_PER_CLIENT]!;
    expect(iso.verdict).toBe('skip');
    expect(iso.message).toMatch(/per-client-address limiter \(rateLimit.scope: client\).*cannot hold and is not tested/);
  };

  it('passes every lifecycle and rate check against the healthy target (isolation skips by design)', async ({ expect }) => {
    const run = await runDetectionCase({ faults: [] }, MINE, 'per-client');
    const results = byId(run);
    for (const id of MINE.filter((i) => i !== SKIPS_PER_CLIENT))
      expect({ id, verdict: results[id]!.verdict, message: results[id]!.message }).toEqual({
        id,
        verdict: 'pass',
        message: results[id]!.message,
      });
    expectSkippedIsolation(results, expect);
    expect(run.result.exitCode).toBe(0);
    const notes = run.result.profiles[0]!.notes.join('\n');
    expect(notes).toMatch(
      /each of the 3 bursts had the origin's rate-limit bucket \(every request of this run to http:\/\/127\.0\.0\.1:\d+\) to itself/,
    );
    expect(notes).toMatch(/Pacing: the origin's rate-limit bucket .* at most 16 requests per 1 s window .*rateLimit.scope: client/);
    expectCleanTarget(run, expect);
  });

  const caseUnder = (c: DetectionCase) => {
    const why = c.notUnder?.['per-client'];
    if (why)
      return it(`${c.faults.join(' + ')}: not applicable (${why.slice(0, 60)}…): nothing fails`, async ({ expect }) => {
        const run = await runDetectionCase(c, MINE, 'per-client');
        const results = byId(run);
        for (const id of MINE.filter((i) => i !== SKIPS_PER_CLIENT))
          expect({ id, verdict: results[id]!.verdict }).toEqual({ id, verdict: 'pass' });
        expectSkippedIsolation(results, expect);
        expect(run.result.exitCode).toBe(0);
        expectCleanTarget(run, expect);
      });
    return it(`${c.faults.join(' + ')}: only ${c.expectFail} fails`, async ({ expect }) => {
      const run = await runDetectionCase(c, MINE, 'per-client');
      const results = byId(run);
      expect({ id: c.expectFail, verdict: results[c.expectFail]!.verdict, message: results[c.expectFail]!.message }).toEqual({
        id: c.expectFail,
        verdict: 'fail',
        message: results[c.expectFail]!.message,
      });
      for (const id of MINE.filter((i) => i !== c.expectFail && i !== SKIPS_PER_CLIENT)) {
        const r = results[id]!;
        const allowed = c.name === 'no-rate-limit' && NEEDS_A_THROTTLE.has(id) ? 'error' : 'pass';
        expect({ id, verdict: r.verdict, message: r.message }).toEqual({ id, verdict: allowed, message: r.message });
      }
      expectSkippedIsolation(results, expect);
      expect(run.result.exitCode).toBe(1);
      expectCleanTarget(run, expect);
    });
  };
  for (const c of LIFECYCLE_CASES) caseUnder(c);
});
