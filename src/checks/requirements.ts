// What a check needs from a profile before it can run, as data: one source of
// truth for the runner (a check with an unmet requirement is skipped with
// these words) and for `keyprobe validate` (which lists every unmet
// requirement of a suite at once, each located at the field to add or fix).
// The rules about which key a destructive check acts on live here too, so the
// lifecycle code that picks the key (checks/canary.ts) and the static
// answer to "can this profile run that check?" cannot drift apart.
import type { DeniedResource, LifecycleSpec, Profile, RateLimitSpec } from '../config/profile-schema.js';
import { adapterOffers } from '../lifecycle/adapters.js';
import type { LifecycleAction } from '../lifecycle/types.js';

/** Something the profile lacks for a check to run. */
export interface Unmet {
  /** What is missing and why, e.g. "lifecycle.actOnOwnKey needs key.id to address the key". */
  readonly message: string;
  /** The profile field to add or fix, e.g. ['key', 'id']; validate points at it (or its nearest parent). */
  readonly path: readonly (string | number)[];
}

/**
 * One precondition a check declares (`requires: [denied, rateLimit]`): what
 * the profile lacks for it, and, as a type, the profile the check's `run`
 * sees when nothing is lacking (e.g. `rateLimit` present).
 */
export interface Requirement<N extends Profile = Profile> {
  unmet(profile: Profile): readonly Unmet[];
  /** Type only, never set: the profile once this requirement holds. */
  readonly narrows?: N;
}

export function requirement<N extends Profile = Profile>(unmetOf: (profile: Profile) => readonly Unmet[]): Requirement<N> {
  return { unmet: unmetOf };
}

/** The profile a check sees once all its requirements hold: every narrowing at once. */
export type Narrowed<R extends readonly Requirement[]> = R extends readonly [
  Requirement<infer N>,
  ...infer Rest extends readonly Requirement[],
]
  ? N & Narrowed<Rest>
  : Profile;

/** Everything a list of requirements finds missing, in order. */
export function unmetOf(requires: readonly Requirement[], profile: Profile): Unmet[] {
  return requires.flatMap((r) => r.unmet(profile));
}

const unmet = (path: readonly (string | number)[], message: string): Unmet => ({ path, message });

/** The words a skipped check gives: every unmet requirement, joined. */
export function skipMessage(list: readonly Unmet[]): string {
  return list.map((u) => u.message).join('; ');
}

/** What a person may be asked to do: never create or rotate (a new secret would have to be typed into a prompt). */
const MANUAL_ACTIONS: readonly LifecycleAction[] = ['disable', 'enable', 'delete'];

/**
 * Whether the profile's lifecycle adapter offers an action, read from the
 * profile alone (the adapters' `can()` answers the same; a test holds them together).
 */
export function adapterCan(profile: Profile, action: LifecycleAction): boolean {
  // Each adapter kind answers for its own section (src/lifecycle/adapters.ts), so a new kind cannot be misread here.
  return profile.lifecycle ? adapterOffers(profile.lifecycle, action) : false;
}

/** Where an action of the profile's adapter is declared, e.g. ['lifecycle', 'http', 'enable']. */
function actionPath(profile: Profile, action: LifecycleAction): (string | number)[] {
  const kind = profile.lifecycle?.adapter;
  if (kind === 'manual') return MANUAL_ACTIONS.includes(action) ? ['lifecycle', 'manual', 'actions'] : ['lifecycle', 'adapter'];
  return kind ? ['lifecycle', kind, action] : ['lifecycle', 'adapter'];
}

function missingActions(profile: Profile, actions: readonly LifecycleAction[], why: string): Unmet[] {
  const kind = profile.lifecycle?.adapter ?? 'lifecycle';
  return actions
    .filter((a) => !adapterCan(profile, a))
    .map((a) =>
      unmet(
        actionPath(profile, a),
        kind !== 'manual'
          ? `the ${kind} lifecycle adapter needs ${/^[aeiou]/.test(a) ? 'an' : 'a'} ${a} action ${why}`
          : MANUAL_ACTIONS.includes(a)
            ? `lifecycle.manual.actions does not list ${a} (a person cannot ${a} a key on this platform), which is needed ${why}`
            : `the manual lifecycle adapter cannot ${a} a key (a person would have to type its new secret into a prompt) ${why}`,
      ),
    );
}

