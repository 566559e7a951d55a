// What the burst generator keeps while it runs at full speed (issue 15): every
// request's send order and status, the headers and a capped body of the
// throttled answer, exact budget accounting, per-request timeouts, abort on
// interrupt, the origin lock, redacted error words, and how it spreads
// requests over connections (pipelining only GET and HEAD). All on loopback
// servers started here, each bounded in requests and time.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startLatencyProxy, type LatencyProxy } from '../../bench/lib/latency-proxy.js';
import { CheckError } from '../../src/errors.js';
import { connectionPlan, runBurst, type BurstOptions } from '../../src/http/burst.js';
import { createDispatcher, HttpClient, RequestBudget, type AuthPlacement } from '../../src/http/client.js';
import { SecretRegistry } from '../../src/secrets.js';
import { listen, type Listener } from '../reliability/helpers.js';
import { base62 } from '../helpers/random-keys.js';

const KEY = `kp_test_burst_${base62(24)}`;

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

interface Seen {
  readonly n: number;
  readonly method: string;
  readonly url: string;
  readonly authorization?: string;
}

/** A loopback server that answers request n (1-based, in arrival order) with `answer(n, req, res)`. */
async function server(answer: (n: number, req: IncomingMessage, res: ServerResponse) => void): Promise<Listener & { seen: Seen[] }> {
  const seen: Seen[] = [];
  const s = createServer((req, res) => {
    const n = seen.length + 1;
    seen.push({
      n,
      method: req.method ?? '',
      url: req.url ?? '',
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    req.resume();
    answer(n, req, res);
  });
  const l = await listen(s);
  closers.push(() => l.close());
  return Object.assign(l, { seen });
}

function client(origin: string, opts: { budget?: number; timeoutMs?: number; auth?: AuthPlacement; signal?: AbortSignal } = {}) {
  const secrets = new SecretRegistry();
  secrets.add(KEY, 'key');
  const budget = new RequestBudget(opts.budget ?? 1000);
  const dispatcher = createDispatcher();
  closers.push(() => dispatcher.close());
  const http = new HttpClient({
    origin,
    auth: opts.auth ?? { header: 'Authorization', scheme: 'Bearer' },
    primaryKey: KEY,
    timeoutMs: opts.timeoutMs ?? 3000,
    budget,
    secrets,
    dispatcher,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { http, budget };
}

function burst(http: HttpClient, o: Partial<BurstOptions> = {}) {
  return runBurst({ http, label: 'burst', method: 'GET', path: '/v1/agents', concurrency: 4, maxRequests: 40, maxDurationMs: 5000, ...o });
}

const throttled = (res: ServerResponse) =>
  res
    .writeHead(429, {
      'content-type': 'application/json',
      'retry-after': '7',
      'ratelimit-policy': '"default";q=10;w=1',
      ratelimit: '"default";r=0;t=7',
      'x-request-id': 'throttle-1',
    })
    .end(JSON.stringify({ error: 'rate_limited', detail: 'x'.repeat(5000) }));

describe('burst bookkeeping', () => {
  it('keeps every request in send order with its status, and the throttled answer with all its headers and a capped body', async () => {
    const s = await server((n, _req, res) => (n <= 10 ? res.writeHead(200).end('{"agents":[]}') : throttled(res)));
    const { http, budget } = client(s.origin);
    const r = await burst(http, { concurrency: 3 });

    // Send order: each request once, numbered 1..sent, sent in that order.
    expect(r.points.map((p) => p.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: r.sent }, (_, i) => i + 1));
    const bySeq = [...r.points].sort((a, b) => a.seq - b.seq);
    for (let i = 1; i < bySeq.length; i++) expect(bySeq[i]!.sentMs).toBeGreaterThanOrEqual(bySeq[i - 1]!.sentMs);
    for (const p of r.points) expect(p.tMs).toBeGreaterThanOrEqual(p.sentMs);
    // Status per request: exactly what the server answered to each.
    expect(r.points.filter((p) => p.status === 200)).toHaveLength(10);
    expect(r.points.filter((p) => p.status === 429)).toHaveLength(r.sent - 10);
    expect(r.points.every((p) => p.accepted === (p.status === 200))).toBe(true);
    expect(r.accepted).toBe(10);
    expect(s.seen).toHaveLength(r.sent);
    expect(budget.spent).toBe(r.sent);
    // It stops at the first refusal: at most the in-flight ones follow.
    expect(r.stoppedBy).toBe('refusal');
    expect(r.sent).toBeLessThanOrEqual(10 + 1 + 2);

    const t = r.firstRefusal!;
    expect(t.response.status).toBe(429);
    expect(t.response.headers).toMatchObject({
      'retry-after': '7',
      'ratelimit-policy': '"default";q=10;w=1',
      ratelimit: '"default";r=0;t=7',
      'x-request-id': 'throttle-1',
      'content-type': 'application/json',
    });
    expect(t.response.body.startsWith('{"error":"rate_limited"')).toBe(true);
    expect(t.response.body.length).toBe(2048);
    expect(t.response.bodyTruncated).toBe(true);
    // The server answered in arrival order, so all three counts agree; the limiter's order puts the throttle at call 11.
    expect(t.acceptedBefore).toBe(10);
    expect(t.acceptedArrivedBefore).toBe(10);
    expect(t.acceptedSentBefore).toBe(10);
    expect(t.call).toBe(11);
    expect(t.seq).toBeGreaterThan(10);
    expect(r.points[t.arrival - 1]!.seq).toBe(t.seq);
    // Every request carried the key, as the profile places it.
    expect(s.seen.every((x) => x.authorization === `Bearer ${KEY}`)).toBe(true);
  });

  it("the throttled answer's headers as the server wrote them: names lower-case, a repeated header joined, accepted answers' headers not kept", async () => {
    // The burst reads undici's raw header lines itself (src/http/burst.ts, Lane): this is the shape the report and rate.limit-signalled rely on.
    const s = await server((n, _req, res) => {
      if (n <= 3) return void res.writeHead(200, { 'X-Served': `call-${n}` }).end('{}');
      res.writeHead(429, [
        ['Retry-After', '2'],
        ['RateLimit-Policy', '"burst";q=3;w=1'],
        ['RateLimit-Policy', '"daily";q=1000;w=86400'],
        ['X-RateLimit-Remaining', '0'],
        ['Content-Type', 'application/json'],
      ]);
      res.end('{"error":"slow down"}');
    });
    const { http } = client(s.origin);
    const r = await burst(http, { concurrency: 1 });
    expect(r).toMatchObject({ accepted: 3, stoppedBy: 'refusal' });
    expect(r.firstRefusal?.response).toMatchObject({ status: 429, body: '{"error":"slow down"}', bodyTruncated: false });
    expect(r.firstRefusal?.response.headers).toEqual({
      'retry-after': '2',
      'ratelimit-policy': '"burst";q=3;w=1, "daily";q=1000;w=86400',
      'x-ratelimit-remaining': '0',
      'content-type': 'application/json',
      date: expect.any(String),
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
    });
    // Only the status of each accepted answer is kept, never its headers.
    expect(JSON.stringify(r.points)).not.toContain('call-');
  });

  it('never sends more than the budget, also when sized from the round trip to more than it has', async () => {
    const s = await server((_n, _req, res) => res.writeHead(200).end('{}'));
    const { http, budget } = client(s.origin, { budget: 23 });
    const r = await burst(http, { concurrency: 2, maxRequests: 10, sizeFromRoundTrip: () => ({ concurrency: 16, maxRequests: 200 }) });
    expect(r.stoppedBy).toBe('budget');
    expect(r.sent).toBe(23);
    expect(budget.spent).toBe(23);
    expect(s.seen).toHaveLength(23);
    expect(r.points).toHaveLength(23);
  });

  it('an interruption stops the burst at once: nothing new is sent, requests in flight are abandoned', async () => {
    // Answers the first 5 at once, then holds every request until the test ends. The
    // interruption comes once the 9th arrives (4 held in flight, the burst waits on them):
    // an event, not a timer, which a busy machine could fire before the 9th is sent.
    const controller = new AbortController();
    let interruptedAt = 0;
    const s = await server((n, _req, res) => {
      if (n <= 5) res.writeHead(200).end('{}');
      if (n === 9)
        setTimeout(() => {
          interruptedAt = performance.now();
          controller.abort('SIGINT');
        }, 50);
    });
    const { http } = client(s.origin, { signal: controller.signal });
    const r = await burst(http, { concurrency: 4, maxRequests: 40 });
    expect(r.stoppedBy).toBe('interrupted');
    expect(performance.now() - interruptedAt).toBeLessThan(1500);
    expect(r.sent).toBe(9);
    expect(r.accepted).toBe(5);
    // Abandoned requests are not the target's failures.
    expect(r.errorCount).toBe(0);
  });

  it('each request times out after target.timeoutMs, in the same words as any other request', async () => {
    const s = await server(() => undefined); // never answers
    const { http } = client(s.origin, { timeoutMs: 200 });
    const started = performance.now();
    const r = await burst(http, { concurrency: 4, maxRequests: 8 });
    const elapsed = performance.now() - started;
    expect(r.errorCount).toBe(8);
    expect(r.errors[0]).toBe(
      'GET /v1/agents: the target sent no complete response headers within 200 ms (target.timeoutMs): it is not answering, or too slowly',
    );
    expect(r.points.every((p) => p.status === undefined && !p.accepted)).toBe(true);
    // Two rounds of four, each cut at about 200 ms: not the 300 s undici would wait by default.
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(2000);
  });

  it('sends only to the profile origin: a path that would leave it is refused before anything is sent', async () => {
    const s = await server((_n, _req, res) => res.writeHead(200).end('{}'));
    const { http, budget } = client(s.origin);
    await expect(burst(http, { path: '//elsewhere.example/v1/agents' })).rejects.toThrow(CheckError);
    await expect(burst(http, { path: 'http://elsewhere.example/v1/agents' })).rejects.toThrow(/only paths on/);
    expect(s.seen).toHaveLength(0);
    expect(budget.spent).toBe(0);
  });

  it('error words never hold the key, even when the key travels in the query', async () => {
    const s = await server((_n, req) => req.socket.destroy());
    const { http } = client(s.origin, { auth: { query: 'api_key' } });
    const r = await burst(http, { concurrency: 2, maxRequests: 4 });
    expect(r.errorCount).toBe(4);
    expect(s.seen[0]!.url).toContain(KEY);
    const words = r.errors.join('\n');
    expect(words).toContain('GET /v1/agents: the target closed the connection');
    expect(words).not.toContain(KEY);
    expect(words).not.toContain(encodeURIComponent(KEY));
  });
});

/**
 * A server that takes requests four at a time (or what came within 100 ms) and
 * answers each batch at once, in the order `order` puts it: so every request of
 * a burst of 4 in flight meets its batch, and the test decides the order the
 * server counts them and the order their answers leave in.
 */
async function batchServer(answer: (res: ServerResponse) => void, order: (batch: ServerResponse[]) => ServerResponse[]) {
  let batch: ServerResponse[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const handled = order(batch);
    batch = [];
    for (const res of handled) answer(res);
  };
  return server((_n, _req, res) => {
    batch.push(res);
    if (batch.length === 4) flush();
    else timer ??= setTimeout(flush, 100);
  });
}

describe('counting the accepted calls before the throttle', () => {
  it('a server that counts a later-sent call first: the call answered before the throttle still counts (send order alone says 8)', async () => {
    // Handles each batch last-come first: of calls 9–12 it accepts 12 and 11 (the 9th and 10th
    // it counts) and throttles 10 and 9, answering in that order.
    let count = 0;
    const s = await batchServer(
      (res) => (++count <= 10 ? res.writeHead(200).end('{}') : throttled(res)),
      (batch) => batch.reverse(),
    );
    const { http } = client(s.origin);
    const r = await burst(http, { concurrency: 4 });
    const t = r.firstRefusal!;
    expect(r.accepted).toBe(10);
    expect(t.acceptedSentBefore).toBe(8);
    expect(t.acceptedArrivedBefore).toBe(10);
    expect(t.acceptedBefore).toBe(10);
    expect(t.acceptedAtMost).toBe(10);
    expect(t.call).toBe(11);
  });

  it("a window that resets while the burst's tail is in flight: its accepted calls come after the throttle in both orders and do not count", async () => {
    // A fixed window of 22 that starts afresh the moment the first 429 goes out. Of calls 21–24 it
    // accepts two, throttles the 23rd and accepts the 24th in the new window, answering in that
    // order; the two accepted answers before the 429 start two more requests before it arrives,
    // and those land in the new window too: 25 accepted, 3 of them after the reset.
    let count = 0;
    let reset = false;
    const s = await batchServer(
      (res) => {
        if (++count <= 22) return res.writeHead(200).end('{}');
        if (!reset) {
          reset = true;
          count = 0;
        }
        throttled(res);
      },
      (batch) => batch,
    );
    const { http } = client(s.origin);
    const r = await burst(http, { concurrency: 4 });
    const t = r.firstRefusal!;
    expect(r.accepted).toBe(25);
    expect(t.acceptedAtMost).toBe(25);
    expect(t.acceptedBefore).toBe(22);
    expect(t.acceptedSentBefore).toBe(22);
    expect(t.acceptedArrivedBefore).toBe(22);
    expect(t.call).toBe(23);
  });
});

describe('burst connections', () => {
  it('up to maxConnections one request per connection; beyond it GET is pipelined, other methods are capped', () => {
    expect(connectionPlan(8, 'GET')).toEqual({ concurrency: 8, connections: 8, pipelining: 1 });
    expect(connectionPlan(64, 'GET')).toEqual({ concurrency: 64, connections: 64, pipelining: 1 });
    expect(connectionPlan(65, 'GET')).toEqual({ concurrency: 65, connections: 33, pipelining: 2 });
    expect(connectionPlan(500, 'HEAD')).toEqual({ concurrency: 500, connections: 63, pipelining: 8 });
    expect(connectionPlan(500, 'POST')).toEqual({ concurrency: 64, connections: 64, pipelining: 1 });
    expect(connectionPlan(32, 'GET', { pipelining: 4 })).toEqual({ concurrency: 32, connections: 8, pipelining: 4 });
    expect(connectionPlan(32, 'POST', { pipelining: 4 })).toEqual({ concurrency: 32, connections: 32, pipelining: 1 });
  });

  it('pipelined GETs keep many requests in flight over few connections, every answer counted', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const s = await server((_n, _req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Hold each answer a while so requests pile up on each connection.
      setTimeout(() => {
        inFlight--;
        res.writeHead(200).end('{}');
      }, 150);
    });
    const { http } = client(s.origin);
    const r = await burst(http, { concurrency: 12, maxConnections: 3, maxRequests: 60 });
    expect(r).toMatchObject({ stoppedBy: 'max-requests', sent: 60, accepted: 60, connections: 3, pipelining: 4, errorCount: 0 });
    expect(s.connections()).toBe(3);
    // More requests at the server at once than connections: they were pipelined.
    expect(maxInFlight).toBe(12);
  });

  it('a request undici writes again after a connection closed mid-pipeline takes the budget too: the target never sees more than the budget', async () => {
    // Answers two requests per connection, then closes it with the rest of the pipeline unanswered
    // (as a gateway does at its keep-alive request limit). It counts every request that reached it.
    let heads = 0;
    const s = net.createServer((socket) => {
      let buffered = '';
      let answered = 0;
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => {
        buffered += chunk.toString('latin1');
        for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
          buffered = buffered.slice(end + 4);
          heads++;
          if (answered >= 2) continue;
          answered++;
          socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
          if (answered === 2) setImmediate(() => socket.destroy());
        }
      });
    });
    const l = await listen(s as unknown as Server);
    closers.push(() => l.close());
    const { http, budget } = client(l.origin, { budget: 40 });
    const r = await burst(http, { concurrency: 8, maxConnections: 2, maxRequests: 200 });
    expect(r.pipelining).toBe(4);
    // undici did write requests again (the test would prove nothing otherwise), and each took the budget.
    expect(r.resent).toBeGreaterThan(0);
    expect(budget.spent).toBe(r.sent + r.resent!);
    expect(budget.spent).toBeLessThanOrEqual(40);
    expect(heads).toBeLessThanOrEqual(budget.spent);
    expect(r.stoppedBy).toBe('budget');
  });

  it('a POST burst is never pipelined: one request per connection', async () => {
    const s = await server((_n, _req, res) => setTimeout(() => res.writeHead(200).end('{}'), 10));
    const { http } = client(s.origin);
    const r = await burst(http, { method: 'POST', body: { ping: 1 }, concurrency: 12, maxConnections: 3, maxRequests: 24 });
    expect(r).toMatchObject({ sent: 24, accepted: 24, connections: 3, pipelining: 1, concurrency: 3 });
    expect(s.seen.every((x) => x.method === 'POST')).toBe(true);
  });
});

