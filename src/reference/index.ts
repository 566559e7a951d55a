// The reference target: a small agent-platform API protected by API keys, with
// switchable faults that reproduce real key defects and platform behaviours
// that reproduce real platforms' manners (docs/reference-target.md).

export { startReferenceTarget, DEFAULT_RATE_LIMIT } from './target.js';
export type { ReferenceTarget, ReferenceTargetOptions } from './target.js';
export {
  FAULTS,
  FAULT_NAMES,
  FaultError,
  isFaultName,
  normalizeFaultSettings,
  parseFaultArgs,
} from './faults.js';
export type { FaultDefinition, FaultName, FaultSettings, FaultValue } from './faults.js';
export {
  BEHAVIOURS,
  BEHAVIOUR_NAMES,
  BehaviourError,
  isBehaviourName,
  normalizeBehaviourSettings,
  parseBehaviourArgs,
} from './behaviours.js';
export type { BehaviourDefinition, BehaviourName, BehaviourSettings, BehaviourValue } from './behaviours.js';
export { KeyInputError } from './keys.js';
export type { CreateKeyInput, CreatedKey, KeyView, RateLimitPolicy, RevocationEvent, RotatedKey } from './keys.js';
export type { TargetStats } from './stats.js';
