// Rate limits proven across latency (issue 15): with the reference target 20 ms
// away each way (a TCP proxy that delays every chunk), a burst of 8 requests
// in flight carries at most 200 requests per second, too few to exceed a limit
// of 300 within one window. The burst measures the round trip and keeps enough
// requests in flight, says how many and why, and the verdicts still mean what
// they say: a healthy limiter passes with accepted ≤ limit + in flight and no
// more than 1.5× the requests the proof needs; a missing limiter still fails.
// Each run sends a few hundred requests to loopback and ends within seconds.
import { afterEach, describe, expect, it } from 'vitest';
import { startLatencyProxy, type LatencyProxy } from '../../bench/lib/latency-proxy.js';
import type { RateLimitSpec } from '../../src/config/profile-schema.js';
import { burstConcurrency, concurrencyMeasurements, MAX_BURST_CONCURRENCY } from '../../src/checks/rate-burst.js';
import type { BurstResult } from '../../src/http/burst.js';
import { fixture, runChecks, startTarget } from '../lifecycle/helpers.js';

const LIMIT = 300;
const DELAY_MS = 20;

let proxy: LatencyProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

async function triggeredAcrossLatency(faults: Record<string, unknown> = {}) {
  const target = await startTarget({ defaultRateLimit: { limit: LIMIT, windowSeconds: 1 }, faults });
  proxy = await startLatencyProxy(target.origin, DELAY_MS);
  const f = fixture(target, {
    target: { origin: proxy.origin, budget: 1000 },
    rateLimit: { limit: LIMIT, windowSeconds: 1, probe: 'GET /v1/agents' },
    lifecycle: undefined,
  });
  const result = await runChecks(f, ['rate.limit-triggered']);
  return result.profiles[0]!.checks[0]!;
}

describe('rate limits across 20 ms of latency each way', () => {
  it('a healthy limit of 300/s is proven: concurrency sized from the measured round trip, said in the measurements', async () => {
    const c = await triggeredAcrossLatency();
    const m = c.measurements as Record<string, number | string>;
    expect(c.verdict, c.message).toBe('pass');
    // No round trip through the proxy is shorter than 2 × 20 ms.
    expect(m.roundTripMs).toBeGreaterThanOrEqual(2 * DELAY_MS);
    // (300 × 1.1 + 1) calls within half a window at ≥ 40 ms each: at least 27 in flight, not the declared 8.
    expect(m.declaredConcurrency).toBe(8);
    expect(m.concurrencyNeeded).toBeGreaterThanOrEqual(27);
    expect(m.concurrency).toBe(m.concurrencyNeeded);
    expect(m.concurrencyCap).toBe(MAX_BURST_CONCURRENCY);
    expect(m.concurrencySizing).toMatch(
      new RegExp(
        `^round trip ${m.roundTripMs} ms: ${m.concurrency} in flight exceed the allowance within half a window; used ${m.concurrency}$`,
      ),
    );
    // The precision claim, and the cost of the proof.
    const accepted = m.acceptedBeforeThrottle as number;
    expect(accepted).toBeGreaterThanOrEqual(LIMIT);
    expect(accepted).toBeLessThanOrEqual(LIMIT + (m.inFlightAtThrottle as number));
    expect(m.sent as number).toBeLessThanOrEqual(1.5 * (LIMIT + 1));
    // The report's burst timeline keeps its form: one point per answer, nothing of the burst's own bookkeeping.
    expect(c.timeline?.kind).toBe('burst');
    expect(c.timeline!.points).toHaveLength(m.sent as number);
    expect(Object.keys(c.timeline!.points[0]!)).toEqual(['tMs', 'status', 'accepted']);
  });

  it('the no-rate-limit fault still fails across the same latency, on the same sized burst', async () => {
    const c = await triggeredAcrossLatency({ 'no-rate-limit': true });
    const m = c.measurements as Record<string, number | string>;
    expect(c.verdict, c.message).toBe('fail');
    expect(c.message).toMatch(/^no rate limit: all \d+ calls were accepted/);
    expect(m.concurrency).toBeGreaterThanOrEqual(27);
    expect(m.acceptedInFirstWindow as number).toBeGreaterThan(Math.floor(LIMIT * 1.1));
  });
});