describe('burst sized from the round trip', () => {
  let proxy: LatencyProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  it('measures the round trip with two requests sent one after the other, then keeps what the caller asks in flight', async () => {
    const s = await server((_n, _req, res) => res.writeHead(200).end('{}'));
    proxy = await startLatencyProxy(s.origin, 20);
    const { http } = client(proxy.origin);
    const asked: number[] = [];
    const r = await burst(http, {
      concurrency: 1,
      maxRequests: 10,
      sizeFromRoundTrip: (rtt) => {
        asked.push(rtt);
        return { concurrency: 6, maxRequests: 30 };
      },
    });
    expect(asked).toHaveLength(1);
    // 20 ms each way: no round trip can be shorter than 40 ms.
    expect(r.roundTripMs).toBeGreaterThanOrEqual(40);
    expect(r.roundTripMs).toBe(Math.round(asked[0]! * 100) / 100);
    expect(r).toMatchObject({ sent: 30, accepted: 30, concurrency: 6, connections: 6, pipelining: 1 });
    // The two pilot requests went first, each alone.
    const [p1, p2] = [...r.points].sort((a, b) => a.seq - b.seq);
    expect(p2!.sentMs).toBeGreaterThanOrEqual(p1!.tMs);
  });

  it('a refusal of a pilot request ends the burst before it is sized', async () => {
    const s = await server((_n, _req, res) => throttled(res));
    const { http } = client(s.origin);
    let sized = false;
    const r = await burst(http, {
      sizeFromRoundTrip: () => {
        sized = true;
        return { concurrency: 8, maxRequests: 40 };
      },
    });
    expect(sized).toBe(false);
    expect(r).toMatchObject({ sent: 1, stoppedBy: 'refusal' });
    expect(r.firstRefusal?.response.headers['retry-after']).toBe('7');
  });
});
