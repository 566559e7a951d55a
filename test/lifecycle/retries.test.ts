// Lifecycle actions against a management API that throttles, sheds load and
// drops connections (a loopback proxy in front of the reference target's
// /admin API). Disable, enable and delete are retried; create and rotate only
// where a retry cannot mint a second key. A throttle is waited out once: for
// disable, enable and delete by the HTTP client (within lifecycle.retry), for
// create and rotate by the adapter, which must read a throttled answer first.
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { createLifecycleAdapter } from '../../src/lifecycle/index.js';
import type { ActionRecord } from '../../src/lifecycle/types.js';
import { startAdminProxy, unusedPort, type AdminProxy } from './admin-proxy.js';
import { clientFor, disabledKeys, fixture, referenceLifecycle, runChecks, SCOPES, startTarget, type Fixture } from './helpers.js';
import type { ReferenceTarget } from '../../src/reference/index.js';

/** The reference lifecycle section, with its management requests sent through `origin`. */
function lifecycleVia(target: ReferenceTarget, origin: string, extra: Record<string, unknown> = {}) {
  const lc = referenceLifecycle(target, extra) as { http: Record<string, unknown> };
  return { ...lc, http: { ...lc.http, origin } };
}

function adapterFor(f: Fixture, signal = new AbortController().signal) {
  const { http, secrets, budget } = clientFor(f);
  const records: ActionRecord[] = [];
  const adapter = createLifecycleAdapter({ profile: f.profile, http, secrets, signal, interactive: false, env: {}, records })!;
  return { adapter, secrets, budget, records };
}

async function proxied(extra: Record<string, unknown> = {}): Promise<{ target: ReferenceTarget; proxy: AdminProxy; f: Fixture }> {
  const target = await startTarget();
  const proxy = await startAdminProxy(target);
  const f = fixture(target, { lifecycle: lifecycleVia(target, proxy.origin, extra) });
  return { target, proxy, f };
}

const DISABLE = /^\/admin\/keys\/[^/]+\/disable$/;
const ENABLE = /^\/admin\/keys\/[^/]+\/enable$/;
const ROTATE = /^\/admin\/keys\/[^/]+\/rotate$/;
const KEY = /^\/admin\/keys\/[^/]+$/;
const KEYS = /^\/admin\/keys$/;

