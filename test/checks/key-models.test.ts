// Real key models (issue #18), request-phase checks, over loopback HTTP:
// rejection statuses that mean what the profile says, environment isolation
// judged by data where keys select their environment, and the query-key
// check creating its own canary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../src/config/profile-schema.js';
import { startReferenceTarget, type CreateKeyInput, type ReferenceTarget } from '../../src/reference/index.js';
import { findSecrets } from '../helpers/scan.js';
import { json, startServer, type TestServer } from '../http/servers.js';
import { runOne } from './run-one.js';

const VALID = `kp_prod_${'v'.repeat(32)}`;

describe('rejection.statuses means what the profile says', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Serves the valid key; answers every other credential with 400, as Tyk does for a deleted key.
    server = await startServer((req, res) => {
      if (req.headers.authorization === `Bearer ${VALID}`) json(res, 200, { agents: [] });
      else json(res, 400, { error: 'bad key' });
    });
  });
  afterAll(() => server.close());

  const input = (rejection?: { statuses: number[] }): ProfileInput =>
    ({
      key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: VALID },
      target: { origin: server.origin },
      allowed: ['GET /v1/agents'],
      ...(rejection ? { rejection } : {}),
    }) as ProfileInput;

  it('an explicit [401] is not widened: 400 for an invalid or a near-miss key fails', async () => {
    for (const id of ['auth.invalid-key-rejected', 'auth.near-miss-key-rejected']) {
      const r = await runOne(id, input({ statuses: [401] }));
      expect({ id, verdict: r.verdict }).toEqual({ id, verdict: 'fail' });
      expect(r.message).toMatch(/400 Bad Request, expected 401 Unauthorized/);
    }
  });

  it('the default [400, 401, 403] (written in the profile reference) accepts 400', async () => {
    for (const id of ['auth.invalid-key-rejected', 'auth.near-miss-key-rejected']) {
      const r = await runOne(id, input());
      expect({ id, verdict: r.verdict, message: r.message }).toMatchObject({ id, verdict: 'pass' });
      expect(r.message).toMatch(/one of 400, 401, 403/);
    }
  });

  // The server answers 400 to a request with no credential too.
  it('a missing key answered 400 fails under the default list (its 400 is for malformed keys; RFC 9110 wants 401)', async () => {
    const r = await runOne('auth.missing-key-rejected', input());
    expect(r.verdict, r.message).toBe('fail');
    expect(r.message).toMatch(/^expected one of 401, 403 without a key; GET \/v1\/agents answered 400 Bad Request/);
  });

  it('a missing key answered 400 passes, with the RFC 9110 advisory, where the profile writes 400 into its list', async () => {
    const r = await runOne('auth.missing-key-rejected', input({ statuses: [400, 401] }));
    expect(r.verdict, r.message).toBe('pass');
    expect(r.advisories.join(' ')).toMatch(/refused with 400 Bad Request: RFC 9110 §15\.5\.2 expects 401 Unauthorized/);
  });
});

