// The throttle rule in the one HTTP client, over loopback: which answers count
// as "slow down", that they are waited out (as long as the answer asks) and
// asked again, that a request that stays throttled throws ThrottledError after
// the bounded number of tries — with every throttled exchange kept as
// evidence — and that requests observing throttles on purpose get the answer
// as it is.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckError, InterruptedError, ThrottledError } from '../../src/errors.js';
import { createDispatcher, HttpClient, RequestBudget } from '../../src/http/client.js';
import { Pacer } from '../../src/http/pacing.js';
import {
  DEFAULT_THROTTLE_RULE,
  isThrottled,
  throttlePauseMs,
  throttleRule,
  throttleWait,
  type ThrottleRule,
} from '../../src/http/throttle.js';
import { SecretRegistry } from '../../src/secrets.js';
import { json, startServer, type TestServer } from './servers.js';

const KEY = `kp_prod_${randomBytes(16).toString('hex')}`;
let server: TestServer;
/** Per path: how many more requests to answer with the path's throttle before a 200. */
const throttlesLeft = new Map<string, number>();

beforeAll(async () => {
  server = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, kind = '', arg = ''] = url.pathname.split('/');
    const left = throttlesLeft.get(url.pathname) ?? Number.POSITIVE_INFINITY;
    if (kind === 'ok' || left <= 0) return json(res, 200, { ok: true });
    throttlesLeft.set(url.pathname, left - 1);
    if (kind === 'retry-after') return json(res, 429, {}, { 'retry-after': arg });
    if (kind === 'bare-429') return json(res, 429, {});
    if (kind === 'ratelimit-t') return json(res, 429, {}, { ratelimit: `"default";r=0;t=${arg}` });
    if (kind === 'status') return json(res, Number(arg), {}, url.searchParams.has('ra') ? { 'retry-after': '0' } : {});
    return json(res, 404, {});
  });
});
afterAll(() => server.close());

function client(rule: ThrottleRule = DEFAULT_THROTTLE_RULE, signal?: AbortSignal, budget = new RequestBudget(100), pacer?: Pacer) {
  const secrets = new SecretRegistry();
  secrets.add(KEY, 'key');
  return new HttpClient({
    origin: server.origin,
    auth: { header: 'Authorization', scheme: 'Bearer' },
    primaryKey: KEY,
    timeoutMs: 2000,
    budget,
    secrets,
    dispatcher: createDispatcher(),
    throttle: rule,
    ...(signal ? { signal } : {}),
    ...(pacer ? { pacing: () => pacer } : {}),
  });
}

const received = (path: string) => server.received.filter((r) => r.url.startsWith(path)).length;

