// The request checks' verdicts beyond the detection matrix, each against the
// reference target on loopback: the cases where a check must fail, give
// `error` (it cannot verify) or pass with an advisory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../src/config/profile-schema.js';
import { startReferenceTarget, type CreateKeyInput, type ReferenceTarget } from '../../src/reference/index.js';
import { findSecrets } from '../helpers/scan.js';
import { json, startServer } from '../http/servers.js';
import { runOne } from './run-one.js';

const DAY = 86_400_000;
const SCOPES = ['agents:read', 'agents:call'];
let target: ReferenceTarget;
const made: string[] = [];

beforeAll(async () => {
  target = await startReferenceTarget({ defaultRateLimit: { limit: 1000, windowSeconds: 1 } });
});
afterAll(async () => {
  await target.close();
});

function newKey(input: Partial<CreateKeyInput> = {}) {
  const k = target.createKey({
    name: 'crm-prod-agent-call',
    scopes: SCOPES,
    owner: 'crm-team@example.com',
    expiresAt: new Date(Date.now() + 90 * DAY).toISOString(),
    ...input,
  });
  made.push(k.secret);
  return k;
}

function profile(secret: string, extra: Record<string, unknown> = {}, keyExtra: Record<string, unknown> = {}): ProfileInput {
  return {
    key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret, ...keyExtra },
    target: { origin: target.origin, environment: 'prod', introspection: { path: '/v1/keys/self' } },
    allowed: [
      { method: 'GET', path: '/v1/agents', scope: 'agents:read' },
      { method: 'POST', path: '/v1/agents/agt-support/calls', expect: 201, scope: 'agents:call' },
    ],
    ...extra,
  } as ProfileInput;
}

describe('governance.owner-and-expiry', () => {
  it('passes with the owner and expiry the platform reports, saying where they came from', async () => {
    const r = await runOne('governance.owner-and-expiry', profile(newKey().secret));
    expect(r.verdict).toBe('pass');
    expect(r.message).toMatch(/owned by crm-team@example.com; expires in 8\d days \(the introspected expiresAt\)/);
    expect(r.measurements.lifetimeMeasuredFrom).toBe('the introspected createdAt');
    expect(r.advisories.join(' ')).toMatch(/comes from introspection; declare it as key.owner/);
  });

  it('fails without any owner or expiry', async () => {
    const k = newKey({ owner: undefined, expiresAt: undefined });
    const r = await runOne('governance.owner-and-expiry', profile(k.secret));
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(/no owner is declared/);
    expect(r.message).toMatch(/no expiry is declared .* would live forever/);
  });

  it('fails an owner who is not a custodian, and an expiry in the past', async () => {
    const k = newKey();
    const r = await runOne(
      'governance.owner-and-expiry',
      profile(k.secret, { governance: { custodians: ['security@example.com'] } }, { owner: 'intern@example.com', expires: '2020-01-01' }),
    );
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(/owner intern@example.com is not one of the custodians \(security@example.com\)/);
    expect(r.message).toMatch(/expired on 2020-01-01 \(key.expires\)/);
  });

  it('measures the lifetime from today when the creation date is unknown, and says so', async () => {
    const k = newKey();
    const input = profile(k.secret, {}, { owner: 'crm-team@example.com', expires: new Date(Date.now() + 400 * DAY).toISOString() });
    delete (input.target as { introspection?: unknown }).introspection;
    const r = await runOne('governance.owner-and-expiry', input);
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(/expires 40\d days after today \(the creation date is unknown\), beyond the maximum lifetime of 365 days/);
  });

  it('flags a rotation due soon as an advisory, not a failure', async () => {
    const k = newKey({ expiresAt: new Date(Date.now() + 10 * DAY).toISOString() });
    const r = await runOne('governance.owner-and-expiry', profile(k.secret));
    expect(r.verdict).toBe('pass');
    expect(r.advisories.join(' ')).toMatch(/rotation is due: the key expires in (9|10) days \(within the 30-day warning\)/);
  });
});

describe('privilege.least-privilege', () => {
  it('fails a wildcard key from introspection even when the declaration looks narrow', async () => {
    const k = newKey({ scopes: ['*'] });
    const r = await runOne('privilege.least-privilege', profile(k.secret, {}, { scopes: SCOPES }));
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(/introspected from GET \/v1\/keys\/self\) also holds wildcard scope \*/);
    expect(r.advisories.join(' ')).toMatch(/declared scopes \(agents:read, agents:call\) differ from the platform's \(\*\)/);
  });

  it('uses the declared scopes without introspection, and names wildcards, admin scopes and the excess', async () => {
    const input = profile(newKey().secret, {}, { scopes: ['agents:read', 'agents:call', 'workflows:*', 'keys:manage', 'reports:read'] });
    delete (input.target as { introspection?: unknown }).introspection;
    const r = await runOne('privilege.least-privilege', input);
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(
      /key \(declared in key.scopes\) also holds wildcard scope workflows:\*; admin\/management scope keys:manage; scope no allowed resource needs: reports:read/,
    );
    expect(r.measurements).toMatchObject({ scopeSource: 'declared in key.scopes', excessScopes: 3 });
  });

  it('skips with the reason when the granted scopes are unknown', async () => {
    const input = profile(newKey().secret);
    delete (input.target as { introspection?: unknown }).introspection;
    const r = await runOne('privilege.least-privilege', input);
    expect(r).toMatchObject({ verdict: 'skip', message: expect.stringMatching(/granted scopes are unknown/) });
  });
});

