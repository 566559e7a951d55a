// The reference target's platform behaviours (not faults: ways real key
// platforms legitimately differ), over raw loopback HTTP: each does what real
// platforms do (docs/reference-target.md), is listed in the docs, validates
// its value, and can be switched at start, through the management API and
// from the command line (where `keyprobe demo` declares it in the profile).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BEHAVIOURS,
  BEHAVIOUR_NAMES,
  BehaviourError,
  isBehaviourName,
  normalizeBehaviourSettings,
  parseBehaviourArgs,
  type ReferenceTarget,
} from '../../src/reference/index.js';
import { parseDocument } from 'yaml';
import { loadProfile } from '../../src/config/load-profile.js';
import { declareBehaviours } from '../../src/demo/declare.js';
import { startDemo } from '../../src/demo/seed.js';
import { DEMO_PROFILE } from '../../src/paths.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { admin, call, createKey, createKeyViaAdmin, later, start, stillClock } from './helpers.js';

// The tests of a deadline or a count inside a window (cache refreshes, revocation
// delays, 1 s rate windows) hold the target's clock still (stillClock) and step
// it: what they prove is the order, which a busy machine would blur by taking
// longer than the 80–400 ms between the steps.

/** Moves the still clock to just after a cache refresh of `target` (revocation-cache on), so a revocation now stays cached for almost a whole period. */
function justAfterRefresh(target: ReferenceTarget): void {
  const probe = createKey(target, { name: 'phase-probe' });
  target.deleteKey(probe.id);
  const boundary = target.revocations().at(-1)!.refusedFrom;
  later(boundary - Date.now() + 20);
}

describe('keys-select-environment', () => {
  it("serves a key of another environment only that environment's data; the target's own key sees its own", async () => {
    const target = await start({ behaviours: { 'keys-select-environment': true } });
    const prod = createKey(target);
    const test = createKey(target, { name: 'crm-test-agent', environment: 'test' });

    const own = await call(target, 'GET', '/v1/agents', { key: prod.secret });
    expect(own.status).toBe(200);
    expect(own.json.environment).toBe('prod');
    expect(own.text).toContain('invoice-extractor');

    const foreign = await call(target, 'GET', '/v1/agents', { key: test.secret });
    expect(foreign.status).toBe(200);
    expect(foreign.json.environment).toBe('test');
    expect(foreign.text).not.toContain('invoice-extractor');
    expect(foreign.json.agents.map((a: { id: string }) => a.id)).toEqual(['agt-support', 'agt-test-sandbox']);
    expect((await call(target, 'GET', '/v1/agents/agt-billing', { key: test.secret })).status).toBe(404);
    expect((await call(target, 'GET', '/v1/agents/agt-billing', { key: prod.secret })).status).toBe(200);
  });

  it("with the cross-environment fault the foreign key is served this environment's data (the defect)", async () => {
    const target = await start({ behaviours: { 'keys-select-environment': true }, faults: { 'cross-environment': true } });
    const test = createKey(target, { name: 'crm-test-agent', environment: 'test' });
    const foreign = await call(target, 'GET', '/v1/agents', { key: test.secret });
    expect(foreign.json.environment).toBe('prod');
    expect(foreign.text).toContain('invoice-extractor');
  });

  it('is off by default: a foreign key is refused with wrong_environment', async () => {
    const target = await start();
    const test = createKey(target, { name: 'crm-test-agent', environment: 'test' });
    const answer = await call(target, 'GET', '/v1/agents', { key: test.secret });
    expect(answer.status).toBe(401);
    expect(answer.json.error.code).toBe('wrong_environment');
  });
});

describe('delete-only', () => {
  it('the management API creates and deletes keys but has no disable or enable', async () => {
    const target = await start({ behaviours: { 'delete-only': true } });
    const created = await createKeyViaAdmin(target, { name: 'crm-prod-canary', scopes: ['agents:read'] });
    expect(created.status).toBe(201);
    expect((await admin(target, 'POST', `/keys/${created.json.id}/disable`)).status).toBe(404);
    expect((await admin(target, 'POST', `/keys/${created.json.id}/enable`)).status).toBe(404);
    expect((await call(target, 'GET', '/v1/agents', { key: created.json.secret })).status).toBe(200);
    expect((await admin(target, 'DELETE', `/keys/${created.json.id}`)).status).toBe(204);
    expect((await call(target, 'GET', '/v1/agents', { key: created.json.secret })).status).toBe(401);
  });
});

