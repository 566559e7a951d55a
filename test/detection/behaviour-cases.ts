// The detection matrix under the reference target's key-model behaviours
// (keys that select their environment, delete as the only off switch, a
// lagging key cache): with a behaviour on and the profile declaring it
// truthfully (src/demo/declare.ts, as `keyprobe demo --behaviour` does) every
// check still passes, and each fault still makes exactly its one check fail,
// under both limiters of case.ts. behaviour-matrix.test.ts proves it; the
// README table lists these rows after the plain ones. (The rate-limiting
// behaviours are proven not to be defects in behaviours.test.ts.)
import type { DetectionCase } from './case.js';

/** A platform behaviour (its name, and as switched on) and the phase of the checks it changes. */
export interface BehaviourMode {
  readonly name: 'keys-select-environment' | 'delete-only' | 'revocation-cache';
  readonly behaviours: readonly string[];
  readonly phase: 'request' | 'lifecycle';
}

export const BEHAVIOUR_MODES: readonly BehaviourMode[] = [
  { name: 'keys-select-environment', behaviours: ['keys-select-environment'], phase: 'request' },
  { name: 'delete-only', behaviours: ['delete-only'], phase: 'lifecycle' },
  // A 1 s cache keeps the tests short; Unleash refreshes every 60 s.
  { name: 'revocation-cache', behaviours: ['revocation-cache=1000'], phase: 'lifecycle' },
];

function under(mode: BehaviourMode, name: string, faults: string[], expectFail: string): DetectionCase {
  return { name: `${name} under ${mode.behaviours.join(' + ')}`, behaviours: mode.behaviours, faults, expectFail };
}

const [envByKey, deleteOnly, cache] = BEHAVIOUR_MODES as [BehaviourMode, BehaviourMode, BehaviourMode];
const DISABLE = 'lifecycle.disabled-key-rejected';
const EXPIRY = 'lifecycle.expired-key-rejected';

export const BEHAVIOUR_CASES: readonly DetectionCase[] = [
  // A foreign key that sees this environment's data, where foreign keys are otherwise served their own.
  under(envByKey, 'cross-environment', ['cross-environment'], 'env.foreign-environment-key-rejected'),
  under(deleteOnly, 'revocation-delay', ['revocation-delay=2000'], DISABLE),
  under(deleteOnly, 'revocation-flap', ['revocation-flap=0.3'], DISABLE),
  under(deleteOnly, 'accept-expired', ['accept-expired'], EXPIRY),
  under(deleteOnly, 'rotation-no-expiry', ['rotation-no-expiry'], 'lifecycle.rotated-key'),
  // The delay comes on top of the cache: refused only at the first refresh after it, and measured as such.
  under(cache, 'revocation-delay', ['revocation-delay=2000'], DISABLE),
  under(cache, 'revocation-flap', ['revocation-flap=0.3'], DISABLE),
  under(cache, 'accept-expired', ['accept-expired'], EXPIRY),
  under(cache, 'rotation-no-expiry', ['rotation-no-expiry'], 'lifecycle.rotated-key'),
];
