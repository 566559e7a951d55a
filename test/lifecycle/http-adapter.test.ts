import { describe, expect, it } from 'vitest';
import { profileSchema } from '../../src/config/profile-schema.js';
import { InterruptedError } from '../../src/errors.js';
import { createLifecycleAdapter } from '../../src/lifecycle/index.js';
import type { ActionRecord } from '../../src/lifecycle/types.js';
import { findSecrets } from '../helpers/scan.js';
import { clientFor, fixture, referenceLifecycle, SCOPES, startTarget, type Fixture } from './helpers.js';

function adapterFor(f: Fixture, opts: { budget?: number; signal?: AbortSignal } = {}) {
  const { http, secrets, budget } = clientFor(f, opts);
  const records: ActionRecord[] = [];
  const signal = opts.signal ?? new AbortController().signal;
  const adapter = createLifecycleAdapter({ profile: f.profile, http, secrets, signal, interactive: false, env: {}, records })!;
  return { adapter, secrets, budget, records };
}

describe('http lifecycle adapter (against the reference target /admin API)', () => {
  it('creates a key with the same scopes, registers its secret at once, and drops placeholders without a value', async () => {
    const target = await startTarget();
    const f = fixture(target);
    const { adapter, secrets, records, budget } = adapterFor(f);
    const r = await adapter.create({ name: 'keyprobe-canary-t1', scopes: SCOPES, environment: 'prod', owner: 'crm@example.com' });
    expect(r.outcome).toBe('done');
    if (r.outcome !== 'done') return;
    expect(secrets.has(r.value.secret)).toBe(true);
    const stored = target.getKey(r.value.id!)!;
    expect(stored).toMatchObject({ name: 'keyprobe-canary-t1', scopes: SCOPES, owner: 'crm@example.com', expiresAt: null, enabled: true });
    expect(r.timing.returnedAt).toBeGreaterThanOrEqual(r.timing.startedAt);
    expect(budget.spent).toBe(1); // the management API is the target's origin: it counts
    // Evidence says what was done, never the new secret nor the admin token.
    expect(records[0]).toMatchObject({ action: 'create', adapter: 'http', outcome: 'done', detail: 'POST /admin/keys → 201' });
    expect(findSecrets([r.value.secret, target.adminToken], { texts: { records: JSON.stringify(records) } })).toEqual([]);
    // Of a create answer only its field names are kept: it holds the new secret.
    expect(records[0]!.output).toBe(
      'answer fields: id, name, environment, scopes[], owner, createdAt, expiresAt, lastUsedAt, enabled, rateLimit, secret',
    );
    expect(records[0]!.attempts).toEqual([{ status: 201 }]);

    const expiring = await adapter.create({ name: 'keyprobe-canary-t2', scopes: SCOPES, environment: 'prod', expiresInSeconds: 30 });
    expect(expiring.outcome === 'done' && target.getKey(expiring.value.id!)!.expiresAt).toBeTruthy();
  });

  it('disables, enables, rotates (with grace) and deletes by id', async () => {
    const target = await startTarget();
    const f = fixture(target);
    const { adapter, secrets } = adapterFor(f);
    const ref = { name: 'crm-prod-agent-call', id: f.key.id };
    expect((await adapter.disable(ref)).outcome).toBe('done');
    expect(target.getKey(f.key.id)!.enabled).toBe(false);
    expect((await adapter.enable(ref)).outcome).toBe('done');
    expect(target.getKey(f.key.id)!.enabled).toBe(true);
    const rotated = await adapter.rotate(ref, 5);
    expect(rotated.outcome).toBe('done');
    if (rotated.outcome === 'done') {
      expect(rotated.value.secret).not.toBe(f.key.secret);
      expect(secrets.has(rotated.value.secret)).toBe(true);
    }
    expect((await adapter.delete(ref)).outcome).toBe('done');
    expect(target.getKey(f.key.id)).toBeUndefined();
  });

  it('says what it cannot do, and why a request failed, without the admin token', async () => {
    const target = await startTarget();
    const lc = referenceLifecycle(target) as { http: Record<string, unknown> };
    delete lc.http.rotate;
    const f = fixture(target, { lifecycle: { ...lc, http: { ...lc.http, credential: { secret: 'not-the-admin-token' } } } });
    const { adapter, records } = adapterFor(f);
    expect(adapter.can('rotate')).toBe(false);
    expect(adapter.can('disable')).toBe(true);
    expect(await adapter.rotate({ name: 'x', id: 'key_1' }, 0)).toEqual({
      outcome: 'skipped',
      reason: 'the http lifecycle adapter has no "rotate" action in this profile',
    });
    const r = await adapter.disable({ name: 'crm-prod-agent-call', id: f.key.id });
    expect(r.outcome).toBe('failed');
    expect(r.outcome === 'failed' && r.reason).toMatch(/answered 401, expected a 2xx status/);
    expect(target.getKey(f.key.id)!.enabled).toBe(true);
    expect(JSON.stringify(records)).not.toContain('not-the-admin-token');
  });

  it('throws on interruption during a run, but its cleanup copy still works after Ctrl-C', async () => {
    const target = await startTarget();
    const f = fixture(target);
    const abort = new AbortController();
    const { adapter, records } = adapterFor(f, { signal: abort.signal });
    abort.abort('SIGINT');
    await expect(adapter.disable({ name: 'k', id: f.key.id })).rejects.toBeInstanceOf(InterruptedError);
    target.disableKey(f.key.id);
    const r = await adapter.forCleanup(2000).enable({ name: 'k', id: f.key.id });
    expect(r.outcome).toBe('done');
    expect(target.getKey(f.key.id)!.enabled).toBe(true);
    expect(records.at(-1)).toMatchObject({ action: 'enable', outcome: 'done', detached: true });
  });

  it('the profile schema takes the short form and refuses unknown placeholders, naming the field', () => {
    const base = {
      key: { name: 'a-b-c', system: 'a', environment: 'prod', purpose: 'c', secret: 's' },
      target: { origin: 'http://127.0.0.1:1' },
      allowed: ['GET /x'],
    };
    const ok = profileSchema.safeParse({ ...base, lifecycle: { adapter: 'http', http: { disable: 'POST /admin/keys/{{id}}/disable' } } });
    expect(ok.success && ok.data.lifecycle?.http?.disable).toEqual({ method: 'POST', path: '/admin/keys/{{id}}/disable' });
    const bad = profileSchema.safeParse({
      ...base,
      lifecycle: { adapter: 'http', http: { disable: 'POST /admin/keys/{{keyId}}/disable' } },
    });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.message).toMatch(/unknown placeholder \{\{keyId\}\}/);
    expect(bad.error!.issues[0]!.path).toEqual(['lifecycle', 'http', 'disable', 'path']);
    const missing = profileSchema.safeParse({ ...base, lifecycle: { adapter: 'command' } });
    expect(missing.error!.issues[0]!.message).toMatch(/the command section is missing/);
  });
});
