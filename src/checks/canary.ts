// Which key a destructive check may act on, and how it is put back.
//
// - `lifecycle.actOnOwnKey: true`: the profile's own key; re-enabled afterwards.
// - a declared spare `canary`: disabled, and re-enabled afterwards if the
//   adapter can (otherwise cleanup says to do it by hand).
// - otherwise a canary created through the adapter with the key's scopes,
//   deleted afterwards.
// A platform without a disable (delete is the only off switch) gets a created
// canary, which the disable check deletes: never a declared canary (it could
// not be put back) and never the profile's own key.
// Every undo is registered with the check's CleanupRegistry the moment there
// is something to undo, so it runs even when the check fails, throws or the
// run is interrupted. Rotation only ever touches a created canary: a rotated
// declared key would leave the profile pointing at a dead secret.
import { randomBytes } from 'node:crypto';
import { canaryCreationUnmet, disableSubject, offSwitchOf, skipMessage } from './requirements.js';
import type { Profile } from '../config/profile-schema.js';
import { CLEANUP_TIMEOUT_MS, type CleanupRegistry, type Restoration } from '../lifecycle/cleanup.js';
import type { CreatedKey, KeyRef, LifecycleAdapter } from '../lifecycle/types.js';

export type SubjectKind = 'own key' | 'declared canary' | 'created canary' | 'declared second key' | 'declared expired key';

/** How the disable check turns a key off: its disable action, or (on a platform without one) deleting a created canary. */
export type OffSwitch = 'disable' | 'delete';

export interface SubjectKey {
  readonly kind: SubjectKind;
  readonly ref: KeyRef;
  readonly secret: string;
  /** Drops the registered restore (re-enable) when the disable never happened (a skipped manual step). */
  readonly dropRestore?: () => void;
  /** For the disable check: 'delete' where the adapter has no disable. */
  readonly offSwitch?: OffSwitch;
  /** A created canary's registered delete, dropped once the check itself deleted the canary. */
  readonly forgetDelete?: () => void;
  /** Says the created canary is refused now (disabled), so its delete cannot be verified by probing it. */
  readonly refusedBeforeDelete?: (why: string) => void;
  /** What the create answered besides the secret (see CreatedFields); empty when the adapter tells nothing. */
  readonly createdFields?: Readonly<Record<string, unknown>>;
}

/**
 * The contract with the lifecycle adapters for verifying a canary's
 * properties: a created key may carry the non-secret fields its create
 * answered (`fields`, e.g. expiresAt, scopes). Adapters that do not tell
 * leave it out; checks then read the key back (introspection) or say they
 * could not verify.
 */
export type CreatedWithFields = CreatedKey & { readonly fields?: Readonly<Record<string, unknown>> };

/** Field names under which a create answer commonly states the expiry. */
export const EXPIRY_FIELDS = ['expiresAt', 'expires_at', 'expires', 'expiry', 'expiration', 'expiresOn', 'validUntil'] as const;

/**
 * The expiry a create answer states: epoch ms, `null` for "none", or
 * undefined when it says nothing about it. Numbers are epoch seconds or
 * milliseconds (told apart by size).
 */
export function statedExpiry(fields: Readonly<Record<string, unknown>> | undefined): number | null | undefined {
  if (!fields) return undefined;
  for (const name of EXPIRY_FIELDS) {
    if (!(name in fields)) continue;
    const v = fields[name];
    if (v === null || v === '') return null;
    if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v;
    if (typeof v === 'string') {
      const t = Date.parse(v);
      if (!Number.isNaN(t)) return t;
    }
  }
  return undefined;
}

export type Acquired =
  | { readonly ok: true; readonly key: SubjectKey }
  | { readonly ok: false; readonly verdict: 'skip' | 'error'; readonly reason: string };

export interface CanaryDeps {
  readonly profile: Profile;
  readonly adapter?: LifecycleAdapter;
  readonly cleanup: CleanupRegistry;
}

/** Names keyprobe gives the canaries it creates; tests look for leftovers by this prefix. */
export const CANARY_NAME_PREFIX = 'keyprobe-canary-';

const skip = (reason: string): Acquired => ({ ok: false, verdict: 'skip', reason });
const error = (reason: string): Acquired => ({ ok: false, verdict: 'error', reason });

/** http and command adapters address a key by id; a manual step only needs its name. */
function needsId(adapter: LifecycleAdapter): boolean {
  return adapter.kind !== 'manual';
}

