// The rules that say whether a check can run for a profile are data
// (Check.unmet), shared by the runner and `keyprobe validate`. These tests
// hold the static view of an adapter's actions to what the adapters really
// offer, and pin which key a disable check picks and what it asks for.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { adapterCan, disableSubject } from '../../src/checks/requirements.js';
import { profileSchema, type ProfileInput } from '../../src/config/profile-schema.js';
import { createDispatcher, HttpClient, RequestBudget } from '../../src/http/client.js';
import { createLifecycleAdapter } from '../../src/lifecycle/index.js';
import { LIFECYCLE_ACTIONS, type LifecycleAction } from '../../src/lifecycle/types.js';
import { SecretRegistry } from '../../src/secrets.js';

/** Made at test time: nothing shaped like a key is committed. */
const KEY = `kp_prod_${randomBytes(16).toString('hex')}`;

function profileWith(extra: Partial<ProfileInput>) {
  return profileSchema.parse({
    key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: KEY },
    target: { origin: 'http://127.0.0.1:9' },
    allowed: ['GET /v1/agents'],
    ...extra,
  });
}

/** Every subset of the five actions. */
function subsets(): LifecycleAction[][] {
  return Array.from({ length: 1 << LIFECYCLE_ACTIONS.length }, (_, mask) => LIFECYCLE_ACTIONS.filter((_a, i) => mask & (1 << i)));
}

describe('adapterCan: the profile alone says what the adapter offers', () => {
  const dispatcher = createDispatcher();
  const http = new HttpClient({
    origin: 'http://127.0.0.1:9',
    auth: { header: 'Authorization', scheme: 'Bearer' },
    primaryKey: KEY,
    timeoutMs: 1000,
    budget: new RequestBudget(10),
    secrets: new SecretRegistry(),
    dispatcher,
  });
  afterAll(() => dispatcher.close());

  const lifecycles: [string, (actions: LifecycleAction[]) => Record<string, unknown>][] = [
    ['http', (actions) => ({ adapter: 'http', http: Object.fromEntries(actions.map((a) => [a, `POST /admin/${a}/{{id}}`])) })],
    ['command', (actions) => ({ adapter: 'command', command: Object.fromEntries(actions.map((a) => [a, `./${a}.sh`])) })],
    ['manual', (actions) => ({ adapter: 'manual', ...(actions.length ? { manual: { actions } } : {}) })],
  ];
  for (const [kind, lifecycle] of lifecycles) {
    it(`agrees with the ${kind} adapter's can() for every set of actions`, () => {
      // A person may do any non-empty set of disable, enable and delete (lifecycle.manual.actions; none: the default, all three).
      const sets = kind === 'manual' ? subsets().filter((s) => !s.includes('create') && !s.includes('rotate')) : subsets();
      for (const actions of sets) {
        const profile = profileWith({ lifecycle: lifecycle(actions) as ProfileInput['lifecycle'] });
        const adapter = createLifecycleAdapter({
          profile,
          http,
          secrets: new SecretRegistry(),
          signal: new AbortController().signal,
          interactive: false,
          env: {},
          records: [],
        })!;
        for (const a of LIFECYCLE_ACTIONS) expect(adapterCan(profile, a), `${kind} [${actions.join(',')}] ${a}`).toBe(adapter.can(a));
      }
    });
  }
});

describe('disableSubject: which key a disable check acts on, or everything the profile lacks', () => {
  const http = (actions: LifecycleAction[]) => ({
    adapter: 'http' as const,
    http: Object.fromEntries(actions.map((a) => [a, `POST /admin/${a}/{{id}}`])),
  });

  it('the own key needs the opt-in, key.id and an enable action — all named at once', () => {
    const plan = disableSubject(profileWith({ lifecycle: { ...http(['disable']), actOnOwnKey: true } }));
    expect(plan.subject).toBeUndefined();
    expect(plan.unmet.map((u) => u.path.join('.'))).toEqual(['key.id', 'lifecycle.http.enable']);
    const ok = disableSubject(
      profileWith({ key: { ...profileWith({}).key, id: 'key_1' }, lifecycle: { ...http(['disable', 'enable']), actOnOwnKey: true } }),
    );
    expect(ok).toEqual({ subject: 'own key', unmet: [] });
  });

  it('a declared canary needs its id and an enable action, so it is put back', () => {
    const canary = { secret: `${KEY}-canary` };
    expect(disableSubject(profileWith({ canary, lifecycle: http(['disable']) })).unmet.map((u) => u.path.join('.'))).toEqual([
      'canary.id',
      'lifecycle.http.enable',
    ]);
    expect(disableSubject(profileWith({ canary: { ...canary, id: 'key_2' }, lifecycle: http(['disable', 'enable']) }))).toEqual({
      subject: 'declared canary',
      unmet: [],
    });
  });

  it('without a disable action the off switch is deleting a created canary: never the own key, never a declared canary', () => {
    const scoped = { ...profileWith({}).key, id: 'key_1', scopes: ['agents:read'] };
    const deleteOnly = http(['create', 'delete']);
    expect(disableSubject(profileWith({ key: scoped, lifecycle: deleteOnly }))).toEqual({ subject: 'created canary', unmet: [] });
    // A declared canary could not be put back after a delete: a created one takes its place.
    expect(disableSubject(profileWith({ key: scoped, canary: { secret: `${KEY}-canary`, id: 'key_2' }, lifecycle: deleteOnly }))).toEqual({
      subject: 'created canary',
      unmet: [],
    });
    const own = disableSubject(profileWith({ key: scoped, lifecycle: { ...http(['create', 'delete', 'enable']), actOnOwnKey: true } }));
    expect(own.unmet.map((u) => u.path.join('.'))).toEqual(['lifecycle.http.disable']);
    expect(own.unmet[0]!.message).toMatch(/never deletes the profile's own key/);
    const nothing = disableSubject(profileWith({ key: scoped, lifecycle: http(['enable']) }));
    expect(nothing.unmet.map((u) => u.path.join('.'))).toEqual(['lifecycle.http.disable']);
    expect(nothing.unmet[0]!.message).toMatch(/no disable action, and no create and delete actions/);
    // A person who can only delete, with nothing created to delete: no key to act on.
    const manual = disableSubject(profileWith({ key: scoped, lifecycle: { adapter: 'manual', manual: { actions: ['delete'] } } }));
    expect(manual.unmet.map((u) => u.path.join('.'))).toEqual(['lifecycle.manual.actions']);
  });

  it('a created canary needs create, delete and the key scopes', () => {
    expect(disableSubject(profileWith({ lifecycle: http(['disable', 'create', 'delete']) })).unmet.map((u) => u.path.join('.'))).toEqual([
      'key.scopes',
    ]);
    const scoped = profileWith({
      key: { ...profileWith({}).key, scopes: ['agents:read'] },
      lifecycle: http(['disable', 'create', 'delete']),
    });
    expect(disableSubject(scoped)).toEqual({ subject: 'created canary', unmet: [] });
    expect(disableSubject(profileWith({})).unmet.map((u) => u.path.join('.'))).toEqual(['lifecycle']);
  });
});
