// The rate checks against small loopback servers that misbehave in ways the
// reference target does not (a Retry-After that lies, Kong-style headers, a
// target too slow to overload), plus declared non-429 statuses.
import { describe, expect, it } from 'vitest';
import { fakeTarget, runAgainst, runProfileChecks } from './fake-limiter.js';
import { fixture, runChecks, startTarget } from '../lifecycle/helpers.js';
import { startThrottlingPlatform } from './throttling-platform.js';

describe('rate checks', () => {
  it('rate.recovers fails when Retry-After lies (still throttled after it)', async () => {
    const origin = await fakeTarget({
      limit: 5,
      lockMs: 3000,
      headers: ({ throttled }): Record<string, string> => (throttled ? { 'retry-after': '1' } : {}),
    });
    const r = await runAgainst(origin, ['rate.recovers']);
    expect(r['rate.recovers']).toMatchObject({ verdict: 'fail' });
    expect(r['rate.recovers']!.message).toMatch(/^Retry-After said 1 s but the key was still throttled \(429 Too Many Requests\)/);
  });

  it('rate.recovers gives a whole-second header the second it cannot express (Directus rounds 0.4 s down to Retry-After: 0)', async () => {
    const origin = await fakeTarget({
      limit: 5,
      lockMs: 400,
      headers: ({ throttled }): Record<string, string> => (throttled ? { 'retry-after': '0' } : {}),
    });
    const r = (await runAgainst(origin, ['rate.recovers']))['rate.recovers']!;
    expect(r.verdict, r.message).toBe('pass');
    expect(r.message).toMatch(/within the second that Retry-After: 0 cannot express/);
    expect(r.advisories.join('\n')).toMatch(
      /Retry-After: 0 understated the wait: a call \d+ ms after the throttle was still throttled \(429 Too Many Requests\)/,
    );
    expect(r.measurements.stillThrottledAtMs).toBeLessThan(400);
  });

  it('too little load is an error, never a false fail', async () => {
    // One answer at a time, 60 ms each: at most 16 per second however many are in flight
    // (the burst sizes itself from the round trip, so a merely distant target is not too slow).
    const origin = await fakeTarget({ limit: 1000, lockMs: 0, delayMs: 60, serial: true });
    const r = await runAgainst(origin, ['rate.limit-triggered'], { limit: 20, concurrency: 1 });
    expect(r['rate.limit-triggered']).toMatchObject({ verdict: 'error' });
    expect(r['rate.limit-triggered']!.message).toMatch(
      /^could not generate enough load: at most \d+ calls were accepted within any 1 s window, but exceeding the expected limit needs more than 22/,
    );
  });

  it('reads Kong-style X-RateLimit-*-Second headers and an HTTP-date Retry-After, and fails when they disagree with the observed limit', async () => {
    const honest = await fakeTarget({
      limit: 5,
      lockMs: 0,
      headers: ({ remaining, throttled }) => ({
        'x-ratelimit-limit-second': '5',
        'x-ratelimit-remaining-second': String(remaining),
        'x-ratelimit-limit-minute': '300',
        'x-ratelimit-remaining-minute': '250',
        ...(throttled ? { 'retry-after': new Date(Date.now() + 1000).toUTCString() } : {}),
      }),
    });
    const ok = (await runAgainst(honest, ['rate.limit-signalled']))['rate.limit-signalled']!;
    expect(ok.verdict, ok.message).toBe('pass');
    expect(ok.measurements.retryAfterForm).toBe('http-date');
    expect(ok.message).toMatch(/X-RateLimit-\*-Second limit=5 remaining=0/);

    const lying = await fakeTarget({
      limit: 5,
      lockMs: 0,
      headers: ({ throttled }) => ({
        'x-ratelimit-limit': '100',
        'x-ratelimit-remaining': throttled ? '40' : '41',
        ...(throttled ? { 'retry-after': '1' } : {}),
      }),
    });
    const bad = (await runAgainst(lying, ['rate.limit-signalled']))['rate.limit-signalled']!;
    expect(bad.verdict).toBe('fail');
    expect(bad.message).toMatch(/X-RateLimit-\* announces a limit of 100, but 5 calls were accepted/);
    expect(bad.message).toMatch(/says 40 remaining on a throttled answer/);
  });

  it('counts accepted calls in send order: 429s answered faster than the 200s do not make the limit look stricter (issue #12)', async () => {
    // The gateway answers 429 from memory at once and 200s only after 150 ms, so
    // throttled answers overtake accepted ones that were sent before them.
    const p = await startThrottlingPlatform({ limit: 20, slowSuccessMs: 150 });
    try {
      const input = {
        key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: p.key },
        target: { origin: p.origin },
        allowed: ['GET /items/agents'],
        rateLimit: { limit: 20, windowSeconds: 1, probe: 'GET /items/agents', concurrency: 8 },
      };
      const c = (await runProfileChecks(input, [p.key], ['rate.limit-triggered']))['rate.limit-triggered']!;
      expect(c.verdict, c.message).toBe('pass');
      expect(c.message).toMatch(/after 20 accepted calls/);
      expect(c.measurements.acceptedBeforeThrottle).toBe(20);
      expect(c.measurements.throttledAtCall).toBe(21);
      expect(c.advisories.join(' ')).not.toMatch(/stricter than declared/);
      const t = c.timeline?.kind === 'burst' ? c.timeline : undefined;
      expect(t?.firstThrottledAtCall).toBe(21);
      // Arrival order was not send order: a 429 came back before accepted calls sent earlier.
      const firstThrottleBack = t!.points.findIndex((pt) => !pt.accepted);
      expect(t!.points.slice(firstThrottleBack).filter((pt) => pt.accepted).length).toBeGreaterThan(0);
      // So arrival order alone would have said fewer: it is reported beside the judged count, not judged.
      expect(c.measurements.acceptedArrivedBeforeThrottle).toBeLessThan(20);
      expect(c.observed).toMatch(
        new RegExp(`; of the accepted calls, ${c.measurements.acceptedArrivedBeforeThrottle} answered before the throttle came back$`),
      );
    } finally {
      await p.close();
    }
  });

  it('a declared non-429 throttling status passes, flagged as advisory', async () => {
    const target = await startTarget({ faults: { 'rate-limit-status': 503 } });
    const f = fixture(target, {
      rateLimit: { limit: 20, windowSeconds: 1, probe: 'GET /v1/agents', statuses: [503] },
      lifecycle: undefined,
    });
    const result = await runChecks(f, ['rate.limit-triggered', 'rate.limit-signalled']);
    const [triggered, signalled] = result.profiles[0]!.checks;
    expect(triggered!.verdict, triggered!.message).toBe('pass');
    expect(signalled!.verdict, signalled!.message).toBe('pass');
    expect(signalled!.advisories.join('\n')).toMatch(
      /throttles with 503 Service Unavailable instead of 429 Too Many Requests \(declared in rateLimit.statuses, so advisory/,
    );
  });
});

describe('lifecycle.rotated-key with a grace period', () => {
  it('the old key keeps working through its grace and is refused right after it', async () => {
    const target = await startTarget();
    const base = fixture(target);
    const f = fixture(target, { lifecycle: { ...base.profile.lifecycle!, rotationGraceSeconds: 1 } });
    const result = await runChecks(f, ['lifecycle.rotated-key']);
    const c = result.profiles[0]!.checks[0]!;
    expect(c.verdict, c.message).toBe('pass');
    expect(c.advisories).toEqual([]);
    expect(c.measurements.graceSeconds).toBe(1);
    expect(c.measurements.oldKeyRejectedAfterGraceMs as number).toBeLessThanOrEqual(1000);
  });
});
