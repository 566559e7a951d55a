import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { call, createKey, admin, later, rememberSecret, sleep, start, stillClock, type Answer } from './helpers.js';
import type { ReferenceTarget } from '../../src/reference/index.js';
import { parseFaultArgs } from '../../src/reference/index.js';
import { ECHO_FORM_NAMES, ECHO_HEADER_NAMES } from '../../src/reference/echo-forms.js';
import { findSecrets } from '../helpers/scan.js';

const get = (target: ReferenceTarget, key: string, path = '/v1/agents'): Promise<Answer> => call(target, 'GET', path, { key });
const STACK_LINE = /\n\s+at \S.*:\d+:\d+/;

describe('faults are off by default', () => {
  it('a fresh target has no fault switched on', async () => {
    const target = await start();
    expect(target.faults()).toEqual({});
    expect((await admin(target, 'GET', '/faults')).json.faults).toEqual({});
  });
});

describe('switching faults', () => {
  it('at start, through target.setFault and through the admin API, each taking effect on the next request', async () => {
    const target = await start({ faults: { 'anonymous-access': true } });
    expect((await call(target, 'GET', '/v1/agents')).status).toBe(200);
    target.clearFault('anonymous-access');
    expect((await call(target, 'GET', '/v1/agents')).status).toBe(401);
    target.setFault('anonymous-access');
    expect((await call(target, 'GET', '/v1/agents')).status).toBe(200);
    await admin(target, 'DELETE', '/faults/anonymous-access');
    expect((await call(target, 'GET', '/v1/agents')).status).toBe(401);
    await admin(target, 'PUT', '/faults/anonymous-access');
    expect((await call(target, 'GET', '/v1/agents')).status).toBe(200);
    target.clearFaults();
    expect(target.faults()).toEqual({});
  });

  it('bad fault settings are refused at start and by setFault', async () => {
    await expect(start({ faults: { 'revocation-flap': 2 } })).rejects.toThrow(/ratio/);
    const target = await start();
    expect(() => target.setFault('warp-speed')).toThrow(/Unknown fault "warp-speed"/);
    expect(() => target.setFault('rate-limit-status', 200)).toThrow(/400 to 599/);
    expect(() => target.setFault('no-rate-limit', 3)).toThrow(/takes no value/);
  });
});

describe('anonymous-access', () => {
  it('serves a request with no Authorization header with every scope; a bad or empty credential is still 401', async () => {
    const target = await start({ faults: { 'anonymous-access': true } });
    expect((await call(target, 'GET', '/v1/resources')).status).toBe(200);
    expect((await call(target, 'POST', '/v1/resources')).status).toBe(201);
    expect((await call(target, 'GET', '/v1/keys/self')).json).toMatchObject({ id: null, name: 'anonymous' });
    expect((await call(target, 'GET', '/v1/agents', { authorization: 'Bearer ' })).status).toBe(401);
    expect((await call(target, 'GET', '/v1/agents', { key: 'kp_prod_nope' })).status).toBe(401);
    expect(target.stats().anonymous).toBe(3);
  });
});

// The tests that prove an order inside a short window (served until the delay
// ends, refused from then on; a count inside one rate window) hold the target's
// clock still (stillClock): on a busy machine a call can take longer than the
// window itself.
describe('revocation-delay', () => {
  it('a disabled key keeps working for MS, then is refused', async () => {
    const target = await start({ faults: { 'revocation-delay': 500 } });
    const key = createKey(target);
    stillClock();
    target.disableKey(key.id);
    expect(target.getKey(key.id)!.enabled).toBe(false); // the control plane knows at once
    expect((await get(target, key.secret)).status).toBe(200);
    later(100);
    expect((await get(target, key.secret)).status).toBe(200);
    later(399);
    expect((await get(target, key.secret)).status).toBe(200);
    later(1);
    expect((await get(target, key.secret)).json.error.code).toBe('disabled');
  });

  it('defaults to 2000 ms', async () => {
    const target = await start({ faults: { 'revocation-delay': undefined } });
    target.setFault('revocation-delay');
    expect(target.faults()).toEqual({ 'revocation-delay': 2000 });
    const key = createKey(target);
    target.disableKey(key.id);
    await sleep(200);
    expect((await get(target, key.secret)).status).toBe(200);
  });
});