function describeKey(ref: KeyRef): string {
  return `"${ref.name}"${ref.id ? ` (id ${ref.id})` : ''}`;
}

/**
 * The key a disable check acts on, with its re-enable or delete registered.
 * Which key, and what the profile lacks otherwise, is decided by
 * disableSubject (checks/requirements.ts), which `validate` uses too.
 */
export async function keyToDisable(d: CanaryDeps): Promise<Acquired> {
  const { profile, adapter } = d;
  const plan = disableSubject(profile);
  if (!adapter || !plan.subject) return skip(plan.subject ? 'the profile has no lifecycle section' : skipMessage(plan.unmet));

  if (plan.subject === 'own key') {
    const ref: KeyRef = { name: profile.key.name, ...(profile.key.id ? { id: profile.key.id } : {}) };
    const dropRestore = registerEnable(d, ref, 'own key', profile.key.secret);
    return { ok: true, key: { kind: 'own key', ref, secret: profile.key.secret, dropRestore } };
  }
  if (plan.subject === 'declared canary') {
    const canary = profile.canary!;
    const ref: KeyRef = { name: canary.name ?? `${profile.key.name} canary`, ...(canary.id ? { id: canary.id } : {}) };
    const dropRestore = registerEnable(d, ref, 'declared canary', canary.secret);
    return { ok: true, key: { kind: 'declared canary', ref, secret: canary.secret, dropRestore } };
  }
  const created = await createCanary(d);
  // Without a disable the off switch is a delete: only ever of a canary keyprobe created.
  if (!created.ok || offSwitchOf(profile) === 'disable') return created;
  return { ok: true, key: { ...created.key, offSwitch: 'delete' } };
}

/** A canary with the key's scopes, created through the adapter and deleted by cleanup. */
export async function createCanary(d: CanaryDeps, opts: { expiresInSeconds?: number } = {}): Promise<Acquired> {
  const { profile, adapter } = d;
  const unmet = canaryCreationUnmet(profile);
  if (!adapter || unmet.length > 0) return skip(skipMessage(unmet));
  const scopes = profile.key.scopes!;
  const name = `${CANARY_NAME_PREFIX}${randomBytes(4).toString('hex')}`;
  // Created detached from the run's abort signal: a create cut off half-way
  // would leave a key that exists but that keyprobe does not know to delete.
  const created = await adapter.forCleanup(CLEANUP_TIMEOUT_MS).create({
    name,
    scopes,
    // The canary must work on this target: the environment it serves (a key declared for another one is a finding of its own).
    environment: profile.target.environment ?? profile.key.environment,
    ...(profile.key.owner ? { owner: profile.key.owner } : {}),
    ...(opts.expiresInSeconds !== undefined ? { expiresInSeconds: opts.expiresInSeconds } : {}),
  });
  if (created.outcome !== 'done') {
    // A create keyprobe counts as failed may still have made a key (201 where 200 was expected, a
    // command that printed the key and then exited 1): when its id could be read, delete it.
    if (created.outcome === 'failed' && created.orphan) registerDelete(d, created.orphan);
    return error(`could not create a canary key: ${created.reason}`);
  }
  const value: CreatedWithFields = created.value;
  // A create that hands back a key that already exists (a get-or-create, a stub, an extract
  // path that reads another field) must not make that key a canary: its disable, rotate and
  // delete would fall on a key keyprobe did not make, the profile's own among them.
  const existing = declaredKeyIn(profile, value);
  if (existing)
    return error(
      `the create action answered with a key this profile already declares (${existing}), not a new one: keyprobe disables, rotates and deletes only keys it made, so it acted on none; check the create template and its extract paths${value.id ? `, and if the platform did make a key, delete it by hand (id ${value.id})` : ''}`,
    );
  const ref: KeyRef = { name, ...(value.id ? { id: value.id } : {}) };
  if (needsId(adapter) && !ref.id) {
    // Registered all the same, so the end of the run says loudly that a key was left behind.
    d.cleanup.add({
      label: `delete created canary ${describeKey(ref)}`,
      restores: canaryRestoration(ref, value.secret),
      run: async () => {
        throw new Error('the create answer returned no id, so keyprobe cannot address the canary: delete it by hand');
      },
    });
    return error(`the canary ${describeKey(ref)} was created but its id was not returned, so keyprobe cannot delete it: delete it by hand`);
  }
  // An expiring canary is refused after its expiry whether or not its delete did anything.
  let refused =
    opts.expiresInSeconds !== undefined
      ? `the canary was created to expire after ${opts.expiresInSeconds} s, so it is refused whether or not the delete did anything`
      : undefined;
  const forgetDelete = registerDelete(d, ref, value.secret, () => refused);
  // A canary without the scopes asked for would make every later probe mean something else.
  const granted = value.fields?.scopes;
  if (Array.isArray(granted)) {
    const missing = scopes.filter((s) => !granted.includes(s));
    if (missing.length > 0)
      return error(
        `the create action did not grant the canary the scopes asked for: its answer lacks ${missing.join(', ')}; check the create template's scopes`,
      );
  }
  return {
    ok: true,
    key: {
      kind: 'created canary',
      ref,
      secret: value.secret,
      forgetDelete,
      refusedBeforeDelete: (why) => {
        refused = why;
      },
      ...(value.fields ? { createdFields: value.fields } : {}),
    },
  };
}