describe('env.key-matches-environment', () => {
  it('fails a test key on a production target, naming the marker and never the secret', async () => {
    target.setFault('cross-environment');
    try {
      const k = newKey({ name: 'crm-prod-agent-call', environment: 'test' });
      const r = await runOne('env.key-matches-environment', profile(k.secret));
      expect(r.verdict).toBe('fail');
      expect(r.message).toMatch(/the secret starts with the test marker "kp_test_"/);
      expect(r.message).toMatch(/the platform reports environment "test"/);
      expect(r.measurements.secretMarker).toBe('kp_test_');
      expect(findSecrets(made, { texts: { r: JSON.stringify(r) } })).toEqual([]);
    } finally {
      target.clearFault('cross-environment');
    }
  });

  it('fails a live marker on a non-production target', async () => {
    const test = await startReferenceTarget({ environment: 'test' });
    try {
      const k = test.createKey({ name: 'crm-test-agent-call', scopes: SCOPES });
      const input = profile(`sk_live_${k.secret.slice(8)}`, {}, { name: 'crm-test-agent-call', environment: 'test' });
      (input.target as { origin: string; environment: string }).origin = test.origin;
      (input.target as { environment: string }).environment = 'test';
      delete (input.target as { introspection?: unknown }).introspection;
      const r = await runOne('env.key-matches-environment', input);
      expect(r.verdict).toBe('fail');
      expect(r.message).toMatch(/the secret starts with the prod marker "sk_live_"/);
    } finally {
      await test.close();
    }
  });
});

describe('naming.key-name-convention', () => {
  it('suggests the conventional name, and a placeholder for a generic purpose', async () => {
    const r1 = await runOne('naming.key-name-convention', profile(newKey({ name: 'CRM key' }).secret, {}, { name: 'CRM key' }));
    expect(r1.verdict).toBe('fail');
    expect(r1.message).toMatch(/expected crm-prod-agent-call$/);
    const r2 = await runOne(
      'naming.key-name-convention',
      profile(newKey({ name: 'crm-prod-general' }).secret, {}, { name: 'crm-prod-general', purpose: 'general' }),
    );
    expect(r2.verdict).toBe('fail');
    expect(r2.message).toMatch(/purpose "general" is generic.*expected crm-prod-<what-the-key-does>/);
  });

  it('fails when the platform knows the key by another name', async () => {
    const r = await runOne('naming.key-name-convention', profile(newKey({ name: 'temp' }).secret));
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(/the platform knows the key as "temp", not "crm-prod-agent-call"/);
  });
});

describe('checks that cannot verify give `error`, not a verdict on the key', () => {
  it('near-miss: the real key itself is refused', async () => {
    const k = newKey();
    target.disableKey(k.id);
    const r = await runOne('auth.near-miss-key-rejected', profile(k.secret));
    expect(r.verdict).toBe('error');
    expect(r.message).toMatch(/the real key itself answered 401 .* a refused near miss would prove nothing/);
  });

  it('key-in-query: the canary itself is refused', async () => {
    const canary = newKey();
    target.disableKey(canary.id);
    const r = await runOne('auth.key-in-query-rejected', profile(newKey().secret, { canary: { secret: canary.secret, name: 'c' } }));
    expect(r.verdict).toBe('error');
    expect(r.message).toMatch(/the canary key \(declared canary c\) answered 401/);
  });

  it('key-in-query: the resource is served without any key, so the query key cannot be told apart', async () => {
    target.setFault('anonymous-access');
    target.setFault('query-key-accepted');
    try {
      const r = await runOne('auth.key-in-query-rejected', profile(newKey().secret, { canary: { secret: newKey().secret } }));
      expect(r.verdict).toBe('error');
      expect(r.message).toMatch(/served without any credential/);
    } finally {
      target.clearFaults();
    }
  });

  it("key-in-query: never uses the profile's own key as the canary", async () => {
    const k = newKey();
    const r = await runOne('auth.key-in-query-rejected', profile(k.secret, { canary: { secret: k.secret } }));
    expect(r.verdict).toBe('error');
    expect(r.message).toMatch(/canary is the profile's own key/);
  });

  it('invalid-key and authz: a target answering 500 to everyone is an outage (error), not a crash on bad keys (fail)', async () => {
    const broken = await startServer((_req, res) => json(res, 500, { error: 'database unavailable' }));
    try {
      const input = {
        ...profile('kp_prod_'.padEnd(40, 'y')),
        target: { origin: broken.origin },
        denied: ['POST /v1/agents'],
      } as ProfileInput;
      const invalid = await runOne('auth.invalid-key-rejected', input);
      expect(invalid.verdict).toBe('error');
      expect(invalid.message).toMatch(/500 Internal Server Error with the valid key too: the target is failing/);
      const authz = await runOne('authz.unauthorized-resource-denied', input);
      expect(authz.verdict).toBe('error');
    } finally {
      await broken.close();
    }
  });
});
