// The fast burst generator and the pacer (issues 12 and 15): the burst sends
// straight through undici, without a slot per request, so it must only ever
// send while it holds its rate-limit bucket alone on a fresh window, and tell
// the bucket afterwards what it spent. Otherwise the request after a burst
// lands in the window the burst used up (and is throttled), and the next
// burst does not start on a fresh window.
//
// A loopback server that limits to LIMIT per WINDOW_MS (fixed window from the
// first request) and records when every request arrived; the pacer is the one
// HttpClient.send() and the runner use.
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { runBurst } from '../../src/http/burst.js';
import { createDispatcher, HttpClient, RequestBudget } from '../../src/http/client.js';
import { FRESH_WINDOW_MARGIN_MS, Pacer } from '../../src/http/pacing.js';
import { SecretRegistry } from '../../src/secrets.js';
import { listen } from '../reliability/helpers.js';
import { base62 } from '../helpers/random-keys.js';

const KEY = `kp_test_pacing_${base62(24)}`;
const LIMIT = 10;
const WINDOW_MS = 400;

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

interface Arrival {
  readonly at: number;
  readonly status: number;
}

async function limitedServer() {
  const arrivals: Arrival[] = [];
  let windowStart = Number.NEGATIVE_INFINITY;
  let count = 0;
  const s = createServer((req, res) => {
    req.resume();
    const now = performance.now();
    if (now >= windowStart + WINDOW_MS) {
      windowStart = now;
      count = 0;
    }
    const throttled = ++count > LIMIT;
    arrivals.push({ at: now, status: throttled ? 429 : 200 });
    if (throttled) res.writeHead(429, { 'retry-after': '1' }).end('{"error":"slow down"}');
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  const l = await listen(s);
  closers.push(() => l.close());
  return { origin: l.origin, arrivals };
}

function pacedClient(origin: string, pacer: Pacer, hold?: object) {
  const secrets = new SecretRegistry();
  secrets.add(KEY, 'key');
  const dispatcher = createDispatcher();
  closers.push(() => dispatcher.close());
  const budget = new RequestBudget(500);
  const http = new HttpClient({
    origin,
    auth: { header: 'Authorization', scheme: 'Bearer' },
    primaryKey: KEY,
    timeoutMs: 3000,
    budget,
    secrets,
    dispatcher,
    pacing: () => pacer,
    ...(hold ? { hold } : {}),
  });
  return { http, budget };
}

const burst = (http: HttpClient) =>
  runBurst({ http, label: 'burst', method: 'GET', path: '/v1/agents', concurrency: 4, maxRequests: 40, maxDurationMs: 5000 });

const probe = (http: HttpClient) => http.send({ label: 'probe', method: 'GET', path: '/v1/agents', throttle: 'observe' });

describe('a burst and the pacer', () => {
  it("inside the runner's hold: unpaced, and what it spent keeps the next request and the next hold a window away", async () => {
    const s = await limitedServer();
    // Paced, 8 per window: the burst must not be held to that.
    const pacer = new Pacer({ perWindow: 8, windowMs: WINDOW_MS, label: 'test bucket' });
    const hold = await pacer.hold();
    const { http: holder, budget } = pacedClient(s.origin, pacer, hold.token);
    const r = await burst(holder);
    // Unpaced: the limit (10) was reached within one window and throttled, though pacing allows 8.
    expect(r.stoppedBy).toBe('refusal');
    expect(r.accepted).toBe(LIMIT);
    expect(r.firstRefusal?.acceptedBefore).toBe(LIMIT);
    expect(r.waitedForWindowMs).toBeUndefined();
    expect(pacer.stats.unpaced).toBe(r.sent);
    expect(budget.spent).toBe(r.sent);
    hold.release();

    // Someone else's request after the burst waits until a window after the burst's last answer,
    // and until the throttle's Retry-After: 1 is over.
    const burstEnd = Math.max(...s.arrivals.map((a) => a.at));
    const { http: other } = pacedClient(s.origin, pacer);
    const next = await probe(other);
    expect(next.status).toBe(200);
    expect(next.sentAt - burstEnd).toBeGreaterThanOrEqual(1000 - 5);
    // And the next hold starts on a fresh window: a whole window after the last answer.
    const again = await pacer.hold();
    expect(performance.now() - Math.max(...s.arrivals.map((a) => a.at))).toBeGreaterThanOrEqual(WINDOW_MS + FRESH_WINDOW_MARGIN_MS - 5);
    again.release();
    // Nothing but the burst's own tail was throttled.
    expect(s.arrivals.filter((a) => a.status === 429)).toHaveLength(r.sent - LIMIT);
  });

  it("the holder's own requests after its burst (rate.recovers' probe) are not held back by what the burst spent", async () => {
    const s = await limitedServer();
    const pacer = new Pacer({ perWindow: 8, windowMs: WINDOW_MS, label: 'test bucket' });
    const hold = await pacer.hold();
    const { http: holder } = pacedClient(s.origin, pacer, hold.token);
    const r = await burst(holder);
    expect(r.stoppedBy).toBe('refusal');
    const t0 = performance.now();
    const after = await probe(holder);
    expect(performance.now() - t0).toBeLessThan(WINDOW_MS);
    expect(after.status).toBe(429);
    hold.release();
  });

  it('without a hold it takes one: it waits for what is in flight and a fresh window, and keeps everyone else out meanwhile', async () => {
    const s = await limitedServer();
    const pacer = new Pacer({ perWindow: 8, windowMs: WINDOW_MS, label: 'test bucket' });
    const { http } = pacedClient(s.origin, pacer);
    // A request of the bucket just before the burst.
    const before = await probe(http);
    const beforeAnswered = performance.now();
    const burstDone = burst(http);
    // Asked for while the burst waits or runs: it goes after the burst and a window after it.
    await new Promise((r) => setTimeout(r, 20));
    const otherSent = probe(http).then((res) => res.sentAt);
    const r = await burstDone;
    expect(before.status).toBe(200);
    expect(r.waitedForWindowMs).toBeGreaterThanOrEqual(WINDOW_MS + FRESH_WINDOW_MARGIN_MS - 30);
    // Its first request left a whole window after the request before it was answered, so it met a fresh window.
    const firstBurstArrival = s.arrivals[1]!.at;
    expect(firstBurstArrival - beforeAnswered).toBeGreaterThanOrEqual(WINDOW_MS);
    expect(r.accepted).toBe(LIMIT);
    expect(r.firstRefusal?.acceptedBefore).toBe(LIMIT);
    const lastBurstArrival = Math.max(...s.arrivals.slice(1, 1 + r.sent).map((a) => a.at));
    expect(await otherSent).toBeGreaterThan(lastBurstArrival);
    expect(s.arrivals.at(-1)!.status).toBe(200);
  });

  it('an interruption while it waits for the bucket sends nothing', async () => {
    const s = await limitedServer();
    const pacer = new Pacer({ perWindow: 8, windowMs: 10_000, label: 'test bucket' });
    const controller = new AbortController();
    const { http } = pacedClient(s.origin, pacer);
    await probe(http);
    setTimeout(() => controller.abort('SIGINT'), 50);
    const t0 = performance.now();
    const r = await runBurst({
      http,
      label: 'burst',
      method: 'GET',
      path: '/v1/agents',
      concurrency: 4,
      maxRequests: 40,
      maxDurationMs: 5000,
      signal: controller.signal,
    });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r).toMatchObject({ stoppedBy: 'interrupted', sent: 0 });
    expect(s.arrivals).toHaveLength(1);
  });
});
