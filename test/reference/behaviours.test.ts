// The reference target's platform behaviours, over raw loopback HTTP: each
// does what real platforms do (docs/reference-target.md), is listed in the
// docs, validates its value, and can be switched at start, through the
// management API and from the command line.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BEHAVIOURS,
  BEHAVIOUR_NAMES,
  BehaviourError,
  isBehaviourName,
  normalizeBehaviourSettings,
  parseBehaviourArgs,
} from '../../src/reference/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { admin, call, createKey, sleep, start } from './helpers.js';

describe('BEHAVIOURS', () => {
  it('lists each behaviour with what it does, how a profile declares it and where it is seen', () => {
    expect(BEHAVIOUR_NAMES).toEqual(['client-rate-limit', 'throttled-admin', 'slow-success', 'missing-key-403']);
    for (const b of BEHAVIOURS) {
      expect(b.description.length).toBeGreaterThan(20);
      expect(b.seenIn.length).toBeGreaterThan(10);
      expect(b.declare.length).toBeGreaterThan(3);
      expect(b.takesValue).toBe(b.defaultValue !== undefined);
      expect(Object.isFrozen(b)).toBe(true);
    }
    expect(isBehaviourName('slow-success')).toBe(true);
    expect(isBehaviourName('no-rate-limit')).toBe(false);
  });

  it('are all in the docs table', () => {
    const doc = readFileSync(new URL('../../docs/reference-target.md', import.meta.url), 'utf8');
    for (const b of BEHAVIOURS)
      expect(
        doc.split('\n').some((line) => line.startsWith(`| \`${b.name}\``)),
        b.name,
      ).toBe(true);
  });

  it('parses NAME and NAME=VALUE with defaults, and refuses unknown names and bad values naming what would do', () => {
    expect(parseBehaviourArgs(['client-rate-limit', 'missing-key-403', 'slow-success=20'])).toEqual({
      'client-rate-limit': 20,
      'missing-key-403': true,
      'slow-success': 20,
    });
    expect(() => parseBehaviourArgs(['polite'])).toThrow(
      /Unknown behaviour "polite". Valid behaviours: client-rate-limit=N, throttled-admin=N/,
    );
    expect(() => parseBehaviourArgs(['client-rate-limit=0'])).toThrow(BehaviourError);
    expect(() => parseBehaviourArgs(['slow-success=fast'])).toThrow(/expected a whole number of milliseconds/);
    expect(() => parseBehaviourArgs(['missing-key-403=1'])).toThrow(/takes no value/);
    expect(normalizeBehaviourSettings({ 'missing-key-403': false, 'throttled-admin': 3 })).toEqual({ 'throttled-admin': 3 });
  });
});