describe('env.foreign-environment-key-rejected where keys select their environment', () => {
  const SCOPES = ['agents:read', 'agents:call'];
  let target: ReferenceTarget;
  const made: string[] = [];
  const key = (input: Partial<CreateKeyInput> = {}) => {
    const k = target.createKey({ name: 'crm-prod-agent-call', scopes: SCOPES, ...input });
    made.push(k.secret);
    return k;
  };
  beforeAll(async () => {
    target = await startReferenceTarget({
      behaviours: { 'keys-select-environment': true },
      defaultRateLimit: { limit: 1000, windowSeconds: 1 },
    });
  });
  afterAll(() => target.close());

  const input = (isolation?: Record<string, unknown>): ProfileInput =>
    ({
      key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: key().secret },
      target: { origin: target.origin, environment: 'prod' },
      allowed: ['GET /v1/agents'],
      otherEnvironments: [
        { environment: 'test', name: 'crm-test-agent-call', secret: key({ name: 'crm-test-agent-call', environment: 'test' }).secret },
      ],
      ...(isolation ? { environmentIsolation: isolation } : {}),
    }) as ProfileInput;

  const SIGNALS = {
    environmentField: { environmentField: 'environment' },
    markers: { markers: ['invoice-extractor'] },
    onlyHere: { onlyHere: 'GET /v1/agents/agt-billing' },
  };

  it('one-environment-per-origin stays the default: a served foreign key fails, as the profile says it must be refused', async () => {
    const r = await runOne('env.foreign-environment-key-rejected', input());
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(/test key crm-test-agent-call → 200 OK: the credential was accepted/);
    expect(r.measurements.isolation).toBe('by origin');
  });

  it.each(Object.entries(SIGNALS))(
    "with selectedBy: key and %s, a foreign key served only its own environment's data passes, saying so",
    async (_name, signal) => {
      const r = await runOne('env.foreign-environment-key-rejected', input({ selectedBy: 'key', ...signal }));
      expect(r.verdict, r.message).toBe('pass');
      expect(r.message).toMatch(/test key crm-test-agent-call was served, but only its own environment's data \(/);
      expect(r.message).toMatch(
        /environment is "test", not "prod"|this environment's marker "invoice-extractor" does not appear in it|GET \/v1\/agents\/agt-billing, which exists only in this environment, answered 404 Not Found/,
      );
      expect(r.measurements.isolation).toBe('by data (the key selects its environment)');
      expect(findSecrets(made, { texts: { r: JSON.stringify(r) } })).toEqual([]);
    },
  );

  it.each(Object.entries(SIGNALS))(
    "with selectedBy: key and %s, a foreign key that sees this environment's data fails, saying which data (cross-environment fault)",
    async (_name, signal) => {
      target.setFault('cross-environment');
      try {
        const r = await runOne('env.foreign-environment-key-rejected', input({ selectedBy: 'key', ...signal }));
        expect(r.verdict).toBe('fail');
        expect(r.message).toMatch(/test key crm-test-agent-call was served this prod environment's data: /);
        expect(r.message).toMatch(
          /environment is "prod", as for this environment's own key|marker "invoice-extractor" appears in it|GET \/v1\/agents\/agt-billing, which exists only in this environment, answered 200 OK/,
        );
      } finally {
        target.clearFault('cross-environment');
      }
    },
  );

  it('with selectedBy: key a refused foreign key still passes (a target that keeps one environment per origin)', async () => {
    target.clearBehaviour('keys-select-environment');
    try {
      const r = await runOne('env.foreign-environment-key-rejected', input({ selectedBy: 'key', ...SIGNALS.environmentField }));
      expect(r.verdict).toBe('pass');
      expect(r.message).toMatch(/test key crm-test-agent-call was refused with 401 Unauthorized/);
    } finally {
      target.setBehaviour('keys-select-environment');
    }
  });

  it("gives `error` when a signal does not tell this environment's own data apart, never a pass on it", async () => {
    const noMarker = await runOne('env.foreign-environment-key-rejected', input({ selectedBy: 'key', markers: ['no-such-record'] }));
    expect(noMarker.verdict).toBe('error');
    expect(noMarker.message).toMatch(
      /marker "no-such-record" does not appear in what this environment's own key is served on GET \/v1\/agents/,
    );
    const noField = await runOne('env.foreign-environment-key-rejected', input({ selectedBy: 'key', environmentField: 'meta.env' }));
    expect(noField.verdict).toBe('error');
    expect(noField.message).toMatch(/has no value at "meta.env"/);
    const notHere = await runOne(
      'env.foreign-environment-key-rejected',
      input({ selectedBy: 'key', onlyHere: 'GET /v1/agents/agt-nowhere' }),
    );
    expect(notHere.verdict).toBe('error');
    expect(notHere.message).toMatch(/answered 404 Not Found for this environment's own key/);
  });
});

describe('auth.key-in-query-rejected creates its own canary where the adapter can', () => {
  let target: ReferenceTarget;
  const made: string[] = [];
  beforeAll(async () => {
    target = await startReferenceTarget({ defaultRateLimit: { limit: 1000, windowSeconds: 1 } });
    made.push(target.adminToken);
  });
  afterAll(() => target.close());

  const input = (extra: Record<string, unknown> = {}): ProfileInput => {
    const k = target.createKey({ name: 'crm-prod-agent-call', scopes: ['agents:read'] });
    made.push(k.secret);
    return {
      key: {
        name: 'crm-prod-agent-call',
        system: 'crm',
        environment: 'prod',
        purpose: 'agent-call',
        secret: k.secret,
        scopes: ['agents:read'],
      },
      target: { origin: target.origin },
      allowed: ['GET /v1/agents'],
      lifecycle: {
        adapter: 'http',
        http: {
          credential: { secret: target.adminToken },
          create: { method: 'POST', path: '/admin/keys', body: { name: '{{name}}', scopes: '{{scopes}}' } },
          delete: 'DELETE /admin/keys/{{id}}',
        },
      },
      ...extra,
    } as ProfileInput;
  };

  it('with create and delete and no declared canary: creates one, sends it in the query, deletes it', async () => {
    const r = await runOne('auth.key-in-query-rejected', input());
    expect(r.verdict, r.message).toBe('pass');
    expect(r.message).toMatch(
      /^the canary key \(created canary keyprobe-canary-[0-9a-f]+\) works in the Authorization header and was refused as \?api_key=/,
    );
    expect(r.lifecycleActions?.map((a) => `${a.action} ${a.outcome}`)).toEqual(['create done', 'delete done']);
    expect(target.listKeys().filter((k) => k.name.startsWith('keyprobe-canary-'))).toEqual([]);
    expect(findSecrets(made, { texts: { r: JSON.stringify(r) } })).toEqual([]);
  });

  it('prefers a created canary over a declared one, and fails when the target accepts it in the query (query-key-accepted)', async () => {
    const declared = target.createKey({ name: 'declared-canary', scopes: ['agents:read'] });
    made.push(declared.secret);
    target.setFault('query-key-accepted');
    try {
      const r = await runOne('auth.key-in-query-rejected', input({ canary: { secret: declared.secret, name: 'declared-canary' } }));
      expect(r.verdict).toBe('fail');
      expect(r.message).toMatch(/the canary key was accepted: \?api_key= answered 200 OK/);
      expect(r.lifecycleActions?.map((a) => a.action)).toEqual(['create', 'delete']);
    } finally {
      target.clearFault('query-key-accepted');
    }
  });

  it('uses a declared canary where the adapter cannot create one, and skips with the reason when there is neither', async () => {
    const declared = target.createKey({ name: 'declared-canary', scopes: ['agents:read'] });
    made.push(declared.secret);
    const noCreate = input({ canary: { secret: declared.secret, name: 'declared-canary' } });
    delete (noCreate.lifecycle as { http: { create?: unknown } }).http.create;
    const r = await runOne('auth.key-in-query-rejected', noCreate);
    expect(r.verdict, r.message).toBe('pass');
    expect(r.message).toMatch(/declared canary declared-canary/);
    const neither = input();
    delete (neither.lifecycle as { http: { create?: unknown } }).http.create;
    const s = await runOne('auth.key-in-query-rejected', neither);
    expect(s.verdict).toBe('skip');
    expect(s.message).toMatch(/no canary key: declare one under `canary:`.*the http lifecycle adapter needs a create action/);
  });
});
