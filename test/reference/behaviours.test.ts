// Platform behaviours of the reference target (not faults: ways real key
// systems legitimately differ), over real HTTP on loopback.
import { describe, expect, it } from 'vitest';
import { BEHAVIOURS, parseBehaviourArgs, type ReferenceTarget } from '../../src/reference/index.js';
import { admin, call, createKey, createKeyViaAdmin, sleep, start } from './helpers.js';

/** Waits until just after a cache refresh of `target` (revocation-cache on), so a revocation now stays cached for almost a whole period. */
async function justAfterRefresh(target: ReferenceTarget): Promise<void> {
  const probe = createKey(target, { name: 'phase-probe' });
  target.deleteKey(probe.id);
  const boundary = target.revocations().at(-1)!.refusedFrom;
  await sleep(boundary - Date.now() + 20);
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
    await justAfterRefresh(target);
    const key = createKey(target);
    target.deleteKey(key.id);
    const { at, refusedFrom } = target.revocations().at(-1)!;
    expect(refusedFrom - at).toBeGreaterThan(300);
    expect(refusedFrom - at).toBeLessThanOrEqual(400);
    expect((await call(target, 'GET', '/v1/agents', { key: key.secret })).status).toBe(200);
    await sleep(refusedFrom - Date.now() + 20);
    const after = await call(target, 'GET', '/v1/agents', { key: key.secret });
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe('invalid_key');
  });

  it('a disabled key and an expired key too; a new or re-enabled key works at once', async () => {
    const target = await start({ behaviours: { 'revocation-cache': 400 } });
    await justAfterRefresh(target);
    const disabled = createKey(target);
    const expiring = createKey(target, { expiresInSeconds: 0.05 });
    target.disableKey(disabled.id);
    await sleep(80);
    expect((await call(target, 'GET', '/v1/agents', { key: disabled.secret })).status).toBe(200);
    expect((await call(target, 'GET', '/v1/agents', { key: expiring.secret })).status).toBe(200);
    const fresh = createKey(target);
    expect((await call(target, 'GET', '/v1/agents', { key: fresh.secret })).status).toBe(200);
    await sleep(target.revocations().at(-1)!.refusedFrom - Date.now() + 20);
    expect((await call(target, 'GET', '/v1/agents', { key: disabled.secret })).json.error.code).toBe('disabled');
    expect((await call(target, 'GET', '/v1/agents', { key: expiring.secret })).json.error.code).toBe('expired');
    target.enableKey(disabled.id);
    expect((await call(target, 'GET', '/v1/agents', { key: disabled.secret })).status).toBe(200);
  });

  it('adds to the revocation-delay fault, which holds a delete back as it does a disable', async () => {
    const target = await start({ faults: { 'revocation-delay': 150 } });
    const key = createKey(target);
    target.deleteKey(key.id);
    expect(target.revocations().at(-1)!.refusedFrom - target.revocations().at(-1)!.at).toBe(150);
    expect((await call(target, 'GET', '/v1/agents', { key: key.secret })).status).toBe(200);
    await sleep(170);
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