describe('platform behaviours over HTTP', () => {
  it('client-rate-limit: one limiter per client address counts every request — no key, bad key, other keys, /admin — and answers 429 before authentication', async () => {
    const t = await start({ behaviours: { 'client-rate-limit': 4 } });
    const a = createKey(t);
    const b = createKey(t);
    expect((await call(t, 'GET', '/v1/agents', { key: a.secret })).status).toBe(200);
    expect((await call(t, 'GET', '/v1/agents')).status).toBe(401);
    expect((await admin(t, 'GET', '/keys')).status).toBe(200);
    const last = await call(t, 'GET', '/v1/agents', { key: 'kp_prod_notakeyatall1234567890' });
    expect(last.status).toBe(401);
    expect(last.headers.get('ratelimit')).toBe('"default";r=0;t=1');
    // The fifth request of the window, with another, valid key: throttled before its key is even looked at.
    const throttled = await call(t, 'GET', '/v1/agents', { key: b.secret });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(throttled.headers.get('ratelimit-policy')).toBe('"default";q=4;w=1');
    expect((await admin(t, 'GET', '/keys')).status).toBe(429);
    expect(t.stats().throttled).toBe(1);
    await sleep(1100);
    expect((await call(t, 'GET', '/v1/agents', { key: b.secret })).status).toBe(200);
  });

  it('client-rate-limit replaces the per-key limiter, and the no-rate-limit fault switches it off too', async () => {
    const t = await start({ behaviours: { 'client-rate-limit': 50 }, defaultRateLimit: { limit: 2, windowSeconds: 1 } });
    const k = createKey(t);
    for (let i = 0; i < 5; i++) expect((await call(t, 'GET', '/v1/agents', { key: k.secret })).status).toBe(200);
    t.setBehaviour('client-rate-limit', 2);
    t.setFault('no-rate-limit');
    for (let i = 0; i < 5; i++) expect((await call(t, 'GET', '/v1/agents', { key: k.secret })).status).toBe(200);
  });

  it('throttled-admin: the management API allows N calls per second per address, then 429 with Retry-After; the data plane is not affected', async () => {
    const t = await start({ behaviours: { 'throttled-admin': 2 } });
    const k = createKey(t);
    expect((await admin(t, 'GET', '/keys')).status).toBe(200);
    expect((await admin(t, 'POST', `/keys/${k.id}/disable`)).status).toBe(200);
    const third = await admin(t, 'POST', `/keys/${k.id}/enable`);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('1');
    // Refused, so not done: the key is still disabled.
    expect(t.getKey(k.id)?.enabled).toBe(false);
    expect((await call(t, 'GET', '/v1/agents', { key: k.secret })).status).toBe(401);
    await sleep(1100);
    expect((await admin(t, 'POST', `/keys/${k.id}/enable`)).status).toBe(200);
    // Management throttles are not data-plane requests in the stats.
    expect(t.stats().throttled).toBe(0);
  });

  it('slow-success: served answers are held back, refusals and 429s are not', async () => {
    const t = await start({ behaviours: { 'slow-success': 150 }, defaultRateLimit: { limit: 1, windowSeconds: 1 } });
    const k = createKey(t);
    const timed = async (key?: string) => {
      const t0 = performance.now();
      const res = await call(t, 'GET', '/v1/agents', key ? { key } : {});
      return { status: res.status, ms: performance.now() - t0 };
    };
    const ok = await timed(k.secret);
    const throttled = await timed(k.secret);
    const refused = await timed();
    expect(ok.status).toBe(200);
    expect(ok.ms).toBeGreaterThanOrEqual(150);
    expect(throttled.status).toBe(429);
    expect(refused.status).toBe(401);
    // Both go out at once: faster than the held-back success whatever the machine's load.
    expect(throttled.ms).toBeLessThan(ok.ms);
    expect(refused.ms).toBeLessThan(ok.ms);
  });

  it('missing-key-403: no credential gets 403 without a challenge; a bad credential still gets 401', async () => {
    const t = await start({ behaviours: { 'missing-key-403': true } });
    const none = await call(t, 'GET', '/v1/agents');
    expect(none.status).toBe(403);
    expect(none.headers.get('www-authenticate')).toBeNull();
    expect(none.json.error.code).toBe('forbidden');
    const bad = await call(t, 'GET', '/v1/agents', { key: 'kp_prod_notakeyatall1234567890' });
    expect(bad.status).toBe(401);
  });

  it('switch at run time through the management API, which validates names and values', async () => {
    const t = await start();
    expect((await admin(t, 'GET', '/behaviours')).json).toEqual({ behaviours: {}, available: [...BEHAVIOUR_NAMES] });
    expect((await admin(t, 'PUT', '/behaviours/missing-key-403')).json.behaviours).toEqual({ 'missing-key-403': true });
    expect((await call(t, 'GET', '/v1/agents')).status).toBe(403);
    expect((await admin(t, 'PUT', '/behaviours/client-rate-limit', { body: { value: 30 } })).json.behaviours).toMatchObject({
      'client-rate-limit': 30,
    });
    const bad = await admin(t, 'PUT', '/behaviours/client-rate-limit', { body: { value: -1 } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_behaviour');
    expect((await admin(t, 'PUT', '/behaviours/polite')).json.error.message).toMatch(/Valid behaviours:/);
    expect((await admin(t, 'DELETE', '/behaviours/missing-key-403')).json.behaviours).toEqual({ 'client-rate-limit': 30 });
    expect((await admin(t, 'DELETE', '/behaviours')).json.behaviours).toEqual({});
    expect((await call(t, 'GET', '/v1/agents')).status).toBe(401);
  });

  it('keyprobe demo --behaviour: the demo profile declares the platform truthfully, says so, and the request phase passes', async () => {
    const tmp = tempDir('keyprobe-demo-behaviour-');
    try {
      const only = [
        'auth.valid-key-accepted',
        'auth.missing-key-rejected',
        'auth.key-in-query-rejected',
        'authz.unauthorized-resource-denied',
        'rate.per-key-isolation',
      ].join(',');
      const run = await runCli([
        'demo',
        '--behaviour',
        'client-rate-limit=30',
        '-b',
        'missing-key-403',
        '--only',
        only,
        '--out',
        tmp.dir,
        '--verbose',
      ]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/no faults, platform behaviours: client-rate-limit=30, missing-key-403/);
      expect(run.stdout).toMatch(
        /The demo profile declares rateLimit.scope: client and rateLimit.limit: 30 \(behaviour client-rate-limit\)/,
      );
      expect(run.stdout).toMatch(/SKIP\s+rate.per-key-isolation — the profile declares a per-client-address limiter/);
      expect(run.stdout).toMatch(/refused with 403 Forbidden: RFC 9110/);
    } finally {
      tmp.cleanup();
    }
  });

  it('the CLI refuses an unknown behaviour with the valid ones and exit 2', async () => {
    const run = await runCli(['demo', '--behaviour', 'polite']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Unknown behaviour "polite". Valid behaviours: client-rate-limit=N/);
  });
});
