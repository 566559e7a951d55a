// Real key models (issue #18), lifecycle checks, over loopback HTTP against
// the reference target's platform behaviours: delete as the only off switch,
// revocation that lags by design (a key cache), and canary properties that
// keyprobe verifies instead of assuming. Lags are compared with what the
// target itself says it did (target.revocations()), not with wall-clock luck.
import { describe, type ExpectStatic, it } from 'vitest';
import type { ProfileInput } from '../../src/config/profile-schema.js';
import { CANARY_NAME_PREFIX } from '../../src/checks/canary.js';
import { startReferenceTarget, type ReferenceTarget, type ReferenceTargetOptions } from '../../src/reference/index.js';
import type { CheckResult } from '../../src/result.js';
import { expectBracketed, expectLagMeasured } from '../helpers/revocation.js';
import type { RunningTest } from '../helpers/running-test.js';
import { findSecrets } from '../helpers/scan.js';
import { startAdminProxy } from '../lifecycle/admin-proxy.js';
import { runOne } from './run-one.js';

const SCOPES = ['agents:read', 'agents:call'];
/** Every secret any test made: each result is scanned for all of them. */
const secrets: string[] = [];

/** A reference target of `ctx`'s own, closed when that test ends (its own hook: the tests run side by side). */
async function start(ctx: RunningTest, options: ReferenceTargetOptions = {}): Promise<ReferenceTarget> {
  const t = await startReferenceTarget({ defaultRateLimit: { limit: 1000, windowSeconds: 1 }, ...options });
  ctx.onTestFinished(() => t.close());
  secrets.push(t.adminToken);
  return t;
}

interface Options {
  /** Management actions offered: default create, disable, enable, delete. */
  readonly actions?: readonly ('create' | 'disable' | 'enable' | 'delete')[];
  readonly canary?: boolean;
  readonly lifecycle?: Record<string, unknown>;
  readonly create?: Record<string, unknown>;
  readonly introspection?: boolean;
  /** Send management calls here (an admin proxy) instead of the target's own origin. */
  readonly adminOrigin?: string;
}

function profile(t: ReferenceTarget, o: Options = {}): ProfileInput {
  const key = t.createKey({ name: 'crm-prod-agent-call', scopes: SCOPES });
  secrets.push(key.secret);
  const actions = o.actions ?? ['create', 'disable', 'enable', 'delete'];
  const templates: Record<string, unknown> = {
    create: o.create ?? {
      method: 'POST',
      path: '/admin/keys',
      body: { name: '{{name}}', scopes: '{{scopes}}', environment: '{{environment}}', expiresInSeconds: '{{expiresInSeconds}}' },
    },
    disable: 'POST /admin/keys/{{id}}/disable',
    enable: 'POST /admin/keys/{{id}}/enable',
    delete: 'DELETE /admin/keys/{{id}}',
  };
  let canary: Record<string, unknown> | undefined;
  if (o.canary) {
    const c = t.createKey({ name: 'crm-prod-agent-call-canary', scopes: SCOPES });
    secrets.push(c.secret);
    canary = { secret: c.secret, id: c.id, name: c.name };
  }
  return {
    key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: key.secret, scopes: SCOPES },
    target: { origin: t.origin, environment: 'prod', ...(o.introspection === false ? {} : { introspection: { path: '/v1/keys/self' } }) },
    allowed: ['GET /v1/agents'],
    ...(canary ? { canary } : {}),
    lifecycle: {
      adapter: 'http',
      http: {
        ...(o.adminOrigin ? { origin: o.adminOrigin } : {}),
        credential: { secret: t.adminToken },
        ...Object.fromEntries(actions.map((a) => [a, templates[a]])),
      },
      stabilityWindowMs: 300,
      ...o.lifecycle,
    },
  } as ProfileInput;
}

/** `expect`: the test's own (its context's), as the cases run side by side. */
function expectNoLeftovers(t: ReferenceTarget, r: CheckResult, expect: ExpectStatic): void {
  expect(t.listKeys().filter((k) => k.name.startsWith(CANARY_NAME_PREFIX) || !k.enabled)).toEqual([]);
  expect(findSecrets(secrets, { texts: { result: JSON.stringify(r) } })).toEqual([]);
}

