// Issue #12, "a throttled answer is never judged", reproduced over loopback
// against a platform that limits per client address before authentication
// (test/checks/throttling-platform.ts, modelled on what was seen on Directus):
//
// - with the limiter biting (the profile says nothing about what it counts),
//   a 429 must be waited out and asked again, never read as a refusal (which
//   made auth.key-in-query-rejected pass while the platform accepts
//   ?access_token=) nor as a failure (which failed authz and the near misses);
// - with the profile declaring the limiter per client address, the request
//   phase is paced so that the platform never throttles it at all;
// - an answer that stays throttled ends in `error`, "throttled: could not
//   judge", with the throttled exchanges as evidence.
import { afterEach, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../src/config/profile-schema.js';
import { suiteOfAllChecks } from '../../src/checks/suite.js';
import type { CheckResult } from '../../src/result.js';
import { runSuite } from '../../src/runner/run.js';
import { SecretRegistry } from '../../src/secrets.js';
import { findSecrets } from '../helpers/scan.js';
import { loadedProfile } from '../runner/profiles.js';
import { maxArrivalsInWindow, startThrottlingPlatform, type ThrottlingPlatform } from './throttling-platform.js';

const REQUEST_CHECKS = [
  'auth.valid-key-accepted',
  'auth.missing-key-rejected',
  'auth.invalid-key-rejected',
  'auth.near-miss-key-rejected',
  'auth.key-in-query-rejected',
  'authz.unauthorized-resource-denied',
];

const platforms: ThrottlingPlatform[] = [];
afterEach(async () => {
  await Promise.all(platforms.splice(0).map((p) => p.close()));
});

async function platform(o: Parameters<typeof startThrottlingPlatform>[0]): Promise<ThrottlingPlatform> {
  const p = await startThrottlingPlatform(o);
  platforms.push(p);
  return p;
}

function profileFor(p: ThrottlingPlatform, rateLimit: Record<string, unknown> | undefined, allowed = ['GET /items/agents']): ProfileInput {
  return {
    key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: p.key },
    target: { origin: p.origin },
    allowed,
    denied: ['GET /items/secrets', 'POST /items/agents', 'GET /items/ledger', 'DELETE /items/agents/1', 'GET /items/users'],
    canary: { secret: p.canary, name: 'crm-prod-agent-call-canary' },
    ...(rateLimit ? { rateLimit: { windowSeconds: 1, probe: 'GET /items/agents', ...rateLimit } } : {}),
  } as ProfileInput;
}

/** The preflight of the last run(): the first request of a run, so the first to meet a throttle. */
let lastPreflight: string | undefined;

async function run(p: ThrottlingPlatform, input: ProfileInput, only = REQUEST_CHECKS): Promise<Record<string, CheckResult>> {
  const loaded = loadedProfile({ ...input, canary: input.canary } as ProfileInput);
  const secrets = new SecretRegistry();
  const result = await runSuite({ profiles: [loaded], suite: suiteOfAllChecks(), only, secrets });
  lastPreflight = result.profiles[0]!.preflight?.message;
  expect(findSecrets([p.key, p.canary], { texts: { result: JSON.stringify(result) } })).toEqual([]);
  return Object.fromEntries(result.profiles[0]!.checks.map((c) => [c.id, c]));
}

const verdicts = (r: Record<string, CheckResult>) => Object.fromEntries(Object.entries(r).map(([id, c]) => [id, c.verdict]));

