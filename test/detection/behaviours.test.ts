// Platform behaviours are not defects: with each rate-limiting one on (and all
// seven together; the key-model ones one by one are in behaviour-matrix.test.ts),
// no fault, and the demo profile declaring the platform truthfully
// (src/demo/declare.ts), the whole prelaunch suite passes against the
// reference target, the target is left as found, and every 429 the target sent
// was one a rate check asked for (a burst, or a probe that looks at the
// throttle on purpose).
import { readFileSync } from 'node:fs';
import { describe, it, type ExpectStatic } from 'vitest';
import { parseDocument } from 'yaml';
import { loadProfile } from '../../src/config/load-profile.js';
import { loadSuite } from '../../src/checks/suite.js';
import { declareBehaviours } from '../../src/demo/declare.js';
import { DEMO_SCOPES, startDemo } from '../../src/demo/seed.js';
import { DEMO_PROFILE } from '../../src/paths.js';
import { runSuite } from '../../src/runner/run.js';
import { SecretRegistry } from '../../src/secrets.js';
import { tempDir } from '../helpers/tmp.js';
import { CANARY_NAME_PREFIX } from '../../src/checks/canary.js';
import { BEHAVIOUR_NAMES } from '../../src/reference/index.js';
import { allChecks, type CheckResult } from '../../src/result.js';
import { findSecrets } from '../helpers/scan.js';
import { PRELAUNCH_SUITE, runDetectionCase, type CaseRun } from './run-case.js';

const ALL = loadSuite(PRELAUNCH_SUITE).checks.map((p) => p.check.id);

/** 429s a rate check asked for: its burst's throttled calls, and throttled answers it kept as evidence. */
function askedForThrottles(checks: readonly CheckResult[]): number {
  return checks
    .filter((c) => c.id.startsWith('rate.'))
    .reduce(
      (n, c) =>
        n +
        (c.timeline?.kind === 'burst' ? c.timeline.points.filter((p) => p.status === 429).length : 0) +
        c.evidence.filter((e) => e.status === 429).length,
      0,
    );
}

function expectHealthy(run: CaseRun, perClient: boolean, expect: ExpectStatic): Record<string, CheckResult> {
  const checks = allChecks(run.result);
  const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
  for (const id of ALL) {
    const c = byId[id]!;
    const want = perClient && id === 'rate.per-key-isolation' ? 'skip' : 'pass';
    expect({ id, verdict: c.verdict, message: c.message }).toEqual({ id, verdict: want, message: c.message });
  }
  expect(run.result.exitCode).toBe(0);
  // Every key a check changed was put back, and keyprobe saw it hold, or sent a delete no probe can verify
  // (a canary refused anyway), which says so.
  expect(run.result.cleanup?.records.length).toBeGreaterThan(0);
  expect(
    run.result.cleanup?.records.filter(
      (r) => r.outcome !== 'verified' && !(r.outcome === 'sent' && /not verifiable by probing/.test(r.detail)),
    ),
  ).toEqual([]);
  expect(run.throttled, 'a 429 outside what the rate checks asked for').toBe(askedForThrottles(checks));
  expect(run.keysAfter.filter((k) => k.name.startsWith(CANARY_NAME_PREFIX) || !k.enabled).map((k) => k.name)).toEqual([]);
  expect(findSecrets(run.secrets, { texts: { result: JSON.stringify(run.result) } })).toEqual([]);
  return byId;
}

