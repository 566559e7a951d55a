// The detection matrix under platform behaviours, over real HTTP on loopback:
// the reference target runs as a platform whose keys select their
// environment, or that can only delete keys, or that caches keys for a
// second; the demo profile declares it truthfully (src/demo/declare.ts, as
// `keyprobe demo --behaviour` does). Then the whole prelaunch suite passes,
// and each fault still makes exactly its one check fail, its lag measured
// against what the target did; under the per-client limiter too (verdicts
// only: the measurements are the per-key block's).
import { describe, expect, it, type ExpectStatic } from 'vitest';
import { loadSuite } from '../../src/checks/suite.js';
import { CANARY_NAME_PREFIX } from '../../src/checks/canary.js';
import { allChecks, type CheckResult } from '../../src/result.js';
import { findSecrets } from '../helpers/scan.js';
import { BEHAVIOUR_CASES, BEHAVIOUR_MODES, type BehaviourMode } from './behaviour-cases.js';
import type { DetectionCase } from './case.js';
import { expectRevocationMeasured } from './lifecycle-expect.js';
import { REQUEST_CASES } from './request-cases.js';
import { PRELAUNCH_SUITE, runDetectionCase, type CaseRun } from './run-case.js';

const SUITE = loadSuite(PRELAUNCH_SUITE).checks.map((p) => p.check);
const ALL = SUITE.map((c) => c.id);
const OF_PHASE = (phase: 'request' | 'lifecycle') => SUITE.filter((c) => c.phase === phase).map((c) => c.id);

function byId(run: CaseRun): Record<string, CheckResult> {
  return Object.fromEntries(allChecks(run.result).map((c) => [c.id, c]));
}

function modeOf(c: DetectionCase): BehaviourMode {
  return BEHAVIOUR_MODES.find((m) => m.behaviours.join(' ') === c.behaviours?.join(' '))!;
}

/** `e`: the test's own expect inside concurrent tests. */
function expectClean(run: CaseRun, e: ExpectStatic = expect): void {
  e(run.keysAfter.filter((k) => k.name.startsWith(CANARY_NAME_PREFIX) || !k.enabled).map((k) => k.name)).toEqual([]);
  // The declared keys are all still there: nothing keyprobe did not create was deleted.
  e(run.keysAfter.map((k) => k.name).sort()).toEqual(
    ['billing-prod-agent-call', 'crm-prod-agent-call', 'crm-prod-agent-call-canary', 'crm-test-agent-call'].sort(),
  );
  e(run.result.profiles[0]!.notes.filter((n) => n.includes('CLEANUP FAILED'))).toEqual([]);
  e(findSecrets(run.secrets, { texts: { result: JSON.stringify(run.result) } })).toEqual([]);
}

// Each fault case has a target of its own (its own port, keys, limiter and
// clock) and spends its time waiting on revocation windows and expiries: they run
// side by side. The lags are compared with the target's own record, bracketed by the
// resolution the probes actually had (test/helpers/revocation.ts), so a busy
// machine widens the bracket rather than failing a correct measurement.
describe.concurrent('detection matrix under platform behaviours', () => {
  // The whole prelaunch suite, rate checks included, one mode at a time: on a busy
  // machine two of them side by side can stretch rate.per-key-isolation's re-check
  // past the throttled window (an honest `error: inconclusive`, not a pass).
  for (const mode of BEHAVIOUR_MODES) {
    it.sequential(`${mode.behaviours.join(' + ')}: with a truthful profile the whole prelaunch suite passes`, { timeout: 90_000 }, async ({
      expect,
    }) => {
      const run = await runDetectionCase({ faults: [], behaviours: mode.behaviours }, ALL);
      const results = byId(run);
      for (const id of ALL)
        expect({ id, verdict: results[id]!.verdict, message: results[id]!.message }).toEqual({
          id,
          verdict: 'pass',
          message: results[id]!.message,
        });
      expect(run.result.exitCode).toBe(0);
      if (mode.name === 'keys-select-environment')
        expect(results['env.foreign-environment-key-rejected']!.message).toMatch(/was served, but only its own environment's data/);
      if (mode.name === 'delete-only') {
        expect(results['lifecycle.disabled-key-rejected']!.measurements.offSwitch).toBe('delete (the lifecycle adapter has no disable)');
        expectRevocationMeasured(run);
      }
      if (mode.name === 'revocation-cache') expectRevocationMeasured(run);
      expectClean(run, expect);
    });
  }

  for (const c of BEHAVIOUR_CASES) {
    const mode = modeOf(c);
    it(`${c.faults.join(' + ')} under ${mode.behaviours.join(' + ')}: only ${c.expectFail} fails`, async ({ expect }) => {
      const only = OF_PHASE(mode.phase);
      const run = await runDetectionCase(c, only);
      const results = byId(run);
      for (const id of only) {
        const r = results[id]!;
        expect({ id, verdict: r.verdict, message: r.message }).toEqual({
          id,
          verdict: id === c.expectFail ? 'fail' : 'pass',
          message: r.message,
        });
      }
      expect(run.result.exitCode).toBe(1);
      // The lag, bracketed by the target's own record; the message's figure is revocation-latency.test.ts's (measured alone).
      if (c.faults[0]?.startsWith('revocation-delay')) expectRevocationMeasured(run);
      expectClean(run, expect);
    });
  }

  // Every other request-phase fault, under keys that select their environment. Not cross-environment, nor the
  // foreign key's echo in its refusal: where the key selects the environment a foreign key is served its own
  // environment's data, never refused, so there is no refusal to echo it in.
  const noForeignRefusal = (r: (typeof REQUEST_CASES)[number]) =>
    r.name === 'cross-environment' || r.faults.some((f) => f.startsWith('foreign-key-echo'));
  for (const c of REQUEST_CASES.filter((r) => r.faults.length > 0 && !r.profileVariant && !noForeignRefusal(r))) {
    const [envByKey] = BEHAVIOUR_MODES;
    it(`${c.faults.join(' + ')} under ${envByKey!.behaviours.join(' + ')}: only ${c.expectFail} fails`, async ({ expect }) => {
      const only = OF_PHASE('request');
      const run = await runDetectionCase({ ...c, behaviours: envByKey!.behaviours }, only);
      const verdicts = Object.fromEntries(allChecks(run.result).map((r) => [r.id, r.verdict]));
      expect(verdicts).toEqual(Object.fromEntries(only.map((id) => [id, id === c.expectFail ? 'fail' : 'pass'])));
      expect(findSecrets(run.secrets, { texts: { result: JSON.stringify(run.result) } })).toEqual([]);
    });
  }
});

// Each case has a target, and so a limiter, of its own: they run side by side.
// Under the per-client limiter (declared as rateLimit.scope: client) every
// request, management calls and revocation probes included, is paced in one
// bucket; only verdicts are asserted here.
describe.concurrent('detection matrix under platform behaviours and the per-client limiter', () => {
  for (const c of BEHAVIOUR_CASES) {
    const mode = modeOf(c);
    it(`${c.faults.join(' + ')} under ${mode.behaviours.join(' + ')}: only ${c.expectFail} fails`, async ({ expect }) => {
      const only = OF_PHASE(mode.phase);
      const run = await runDetectionCase(c, only, 'per-client');
      const results = byId(run);
      for (const id of only) {
        const r = results[id]!;
        expect({ id, verdict: r.verdict, message: r.message }).toEqual({
          id,
          verdict: id === c.expectFail ? 'fail' : 'pass',
          message: r.message,
        });
      }
      expect(run.result.exitCode).toBe(1);
      expectClean(run, expect);
    });
  }
});