describe('revocation-flap', () => {
  it('0.3: the first request after disable is refused, then 3 in every 10 pass, deterministically', async () => {
    const target = await start({ faults: { 'revocation-flap': 0.3 } });
    const key = createKey(target);
    expect((await get(target, key.secret)).status).toBe(200);
    target.disableKey(key.id);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await get(target, key.secret)).status);
    const pattern = [401, 401, 401, 200, 401, 401, 200, 401, 401, 200];
    expect(statuses).toEqual([...pattern, ...pattern]);
    // enable, then disable again: the round-robin starts over
    target.enableKey(key.id);
    expect((await get(target, key.secret)).status).toBe(200);
    target.disableKey(key.id);
    expect((await get(target, key.secret)).status).toBe(401);
  });

  it('1: revocation never takes effect (Kong#3836); 0.1: one node in ten', async () => {
    const target = await start({ faults: { 'revocation-flap': 1 } });
    const key = createKey(target, { rateLimit: { limit: 100, windowSeconds: 1 } });
    target.disableKey(key.id);
    for (let i = 0; i < 10; i++) expect((await get(target, key.secret)).status).toBe(200);
    target.setFault('revocation-flap', 0.1);
    target.enableKey(key.id);
    target.disableKey(key.id);
    const accepted: number[] = [];
    for (let i = 0; i < 10; i++) if ((await get(target, key.secret)).status === 200) accepted.push(i);
    expect(accepted).toEqual([9]);
  });
});

describe('scope-bypass', () => {
  it('default /v1/resources: any valid key reaches every resources route; other routes still check scopes', async () => {
    const target = await start({ faults: { 'scope-bypass': '/v1/resources' } });
    const key = createKey(target, { scopes: ['agents:read'] });
    expect((await get(target, key.secret, '/v1/resources')).status).toBe(200);
    expect((await call(target, 'DELETE', '/v1/resources/res-ledger', { key: key.secret })).status).toBe(204);
    expect((await get(target, key.secret, '/v1/workflows')).status).toBe(403);
    expect((await call(target, 'GET', '/v1/resources', { key: 'kp_prod_nope' })).status).toBe(401);
  });

  it('takes any route prefix', async () => {
    const target = await start({ faults: { 'scope-bypass': '/v1/agents' } });
    const key = createKey(target, { scopes: ['agents:read'] });
    expect((await call(target, 'POST', '/v1/agents', { key: key.secret })).status).toBe(201);
    expect((await get(target, key.secret, '/v1/resources')).status).toBe(403);
  });
});

describe('rate-limit faults', () => {
  const limit = { limit: 2, windowSeconds: 1 };

  it('no-rate-limit: never throttles and sends no RateLimit fields', async () => {
    const target = await start({ defaultRateLimit: limit, faults: { 'no-rate-limit': true } });
    const key = createKey(target);
    for (let i = 0; i < 6; i++) {
      const answer = await get(target, key.secret);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('ratelimit')).toBeNull();
    }
    expect(target.stats().throttled).toBe(0);
  });

  it("shared-rate-bucket: one key's burst throttles another key from the same client", async () => {
    const target = await start({ defaultRateLimit: limit, faults: { 'shared-rate-bucket': true } });
    const a = createKey(target);
    const b = createKey(target);
    stillClock();
    await get(target, a.secret);
    await get(target, a.secret);
    expect((await get(target, b.secret)).status).toBe(429);
  });

  it('rate-limit-status: throttles with the given status, fields and Retry-After still sent', async () => {
    const target = await start({ defaultRateLimit: limit, faults: { 'rate-limit-status': 503 } });
    const key = createKey(target);
    stillClock();
    await get(target, key.secret);
    await get(target, key.secret);
    const throttled = await get(target, key.secret);
    expect(throttled.status).toBe(503);
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(throttled.headers.get('ratelimit')).toBe('"default";r=0;t=1');
    target.setFault('rate-limit-status', '403');
    expect((await get(target, key.secret)).status).toBe(403);
  });

  it('no-retry-after: 429 without Retry-After, RateLimit fields still sent', async () => {
    const target = await start({ defaultRateLimit: limit, faults: { 'no-retry-after': true } });
    const key = createKey(target);
    stillClock();
    await get(target, key.secret);
    await get(target, key.secret);
    const throttled = await get(target, key.secret);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBeNull();
    expect(throttled.headers.get('ratelimit-policy')).toBe('"default";q=2;w=1');
    expect(throttled.headers.get('ratelimit')).toBe('"default";r=0;t=1');
  });
});

