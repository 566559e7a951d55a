import { describe, expect, it } from 'vitest';
import { call, createKey, start } from './helpers.js';

const KEY_PATTERN = /^kp_prod_[A-Za-z0-9]{32}$/;

/** Every route, the scope it needs, and the status it answers when allowed. */
const ROUTES = [
  { method: 'GET', path: '/v1/agents', scope: 'agents:read', ok: 200 },
  { method: 'GET', path: '/v1/agents/agt-support', scope: 'agents:read', ok: 200 },
  { method: 'POST', path: '/v1/agents', scope: 'agents:write', ok: 201 },
  { method: 'POST', path: '/v1/agents/agt-support/calls', scope: 'agents:call', ok: 201 },
  { method: 'GET', path: '/v1/workflows', scope: 'workflows:read', ok: 200 },
  { method: 'GET', path: '/v1/workflows/wf-nightly/runs', scope: 'workflows:read', ok: 200 },
  { method: 'POST', path: '/v1/workflows/wf-nightly/runs', scope: 'workflows:run', ok: 201 },
  { method: 'GET', path: '/v1/resources', scope: 'resources:read', ok: 200 },
  { method: 'POST', path: '/v1/resources', scope: 'resources:admin', ok: 201 },
  { method: 'DELETE', path: '/v1/resources/res-docs', scope: 'resources:admin', ok: 204 },
] as const;

describe('keys', () => {
  it('have the kp_<env>_ + 32 base62 shape and are unique', async () => {
    const target = await start();
    const a = createKey(target);
    const b = createKey(target);
    expect(a.secret).toMatch(KEY_PATTERN);
    expect(b.secret).not.toBe(a.secret);
    expect(a.id).toMatch(/^key_[0-9a-f]{12}$/);
    expect(createKey(target, { environment: 'test' }).secret).toMatch(/^kp_test_[A-Za-z0-9]{32}$/);
  });
});

describe('routes and scopes', () => {
  it('GET /healthz needs no key', async () => {
    const target = await start();
    const answer = await call(target, 'GET', '/healthz');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: 'ok' });
  });

  it.each(ROUTES)('$method $path answers $ok with scope $scope and 403 without it', async ({ method, path, scope, ok }) => {
    const target = await start();
    const allowed = createKey(target, { scopes: [scope] });
    const other = createKey(target, { scopes: ROUTES.map((r) => r.scope).filter((s) => s !== scope) });
    const denied = await call(target, method, path, { key: other.secret });
    expect(denied.status).toBe(403);
    expect(denied.json).toEqual({ error: { code: 'insufficient_scope', required: scope, message: expect.any(String) } });
    expect(denied.text).not.toMatch(/\bat .*:\d+:\d+/); // no stack trace
    const granted = await call(target, method, path, { key: allowed.secret, body: method === 'POST' ? {} : undefined });
    expect(granted.status).toBe(ok);
  });

  it.each(['*', 'admin'])('scope %s grants every route', async (scope) => {
    const target = await start();
    const key = createKey(target, { scopes: [scope] });
    for (const { method, path, ok } of ROUTES) {
      expect((await call(target, method, path, { key: key.secret })).status, `${method} ${path}`).toBe(ok);
    }
  });

  it('serves real data: created agents can be read and called, runs listed, resources deleted', async () => {
    const target = await start();
    const key = createKey(target, { scopes: ['*'] });
    const created = await call(target, 'POST', '/v1/agents', { key: key.secret, body: { name: 'crm-sync' } });
    expect(created.json).toMatchObject({ name: 'crm-sync', id: expect.stringMatching(/^agt-/) });
    expect((await call(target, 'GET', `/v1/agents/${created.json.id}`, { key: key.secret })).json.name).toBe('crm-sync');
    const agentCall = await call(target, 'POST', `/v1/agents/${created.json.id}/calls`, { key: key.secret, body: { input: 'hi' } });
    expect(agentCall.json).toMatchObject({ agentId: created.json.id, status: 'queued' });
    const run = await call(target, 'POST', '/v1/workflows/wf-nightly/runs', { key: key.secret });
    const runs = await call(target, 'GET', '/v1/workflows/wf-nightly/runs', { key: key.secret });
    expect(runs.json.runs).toEqual([run.json]);
    expect((await call(target, 'DELETE', '/v1/resources/res-ledger', { key: key.secret })).status).toBe(204);
    expect((await call(target, 'DELETE', '/v1/resources/res-ledger', { key: key.secret })).status).toBe(404);
    const resources = await call(target, 'GET', '/v1/resources', { key: key.secret });
    expect(resources.json.resources.map((r: { id: string }) => r.id)).toEqual(['res-docs']);
  });

  it('unknown ids are 404 and unknown routes are 404 with a valid key', async () => {
    const target = await start();
    const key = createKey(target, { scopes: ['*'] });
    expect((await call(target, 'GET', '/v1/agents/agt-nope', { key: key.secret })).status).toBe(404);
    expect((await call(target, 'POST', '/v1/agents/agt-nope/calls', { key: key.secret })).status).toBe(404);
    expect((await call(target, 'GET', '/v1/workflows/wf-nope/runs', { key: key.secret })).status).toBe(404);
    const unknown = await call(target, 'GET', '/v1/nothing-here', { key: key.secret });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('not_found');
  });

  it('a known path with the wrong method is 405 with Allow', async () => {
    const target = await start();
    const key = createKey(target, { scopes: ['*'] });
    const answer = await call(target, 'PUT', '/v1/agents', { key: key.secret });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET, POST');
  });

  it('an unknown route without a key is 401, not 404', async () => {
    const target = await start();
    expect((await call(target, 'GET', '/v1/nothing-here')).status).toBe(401);
  });

  it('bad JSON on an API route is 400', async () => {
    const target = await start();
    const key = createKey(target, { scopes: ['*'] });
    const answer = await call(target, 'POST', '/v1/agents', { key: key.secret, rawBody: '{nope' });
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe('invalid_json');
  });
});

