import { describe, expect, it } from 'vitest';
import { FAULT_NAMES } from '../../src/reference/index.js';
import { admin, call, createKey, createKeyViaAdmin, start, stillClock } from './helpers.js';

describe('management API auth', () => {
  it.each([
    ['no token', undefined],
    ['wrong token', 'Bearer not-the-admin-token'],
    ['an API key', 'api-key'],
  ])('%s: 401', async (_label, authorization) => {
    const target = await start({ adminToken: 'admin-secret-token' });
    const key = createKey(target, { scopes: ['*', 'admin'] });
    const header = authorization === 'api-key' ? `Bearer ${key.secret}` : authorization;
    const answer = await call(target, 'GET', '/admin/keys', header === undefined ? {} : { authorization: header });
    expect(answer.status).toBe(401);
    expect(answer.json.error.code).toBe('invalid_admin_token');
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="keyprobe-reference-admin"');
    expect(answer.text).not.toContain('admin-secret-token');
  });

  it('a generated admin token is random and works', async () => {
    const a = await start();
    const b = await start();
    expect(a.adminToken).not.toBe(b.adminToken);
    expect(a.adminToken.length).toBeGreaterThanOrEqual(32);
    expect((await admin(a, 'GET', '/keys')).status).toBe(200);
  });
});

