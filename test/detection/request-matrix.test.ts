// The detection matrix for the request-phase checks, proven over real HTTP on
// loopback, under each limiter a platform may have (case.ts LIMITERS): with no
// defect every request-phase check passes; with each defect of REQUEST_CASES
// on, exactly the named check fails and every other request-phase check still
// passes. Under the per-client limiter (every request counted, 429 before
// authentication) the paced request phase is never throttled at all. Nothing
// the run returned holds a secret.
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { loadSuite } from '../../src/checks/suite.js';
import { allChecks } from '../../src/result.js';
import { findSecrets } from '../helpers/scan.js';
import { LIMITERS, type Limiter } from './case.js';
import { REQUEST_CASES } from './request-cases.js';
import { PRELAUNCH_SUITE, runDetectionCase } from './run-case.js';

/** Request-phase checks of the prelaunch suite; lifecycle and rate checks are left out so the matrix stays fast. */
const REQUEST_PHASE = loadSuite(PRELAUNCH_SUITE)
  .checks.filter((p) => p.check.phase === 'request')
  .map((p) => p.check.id);

function verdicts(run: Awaited<ReturnType<typeof runDetectionCase>>): Record<string, string> {
  return Object.fromEntries(allChecks(run.result).map((c) => [c.id, c.verdict]));
}

describe('request-phase detection matrix', () => {
  it('covers every request-phase check of this issue with at least one case', () => {
    const caught = new Set(REQUEST_CASES.map((c) => c.expectFail));
    const reverse = CHECKS.filter(
      (c) => c.phase === 'request' && !['auth.valid-key-accepted', 'auth.missing-key-rejected'].includes(c.id),
    ).map((c) => c.id);
    expect(reverse.filter((id) => !caught.has(id))).toEqual([]);
    expect(new Set(REQUEST_CASES.map((c) => c.name)).size).toBe(REQUEST_CASES.length);
    // A request-phase defect means something under every limiter.
    expect(REQUEST_CASES.filter((c) => c.notUnder)).toEqual([]);
  });

  // Each case has a target (and so a limiter) of its own: under one limiter, the cases run side by side.
  for (const limiter of LIMITERS) {
    describe.concurrent(`under the ${limiter} limiter`, () => {
      const throttleFree = (throttled: number, l: Limiter) => (l === 'per-client' ? throttled === 0 : true);

      it('passes every request-phase check against the healthy reference target', async ({ expect }) => {
        const run = await runDetectionCase({ faults: [] }, REQUEST_PHASE, limiter);
        const results = allChecks(run.result);
        expect(results.map((c) => c.id).sort()).toEqual([...REQUEST_PHASE].sort());
        for (const c of results)
          expect({ id: c.id, verdict: c.verdict, message: c.message }).toEqual({ id: c.id, verdict: 'pass', message: c.message });
        expect(run.result.exitCode).toBe(0);
        expect(throttleFree(run.throttled, limiter), `${run.throttled} requests were throttled`).toBe(true);
        expect(findSecrets(run.secrets, { texts: { result: JSON.stringify(run.result) } })).toEqual([]);
      });

      for (const c of REQUEST_CASES) {
        const on = [...c.faults, ...(c.profileVariant ? [`variant ${c.profileVariant}`] : [])].join(' + ');
        it(`${on}: only ${c.expectFail} fails`, async ({ expect }) => {
          const run = await runDetectionCase(c, REQUEST_PHASE, limiter);
          const expected = Object.fromEntries(REQUEST_PHASE.map((id) => [id, id === c.expectFail ? 'fail' : 'pass']));
          expect(verdicts(run)).toEqual(expected);
          expect(run.result.exitCode).toBe(1);
          expect(throttleFree(run.throttled, limiter), `${run.throttled} requests were throttled`).toBe(true);
          // The failing check says what it saw, and nothing of what it saw is a secret.
          const failed = allChecks(run.result).find((r) => r.id === c.expectFail)!;
          expect(failed.message.length).toBeGreaterThan(20);
          expect(findSecrets(run.secrets, { texts: { result: JSON.stringify(run.result) } })).toEqual([]);
        });
      }
    });
  }
});
