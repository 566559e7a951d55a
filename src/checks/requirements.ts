// What a check needs from a profile before it can run, as data: one source of
// truth for the runner (a check with an unmet requirement is skipped with
// these words) and for `keyprobe validate` (which lists every unmet
// requirement of a suite at once, each located at the field to add or fix).
// The rules about which key a destructive check acts on live here too, so the
// lifecycle code that picks the key (lifecycle/canary.ts) and the static
// answer to "can this profile run that check?" cannot drift apart.
import type { Profile } from '../config/profile-schema.js';
import type { LifecycleAction } from '../lifecycle/types.js';

/** Something the profile lacks for a check to run. */
export interface Unmet {
  /** What is missing and why, e.g. "lifecycle.actOnOwnKey needs key.id to address the key". */
  readonly message: string;
  /** The profile field to add or fix, e.g. ['key', 'id']; validate points at it (or its nearest parent). */
  readonly path: readonly (string | number)[];
}

const unmet = (path: readonly (string | number)[], message: string): Unmet => ({ path, message });

/** The words a skipped check gives: every unmet requirement, joined. */
export function skipMessage(list: readonly Unmet[]): string {
  return list.map((u) => u.message).join('; ');
}

/** Actions the manual adapter offers: a person cannot type a new secret into a prompt, so no create or rotate. */
const MANUAL_ACTIONS: readonly LifecycleAction[] = ['disable', 'enable', 'delete'];

/**
 * Whether the profile's lifecycle adapter offers an action, read from the
 * profile alone (the adapters' `can()` answers the same; a test holds them together).
 */
export function adapterCan(profile: Profile, action: LifecycleAction): boolean {
  const lc = profile.lifecycle;
  if (!lc) return false;
  if (lc.adapter === 'manual') return MANUAL_ACTIONS.includes(action);
  const spec = lc.adapter === 'http' ? lc.http : lc.command;
  return spec?.[action] !== undefined;
}

/** Where an action of the profile's adapter is declared, e.g. ['lifecycle', 'http', 'enable']. */
function actionPath(profile: Profile, action: LifecycleAction): (string | number)[] {
  const kind = profile.lifecycle?.adapter;
  return kind && kind !== 'manual' ? ['lifecycle', kind, action] : ['lifecycle', 'adapter'];
}

function missingActions(profile: Profile, actions: readonly LifecycleAction[], why: string): Unmet[] {
  const kind = profile.lifecycle?.adapter ?? 'lifecycle';
  return actions
    .filter((a) => !adapterCan(profile, a))
    .map((a) =>
      unmet(
        actionPath(profile, a),
        kind === 'manual'
          ? `the manual lifecycle adapter cannot ${a} a key (a person would have to type its new secret into a prompt) ${why}`
          : `the ${kind} lifecycle adapter needs ${/^[aeiou]/.test(a) ? 'an' : 'a'} ${a} action ${why}`,
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
 * profile lacks for it. The profile's own key needs lifecycle.actOnOwnKey, an
 * id and an enable action (it must be restored); a declared canary an id and
 * an enable action; otherwise a canary is created, which needs create and delete.
 */
export function disableSubject(profile: Profile): { subject: DisableSubject; unmet: [] } | { subject?: undefined; unmet: Unmet[] } {
  const lc = profile.lifecycle;
  if (!lc) return { unmet: [noLifecycle('disable a key')] };
  const list = missingActions(profile, ['disable'], 'to disable a key');
  if (lc.actOnOwnKey) {
    if (needsId(profile) && !profile.key.id) list.push(unmet(['key', 'id'], 'lifecycle.actOnOwnKey needs key.id to address the key'));
    list.push(...missingActions(profile, ['enable'], 'to re-enable the own key afterwards (lifecycle.actOnOwnKey)'));
    return list.length ? { unmet: list } : { subject: 'own key', unmet: [] };
  }
  if (profile.canary) {
    if (needsId(profile) && !profile.canary.id)
      list.push(unmet(['canary', 'id'], 'the declared canary needs an id for the lifecycle adapter'));
    list.push(...missingActions(profile, ['enable'], 'to re-enable the declared canary afterwards'));
    return list.length ? { unmet: list } : { subject: 'declared canary', unmet: [] };
  }
  if (!adapterCan(profile, 'create') || !adapterCan(profile, 'delete'))
    list.push(
      unmet(
        ['canary'],
        `no key to disable: declare a spare \`canary\` key, give the ${lc.adapter} adapter create and delete actions, or set lifecycle.actOnOwnKey`,
      ),
    );
  else list.push(...canaryCreationUnmet(profile));
  return list.length ? { unmet: list } : { subject: 'created canary', unmet: [] };
}

export function noRateLimit(profile: Profile): Unmet[] {
  return profile.rateLimit ? [] : [unmet(['rateLimit'], 'the profile declares no rateLimit')];
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