/** Which key the profile declares a created key is, by its secret or its id (undefined: none, a new key). */
function declaredKeyIn(profile: Profile, created: CreatedKey): string | undefined {
  const declared: [string, { secret: string; id?: string } | undefined][] = [
    ['the key under test', profile.key],
    ['the declared canary', profile.canary],
    ['the declared second key', profile.secondKey],
    ['the declared expired key', profile.expiredKey],
    ...profile.otherEnvironments.map((k): [string, { secret: string }] => [`the key of environment ${k.environment}`, k]),
  ];
  for (const [what, key] of declared) {
    if (!key) continue;
    if (key.secret === created.secret) return `${what}, by its secret`;
    if (key.id !== undefined && key.id === created.id) return `${what}, by its id ${key.id}`;
  }
  return undefined;
}

/**
 * Schedules the delete of a created canary; returns a function that cancels it
 * (the check deleted the key itself). Without the secret (a create that
 * failed but left a key behind), or once `unprobeable` says why (the canary
 * is refused anyway), the delete cannot be verified by a probe.
 */
export function registerDelete(d: CanaryDeps, ref: KeyRef, secret?: string, unprobeable?: () => string | undefined) {
  const adapter = d.adapter!;
  return d.cleanup.add({
    label: `delete created canary ${describeKey(ref)}`,
    restores: canaryRestoration(ref, secret),
    ...(unprobeable ? { unprobeable } : {}),
    run: async (timeoutMs) => {
      const r = await adapter.forCleanup(timeoutMs).delete(ref);
      if (r.outcome !== 'done') throw new Error(r.reason);
    },
  });
}

/** What deleting a created canary puts back: until it has run, the canary exists. */
function canaryRestoration(ref: KeyRef, secret?: string): Restoration {
  return {
    key: ref,
    subject: 'created canary',
    action: 'delete',
    leftState: 'exists (not deleted)',
    ...(secret !== undefined ? { secret } : {}),
  };
}

/** The second key for per-key isolation: declared, else the declared canary (untouched), else a created canary. */
export async function secondKey(d: CanaryDeps): Promise<Acquired> {
  const { profile } = d;
  if (profile.secondKey) {
    return {
      ok: true,
      key: {
        kind: 'declared second key',
        ref: { name: profile.secondKey.name ?? 'second key', ...(profile.secondKey.id ? { id: profile.secondKey.id } : {}) },
        secret: profile.secondKey.secret,
      },
    };
  }
  if (profile.canary) {
    return {
      ok: true,
      key: { kind: 'declared canary', ref: { name: profile.canary.name ?? `${profile.key.name} canary` }, secret: profile.canary.secret },
    };
  }
  const created = await createCanary(d);
  if (!created.ok && created.verdict === 'skip')
    return skip(
      `no second key: declare \`secondKey\` (or \`canary\`), or give the lifecycle adapter create and delete actions (${created.reason})`,
    );
  return created;
}

/** Registered before the disable is even sent, so an interruption mid-disable still restores the key. */
function registerEnable(d: CanaryDeps, ref: KeyRef, what: SubjectKind, secret: string): () => void {
  const adapter = d.adapter!;
  return d.cleanup.add({
    label: `re-enable ${what} ${describeKey(ref)}`,
    restores: { key: ref, subject: what, action: 'enable', leftState: 'disabled', secret },
    run: async (timeoutMs) => {
      const r = await adapter.forCleanup(timeoutMs).enable(ref);
      if (r.outcome !== 'done') throw new Error(r.reason);
    },
  });
}