describe('burst concurrency from the round trip', () => {
  const spec = { limit: 1000, windowSeconds: 1, tolerance: 0.1, concurrency: 8 } as RateLimitSpec;

  it('keeps enough in flight to exceed the allowance within half a window (Little’s law), never fewer than declared', () => {
    // 1101 calls in 500 ms at 40 ms each: 88.08 → 89 in flight.
    expect(burstConcurrency(spec, 1100, 40, 10_000)).toEqual({ needed: 89, concurrency: 89 });
    // On loopback the declared 8 is more than enough.
    expect(burstConcurrency(spec, 1100, 0.5, 10_000)).toEqual({ needed: 2, concurrency: 8 });
    // A 10/s limit 100 ms away needs 1, uses the declared 8.
    expect(burstConcurrency({ ...spec, limit: 10 }, 11, 100, 10_000)).toEqual({ needed: 3, concurrency: 8 });
  });

  it('is capped, and says so', () => {
    expect(burstConcurrency({ ...spec, limit: 5000 }, 5500, 100, 100_000)).toEqual({
      needed: 1101,
      concurrency: MAX_BURST_CONCURRENCY,
      cappedBy: 'cap',
    });
  });

  it('never plans more requests than the budget has left', () => {
    // 1100 allowance + 3 extra leave 47 of 1150 for requests in flight.
    expect(burstConcurrency(spec, 1100, 40, 1150)).toEqual({ needed: 89, concurrency: 47, cappedBy: 'budget' });
    // The declared minimum stands (the budget was checked against it before the burst).
    expect(burstConcurrency(spec, 1100, 40, 1105)).toEqual({ needed: 89, concurrency: 8, cappedBy: 'budget' });
  });
});

describe('what the check says about its concurrency', () => {
  const spec = {
    limit: 5000,
    windowSeconds: 1,
    tolerance: 0.1,
    concurrency: 8,
    probe: { method: 'GET', path: '/v1/agents' },
  } as RateLimitSpec;
  const burst = (b: Partial<BurstResult>): BurstResult => ({
    points: [],
    sent: 0,
    accepted: 0,
    errors: [],
    errorCount: 0,
    durationMs: 0,
    stoppedBy: 'refusal',
    concurrency: 8,
    connections: 8,
    pipelining: 1,
    protocol: 'http/1.1',
    roundTripMs: 41.5,
    ...b,
  });

  it('names the round trip, what it needed, what it used and how it spread the requests', () => {
    const m = concurrencyMeasurements(spec, burst({ concurrency: 459, connections: 58, pipelining: 8 }), { needed: 459, concurrency: 459 });
    expect(m).toMatchObject({
      declaredConcurrency: 8,
      concurrencyCap: 512,
      concurrencyNeeded: 459,
      connections: 58,
      pipelining: 8,
      protocol: 'HTTP/1.1',
      roundTripMs: 41.5,
    });
    expect(m.concurrencySizing).toBe(
      'round trip 41.5 ms: 459 in flight exceed the allowance within half a window; used 459, over 58 connections pipelined 8 deep',
    );
  });

  it('says when the cap held it back, when HTTP/2 carried it, and when the method kept it to one per connection', () => {
    expect(
      concurrencyMeasurements(spec, burst({ concurrency: 512, connections: 64, pipelining: 8 }), {
        needed: 1101,
        concurrency: 512,
        cappedBy: 'cap',
      }).concurrencySizing,
    ).toBe(
      'round trip 41.5 ms: 1101 in flight exceed the allowance within half a window; used 512, capped at 512, over 64 connections pipelined 8 deep',
    );
    expect(
      concurrencyMeasurements(spec, burst({ concurrency: 90, connections: 1, pipelining: 90, protocol: 'h2' }), {
        needed: 90,
        concurrency: 90,
      }),
    ).toMatchObject({
      protocol: 'HTTP/2',
      concurrencySizing:
        'round trip 41.5 ms: 90 in flight exceed the allowance within half a window; used 90, as HTTP/2 streams over 1 connection (up to 90 each)',
    });
    const post = { ...spec, probe: { method: 'POST', path: '/v1/agents/agt-1/calls' } } as RateLimitSpec;
    expect(
      concurrencyMeasurements(post, burst({ concurrency: 64, connections: 64 }), { needed: 200, concurrency: 200 }).concurrencySizing,
    ).toBe(
      'round trip 41.5 ms: 200 in flight exceed the allowance within half a window; used 64, limited to 64 connections: POST is never pipelined',
    );
  });
});
