import { describe, expect, it } from 'vitest';
import { call, createKey, later, start, stillClock, type Answer } from './helpers.js';
import type { ReferenceTarget } from '../../src/reference/index.js';

async function burst(target: ReferenceTarget, secret: string, count: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < count; i++) answers.push(await call(target, 'GET', '/v1/agents', { key: secret }));
  return answers;
}

/** Parses `"default";r=3;t=1` into its parameters. */
function fields(value: string | null): Record<string, string> {
  expect(value).not.toBeNull();
  const [name, ...params] = value!.split(';');
  expect(name).toBe('"default"');
  return Object.fromEntries(params.map((p) => p.split('=') as [string, string]));
}

// The counting tests hold the target's clock still (stillClock): a count inside one
// 1 s window must not depend on the calls taking less than a second on a busy
// machine; the window's end is then a step of the clock, not a sleep.
describe('rate limiting', () => {
  it('the default is 20 per 1 s, announced on every authenticated answer', async () => {
    const target = await start();
    const key = createKey(target);
    const answer = await call(target, 'GET', '/v1/agents', { key: key.secret });
    expect(answer.headers.get('ratelimit-policy')).toBe('"default";q=20;w=1');
    expect(fields(answer.headers.get('ratelimit'))).toEqual({ r: '19', t: '1' });
    // 403 and 404 are authenticated answers too.
    expect((await call(target, 'GET', '/v1/resources', { key: key.secret })).headers.get('ratelimit-policy')).not.toBeNull();
    expect((await call(target, 'GET', '/v1/none', { key: key.secret })).headers.get('ratelimit-policy')).not.toBeNull();
    // An unauthenticated answer carries no rate-limit fields.
    expect((await call(target, 'GET', '/v1/agents')).headers.get('ratelimit')).toBeNull();
  });

  it('429 after the limit, with Retry-After and consistent RateLimit fields, then recovery after the window', async () => {
    const target = await start({ defaultRateLimit: { limit: 3, windowSeconds: 1 } });
    const key = createKey(target);
    stillClock();
    const answers = await burst(target, key.secret, 5);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 429]);
    expect(answers.slice(0, 3).map((a) => fields(a.headers.get('ratelimit')).r)).toEqual(['2', '1', '0']);
    const throttled = answers[3]!;
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(throttled.headers.get('ratelimit-policy')).toBe('"default";q=3;w=1');
    expect(fields(throttled.headers.get('ratelimit'))).toEqual({ r: '0', t: '1' });
    expect(throttled.json).toEqual({ error: { code: 'rate_limited', message: expect.any(String), retryAfterSeconds: 1 } });
    expect(target.stats().throttled).toBe(2);

    later(1000);
    expect((await call(target, 'GET', '/v1/agents', { key: key.secret })).status).toBe(200);
  });

  it('throttled requests do not count against the window, so recovery is on time', async () => {
    const target = await start({ defaultRateLimit: { limit: 2, windowSeconds: 1 } });
    const key = createKey(target);
    stillClock();
    await burst(target, key.secret, 2);
    // Keep knocking through the window: recovery still comes the moment it ends.
    for (let ms = 0; ms < 1000; ms += 100) {
      expect((await call(target, 'GET', '/v1/agents', { key: key.secret })).status, `${ms} ms into the window`).toBe(429);
      later(100);
    }
    expect((await call(target, 'GET', '/v1/agents', { key: key.secret })).status).toBe(200);
  });

  it('each key has its own bucket', async () => {
    const target = await start({ defaultRateLimit: { limit: 2, windowSeconds: 1 } });
    const a = createKey(target);
    const b = createKey(target);
    stillClock();
    expect((await burst(target, a.secret, 3)).at(-1)!.status).toBe(429);
    expect((await call(target, 'GET', '/v1/agents', { key: b.secret })).status).toBe(200);
  });

  it('a per-key limit overrides the default', async () => {
    const target = await start();
    const key = createKey(target, { rateLimit: { limit: 2, windowSeconds: 2 } });
    const answers = await burst(target, key.secret, 3);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(answers[2]!.headers.get('ratelimit-policy')).toBe('"default";q=2;w=2');
    expect(Number(answers[2]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(answers[2]!.headers.get('retry-after'))).toBeLessThanOrEqual(2);
  });

  it('refuses a bad rate limit', async () => {
    await expect(start({ defaultRateLimit: { limit: 0, windowSeconds: 1 } })).rejects.toThrow(/limit/);
    const target = await start();
    expect(() => target.createKey({ name: 'x', scopes: [], rateLimit: { limit: 5, windowSeconds: 0.5 } })).toThrow(/windowSeconds/);
  });
});
