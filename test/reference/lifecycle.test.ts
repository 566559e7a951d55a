import { describe, expect, it } from 'vitest';
import { admin, call, createKey, createKeyViaAdmin, later, rememberSecret, start, stillClock } from './helpers.js';

// The target's clock stands still in the tests that prove a deadline (stillClock
// in helpers.ts): what they prove is the order (accepted before the deadline,
// refused after it), which a loaded machine must not blur by taking longer than
// the deadline for the first call; the timing itself is the timing project's
// (test/detection).

describe('expiry', () => {
  it('a key works until expiresInSeconds, then 401 expired', async () => {
    const target = await start();
    stillClock();
    const key = createKey(target, { expiresInSeconds: 0.3 });
    expect((await call(target, 'GET', '/v1/agents', { key: key.secret })).status).toBe(200);
    later(350);
    const answer = await call(target, 'GET', '/v1/agents', { key: key.secret });
    expect(answer.status).toBe(401);
    expect(answer.json.error.code).toBe('expired');
    expect(answer.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('expiresAt in the past makes an already-expired key', async () => {
    const target = await start();
    const key = createKey(target, { expiresAt: '2020-01-01T00:00:00Z' });
    expect(key.expiresAt).toBe('2020-01-01T00:00:00.000Z');
    expect((await call(target, 'GET', '/v1/agents', { key: key.secret })).json.error.code).toBe('expired');
  });
});

describe('rotation', () => {
  it('the new secret works at once; the old one until the grace period ends', async () => {
    const target = await start();
    stillClock();
    const key = createKey(target);
    const rotated = await admin(target, 'POST', `/keys/${key.id}/rotate`, { body: { gracePeriodSeconds: 0.3 } });
    expect(rotated.status).toBe(200);
    rememberSecret(rotated.json.secret);
    expect(rotated.json).toMatchObject({
      id: key.id,
      secret: expect.stringMatching(/^kp_prod_/),
      previousSecretValidUntil: expect.any(String),
    });
    expect(rotated.json.secret).not.toBe(key.secret);
    expect((await call(target, 'GET', '/v1/agents', { key: rotated.json.secret })).status).toBe(200);
    expect((await call(target, 'GET', '/v1/agents', { key: key.secret })).status).toBe(200);
    later(350);
    const old = await call(target, 'GET', '/v1/agents', { key: key.secret });
    expect(old.status).toBe(401);
    expect(old.json.error.code).toBe('rotated');
    expect((await call(target, 'GET', '/v1/agents', { key: rotated.json.secret })).status).toBe(200);
  });

  it('without a grace period the old secret dies at once; a second rotation retires the first new one', async () => {
    const target = await start();
    const key = createKey(target);
    const first = target.rotateKey(key.id)!;
    rememberSecret(first.secret);
    expect((await call(target, 'GET', '/v1/agents', { key: key.secret })).status).toBe(401);
    const second = target.rotateKey(key.id)!;
    rememberSecret(second.secret);
    expect((await call(target, 'GET', '/v1/agents', { key: first.secret })).status).toBe(401);
    expect((await call(target, 'GET', '/v1/agents', { key: second.secret })).status).toBe(200);
  });

  it('a bad grace period is 400; an unknown key is 404', async () => {
    const target = await start();
    const key = createKey(target);
    expect((await admin(target, 'POST', `/keys/${key.id}/rotate`, { body: { gracePeriodSeconds: -1 } })).status).toBe(400);
    expect((await admin(target, 'POST', '/keys/key_000000000000/rotate')).status).toBe(404);
  });
});

describe('disable, enable, delete', () => {
  it('disable refuses the key at once (401 disabled); enable restores it', async () => {
    const target = await start();
    const key = createKey(target);
    const disabled = await admin(target, 'POST', `/keys/${key.id}/disable`);
    expect(disabled.status).toBe(200);
    expect(disabled.json.enabled).toBe(false);
    const answer = await call(target, 'GET', '/v1/agents', { key: key.secret });
    expect(answer.status).toBe(401);
    expect(answer.json.error.code).toBe('disabled');
    const enabled = await admin(target, 'POST', `/keys/${key.id}/enable`);
    expect(enabled.json.enabled).toBe(true);
    expect((await call(target, 'GET', '/v1/agents', { key: key.secret })).status).toBe(200);
  });

  it('a disabled key stays refused on every request (no flapping by default)', async () => {
    const target = await start();
    const key = createKey(target);
    target.disableKey(key.id);
    const statuses = await Promise.all(Array.from({ length: 15 }, () => call(target, 'GET', '/v1/agents', { key: key.secret })));
    expect(new Set(statuses.map((s) => s.status))).toEqual(new Set([401]));
  });

  it('delete: 204, then the key is unknown (401 invalid_key) and gone from the list', async () => {
    const target = await start();
    const created = await createKeyViaAdmin(target, { name: 'crm-prod-agent', scopes: ['agents:read'] });
    const { id, secret } = created.json;
    expect((await admin(target, 'DELETE', `/keys/${id}`)).status).toBe(204);
    expect((await call(target, 'GET', '/v1/agents', { key: secret })).json.error.code).toBe('invalid_key');
    expect((await admin(target, 'GET', `/keys/${id}`)).status).toBe(404);
    expect((await admin(target, 'DELETE', `/keys/${id}`)).status).toBe(404);
    expect(target.listKeys()).toEqual([]);
  });

  it('lastUsedAt is set by an accepted request', async () => {
    const target = await start();
    const key = createKey(target);
    expect(target.getKey(key.id)!.lastUsedAt).toBeNull();
    await call(target, 'GET', '/v1/agents', { key: key.secret });
    expect(Date.parse(target.getKey(key.id)!.lastUsedAt!)).toBeGreaterThan(Date.now() - 5000);
  });
});