describe('which answers say "slow down"', () => {
  const rule = throttleRule({ declaredStatuses: [503, 403, 420], refusalStatuses: [401, 403], windowSeconds: 2 });
  it.each([
    [429, {}, true, 'always'],
    [503, { 'retry-after': '3' }, true, 'with Retry-After'],
    [503, {}, true, 'declared'],
    [420, {}, true, 'declared, and no refusal'],
    [403, {}, false, 'declared but also a refusal, without Retry-After: the refusal it looks like'],
    [403, { 'retry-after': '1' }, true, 'declared, a refusal status, but says when to come back'],
    [401, { 'retry-after': '1' }, false, 'never declared'],
    [200, { 'retry-after': '1' }, false, 'a success is a success'],
  ])('%i %o → %s (%s)', (status, headers, expected, _why) => {
    expect(isThrottled(rule, status, headers as Record<string, string>)).toBe(expected);
  });

  it('undeclared 503 without Retry-After is a server error, not a throttle', () => {
    expect(isThrottled(DEFAULT_THROTTLE_RULE, 503, {})).toBe(false);
    expect(isThrottled(DEFAULT_THROTTLE_RULE, 503, { 'retry-after': '0' })).toBe(true);
  });

  it('waits what the answer asks: Retry-After, else the RateLimit reset, else the declared window, bounded', () => {
    expect(throttleWait(rule, { 'retry-after': '1' })).toMatchObject({ ms: 1050, from: 'Retry-After: 1', tooLong: false });
    expect(throttleWait(rule, { ratelimit: '"d";r=0;t=2' })).toMatchObject({ ms: 2050, from: 'RateLimit t=2' });
    expect(throttleWait(rule, {})).toMatchObject({ ms: 2050, from: 'the declared 2 s window' });
    expect(throttleWait(rule, { 'retry-after': '3600' })).toMatchObject({ tooLong: true });
    // A minute-long window is waited once; never longer than a minute.
    expect(throttleRule({ windowSeconds: 60 }).maxWaitMs).toBe(60_000);
    expect(throttleRule({ windowSeconds: 1 }).maxWaitMs).toBe(5000);
  });

  it('pauses the bucket for the wait asked, or the declared window when the answer gives no wait keyprobe acts on', () => {
    expect(throttlePauseMs(rule, { 'retry-after': '1' })).toBe(1050);
    expect(throttlePauseMs(rule, { ratelimit: '"d";r=0;t=3' })).toBe(3050);
    // Longer than keyprobe waits (an absurd number, an hour): the request gives up at once, the bucket rests one window.
    expect(throttlePauseMs(rule, { 'retry-after': '99999999999999999999999' })).toBe(2050);
    expect(throttlePauseMs(rule, { 'retry-after': '3600' })).toBe(2050);
    // No usable Retry-After at all: unparseable, sent twice, a date long past.
    expect(throttlePauseMs(rule, { 'retry-after': 'soon' })).toBe(2050);
    expect(throttlePauseMs(rule, { 'retry-after': '1, 1' })).toBe(2050);
    expect(throttlePauseMs(rule, { 'retry-after': new Date(Date.now() - 3_600_000).toUTCString() })).toBe(2050);
  });
});