describe('revocation-cache', () => {
  it('a deleted key keeps working until the next cache refresh, then is refused', async () => {
    const target = await start({ behaviours: { 'revocation-cache': 400 } });
    stillClock();
    justAfterRefresh(target);
    const key = createKey(target);
    target.deleteKey(key.id);
    const { at, refusedFrom } = target.revocations().at(-1)!;
    expect(refusedFrom - at).toBeGreaterThan(300);
    expect(refusedFrom - at).toBeLessThanOrEqual(400);
    expect((await call(target, 'GET', '/v1/agents', { key: key.secret })).status).toBe(200);
    later(refusedFrom - Date.now() + 20);
    const after = await call(target, 'GET', '/v1/agents', { key: key.secret });
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe('invalid_key');
  });

  it('a disabled key and an expired key too; a new or re-enabled key works at once', async () => {
    const target = await start({ behaviours: { 'revocation-cache': 400 } });
    stillClock();
    justAfterRefresh(target);
    const disabled = createKey(target);
    const expiring = createKey(target, { expiresInSeconds: 0.05 });
    target.disableKey(disabled.id);
    later(80);
    expect((await call(target, 'GET', '/v1/agents', { key: disabled.secret })).status).toBe(200);
    expect((await call(target, 'GET', '/v1/agents', { key: expiring.secret })).status).toBe(200);
    const fresh = createKey(target);
    expect((await call(target, 'GET', '/v1/agents', { key: fresh.secret })).status).toBe(200);
    later(target.revocations().at(-1)!.refusedFrom - Date.now() + 20);
    expect((await call(target, 'GET', '/v1/agents', { key: disabled.secret })).json.error.code).toBe('disabled');
    expect((await call(target, 'GET', '/v1/agents', { key: expiring.secret })).json.error.code).toBe('expired');
    target.enableKey(disabled.id);
    expect((await call(target, 'GET', '/v1/agents', { key: disabled.secret })).status).toBe(200);
  });

  it('adds to the revocation-delay fault, which holds a delete back as it does a disable', async () => {
    const target = await start({ faults: { 'revocation-delay': 150 } });
    stillClock();
    const key = createKey(target);
    target.deleteKey(key.id);
    expect(target.revocations().at(-1)!.refusedFrom - target.revocations().at(-1)!.at).toBe(150);
    expect((await call(target, 'GET', '/v1/agents', { key: key.secret })).status).toBe(200);
    later(170);
    expect((await call(target, 'GET', '/v1/agents', { key: key.secret })).status).toBe(401);
    target.setBehaviour('revocation-cache', 1000);
    const e = target.revocations().at(-1)!;
    expect(e.refusedFrom).toBeGreaterThanOrEqual(e.at + 150);
    expect(e.refusedFrom).toBeLessThanOrEqual(e.at + 150 + 1000);
  });
});

describe('revocation faults apply to a delete as to a disable (a delete-only platform has nothing else)', () => {
  it('revocation-flap: after a delete the first request is refused, then stale nodes serve the key again', async () => {
    const target = await start({ behaviours: { 'delete-only': true }, faults: { 'revocation-flap': 0.3 } });
    const key = createKey(target);
    target.deleteKey(key.id);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await call(target, 'GET', '/v1/agents', { key: key.secret })).status);
    expect(statuses[0]).toBe(401);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
  });
});

describe('switching behaviours', () => {
  it('at start, on the command line and through the management API; bad names and values are refused with the valid ones', async () => {
    expect(parseBehaviourArgs(['delete-only', 'revocation-cache=1500'])).toEqual({ 'delete-only': true, 'revocation-cache': 1500 });
    expect(parseBehaviourArgs(['revocation-cache'])).toEqual({ 'revocation-cache': 60_000 });
    expect(() => parseBehaviourArgs(['revocation-cache=soon'])).toThrow(/expected a whole number of milliseconds/);
    expect(() => parseBehaviourArgs(['delete-only=1'])).toThrow(/takes no value/);
    expect(() => parseBehaviourArgs(['read-only'])).toThrow(/Valid behaviours: keys-select-environment, delete-only, revocation-cache=MS/);
    expect(BEHAVIOURS.every((b) => b.description && b.seenIn && b.truthfulProfile)).toBe(true);

    const target = await start();
    const put = await admin(target, 'PUT', '/behaviours/revocation-cache', { body: { value: 250 } });
    expect(put.status).toBe(200);
    expect(put.json.behaviours).toEqual({ 'revocation-cache': 250 });
    expect(target.behaviours()).toEqual({ 'revocation-cache': 250 });
    const bad = await admin(target, 'PUT', '/behaviours/teleport');
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_behaviour');
    expect((await admin(target, 'DELETE', '/behaviours')).json.behaviours).toEqual({});
    await expect(start({ behaviours: { 'revocation-cache': -1 } })).rejects.toThrow(/at least 1/);
  });
});

describe('BEHAVIOURS', () => {
  it('lists each behaviour with what it does, how a profile declares it and where it is seen', () => {
    expect(BEHAVIOUR_NAMES).toEqual([
      'keys-select-environment',
      'delete-only',
      'revocation-cache',
      'client-rate-limit',
      'throttled-admin',
      'slow-success',
      'missing-key-403',
    ]);
    for (const b of BEHAVIOURS) {
      expect(b.description.length).toBeGreaterThan(20);
      expect(b.seenIn.length).toBeGreaterThan(10);
      expect(b.truthfulProfile.length).toBeGreaterThan(3);
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
      /Unknown behaviour "polite". Valid behaviours: keys-select-environment, delete-only, revocation-cache=MS, client-rate-limit=N, throttled-admin=N, slow-success=MS, missing-key-403$/,
    );
    expect(() => parseBehaviourArgs(['client-rate-limit=0'])).toThrow(BehaviourError);
    expect(() => parseBehaviourArgs(['slow-success=fast'])).toThrow(/expected a whole number of milliseconds/);
    expect(() => parseBehaviourArgs(['missing-key-403=1'])).toThrow(/takes no value/);
    expect(normalizeBehaviourSettings({ 'missing-key-403': false, 'throttled-admin': 3 })).toEqual({ 'throttled-admin': 3 });
  });
});