describe('prefix-match', () => {
  it("accepts any credential whose first N characters equal a key's, including keys created before the fault was on", async () => {
    const target = await start();
    const key = createKey(target);
    target.setFault('prefix-match', 16);
    const { secret } = key;
    const changedAt = (i: number) => secret.slice(0, i) + (secret[i] === 'A' ? 'B' : 'A') + secret.slice(i + 1);
    expect((await get(target, secret)).status).toBe(200);
    expect((await get(target, secret.slice(0, 16))).status).toBe(200);
    expect((await get(target, secret.slice(0, -1))).status).toBe(200);
    expect((await get(target, `${secret}extra`)).status).toBe(200);
    expect((await get(target, changedAt(30))).status).toBe(200);
    expect((await get(target, changedAt(10))).status).toBe(401);
    expect((await get(target, secret.slice(0, 15))).status).toBe(401);
    expect((await get(target, `kp_prod_${'A'.repeat(32)}`)).status).toBe(401);
    target.clearFault('prefix-match');
    expect((await get(target, secret.slice(0, -1))).status).toBe(401);
  });

  it('a rotated-out secret is matched by prefix only while it is within its grace', async () => {
    const target = await start({ faults: { 'prefix-match': 20 } });
    const key = createKey(target);
    const rotated = target.rotateKey(key.id, 0)!;
    rememberSecret(rotated.secret);
    expect((await get(target, `${key.secret}x`)).json.error.code).toBe('rotated');
    expect((await get(target, `${rotated.secret}x`)).status).toBe(200);
  });
});

describe('case-insensitive-keys', () => {
  it('accepts the key in any case, but not another key', async () => {
    const target = await start({ faults: { 'case-insensitive-keys': true } });
    const { secret } = createKey(target);
    expect((await get(target, secret.toUpperCase())).status).toBe(200);
    expect((await get(target, secret.toLowerCase())).status).toBe(200);
    expect((await get(target, secret.slice(0, -1))).status).toBe(401);
    expect((await get(target, `${secret}x`)).status).toBe(401);
  });
});

describe('lifecycle faults', () => {
  it('accept-expired: an expired key is accepted', async () => {
    const target = await start({ faults: { 'accept-expired': true } });
    const key = createKey(target, { expiresAt: '2020-01-01T00:00:00Z' });
    expect((await get(target, key.secret)).status).toBe(200);
    target.clearFaults();
    expect((await get(target, key.secret)).json.error.code).toBe('expired');
  });

  it('rotation-no-expiry: the old secret stays valid after its grace period', async () => {
    const target = await start({ faults: { 'rotation-no-expiry': true } });
    const key = createKey(target);
    const rotated = target.rotateKey(key.id, 0.1)!;
    rememberSecret(rotated.secret);
    await sleep(150);
    expect((await get(target, key.secret)).status).toBe(200);
    expect((await get(target, rotated.secret)).status).toBe(200);
    target.clearFaults();
    expect((await get(target, key.secret)).json.error.code).toBe('rotated');
  });

  it('cross-environment: a key of another environment is accepted', async () => {
    const target = await start({ faults: { 'cross-environment': true } });
    const key = createKey(target, { environment: 'test' });
    expect((await get(target, key.secret)).status).toBe(200);
    expect((await get(target, key.secret, '/v1/keys/self')).json.environment).toBe('test');
  });
});