describe('authentication answers', () => {
  it('no credential: 401 missing_key with a bare Bearer challenge', async () => {
    const target = await start();
    const answer = await call(target, 'GET', '/v1/agents');
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="keyprobe-reference"');
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.json).toEqual({ error: { code: 'missing_key', message: expect.any(String) } });
  });

  it.each([
    ['random text', 'Bearer hello-world'],
    ['punctuation', 'Bearer !!!'],
    ['empty bearer', 'Bearer '],
    ['unknown key-shaped', `Bearer kp_prod_${'A'.repeat(32)}`],
    ['wrong scheme', 'Basic dXNlcjpwYXNz'],
    ['bare key without scheme', `kp_prod_${'A'.repeat(32)}`],
  ])('%s: 401 invalid_key with an invalid_token challenge', async (_label, authorization) => {
    const target = await start();
    createKey(target);
    const answer = await call(target, 'GET', '/v1/agents', { authorization });
    expect(answer.status).toBe(401);
    expect(answer.json.error.code).toBe('invalid_key');
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="keyprobe-reference", error="invalid_token"');
  });

  it('near misses of a real key are refused', async () => {
    const target = await start();
    const { secret } = createKey(target);
    const flip = (c: string) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase());
    const last = secret.at(-1)!;
    const misses = [
      secret.slice(0, -1),
      secret.slice(0, 20),
      secret.slice(0, -1) + (last === 'A' ? 'B' : 'A'),
      `${secret}x`,
      secret.toUpperCase(),
      [...secret].map(flip).join(''),
      ` ${secret}x`,
    ];
    for (const miss of misses) {
      expect((await call(target, 'GET', '/v1/agents', { key: miss })).status, miss.length.toString()).toBe(401);
    }
    expect((await call(target, 'GET', '/v1/agents', { key: secret })).status).toBe(200);
  });

  it('a key in ?api_key= is ignored: 401', async () => {
    const target = await start();
    const { secret } = createKey(target);
    const answer = await call(target, 'GET', `/v1/agents?api_key=${secret}`);
    expect(answer.status).toBe(401);
    expect(answer.json.error.code).toBe('missing_key');
  });

  it('the Bearer scheme is case-insensitive (RFC 9110 §11.1)', async () => {
    const target = await start();
    const { secret } = createKey(target);
    expect((await call(target, 'GET', '/v1/agents', { authorization: `bearer ${secret}` })).status).toBe(200);
  });
});

describe('introspection: GET /v1/keys/self', () => {
  it('answers the key record for any valid key, never the secret or hash', async () => {
    const target = await start();
    const key = createKey(target, { name: 'crm-prod-agent-call', scopes: ['agents:call'], owner: 'team-crm', expiresInSeconds: 3600 });
    const answer = await call(target, 'GET', '/v1/keys/self', { key: key.secret });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      id: key.id,
      name: 'crm-prod-agent-call',
      environment: 'prod',
      scopes: ['agents:call'],
      owner: 'team-crm',
      expiresAt: key.expiresAt,
      createdAt: key.createdAt,
    });
    expect(answer.text).not.toMatch(/[0-9a-f]{64}/);
  });

  it('needs a key', async () => {
    const target = await start();
    expect((await call(target, 'GET', '/v1/keys/self')).status).toBe(401);
  });
});

describe('environments', () => {
  it('a key of another environment is refused with 401 wrong_environment', async () => {
    const target = await start({ environment: 'prod' });
    const foreign = createKey(target, { environment: 'test', scopes: ['*'] });
    const answer = await call(target, 'GET', '/v1/agents', { key: foreign.secret });
    expect(answer.status).toBe(401);
    expect(answer.json.error.code).toBe('wrong_environment');
    expect(answer.headers.get('www-authenticate')).toContain('Bearer realm="keyprobe-reference"');
  });

  it('a target serving "test" accepts test keys and refuses prod keys', async () => {
    const target = await start({ environment: 'test' });
    const testKey = createKey(target, { scopes: ['*'] });
    expect(testKey.environment).toBe('test');
    expect(testKey.secret.startsWith('kp_test_')).toBe(true);
    const prodKey = createKey(target, { environment: 'prod', scopes: ['*'] });
    expect((await call(target, 'GET', '/v1/agents', { key: testKey.secret })).status).toBe(200);
    expect((await call(target, 'GET', '/v1/agents', { key: prodKey.secret })).status).toBe(401);
  });

  it('rejects a bad environment name at start and at key creation', async () => {
    await expect(start({ environment: 'Prod-1' })).rejects.toThrow(/lower-case letters/);
    const target = await start();
    expect(() => target.createKey({ name: 'x', scopes: [], environment: 'PROD' })).toThrow(/environment/);
  });
});
