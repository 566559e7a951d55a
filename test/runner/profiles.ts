// Profiles built in code for runner and check tests: the same schema (and so
// the same defaults) as a profile file, without the file.
import { profileSchema, type ProfileInput } from '../../src/config/profile-schema.js';
import type { LoadedProfile } from '../../src/config/load-profile.js';

export function loadedProfile(input: ProfileInput, file = 'test-profile.yaml'): LoadedProfile {
  const profile = profileSchema.parse(input);
  const secrets = [
    profile.key.secret,
    ...(profile.canary ? [profile.canary.secret] : []),
    ...profile.otherEnvironments.map((k) => k.secret),
  ];
  return { file, digest: '0'.repeat(64), profile, secrets };
}

/** A minimal profile for the reference target: a key and one allowed resource, nothing else. */
export function minimalInput(origin: string, secret: string, extra: Partial<ProfileInput> = {}): ProfileInput {
  return {
    key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret },
    target: { origin },
    allowed: [{ method: 'GET', path: '/v1/agents' }],
    ...extra,
  } as ProfileInput;
}