describe('leaky error bodies', () => {
  it('leaky-denial: 403 carries the denied data, the internal table and a stack trace; 401 stays clean', async () => {
    const target = await start({ faults: { 'leaky-denial': true } });
    const key = createKey(target, { scopes: ['agents:read'] });
    const denied = await get(target, key.secret, '/v1/resources');
    expect(denied.status).toBe(403);
    expect(denied.text).toContain('res-internal-ledger');
    expect(denied.text).toContain('key_scopes');
    expect(denied.json.error.debug.stack).toContain('at authorize (/srv/app/auth.js:42:7)');
    expect(denied.json.error.debug.stack).toMatch(STACK_LINE);
    const refused = await get(target, 'kp_prod_nope');
    expect(refused.text).not.toMatch(/key_scopes|srv\/app/);
  });

  it('key-in-error: 403 echoes the presented key and its sha256 hex; 401 does not', async () => {
    const target = await start({ faults: { 'key-in-error': true } });
    const key = createKey(target, { scopes: ['agents:read'] });
    const denied = await get(target, key.secret, '/v1/resources');
    expect(denied.status).toBe(403);
    expect(denied.text).toContain(key.secret);
    expect(denied.text).toContain(createHash('sha256').update(key.secret).digest('hex'));
    // Never the key itself: a key ending in Z would make "…Z" the real key (1 time in 62).
    const wrongKey = `${key.secret.slice(0, -1)}${key.secret.endsWith('Z') ? 'Y' : 'Z'}`;
    const refused = await get(target, wrongKey);
    expect(refused.status).toBe(401);
    expect(refused.text).not.toContain(wrongKey);
  });

  it("key-echo: every FORM echoes the key in a 403 (found by the tests' scanner) but never as is; 401 does not", async () => {
    for (const form of ECHO_FORM_NAMES) {
      const target = await start({ faults: { 'key-echo': form } });
      const key = createKey(target, { scopes: ['agents:read'] });
      const denied = await get(target, key.secret, '/v1/resources');
      expect(denied.status, form).toBe(403);
      expect(denied.headers.get('content-type'), form).toMatch(/^text\/plain/);
      expect(denied.text, form).not.toContain(key.secret);
      expect(findSecrets([key.secret], { texts: { body: denied.text } }), form).toEqual(['body']);
      const wrongKey = `${key.secret.slice(0, -1)}${key.secret.endsWith('Z') ? 'Y' : 'Z'}`;
      expect((await get(target, wrongKey)).status).toBe(401);
    }
    expect(() => parseFaultArgs(['key-echo=rot47'])).toThrow(/one of upper, lower/);
  });

  it('key-echo-header: every HEADER carries the key as it is on a 403, the body stays the JSON error; 401 does not', async () => {
    for (const header of ECHO_HEADER_NAMES) {
      const target = await start({ faults: { 'key-echo-header': header } });
      const key = createKey(target, { scopes: ['agents:read'] });
      const denied = await get(target, key.secret, '/v1/resources');
      expect(denied.status, header).toBe(403);
      expect(denied.headers.get(header), header).toContain(key.secret);
      expect(denied.text, header).not.toContain(key.secret);
      const wrongKey = `${key.secret.slice(0, -1)}${key.secret.endsWith('Z') ? 'Y' : 'Z'}`;
      const refused = await get(target, wrongKey);
      expect(refused.status).toBe(401);
      expect([...refused.headers.values()].join('\n')).not.toContain(wrongKey);
    }
    expect(() => parseFaultArgs(['key-echo-header=x-api-key'])).toThrow(/one of www-authenticate, x-debug-key, set-cookie/);
  });

  it('refusal-echo: the 401 for an unknown key quotes it in PLACE (body or challenge); no other 401 or 403 quotes anything', async () => {
    for (const place of ['body', 'header'] as const) {
      const target = await start({ faults: { 'refusal-echo': place } });
      const key = createKey(target, { scopes: ['agents:read'] });
      const nearMiss = `${key.secret.slice(0, -1)}${key.secret.endsWith('Z') ? 'Y' : 'Z'}`;
      const refused = await get(target, nearMiss);
      expect(refused.status, place).toBe(401);
      const challenge = refused.headers.get('www-authenticate') ?? '';
      if (place === 'body') {
        expect((refused.json as { error: { message: string } }).error.message).toBe(`The API key ${nearMiss} is not valid.`);
        expect(challenge).not.toContain(nearMiss);
      } else {
        expect(challenge).toContain(`error_description="the key ${nearMiss} is not valid"`);
        expect(refused.text).not.toContain(nearMiss);
      }
      // Another scheme, no credential, a key refused for another reason, a denial: nothing quoted.
      const basic = `Basic ${Buffer.from(`${key.secret}:`).toString('base64')}`;
      for (const answer of [
        await call(target, 'GET', '/v1/agents', { authorization: basic }),
        await call(target, 'GET', '/v1/agents'),
        await get(target, key.secret, '/v1/resources'),
      ]) {
        expect(answer.status).not.toBe(200);
        expect(findSecrets([key.secret], { texts: { body: answer.text, ...Object.fromEntries(answer.headers) } }), place).toEqual([]);
      }
      target.disableKey(key.id);
      const disabled = await get(target, key.secret);
      expect(disabled.status).toBe(401);
      expect(findSecrets([key.secret], { texts: { body: disabled.text, ...Object.fromEntries(disabled.headers) } })).toEqual([]);
    }
    expect(() => parseFaultArgs(['refusal-echo=cookie'])).toThrow(/one of body, header/);
  });

  it('with no fault on, no 401/403/404/429 body carries the key, its hash or a stack trace', async () => {
    const target = await start({ defaultRateLimit: { limit: 3, windowSeconds: 1 } });
    const key = createKey(target, { scopes: ['agents:read'] });
    const hash = createHash('sha256').update(key.secret).digest('hex');
    stillClock(); // the last two answers must fall in one rate window
    const answers = [
      await get(target, key.secret, '/v1/resources'),
      await get(target, key.secret, '/v1/none'),
      await get(target, `${key.secret}x`),
      await get(target, key.secret),
      await get(target, key.secret),
    ];
    expect(answers.map((a) => a.status)).toEqual([403, 404, 401, 200, 429]);
    for (const answer of answers) {
      expect(answer.text).not.toContain(hash);
      expect(answer.text).not.toMatch(STACK_LINE);
      expect(answer.text).not.toMatch(/key_scopes|res-internal-ledger/);
    }
  });
});