describe('HttpClient.send and the throttle rule', () => {
  it('waits a throttle out and asks again; the judged answer is the one returned, every throttled one kept as evidence', async () => {
    throttlesLeft.set('/retry-after/0', 2);
    const http = client();
    const res = await http.send({ label: 'probe', method: 'GET', path: '/retry-after/0' });
    expect(res.status).toBe(200);
    expect(received('/retry-after/0')).toBe(3);
    expect(http.evidence().exchanges.map((e) => e.status)).toEqual([429, 429, 200]);
  });

  it('waits as long as Retry-After says (at least)', async () => {
    throttlesLeft.set('/retry-after/1', 1);
    const http = client();
    const t0 = performance.now();
    const res = await http.send({ label: 'probe', method: 'GET', path: '/retry-after/1' });
    expect(res.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(res.sentAt - t0).toBeGreaterThanOrEqual(1000);
  });

  it('a request that stays throttled throws ThrottledError (a CheckError) after 4 tries, with the last answer', async () => {
    throttlesLeft.set('/status/503', Number.POSITIVE_INFINITY);
    const http = client(throttleRule({ declaredStatuses: [503], windowSeconds: 0.01 }));
    const err = await http.send({ label: 'probe', method: 'GET', path: '/status/503' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottledError);
    expect(err).toBeInstanceOf(CheckError);
    const t = err as ThrottledError;
    expect(t.status).toBe(503);
    expect(t.tries).toBe(4);
    expect(t.message).toMatch(
      /^throttled: could not judge: GET \/status\/503 answered 503 Service Unavailable on all 4 tries \(waited 60 ms \(the declared 0.01 s window\)/,
    );
    expect(http.evidence().exchanges.filter((e) => e.status === 503)).toHaveLength(4);
  });

  it('once a request stayed throttled through all its tries, the next throttled ones are not waited out again; an answer that is not throttled ends that', async () => {
    throttlesLeft.set('/retry-after/0', Number.POSITIVE_INFINITY);
    const http = client();
    await expect(http.send({ label: 'first', method: 'GET', path: '/retry-after/0' })).rejects.toThrow(/on all 4 tries/);
    // A fork (another check) shares what the first one learnt.
    const other = http.fork();
    const before = received('/retry-after/0');
    const err = (await other.send({ label: 'second', method: 'GET', path: '/retry-after/0' }).catch((e: unknown) => e)) as ThrottledError;
    expect(err).toBeInstanceOf(ThrottledError);
    expect(err.message).toMatch(
      /the target has throttled every request for \d+ ms, since an earlier one was waited out 4 times, so this one was not waited out again/,
    );
    expect(received('/retry-after/0') - before).toBe(1);
    // The target answers again: the next throttle is waited out as usual.
    expect((await other.send({ label: 'ok', method: 'GET', path: '/ok' })).status).toBe(200);
    throttlesLeft.set('/retry-after/0', 1);
    expect((await other.send({ label: 'third', method: 'GET', path: '/retry-after/0' })).status).toBe(200);
  });

  it('gives up at once when the answer asks for longer than keyprobe waits', async () => {
    throttlesLeft.set('/retry-after/3600', Number.POSITIVE_INFINITY);
    const http = client();
    const t0 = performance.now();
    const err = (await http.send({ label: 'probe', method: 'GET', path: '/retry-after/3600' }).catch((e: unknown) => e)) as ThrottledError;
    expect(err).toBeInstanceOf(ThrottledError);
    expect(err.message).toMatch(/asks to wait Retry-After: 3600, longer than keyprobe waits \(5000 ms\)/);
    expect(err.tries).toBe(1);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('an answer that asks for longer than keyprobe waits pauses the bucket for the declared window, not the longest wait', async () => {
    // The longest wait for a 1 s window is 5 s: pausing that long stalled the run on a wait nobody takes.
    const rule = throttleRule({ windowSeconds: 1 });
    const http = client(rule, undefined, undefined, new Pacer({ perWindow: 100, windowMs: 1000, label: 'test bucket' }));
    throttlesLeft.set('/retry-after/99999999999999999999999', 1);
    await expect(http.send({ label: 'probe', method: 'GET', path: '/retry-after/99999999999999999999999' })).rejects.toThrow(
      /longer than keyprobe waits/,
    );
    const t0 = performance.now();
    await http.send({ label: 'probe', method: 'GET', path: '/ok' });
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(1000);
    expect(waited).toBeLessThan(rule.maxWaitMs - 1000);
  });

  it('`throttle: observe` hands the throttled answer back at once (bursts and polls look at it on purpose)', async () => {
    throttlesLeft.set('/bare-429', Number.POSITIVE_INFINITY);
    const before = received('/bare-429');
    const res = await client().send({ label: 'burst', method: 'GET', path: '/bare-429', throttle: 'observe' });
    expect(res.status).toBe(429);
    expect(received('/bare-429') - before).toBe(1);
  });

  it('a refusal status that is also declared as throttling is returned as the refusal unless it says when to come back', async () => {
    const rule = throttleRule({ declaredStatuses: [403], refusalStatuses: [401, 403] });
    throttlesLeft.set('/status/403', Number.POSITIVE_INFINITY);
    expect((await client(rule).send({ label: 'denied', method: 'GET', path: '/status/403' })).status).toBe(403);
    throttlesLeft.set('/status/403', 1);
    const http = client(rule);
    expect((await http.send({ label: 'denied', method: 'GET', path: '/status/403?ra' })).status).toBe(200);
    expect(http.evidence().exchanges.map((e) => e.status)).toEqual([403, 200]);
  });

  it('an interruption during a throttle wait ends the request at once', async () => {
    throttlesLeft.set('/retry-after/2', Number.POSITIVE_INFINITY);
    const budget = new RequestBudget(100);
    const ac = new AbortController();
    const http = client(DEFAULT_THROTTLE_RULE, ac.signal, budget);
    setTimeout(() => ac.abort('SIGINT'), 200);
    const t0 = performance.now();
    const err = await http.send({ label: 'probe', method: 'GET', path: '/retry-after/2' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(budget.spent).toBe(1);
  });
});
