import { describe, expect, it } from 'vitest';
import { maxAcceptedInWindow, runBurst } from '../../src/http/burst.js';
import { clientFor, fixture, startTarget } from '../lifecycle/helpers.js';

describe('burst generator', () => {
  it('stops at the first throttle (plus what was in flight) and records every request on its timeline', async () => {
    // A minute-long window: the count is what this proves, and a busy machine can
    // stall a burst for longer than a second (a 1 s window reset mid-burst).
    const target = await startTarget({ defaultRateLimit: { limit: 5, windowSeconds: 60 } });
    const f = fixture(target);
    const { http, budget } = clientFor(f);
    const r = await runBurst({
      http,
      label: 'burst',
      method: 'GET',
      path: '/v1/agents',
      concurrency: 3,
      maxRequests: 40,
      maxDurationMs: 5000,
    });
    expect(r.stoppedBy).toBe('refusal');
    expect(r.accepted).toBe(5);
    expect(r.firstRefusal?.response.status).toBe(429);
    expect(r.firstRefusal?.acceptedBefore).toBe(5);
    expect(r.firstRefusal?.call).toBe(6);
    // At most the in-flight requests follow the throttle: never the full 40.
    expect(r.sent).toBeLessThanOrEqual(5 + 1 + 2);
    expect(r.points).toHaveLength(r.sent);
    expect(budget.spent).toBe(r.sent);
    expect(r.points.filter((p) => p.accepted)).toHaveLength(5);
    // Nothing of a burst is kept as exchange evidence: the timeline is its record.
    expect(http.evidence().exchanges).toEqual([]);
  });

  it('never sends more than the request budget allows', async () => {
    const target = await startTarget({ faults: { 'no-rate-limit': true } });
    const f = fixture(target);
    const { http, budget } = clientFor(f, { budget: 7 });
    const r = await runBurst({
      http,
      label: 'burst',
      method: 'GET',
      path: '/v1/agents',
      concurrency: 4,
      maxRequests: 30,
      maxDurationMs: 5000,
    });
    expect(r.stoppedBy).toBe('budget');
    expect(r.sent).toBe(7);
    expect(budget.spent).toBe(7);
  });

  it('without a limit it runs to its request cap, all accepted', async () => {
    const target = await startTarget({ faults: { 'no-rate-limit': true } });
    const f = fixture(target);
    const { http } = clientFor(f);
    const r = await runBurst({
      http,
      label: 'burst',
      method: 'GET',
      path: '/v1/agents',
      concurrency: 8,
      maxRequests: 30,
      maxDurationMs: 5000,
    });
    expect(r).toMatchObject({ stoppedBy: 'max-requests', sent: 30, accepted: 30 });
    expect(maxAcceptedInWindow(r.points, 1000)).toBe(30);
  });

  it('maxAcceptedInWindow counts accepted answers in the busiest window', () => {
    const pts = [0, 100, 200, 1150, 1200, 1300, 1400].map((tMs) => ({ tMs, accepted: true }));
    expect(maxAcceptedInWindow(pts, 1000)).toBe(4);
    expect(maxAcceptedInWindow([...pts, { tMs: 1250, accepted: false }], 1000)).toBe(4);
    expect(maxAcceptedInWindow([], 1000)).toBe(0);
  });
});