// Each run has a target of its own: they run side by side.
describe.concurrent('platform behaviours are not defects: the prelaunch suite passes', () => {
  it('client-rate-limit (profile: rateLimit.scope client): paced, never throttled outside the bursts; isolation skips by design', async ({
    expect,
  }) => {
    const run = await runDetectionCase({ faults: [], behaviours: ['client-rate-limit'] }, ALL);
    expectHealthy(run, true, expect);
  });

  it('throttled-admin: throttled management calls are waited out and done', async ({ expect }) => {
    const run = await runDetectionCase({ faults: [], behaviours: ['throttled-admin'] }, ALL);
    const byId = expectHealthy(run, false, expect);
    // At two calls a second, some management call had to wait its throttle out (and then was done);
    // cleanup's re-enables and deletes among them, and each was verified by a probe (expectHealthy).
    const actions = Object.values(byId).flatMap((c) => c.lifecycleActions ?? []);
    expect(actions.filter((a) => a.action === 'enable' || a.action === 'delete').length).toBeGreaterThan(0);
    expect(actions.every((a) => a.outcome === 'done')).toBe(true);
    expect(actions.some((a) => (a.durationMs ?? 0) >= 900)).toBe(true);
  });

  it('slow-success: the limit still reads as 20 accepted calls though 429s overtake 200s', async ({ expect }) => {
    const run = await runDetectionCase({ faults: [], behaviours: ['slow-success'] }, ALL);
    const byId = expectHealthy(run, false, expect);
    expect(byId['rate.limit-triggered']!.measurements.acceptedBeforeThrottle).toBe(20);
  });

  it('missing-key-403: a 403 for no key passes with an advisory (the profile accepts 403 for refusals)', async ({ expect }) => {
    const run = await runDetectionCase({ faults: [], behaviours: ['missing-key-403'] }, ALL);
    const byId = expectHealthy(run, false, expect);
    expect(byId['auth.missing-key-rejected']!.advisories.join(' ')).toMatch(/refused with 403 Forbidden: RFC 9110 §15.5.2 expects 401/);
  });

  it('all of them together', async ({ expect }) => {
    // A 1 s key cache keeps the run short (the default is Unleash's 60 s).
    const all = BEHAVIOUR_NAMES.map((name) => (name === 'revocation-cache' ? 'revocation-cache=1000' : name));
    const run = await runDetectionCase({ faults: [], behaviours: all }, ALL);
    expectHealthy(run, true, expect);
  });
});

describe('two profiles on one origin with a per-client limiter', () => {
  it('share its pacing: run side by side, each burst has the origin to itself, and the target throttles nothing else', async ({
    expect,
  }) => {
    const demo = await startDemo([], 'prod', 0, ['client-rate-limit']);
    const tmp = tempDir('keyprobe-two-profiles-');
    try {
      const doc = parseDocument(readFileSync(DEMO_PROFILE, 'utf8'));
      declareBehaviours(doc, demo.target.behaviours());
      const file = tmp.file('profile.yaml', doc.toString());
      // A second key of the same integration, with a canary of its own (the first profile disables its canary meanwhile).
      const expiresAt = demo.env.KEYPROBE_DEMO_KEY_EXPIRES;
      const make = (name: string) =>
        demo.target.createKey({ name, scopes: DEMO_SCOPES, owner: 'crm-platform-team@example.com', expiresAt });
      const key = make('crm-prod-agent-call');
      const canary = make('crm-prod-agent-call-canary');
      const profiles = [
        loadProfile(file, demo.env),
        loadProfile(file, {
          ...demo.env,
          KEYPROBE_DEMO_KEY: key.secret,
          KEYPROBE_DEMO_KEY_ID: key.id,
          KEYPROBE_DEMO_KEY_CREATED: key.createdAt,
          KEYPROBE_DEMO_CANARY_KEY: canary.secret,
          KEYPROBE_DEMO_CANARY_KEY_ID: canary.id,
        }),
      ];
      const result = await runSuite({ profiles, suite: loadSuite(PRELAUNCH_SUITE), concurrency: 2, secrets: new SecretRegistry() });
      const checks = result.profiles.flatMap((p) => p.checks);
      for (const c of checks)
        expect({ id: c.id, verdict: c.verdict, message: c.message }).toEqual({
          id: c.id,
          verdict: c.id === 'rate.per-key-isolation' ? 'skip' : 'pass',
          message: c.message,
        });
      expect(result.exitCode).toBe(0);
      // Both profiles' bursts went into the one bucket, one at a time: nothing else of the run met a 429.
      expect(demo.target.stats().throttled).toBe(askedForThrottles(checks));
      for (const p of result.profiles)
        expect(p.notes.join('\n')).toMatch(/had the origin's rate-limit bucket \(every request of this run to/);
      // Their lifecycle and rate checks took turns: no burst of one held up the probes that time the other's revocation and expiry.
      expect(
        result.profiles
          .flatMap((p) => p.notes)
          .filter((n) => /waited \d+ ms for another profile's on the origin's rate-limit bucket/.test(n)),
      ).toHaveLength(1);
      expect(findSecrets([...demo.secrets, key.secret, canary.secret], { texts: { result: JSON.stringify(result) } })).toEqual([]);
    } finally {
      tmp.cleanup();
      await demo.target.close();
    }
  });
});