/** Waits until just after a cache refresh, so a revocation now stays cached for almost a whole period; returns that refresh (epoch ms). */
async function justAfterRefresh(t: ReferenceTarget): Promise<number> {
  const k = t.createKey({ name: 'phase-probe', scopes: SCOPES });
  t.deleteKey(k.id);
  const boundary = t.revocations().at(-1)!.refusedFrom;
  await new Promise((r) => setTimeout(r, boundary - Date.now() + 15));
  return boundary;
}

// Each case has a reference target of its own (its keys, its clock, its record of
// revocations), and its lags are bracketed by that record: five run at once
// (vitest's maxConcurrency), each with its own context's expect and cleanup.
describe.concurrent('delete-only platforms: lifecycle.disabled-key-rejected', () => {
  it('creates a canary and deletes it, measures the time to refusal after the delete, and says the off switch was a delete', async (ctx) => {
    const { expect } = ctx;
    const t = await start(ctx, { behaviours: { 'delete-only': true }, faults: { 'revocation-delay': 300 } });
    const r = await runOne('lifecycle.disabled-key-rejected', profile(t, { actions: ['create', 'delete'] }));
    expect(r.verdict, r.message).toBe('pass');
    // The number itself is judged below, against the target's own record: a pause of
    // this busy process can make the first refused probe later than the 300 ms delay.
    expect(r.message).toMatch(
      /^the created canary "keyprobe-canary-[0-9a-f]+" was refused \d+(\.\d)? ms after the delete call returned \(budget 1 s\)/,
    );
    expect(r.measurements).toMatchObject({
      offSwitch: 'delete (the lifecycle adapter has no disable)',
      latencyMeasuredFrom: 'the moment the delete call returned',
    });
    expect(r.advisories.join(' ')).toMatch(/the off switch was a delete/);
    expect(r.timeline).toMatchObject({ kind: 'revocation', offSwitch: 'delete' });
    // Measured, not guessed: against when the target started refusing it.
    const del = t.revocations().find((e) => e.action === 'delete' && e.name.startsWith(CANARY_NAME_PREFIX))!;
    expectLagMeasured(r, del.refusedFrom - del.at);
    // Deleted once, by the check: cleanup had nothing left to delete and did not fail.
    expect(r.lifecycleActions?.filter((a) => a.action === 'delete').map((a) => a.outcome)).toEqual(['done']);
    expectNoLeftovers(t, r, expect);
  });

  it('fails with the measured lag past the budget', async (ctx) => {
    const { expect } = ctx;
    const t = await start(ctx, { behaviours: { 'delete-only': true }, faults: { 'revocation-delay': 1500 } });
    const r = await runOne('lifecycle.disabled-key-rejected', profile(t, { actions: ['create', 'delete'] }));
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(
      /^the created canary "keyprobe-canary-[0-9a-f]+" was refused \d+(\.\d)? s after the delete; budget 1 s \(\d+ calls succeeded meanwhile\)$/,
    );
    // The lag itself against when the target started refusing it (1.5 s), bracketed by the probes' resolution.
    const del = t.revocations().find((e) => e.action === 'delete' && e.name.startsWith(CANARY_NAME_PREFIX))!;
    expectLagMeasured(r, del.refusedFrom - del.at);
    expectNoLeftovers(t, r, expect);
  });

  it("never deletes a declared canary or the profile's own key", async (ctx) => {
    const { expect } = ctx;
    const t = await start(ctx, { behaviours: { 'delete-only': true } });
    const input = profile(t, { actions: ['create', 'delete'], canary: true });
    const r = await runOne('lifecycle.disabled-key-rejected', input);
    expect(r.verdict, r.message).toBe('pass');
    expect(r.measurements.subject).toBe('created canary');
    expect(
      t
        .listKeys()
        .map((k) => k.name)
        .sort(),
    ).toEqual(['crm-prod-agent-call', 'crm-prod-agent-call-canary']);

    const own = await runOne(
      'lifecycle.disabled-key-rejected',
      profile(t, { actions: ['create', 'delete'], lifecycle: { actOnOwnKey: true } }),
    );
    expect(own.verdict).toBe('skip');
    expect(own.message).toMatch(/has no disable action, and keyprobe never deletes the profile's own key/);

    const none = await runOne('lifecycle.disabled-key-rejected', profile(t, { actions: ['delete'], canary: true }));
    expect(none.verdict).toBe('skip');
    expect(none.message).toMatch(/no disable action, and no create and delete actions/);
  });

  it('with a disable but no enable, a declared canary that could not be put back is not used: a created one is', async (ctx) => {
    const { expect } = ctx;
    const t = await start(ctx);
    const r = await runOne('lifecycle.disabled-key-rejected', profile(t, { actions: ['create', 'disable', 'delete'], canary: true }));
    expect(r.verdict, r.message).toBe('pass');
    expect(r.measurements).toMatchObject({ subject: 'created canary', offSwitch: 'disable' });
    expectNoLeftovers(t, r, expect);
  });
});

describe.concurrent('revocation lag is measured, not guessed', () => {
  it('says "not refused within N" only when the wait ran out', async (ctx) => {
    const { expect } = ctx;
    const t = await start(ctx, { faults: { 'revocation-delay': 60_000 } });
    const r = await runOne('lifecycle.disabled-key-rejected', profile(t, { lifecycle: { maxRevocationWaitMs: 1500 } }));
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(
      /was still accepted 1\.5 s after the disable call returned: not refused within 1\.5 s \(lifecycle\.maxRevocationWaitMs; budget 1 s\)/,
    );
    // Polled finely near the budget, then more sparsely: a bounded number of probes.
    expect(r.measurements.probes as number).toBeLessThan(200);
  });

  it('watches a long budget at a resolution relative to it, so a documented 30 s lag does not spend the request budget', async (ctx) => {
    const { expect } = ctx;
    const t = await start(ctx, { faults: { 'revocation-delay': 1500 } });
    const r = await runOne('lifecycle.disabled-key-rejected', profile(t, { lifecycle: { revocationBudgetMs: 30_000 } }));
    expect(r.verdict, r.message).toBe('pass');
    expect(r.message).toMatch(/refused \d+(\.\d)? s after the disable call returned \(budget 30 s\)/);
    // The lag (1.5 s) against the target's own record, bracketed by the probes' resolution, not by a wall-clock range.
    const disable = t.revocations().find((e) => e.action === 'disable')!;
    expectLagMeasured(r, disable.refusedFrom - disable.at);
    expect(r.measurements.maxRevocationWaitMs).toBe(90_000);
    // Every 300 ms (30 s × 3 / 300) until the refusal, then the 300 ms stability window every 50 ms.
    expect(r.measurements.probes as number).toBeLessThan(20);
    expectNoLeftovers(t, r, expect);
  });
});

/** The create answer as the platform gave it, minus anything about expiry. */
function withoutExpiry(forwarded: unknown): unknown {
  const { expiresAt: _expiresAt, ...rest } = forwarded as Record<string, unknown>;
  return rest;
}

describe.concurrent('canary properties are verified, not assumed', () => {
  const noExpiry = { method: 'POST', path: '/admin/keys', body: { name: '{{name}}', scopes: '{{scopes}}' } };

  it("a create action that sets no expiry is keyprobe's error, found at once, not the target's fault", async (ctx) => {
    const { expect } = ctx;
    const t = await start(ctx);
    // A management API whose create answer says nothing about expiry: keyprobe reads the canary back instead.
    const admin = await startAdminProxy(t, 0, ctx);
    admin.script('POST', /^\/admin\/keys$/, { forward: true, body: withoutExpiry });
    const started = performance.now();
    const r = await runOne('lifecycle.expired-key-rejected', profile(t, { create: noExpiry, adminOrigin: admin.origin }));
    expect(r.verdict).toBe('error');
    expect(r.message).toMatch(
      /^the create action did not set an expiry: a read-back \(GET \/v1\/keys\/self with the canary\) shows none for the canary/,
    );
    expect(performance.now() - started).toBeLessThan(1500);
    expectNoLeftovers(t, r, expect);
  });

  it('reads the expiry from the create answer', async (ctx) => {
    const { expect } = ctx;
    const t = await start(ctx);
    const r = await runOne('lifecycle.expired-key-rejected', profile(t, { create: noExpiry, introspection: false }));
    expect(r.verdict).toBe('error');
    expect(r.message).toMatch(/^the create action did not set an expiry: the create answer shows none/);
  });

  it('a canary still accepted after an expiry keyprobe could not verify is an error, not a fail; a verified one fails', async (ctx) => {
    const { expect } = ctx;
    const t = await start(ctx, { faults: { 'accept-expired': true } });
    const admin = await startAdminProxy(t, 0, ctx);
    admin.script('POST', /^\/admin\/keys$/, { forward: true, body: withoutExpiry });
    const unverified = await runOne(
      'lifecycle.expired-key-rejected',
      profile(t, { introspection: false, adminOrigin: admin.origin, lifecycle: { maxRevocationWaitMs: 1500 } }),
    );
    expect(unverified.verdict).toBe('error');
    expect(unverified.message).toMatch(
      /still accepted 1\.5 s after its 1 s lifetime ended.*but keyprobe could not verify that the create action set an expiry/,
    );
    const verified = await runOne('lifecycle.expired-key-rejected', profile(t, { lifecycle: { maxRevocationWaitMs: 1500 } }));
    expect(verified.verdict).toBe('fail');
    expect(verified.message).toMatch(/^the canary was still accepted 1\.5 s after its 1 s lifetime ended: not refused within 1\.5 s/);
    expectNoLeftovers(t, verified, expect);
  });

  it('a created canary without the scopes asked for is reported as such', async (ctx) => {
    const { expect } = ctx;
    const t = await start(ctx);
    const create = {
      method: 'POST',
      path: '/admin/keys',
      body: { name: '{{name}}', scopes: ['agents:read'] },
    };
    const r = await runOne('lifecycle.disabled-key-rejected', profile(t, { create, actions: ['create', 'disable', 'delete'] }));
    expect(r.verdict).toBe('error');
    expect(r.message).toMatch(/the create action did not grant the canary the scopes asked for: its answer lacks agents:call/);
    expectNoLeftovers(t, r, expect);
  });
});

// Timed from just after one of the target's cache refreshes: a pause of this process
// between the refresh and the disable (or the create) shortens the lag the message
// states (1.x s), so these run one at a time, after the cases above, with nothing beside them.
describe('revocation lag is measured, not guessed, from just after a cache refresh', () => {
  it('keeps probing past the budget and reports the lag of a cached revocation ("refused 1.3 s after the disable; budget 1 s")', async (ctx) => {
    const { expect } = ctx;
    const t = await start(ctx, { behaviours: { 'revocation-cache': 1500 } });
    const input = profile(t, { lifecycle: { maxRevocationWaitMs: 4000 } });
    await justAfterRefresh(t);
    const r = await runOne('lifecycle.disabled-key-rejected', input);
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(/was refused 1\.\d s after the disable; budget 1 s/);
    const disable = t.revocations().find((e) => e.action === 'disable')!;
    expectLagMeasured(r, disable.refusedFrom - disable.at);
    expect(r.measurements.maxRevocationWaitMs).toBe(4000);
    expectNoLeftovers(t, r, expect);
  });

  it('measures an expired key that stays valid until the cache refresh ("refused 1.5 s after it expired; budget 1 s"), and passes it within a declared budget', async (ctx) => {
    const { expect } = ctx;
    const period = 2500;
    const t = await start(ctx, { behaviours: { 'revocation-cache': period } });
    const refresh = await justAfterRefresh(t);
    const late = await runOne('lifecycle.expired-key-rejected', profile(t, { lifecycle: { maxRevocationWaitMs: 4000 } }));
    expect(late.verdict).toBe('fail');
    expect(late.message).toMatch(/^the canary was refused 1\.\d s after it expired; budget 1 s/);
    expect(late.measurements.expiryVerifiedFrom).toBe('the create answer');
    // The truth: refused from the first cache refresh at or after the expiry the target stamped.
    const expiresAt = Date.parse(late.measurements.expiresAt as string);
    const truth = refresh + Math.ceil((expiresAt - refresh) / period) * period - expiresAt;
    const m = late.measurements as Record<string, number>;
    expect(m.acceptedAfterExpiry).toBeGreaterThan(0);
    expectBracketed({ first: m.rejectedAfterExpiryMs!, lastAccepted: m.lastAcceptedAfterExpiryMs!, earlyByMs: 5 }, truth);
    expectNoLeftovers(t, late, expect);

    await justAfterRefresh(t);
    const ok = await runOne(
      'lifecycle.expired-key-rejected',
      profile(t, { lifecycle: { revocationBudgetMs: 2000, maxRevocationWaitMs: 4000 } }),
    );
    expect(ok.verdict, ok.message).toBe('pass');
    expect(ok.message).toMatch(/refused with 401 Unauthorized 1\.\d s after its 1 s lifetime ended \(allowed 2 s\)/);
    expectNoLeftovers(t, ok, expect);
  });
});