describe('a throttled answer is never judged', () => {
  it('429s from a per-address limiter that answers before authentication are waited out, so every request check judges the real answer', async () => {
    // 12 per second for everything from this address: the request phase sends about 25 requests at once.
    const p = await platform({ limit: 12 });
    const r = await run(p, profileFor(p, { limit: 12 }));
    // The limiter really did bite: the rule was exercised, not avoided.
    expect(p.arrivals.filter((a) => a.status === 429).length).toBeGreaterThan(0);
    expect(verdicts(r)).toEqual({
      'auth.valid-key-accepted': 'pass',
      'auth.missing-key-rejected': 'pass',
      'auth.invalid-key-rejected': 'pass',
      'auth.near-miss-key-rejected': 'pass',
      // The platform accepts ?access_token=: a 429 must not pass for a refusal.
      'auth.key-in-query-rejected': 'fail',
      'authz.unauthorized-resource-denied': 'pass',
    });
    expect(r['auth.key-in-query-rejected']!.message).toMatch(/\?access_token= answered 200/);
    // No message counts a throttled answer as an answer.
    for (const c of Object.values(r)) expect(c.message).not.toMatch(/429/);
  });

  it('auth.key-in-query-rejected alone: a 429 to the query probes is not a refusal (the platform accepts ?access_token=)', async () => {
    // Two per second: the control in the header gets through, the query probes meet the limiter.
    const p = await platform({ limit: 2 });
    const r = await run(p, profileFor(p, { limit: 2 }), ['auth.key-in-query-rejected']);
    expect(p.arrivals.filter((a) => a.status === 429).length).toBeGreaterThan(0);
    const c = r['auth.key-in-query-rejected']!;
    expect(c.verdict, c.message).toBe('fail');
    expect(c.message).toMatch(/\?access_token= answered 200/);
    expect(c.measurements).toMatchObject({ parameters: 4, served: 1 });
  });

  it('a request phase paced for a declared per-address limiter is never throttled, and never exceeds the limit in any window', async () => {
    const p = await platform({ limit: 12 });
    const r = await run(p, profileFor(p, { limit: 12, scope: 'client' }));
    expect(p.arrivals.length).toBeGreaterThan(20);
    expect(p.arrivals.filter((a) => a.status === 429)).toEqual([]);
    expect(maxArrivalsInWindow(p.arrivals, 1000)).toBeLessThanOrEqual(12);
    expect(r['auth.key-in-query-rejected']!.verdict).toBe('fail');
    expect(r['authz.unauthorized-resource-denied']!.verdict).toBe('pass');
    expect(r['auth.near-miss-key-rejected']!.verdict).toBe('pass');
  });

  it('an answer that stays throttled is `error` "throttled: could not judge", with the throttled exchanges as evidence, never pass or fail', async () => {
    const p = await platform({ limit: 0, alwaysThrottle: { path: '/items/agents', retryAfter: '0' } });
    const ids = ['auth.valid-key-accepted', 'auth.near-miss-key-rejected', 'auth.invalid-key-rejected'];
    const r = await run(p, profileFor(p, { limit: 12 }), ids);
    for (const id of ids) {
      const c = r[id]!;
      expect({ id, verdict: c.verdict }).toEqual({ id, verdict: 'error' });
      expect(c.message).toMatch(/throttled: could not judge: GET \/items\/agents answered 429 Too Many Requests/);
    }
    const messages = [lastPreflight ?? '', ...ids.map((id) => r[id]!.message)];
    // The first request to meet it (the preflight's) waited the throttle out, 3 times, as long as Retry-After said…
    expect(
      messages.some((m) =>
        /on all 4 tries \(waited 50 ms \(Retry-After: 0\), 50 ms \(Retry-After: 0\), 50 ms \(Retry-After: 0\) between them\)/.test(m),
      ),
    ).toBe(true);
    // …and as the target kept throttling everything, later requests were sent once each, not waited out again.
    expect(
      messages.some((m) =>
        /the target has throttled every request for \d+ ms, since an earlier one was waited out 4 times, so this one was not waited out again/.test(
          m,
        ),
      ),
    ).toBe(true);
    for (const id of ids) {
      const throttled = r[id]!.evidence.filter((e) => e.status === 429);
      expect(throttled.length).toBe(r[id]!.evidence.length);
      expect(throttled.length).toBeGreaterThan(0);
    }
    expect(p.arrivals.length).toBeLessThanOrEqual(4 + 4 + 8);
  });

  it('auth.missing-key-rejected honours rejection.statuses: 403 for no key is refused (advisory), and nothing is counted as accepted', async () => {
    const p = await platform({ limit: 0 });
    const r = await run(p, profileFor(p, undefined, ['GET /items/agents', 'GET /users/me']), ['auth.missing-key-rejected']);
    const c = r['auth.missing-key-rejected']!;
    expect(c.verdict, c.message).toBe('pass');
    expect(c.advisories.join(' ')).toMatch(/403 Forbidden.*RFC 9110.*401/);
    expect(c.measurements).toMatchObject({ requests: 2, refused: 2, served: 0 });
  });
});