/** http and command adapters address a key by id; a manual step only needs its name. */
function needsId(profile: Profile): boolean {
  return profile.lifecycle?.adapter !== 'manual';
}

export function noLifecycle(what: string): Unmet {
  return unmet(['lifecycle'], `the profile has no lifecycle section, so keyprobe cannot ${what}`);
}

/** What creating a canary (same scopes as the key, deleted afterwards) needs. */
export function canaryCreationUnmet(profile: Profile): Unmet[] {
  if (!profile.lifecycle) return [noLifecycle('create a canary key')];
  const list = missingActions(profile, ['create', 'delete'], 'to create a canary key and delete it afterwards');
  if (!profile.key.scopes?.length)
    list.push(unmet(['key', 'scopes'], 'declare key.scopes, so a canary can be created with the same scopes'));
  return list;
}

/** The key a disable check acts on, in order of preference. */
export type DisableSubject = 'own key' | 'declared canary' | 'created canary';

/**
 * Which key lifecycle.disabled-key-rejected would disable, or everything the
 * profile lacks for it. The profile's own key needs lifecycle.actOnOwnKey, a
 * disable action (keyprobe never deletes the own key), an id and an enable
 * action (it must be restored); a declared canary a disable, an id and an
 * enable action (it must be put back); otherwise a canary is created, which
 * needs create and delete. On a platform without a disable action the off
 * switch is deleting that created canary (offSwitch), never a declared key.
 */
export function disableSubject(profile: Profile): { subject: DisableSubject; unmet: [] } | { subject?: undefined; unmet: Unmet[] } {
  const lc = profile.lifecycle;
  if (!lc) return { unmet: [noLifecycle('disable a key')] };
  const canDisable = adapterCan(profile, 'disable');
  const canEnable = adapterCan(profile, 'enable');
  const canCreate = adapterCan(profile, 'create') && adapterCan(profile, 'delete');
  if (lc.actOnOwnKey) {
    const list = canDisable
      ? []
      : [
          unmet(
            actionPath(profile, 'disable'),
            `lifecycle.actOnOwnKey: the ${lc.adapter} lifecycle adapter has no disable action, and keyprobe never deletes the profile's own key`,
          ),
        ];
    if (needsId(profile) && !profile.key.id) list.push(unmet(['key', 'id'], 'lifecycle.actOnOwnKey needs key.id to address the key'));
    list.push(...missingActions(profile, ['enable'], 'to re-enable the own key afterwards (lifecycle.actOnOwnKey)'));
    return list.length ? { unmet: list } : { subject: 'own key', unmet: [] };
  }
  // A declared canary is used only where it can be put back: disabled, then
  // re-enabled. Otherwise a created canary takes its place, when the adapter can make one.
  if (profile.canary && canDisable && (canEnable || !canCreate)) {
    const list: Unmet[] = [];
    if (needsId(profile) && !profile.canary.id)
      list.push(unmet(['canary', 'id'], 'the declared canary needs an id for the lifecycle adapter'));
    list.push(
      ...missingActions(
        profile,
        ['enable'],
        'to re-enable the declared canary afterwards (or create and delete actions, to act on a created canary instead)',
      ),
    );
    return list.length ? { unmet: list } : { subject: 'declared canary', unmet: [] };
  }
  if (!canCreate) {
    const kind = lc.adapter;
    return {
      unmet: [
        canDisable
          ? unmet(
              ['canary'],
              `no key to disable: declare a spare \`canary\` key, give the ${kind} adapter create and delete actions, or set lifecycle.actOnOwnKey`,
            )
          : unmet(
              actionPath(profile, 'disable'),
              `the ${kind} lifecycle adapter has no disable action, and no create and delete actions to use a deleted canary instead`,
            ),
      ],
    };
  }
  const list = canaryCreationUnmet(profile);
  return list.length ? { unmet: list } : { subject: 'created canary', unmet: [] };
}