describe('management API: keys', () => {
  it('POST /admin/keys creates a key that works; GET lists records without secret or hash', async () => {
    const target = await start();
    const created = await createKeyViaAdmin(target, {
      name: 'crm-prod-agent-call',
      scopes: ['agents:call'],
      owner: 'team-crm',
      expiresInSeconds: 3600,
      rateLimit: { limit: 5, windowSeconds: 1 },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: expect.stringMatching(/^key_[0-9a-f]{12}$/),
      name: 'crm-prod-agent-call',
      environment: 'prod',
      scopes: ['agents:call'],
      owner: 'team-crm',
      enabled: true,
      lastUsedAt: null,
      rateLimit: { limit: 5, windowSeconds: 1 },
      secret: expect.stringMatching(/^kp_prod_[A-Za-z0-9]{32}$/),
    });
    expect((await call(target, 'POST', '/v1/agents/agt-support/calls', { key: created.json.secret })).status).toBe(201);

    const list = await admin(target, 'GET', '/keys');
    expect(list.status).toBe(200);
    expect(list.json.keys).toHaveLength(1);
    const record = list.json.keys[0];
    expect(Object.keys(record).sort()).toEqual(
      ['createdAt', 'enabled', 'environment', 'expiresAt', 'id', 'lastUsedAt', 'name', 'owner', 'rateLimit', 'scopes'].sort(),
    );
    expect(record.lastUsedAt).not.toBeNull();
    expect(Date.parse(record.expiresAt) - Date.parse(record.createdAt)).toBeGreaterThan(3590_000);
    expect(list.text).not.toMatch(/[0-9a-f]{64}/); // no sha256 hex either

    const one = await admin(target, 'GET', `/keys/${created.json.id}`);
    expect(one.json).toEqual(record);
    expect(target.listKeys()).toEqual(list.json.keys);
  });

  it.each([
    [{ scopes: [] }, /name/],
    [{ name: 'x' }, /scopes/],
    [{ name: 'x', scopes: 'agents:read' }, /scopes/],
    [{ name: 'x', scopes: [], environment: 'Prod' }, /environment/],
    [{ name: 'x', scopes: [], expiresInSeconds: -5 }, /expiresInSeconds/],
    [{ name: 'x', scopes: [], expiresAt: 'tomorrow' }, /expiresAt/],
    [{ name: 'x', scopes: [], expiresAt: '2030-01-01T00:00:00Z', expiresInSeconds: 5 }, /not both/],
    [{ name: 'x', scopes: [], rateLimit: { limit: 'many' } }, /rateLimit/],
    [[1, 2], /object/],
  ])('invalid create body %j: 400 naming the field', async (body, message) => {
    const target = await start();
    const answer = await admin(target, 'POST', '/keys', { body });
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe('invalid_request');
    expect(answer.json.error.message).toMatch(message);
  });

  it('bad JSON is 400 invalid_json; an oversized body is 400 body_too_large; the server keeps serving', async () => {
    const target = await start();
    const bad = await admin(target, 'POST', '/keys', { rawBody: '{"name": ' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_json');
    const huge = await admin(target, 'POST', '/keys', { rawBody: JSON.stringify({ name: 'x'.repeat(200_000), scopes: [] }) });
    expect(huge.status).toBe(400);
    expect(huge.json.error.code).toBe('body_too_large');
    expect((await admin(target, 'GET', '/keys')).status).toBe(200);
  });

  it('unknown management routes and ids are 404; a malformed path is 400', async () => {
    const target = await start();
    expect((await admin(target, 'GET', '/nothing')).status).toBe(404);
    expect((await admin(target, 'GET', '/keys/key_000000000000')).status).toBe(404);
    expect((await admin(target, 'POST', '/keys/key_000000000000/disable')).status).toBe(404);
    expect((await admin(target, 'PATCH', '/keys')).status).toBe(404);
    expect((await admin(target, 'GET', '/keys/%E0%A4%A')).status).toBe(400);
  });
});

describe('management API: faults', () => {
  it('lists, switches on (default and given value), switches off one and all', async () => {
    const target = await start();
    expect((await admin(target, 'GET', '/faults')).json).toEqual({ faults: {}, available: [...FAULT_NAMES] });
    expect((await admin(target, 'PUT', '/faults/no-rate-limit')).json.faults).toEqual({ 'no-rate-limit': true });
    expect((await admin(target, 'PUT', '/faults/revocation-delay', { body: {} })).json.faults['revocation-delay']).toBe(2000);
    expect((await admin(target, 'PUT', '/faults/revocation-delay', { body: { value: 300 } })).json.faults['revocation-delay']).toBe(300);
    expect((await admin(target, 'PUT', '/faults/scope-bypass', { body: { value: '/v1/agents' } })).json.faults['scope-bypass']).toBe(
      '/v1/agents',
    );
    expect(target.faults()).toEqual({ 'no-rate-limit': true, 'revocation-delay': 300, 'scope-bypass': '/v1/agents' });
    expect((await admin(target, 'DELETE', '/faults/no-rate-limit')).json.faults).toEqual({
      'revocation-delay': 300,
      'scope-bypass': '/v1/agents',
    });
    expect((await admin(target, 'DELETE', '/faults')).json.faults).toEqual({});
  });

  it('an unknown fault is 400 listing the valid ones; a bad value is 400', async () => {
    const target = await start();
    const unknown = await admin(target, 'PUT', '/faults/make-it-fast');
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.code).toBe('invalid_fault');
    for (const name of FAULT_NAMES) expect(unknown.json.error.message).toContain(name);
    const bad = await admin(target, 'PUT', '/faults/revocation-flap', { body: { value: 7 } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/ratio between 0.05 and 1/);
    expect((await admin(target, 'PUT', '/faults/no-rate-limit', { body: { value: 5 } })).status).toBe(400);
    expect((await admin(target, 'PUT', '/faults/no-rate-limit', { body: [1] })).status).toBe(400);
    expect((await admin(target, 'PUT', '/faults/no-rate-limit', { rawBody: '{' })).status).toBe(400);
    expect((await admin(target, 'DELETE', '/faults/make-it-fast')).status).toBe(400);
    expect(target.faults()).toEqual({});
  });
});

describe('request counters', () => {
  it('count every non-admin request: total, per key, anonymous, throttled; admin requests are not counted', async () => {
    const target = await start({ defaultRateLimit: { limit: 2, windowSeconds: 1 } });
    const a = createKey(target);
    const b = createKey(target, { environment: 'test' });
    stillClock(); // a's three calls in one rate window, however slow the machine
    for (let i = 0; i < 3; i++) await call(target, 'GET', '/v1/agents', { key: a.secret }); // 2 ok + 1 throttled
    await call(target, 'GET', '/v1/agents', { key: b.secret }); // refused, wrong environment: still b's
    await call(target, 'GET', '/v1/agents'); // anonymous
    await call(target, 'GET', '/v1/agents', { key: 'kp_prod_unknown' }); // matches no key
    await call(target, 'GET', '/healthz');
    await admin(target, 'GET', '/keys');
    const expected = { requests: 7, byKey: { [a.id]: 3, [b.id]: 1 }, anonymous: 1, throttled: 1 };
    expect(target.stats()).toEqual(expected);
    expect((await admin(target, 'GET', '/stats')).json).toEqual(expected);

    target.resetStats();
    expect(target.stats()).toEqual({ requests: 0, byKey: {}, anonymous: 0, throttled: 0 });
    await call(target, 'GET', '/healthz');
    expect((await admin(target, 'DELETE', '/stats')).status).toBe(204);
    expect(target.stats().requests).toBe(0);
  });
});
