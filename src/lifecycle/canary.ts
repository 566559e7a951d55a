// Which key a destructive check may act on, and how it is put back.
//
// - `lifecycle.actOnOwnKey: true`: the profile's own key; re-enabled afterwards.
// - a declared spare `canary`: disabled, and re-enabled afterwards if the
//   adapter can (otherwise cleanup says to do it by hand).
// - otherwise a canary created through the adapter with the key's scopes,
//   deleted afterwards.
// Every undo is registered with the check's CleanupRegistry the moment there
// is something to undo, so it runs even when the check fails, throws or the
// run is interrupted. Rotation only ever touches a created canary: a rotated
// declared key would leave the profile pointing at a dead secret.
import { randomBytes } from 'node:crypto';
import { canaryCreationUnmet, disableSubject, skipMessage } from '../checks/requirements.js';
import type { Profile } from '../config/profile-schema.js';
import { CLEANUP_TIMEOUT_MS, type CleanupRegistry } from './cleanup.js';
import type { KeyRef, LifecycleAdapter } from './types.js';

export type SubjectKind = 'own key' | 'declared canary' | 'created canary' | 'declared second key' | 'declared expired key';

export interface SubjectKey {
  readonly kind: SubjectKind;
  readonly ref: KeyRef;
  readonly secret: string;
  /** Drops the registered restore (re-enable) when the disable never happened (a skipped manual step). */
  readonly dropRestore?: () => void;
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
  return createCanary(d);
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
    environment: profile.key.environment,
    ...(profile.key.owner ? { owner: profile.key.owner } : {}),
    ...(opts.expiresInSeconds !== undefined ? { expiresInSeconds: opts.expiresInSeconds } : {}),
  });
  if (created.outcome !== 'done') return error(`could not create a canary key: ${created.reason}`);
  const ref: KeyRef = { name, ...(created.value.id ? { id: created.value.id } : {}) };
  const restores = {
    key: ref,
    subject: 'created canary',
    action: 'delete',
    leftState: 'exists (not deleted)',
    secret: created.value.secret,
  } as const;
  if (needsId(adapter) && !ref.id) {
    // Registered all the same, so the end of the run says loudly that a key was left behind.
    d.cleanup.add({
      label: `delete created canary ${describeKey(ref)}`,
      restores,
      run: async () => {
        throw new Error('the create answer returned no id, so keyprobe cannot address the canary: delete it by hand');
      },
    });
    return error(`the canary ${describeKey(ref)} was created but its id was not returned, so keyprobe cannot delete it: delete it by hand`);
  }
  d.cleanup.add({
    label: `delete created canary ${describeKey(ref)}`,
    restores,
    run: async (timeoutMs) => {
      const r = await adapter.forCleanup(timeoutMs).delete(ref);
      if (r.outcome !== 'done') throw new Error(r.reason);
    },
  });
  return { ok: true, key: { kind: 'created canary', ref, secret: created.value.secret } };
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