describe('disable, enable and delete are retried', () => {
  it('a disable answered 429 with Retry-After: 1 waits that second and tries again', async () => {
    const { target, proxy, f } = await proxied();
    proxy.script('POST', DISABLE, { status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow down' } });
    const { adapter, records } = adapterFor(f);
    const r = await adapter.disable({ name: 'crm-prod-agent-call', id: f.key.id });
    expect(r.outcome, r.outcome === 'failed' ? r.reason : '').toBe('done');
    expect(target.getKey(f.key.id)!.enabled).toBe(false);
    expect(proxy.forwarded('POST', DISABLE)).toBe(1);
    const rec = records[0]!;
    expect(rec.outcome).toBe('done');
    expect(rec.attempts).toHaveLength(2);
    expect(rec.attempts![0]).toMatchObject({ status: 429 });
    expect(rec.attempts![0]!.waitMs).toBeGreaterThanOrEqual(1000);
    expect(rec.attempts![1]).toMatchObject({ status: 200 });
    expect(rec.detail).toMatch(/→ 200 after 2 attempts \(429, 200\)/);
  });

  it('503 without Retry-After and a dropped connection: the delete backs off and tries again', async () => {
    const { target, proxy, f } = await proxied();
    proxy.script('DELETE', KEY, { status: 503, body: { error: 'unavailable' } }, { drop: true });
    const { adapter, records } = adapterFor(f);
    const r = await adapter.delete({ name: 'crm-prod-agent-call', id: f.key.id });
    expect(r.outcome, r.outcome === 'failed' ? r.reason : '').toBe('done');
    expect(target.getKey(f.key.id)).toBeUndefined();
    const attempts = records[0]!.attempts!;
    expect(attempts.map((a) => a.status ?? 'error')).toEqual([503, 'error', 204]);
    expect(attempts[1]!.error).toMatch(/closed the connection|request failed/);
    // Backoff waits are positive and bounded (no Retry-After to go by).
    for (const a of attempts.slice(0, 2)) {
      expect(a.waitMs).toBeGreaterThan(0);
      expect(a.waitMs).toBeLessThanOrEqual(5000);
    }
  });

  it('a delete whose first answer was lost after the platform acted counts the retry’s 404 as done', async () => {
    const { target, proxy, f } = await proxied();
    proxy.script('DELETE', KEY, { forward: true, drop: true });
    const { adapter, records } = adapterFor(f);
    const r = await adapter.delete({ name: 'crm-prod-agent-call', id: f.key.id });
    expect(r.outcome, r.outcome === 'failed' ? r.reason : '').toBe('done');
    expect(target.getKey(f.key.id)).toBeUndefined();
    expect(records[0]!.detail).toMatch(/404 .*already gone/);
  });

  it('gives up after the bounded number of tries, and says so', async () => {
    const { target, proxy, f } = await proxied({ retry: { attempts: 3 } });
    const throttled = { status: 429, headers: { 'retry-after': '0' }, body: {} };
    proxy.script('POST', DISABLE, throttled, throttled, throttled, throttled, throttled);
    const { adapter, records } = adapterFor(f);
    const r = await adapter.disable({ name: 'crm-prod-agent-call', id: f.key.id });
    expect(r.outcome).toBe('failed');
    // The client waited the throttles out within lifecycle.retry.attempts, and said so in its own words.
    expect(r.outcome === 'failed' && r.reason).toMatch(
      /^disable request POST \/admin\/keys\/\S+\/disable answered 429 Too Many Requests on all 3 tries \(waited 50 ms \(Retry-After: 0\), 50 ms/,
    );
    expect(proxy.seen.filter((s) => s.method === 'POST')).toHaveLength(3);
    expect(records[0]!.attempts).toHaveLength(3);
    expect(target.getKey(f.key.id)!.enabled).toBe(true);
  });

  it('does not wait out a Retry-After longer than the time it may take', async () => {
    const { proxy, f } = await proxied();
    proxy.script('POST', DISABLE, { status: 429, headers: { 'retry-after': '120' }, body: {} });
    const { adapter } = adapterFor(f);
    const t0 = performance.now();
    const r = await adapter.disable({ name: 'crm-prod-agent-call', id: f.key.id });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.outcome === 'failed' && r.reason).toMatch(
      /asks to wait Retry-After: 120, more than the \d+(\.\d)? s left of the time keyprobe gives one lifecycle action \(lifecycle\.retry\.maxSeconds: 30\)/,
    );
  });

  it('Ctrl-C during a wait ends the action at once', async () => {
    const { proxy, f } = await proxied();
    proxy.script('POST', DISABLE, { status: 429, headers: { 'retry-after': '5' }, body: {} });
    const abort = new AbortController();
    const { adapter } = adapterFor(f, abort.signal);
    setTimeout(() => abort.abort('SIGINT'), 200);
    const t0 = performance.now();
    await expect(adapter.disable({ name: 'crm-prod-agent-call', id: f.key.id })).rejects.toBeInstanceOf(InterruptedError);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('a cleanup copy keeps retrying after Ctrl-C, within its own time limit', async () => {
    const { target, proxy, f } = await proxied();
    target.disableKey(f.key.id);
    proxy.script('POST', ENABLE, { status: 429, headers: { 'retry-after': '1' }, body: {} });
    const abort = new AbortController();
    const { adapter, records } = adapterFor(f, abort.signal);
    abort.abort('SIGINT');
    const r = await adapter.forCleanup(5000).enable({ name: 'crm-prod-agent-call', id: f.key.id });
    expect(r.outcome, r.outcome === 'failed' ? r.reason : '').toBe('done');
    expect(target.getKey(f.key.id)!.enabled).toBe(true);
    expect(records.at(-1)).toMatchObject({ action: 'enable', outcome: 'done', detached: true });

    // A Retry-After that does not fit in what is left of the cleanup time is not waited for.
    target.disableKey(f.key.id);
    proxy.script('POST', ENABLE, { status: 429, headers: { 'retry-after': '3' }, body: {} });
    const t0 = performance.now();
    const late = await adapter.forCleanup(2000).enable({ name: 'crm-prod-agent-call', id: f.key.id });
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(late.outcome === 'failed' && late.reason).toMatch(
      /asks to wait Retry-After: 3, more than the \d(\.\d)? s left of the cleanup time/,
    );
  });

  it('end to end: a throttled disable and a throttled re-enable still pass the check and leave the key enabled', async () => {
    const target = await startTarget();
    const proxy = await startAdminProxy(target);
    const f = fixture(target, { lifecycle: lifecycleVia(target, proxy.origin, { actOnOwnKey: true, stabilityWindowMs: 300 }) });
    proxy.script('POST', DISABLE, { status: 429, headers: { 'retry-after': '1' }, body: {} });
    proxy.script('POST', ENABLE, { status: 429, headers: { 'retry-after': '1' }, body: {} });
    const result = await runChecks(f, ['lifecycle.disabled-key-rejected']);
    const c = result.profiles[0]!.checks[0]!;
    expect(c.verdict, c.message).toBe('pass');
    expect(disabledKeys(target)).toEqual([]);
    expect(result.profiles[0]!.notes.join('\n')).not.toMatch(/CLEANUP FAILED/);
    expect(c.lifecycleActions?.map((a) => `${a.action}:${a.outcome}:${a.attempts?.length}`)).toEqual(['disable:done:2', 'enable:done:2']);
  });
});

describe('create and rotate are retried only where no second key can be minted', () => {
  it('a create answered 429 with nothing in it is retried, and exactly one key is made', async () => {
    const { target, proxy, f } = await proxied();
    proxy.script('POST', KEYS, { status: 429, headers: { 'retry-after': '0' }, body: { error: 'rate limited' } });
    const { adapter, records } = adapterFor(f);
    const before = target.listKeys().length;
    const r = await adapter.create({ name: 'keyprobe-canary-r1', scopes: SCOPES, environment: 'prod' });
    expect(r.outcome, r.outcome === 'failed' ? r.reason : '').toBe('done');
    expect(target.listKeys().length).toBe(before + 1);
    expect(records[0]!.attempts?.map((a) => a.status)).toEqual([429, 201]);
  });

  it('a create refused before any byte was sent (connection refused) is retried', async () => {
    const target = await startTarget();
    const port = await unusedPort();
    const f = fixture(target, { lifecycle: lifecycleVia(target, `http://127.0.0.1:${port}`) });
    const { adapter, records } = adapterFor(f);
    // The management API comes up a moment after the first try.
    const late = new Promise<AdminProxy>((resolve) => setTimeout(() => resolve(startAdminProxy(target, port)), 300));
    const r = await adapter.create({ name: 'keyprobe-canary-r2', scopes: SCOPES, environment: 'prod' });
    await late;
    expect(r.outcome, r.outcome === 'failed' ? r.reason : '').toBe('done');
    expect(records[0]!.attempts![0]!.error).toMatch(/connection refused/);
    expect(target.listKeys().filter((k) => k.name === 'keyprobe-canary-r2')).toHaveLength(1);
  });

  it('a create whose answer was lost after the platform acted is not retried', async () => {
    const { target, proxy, f } = await proxied();
    proxy.script('POST', KEYS, { forward: true, drop: true });
    const { adapter } = adapterFor(f);
    const r = await adapter.create({ name: 'keyprobe-canary-r3', scopes: SCOPES, environment: 'prod' });
    expect(r.outcome).toBe('failed');
    expect(r.outcome === 'failed' && r.reason).toMatch(/not retried.*"keyprobe-canary-r3" may exist/);
    expect(proxy.forwarded('POST', KEYS)).toBe(1);
    expect(target.listKeys().filter((k) => k.name === 'keyprobe-canary-r3')).toHaveLength(1);
  });

  it('a create answered 503 without Retry-After is not retried (a gateway may have lost the answer)', async () => {
    const { proxy, f } = await proxied();
    proxy.script('POST', KEYS, { forward: true, status: 503, body: { error: 'upstream reset' } });
    const { adapter } = adapterFor(f);
    const r = await adapter.create({ name: 'keyprobe-canary-r4', scopes: SCOPES, environment: 'prod' });
    expect(r.outcome).toBe('failed');
    expect(proxy.forwarded('POST', KEYS)).toBe(1);
  });

  it('a 429 that carries the new key proves a key was made: not retried, its secret registered and its id kept for cleanup', async () => {
    const { target, proxy, f } = await proxied();
    proxy.script('POST', KEYS, { forward: true, status: 429, headers: { 'retry-after': '0' } });
    const { adapter, secrets, records } = adapterFor(f);
    const r = await adapter.create({ name: 'keyprobe-canary-r5', scopes: SCOPES, environment: 'prod' });
    expect(r.outcome).toBe('failed');
    expect(proxy.forwarded('POST', KEYS)).toBe(1);
    const made = JSON.parse(proxy.answers[0]!) as { id: string; secret: string };
    expect(secrets.has(made.secret)).toBe(true);
    expect(r.outcome === 'failed' && r.orphan).toEqual({ name: 'keyprobe-canary-r5', id: made.id });
    expect(target.getKey(made.id)).toBeDefined();
    expect(JSON.stringify(records)).not.toContain(made.secret);
  });

  it('a rotate answered 429 with nothing in it is retried once, and rotates once', async () => {
    const { proxy, f, target } = await proxied();
    const canary = target.createKey({ name: 'keyprobe-canary-r6', scopes: SCOPES });
    proxy.script('POST', ROTATE, { status: 429, headers: { 'retry-after': '0' }, body: {} });
    const { adapter, secrets } = adapterFor(f);
    const r = await adapter.rotate({ name: 'keyprobe-canary-r6', id: canary.id }, 0);
    expect(r.outcome, r.outcome === 'failed' ? r.reason : '').toBe('done');
    expect(proxy.forwarded('POST', ROTATE)).toBe(1);
    expect(r.outcome === 'done' && secrets.has(r.value.secret)).toBe(true);
  });
});