/** How the disable check turns the key off: its disable action, or (a platform without one) deleting a created canary. */
export function offSwitchOf(profile: Profile): 'disable' | 'delete' {
  return adapterCan(profile, 'disable') ? 'disable' : 'delete';
}

export function noRateLimit(profile: Profile): Unmet[] {
  return profile.rateLimit ? [] : [unmet(['rateLimit'], 'the profile declares no rateLimit')];
}

/**
 * Per-key isolation under a limiter the profile declares shared
 * (rateLimit.scope: client|global): every key from one client shares its
 * budget by design, so isolation cannot hold. A skip, not a pass and not a
 * failure of the profile; the check is not required in prelaunch.
 */
export function sharedLimiterUnmet(profile: Profile): Unmet[] {
  const scope = profile.rateLimit?.scope;
  if (!scope || scope === 'key') return [];
  return [
    unmet(
      ['rateLimit', 'scope'],
      `the profile declares a ${scope === 'client' ? 'per-client-address' : 'global'} limiter (rateLimit.scope: ${scope}): every key from one client shares its budget by design, so per-key isolation cannot hold and is not tested`,
    ),
  ];
}

/** rotate, on the adapter: a manual step cannot hand over a new secret. */
export function rotateUnmet(profile: Profile): Unmet[] {
  return missingActions(profile, ['rotate'], 'to rotate a canary key');
}

/** The second key for per-key isolation: declared, else the declared canary, else a created canary. */
export function secondKeyUnmet(profile: Profile): Unmet[] {
  if (profile.secondKey || profile.canary) return [];
  if (!profile.lifecycle)
    return [unmet(['secondKey'], 'no second key: declare `secondKey` (or `canary`), or a lifecycle adapter that can create a canary')];
  const creation = canaryCreationUnmet(profile);
  return creation.length === 0
    ? []
    : [
        unmet(
          ['secondKey'],
          `no second key: declare \`secondKey\` (or \`canary\`), or let the lifecycle adapter create one (${skipMessage(creation)})`,
        ),
      ];
}

// The requirements checks declare. Each is one rule, worded once.

/** At least one denied resource. */
export const denied = requirement<Profile & { denied: [DeniedResource, ...DeniedResource[]] }>((profile) =>
  profile.denied.length === 0 ? [unmet(['denied'], 'the profile lists no denied resources (denied: [...])')] : [],
);

/** A declared rate limit. */
export const rateLimit = requirement<Profile & { rateLimit: RateLimitSpec }>(noRateLimit);

/** A limiter that counts per key (a shared one makes per-key isolation meaningless). */
export const perKeyLimiter = requirement(sharedLimiterUnmet);

/** A second key for isolation: declared, the canary, or one the adapter can create. */
export const secondKeyAvailable = requirement(secondKeyUnmet);

/** At least one key of another environment. */
export const otherEnvironments = requirement((profile) =>
  profile.otherEnvironments.length === 0
    ? [unmet(['otherEnvironments'], 'the profile lists no keys of other environments (otherEnvironments: [...])')]
    : [],
);

/** A key to disable, and the actions to disable and restore it (disableSubject: the same rule checks/canary.ts acts on). */
export const disableSubjectKnown = requirement<Profile & { lifecycle: LifecycleSpec }>((profile) => disableSubject(profile).unmet);

/** A canary keyprobe can create, rotate and delete: rotation never touches a declared key (the profile would point at a dead secret). */
export const rotatableCanary = requirement<Profile & { lifecycle: LifecycleSpec }>((profile) =>
  profile.lifecycle ? [...rotateUnmet(profile), ...canaryCreationUnmet(profile)] : [noLifecycle('rotate a key')],
);

/** A declared expired key, or a canary keyprobe can create with an expiry. */
export const expiredKeyOrCanary = requirement((profile) => {
  if (profile.expiredKey) return [];
  if (!profile.lifecycle)
    return [unmet(['expiredKey'], 'the profile declares no expiredKey and has no lifecycle section to create an expiring canary')];
  return canaryCreationUnmet(profile);
});
