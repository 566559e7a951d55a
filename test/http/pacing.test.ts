// The pacer on its own, with simulated requests (a slot is taken, held a few
// milliseconds, released). Its promise is a property that only waiting can
// keep, so the assertions hold however slow the machine is: a request occupies
// its slot from being sent until one window after its answer, and no request
// is ever sent while `perWindow` others occupy theirs.
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { Pacer, FRESH_WINDOW_MARGIN_MS } from '../../src/http/pacing.js';

interface Span {
  start: number;
  end: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One simulated request through the pacer. */
async function request(p: Pacer, spans: Span[], ms = 5, hold?: object, headers?: Record<string, string>): Promise<Span> {
  const slot = await p.acquire(undefined, hold);
  const span = { start: performance.now(), end: 0 };
  await sleep(ms);
  span.end = performance.now();
  slot.release(headers);
  spans.push(span);
  return span;
}

/** Most requests whose occupied interval [start, end + window) contains another request's start. */
function worstOccupancy(spans: readonly Span[], windowMs: number): number {
  return Math.max(...spans.map((s) => spans.filter((o) => o.start <= s.start && s.start < o.end + windowMs).length));
}

describe('Pacer', () => {
  it('never lets more than perWindow requests occupy a window, however many are asked for at once', async () => {
    const p = new Pacer({ perWindow: 3, windowMs: 150, label: 'test bucket' });
    const spans: Span[] = [];
    await Promise.all(Array.from({ length: 10 }, () => request(p, spans)));
    expect(spans).toHaveLength(10);
    expect(worstOccupancy(spans, 150)).toBeLessThanOrEqual(3);
    // And it did not serialise more than needed: 10 requests at 3 per 150 ms take at least 3 windows.
    const first = Math.min(...spans.map((s) => s.start));
    const last = Math.max(...spans.map((s) => s.start));
    expect(last - first).toBeGreaterThanOrEqual(3 * 150);
    expect(p.stats.delayed).toBeGreaterThanOrEqual(7);
  });

  it('a hold waits for the requests in flight and a fresh window, keeps everyone else out, and lets its holder through unpaced', async () => {
    const p = new Pacer({ perWindow: 2, windowMs: 150, label: 'test bucket' });
    const before: Span[] = [];
    const others: Span[] = [];
    const burst: Span[] = [];
    const inFlight = request(p, before, 40);
    await sleep(5);
    const hold = await p.hold();
    await inFlight;
    // Fresh: a whole window (and the margin) after the last answer.
    const lastAnswer = Math.max(...before.map((s) => s.end));
    expect(performance.now() - lastAnswer).toBeGreaterThanOrEqual(150 + FRESH_WINDOW_MARGIN_MS - 2);
    // Someone else asks meanwhile: they wait for the hold.
    const waiting = request(p, others);
    // The holder sends 6 at once, above perWindow: nothing holds it back.
    await Promise.all(Array.from({ length: 6 }, () => request(p, burst, 5, hold.token)));
    // Paced, the third would have waited a 150 ms window after an answer; unpaced, all six were sent before any answered.
    expect(Math.max(...burst.map((s) => s.start))).toBeLessThan(Math.min(...burst.map((s) => s.end)));
    expect(others).toHaveLength(0);
    hold.release();
    await waiting;
    // After the hold the burst's own requests occupy their window: the other request started after it.
    const burstEnd = Math.max(...burst.map((s) => s.end));
    expect(others[0]!.start).toBeGreaterThanOrEqual(burstEnd + 150 - 2);
  });

  it('an answer that says the quota is spent (RateLimit r=0) pauses the bucket until its reset', async () => {
    const p = new Pacer({ perWindow: 100, windowMs: 100, label: 'test bucket' });
    const spans: Span[] = [];
    const first = await request(p, spans, 1, undefined, { ratelimit: '"default";r=0;t=1' });
    const second = await request(p, spans);
    expect(second.start - first.end).toBeGreaterThanOrEqual(1000);
  });

  it('settle waits until a whole window has passed since the last answer', async () => {
    const p = new Pacer({ perWindow: 5, windowMs: 120, label: 'test bucket' });
    const spans: Span[] = [];
    const last = await request(p, spans);
    // Measured from the answer, not from the call: the machine may pause between the
    // two (then settle rightly waits less, or not at all), so not by what settle returns.
    await p.settle();
    expect(performance.now() - last.end).toBeGreaterThanOrEqual(120 + FRESH_WINDOW_MARGIN_MS - 2);
    // Fresh now: a second settle waits on no timer (it resolves before one of 0 ms could fire).
    const timer = sleep(0).then(() => 'a timer fired first');
    expect(await Promise.race([p.settle(), timer])).not.toBe('a timer fired first');
  });

  it('a wait for a slot ends with InterruptedError when the run is interrupted', async () => {
    const p = new Pacer({ perWindow: 1, windowMs: 10_000, label: 'test bucket' });
    await request(p, []);
    const ac = new AbortController();
    setTimeout(() => ac.abort('SIGINT'), 50);
    const t0 = performance.now();
    await expect(p.acquire(ac.signal)).rejects.toBeInstanceOf(InterruptedError);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