describe('server-error-on-bad-key', () => {
  it.each(['Bearer !!!', 'Bearer hello world', 'Bearer ', 'Basic dXNlcjpwYXNz', 'kp_prod_bare'])(
    '%j: 500 with a stack trace',
    async (authorization) => {
      const target = await start({ faults: { 'server-error-on-bad-key': true } });
      const answer = await call(target, 'GET', '/v1/agents', { authorization });
      expect(answer.status).toBe(500);
      expect(answer.text).toMatch(STACK_LINE);
    },
  );

  it('a key-shaped unknown key is still 401, no key still 401, a valid key 200', async () => {
    const target = await start({ faults: { 'server-error-on-bad-key': true } });
    const { secret } = createKey(target);
    expect((await get(target, `kp_prod_${'A'.repeat(32)}`)).status).toBe(401);
    expect((await get(target, secret.toUpperCase())).status).toBe(401);
    expect((await call(target, 'GET', '/v1/agents')).status).toBe(401);
    expect((await get(target, secret)).status).toBe(200);
  });
});

describe('query-key-accepted', () => {
  it('accepts ?api_key= when there is no Authorization header; the header wins when present', async () => {
    const target = await start({ faults: { 'query-key-accepted': true } });
    const { secret } = createKey(target);
    expect((await call(target, 'GET', `/v1/agents?api_key=${secret}`)).status).toBe(200);
    expect((await call(target, 'GET', '/v1/agents?api_key=kp_prod_nope')).json.error.code).toBe('invalid_key');
    expect((await call(target, 'GET', `/v1/agents?api_key=${secret}`, { key: 'kp_prod_nope' })).status).toBe(401);
  });
});