describe('declaring behaviours in the demo profile (src/demo/declare.ts)', () => {
  it('says in the profile what each behaviour needs said, and the profile still loads; behaviours that need nothing change nothing', async () => {
    const demo = await startDemo([], 'prod', 0, [...BEHAVIOUR_NAMES]);
    const tmp = tempDir('keyprobe-declare-');
    try {
      const text = readFileSync(DEMO_PROFILE, 'utf8');
      const doc = parseDocument(text);
      const declared = declareBehaviours(doc, demo.target.behaviours());
      expect(declared.map((d) => /\(behaviour ([a-z0-9-]+)\)$/.exec(d)![1])).toEqual([
        'keys-select-environment',
        'delete-only',
        'revocation-cache',
        'client-rate-limit',
      ]);
      const { profile } = loadProfile(tmp.file('profile.yaml', doc.toString()), demo.env);
      expect(profile.environmentIsolation).toMatchObject({ selectedBy: 'key', environmentField: 'environment' });
      const http = profile.lifecycle!.adapter === 'http' ? profile.lifecycle!.http : undefined;
      expect(http?.disable).toBeUndefined();
      expect(http?.enable).toBeUndefined();
      expect(http?.delete).toBeDefined();
      expect(profile.lifecycle!.revocationBudgetMs).toBe(60_250);
      expect(profile.lifecycle!.maxRevocationWaitMs).toBe(240_000);
      expect(profile.rateLimit).toMatchObject({ scope: 'client', limit: 20 });
      // Comments and ${env:…} references are kept.
      expect(doc.toString()).toContain('# The demo profile:');
      expect(doc.toString()).toContain('${env:KEYPROBE_DEMO_KEY}');
      for (const name of ['throttled-admin', 'slow-success', 'missing-key-403'] as const) {
        const untouched = parseDocument(text);
        expect(declareBehaviours(untouched, { [name]: BEHAVIOURS.find((b) => b.name === name)!.defaultValue ?? true }), name).toEqual([]);
        expect(untouched.toString(), name).toBe(parseDocument(text).toString());
      }
    } finally {
      tmp.cleanup();
      await demo.target.close();
    }
  });
});

describe('platform behaviours over HTTP', () => {
  it('client-rate-limit: one limiter per client address counts every request — no key, bad key, other keys, /admin — and answers 429 before authentication', async () => {
    const t = await start({ behaviours: { 'client-rate-limit': 4 } });
    stillClock();
    const a = createKey(t);
    const b = createKey(t);
    expect((await call(t, 'GET', '/v1/agents', { key: a.secret })).status).toBe(200);
    expect((await call(t, 'GET', '/v1/agents')).status).toBe(401);
    expect((await admin(t, 'GET', '/keys')).status).toBe(200);
    const last = await call(t, 'GET', '/v1/agents', { key: `kp_prod_${randomBytes(16).toString('hex')}` });
    expect(last.status).toBe(401);
    expect(last.headers.get('ratelimit')).toBe('"default";r=0;t=1');
    // The fifth request of the window, with another, valid key: throttled before its key is even looked at.
    const throttled = await call(t, 'GET', '/v1/agents', { key: b.secret });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(throttled.headers.get('ratelimit-policy')).toBe('"default";q=4;w=1');
    expect((await admin(t, 'GET', '/keys')).status).toBe(429);
    expect(t.stats().throttled).toBe(1);
    later(1000);
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
    stillClock();
    const k = createKey(t);
    expect((await admin(t, 'GET', '/keys')).status).toBe(200);
    expect((await admin(t, 'POST', `/keys/${k.id}/disable`)).status).toBe(200);
    const third = await admin(t, 'POST', `/keys/${k.id}/enable`);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('1');
    // Refused, so not done: the key is still disabled.
    expect(t.getKey(k.id)?.enabled).toBe(false);
    expect((await call(t, 'GET', '/v1/agents', { key: k.secret })).status).toBe(401);
    later(1000);
    expect((await admin(t, 'POST', `/keys/${k.id}/enable`)).status).toBe(200);
    // Management throttles are not data-plane requests in the stats.
    expect(t.stats().throttled).toBe(0);
  });

  it('slow-success: served answers are held back, refusals and 429s are not', async () => {
    const t = await start({ behaviours: { 'slow-success': 150 }, defaultRateLimit: { limit: 1, windowSeconds: 1 } });
    stillClock(); // the 429 must fall in the success's window; the durations are performance.now(), not Date
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
    const bad = await call(t, 'GET', '/v1/agents', { key: `kp_prod_${randomBytes(16).toString('hex')}` });
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
    expect(run.stderr).toMatch(/Unknown behaviour "polite". Valid behaviours: keys-select-environment, .*client-rate-limit=N/);
  });
});
