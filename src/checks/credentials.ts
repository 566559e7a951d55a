// Helpers for the checks that present credentials other than the profile's
// key: where to send them, how to place a raw value the way the target
// expects, and how to judge the answer to a credential that must be refused.
import { z } from 'zod';
import type { AllowedResource, Profile } from '../config/profile-schema.js';
import type { Credential } from '../http/client.js';
import { describeExpected, statusText } from './describe.js';

/**
 * The resource a credential probe goes to: an allowed one, so that a refusal
 * can only be about the credential (the key itself would be served there).
 * A GET is preferred because it changes nothing when a bad credential gets in.
 */
export function probeResource(profile: Profile): AllowedResource {
  return profile.allowed.find((r) => r.method === 'GET') ?? profile.allowed[0]!;
}

/** A raw credential value placed where the profile's target expects the key (header with scheme, or query parameter). */
export function presentAs(profile: Profile, value: string): Credential {
  const auth = profile.target.auth;
  if ('query' in auth) return { kind: 'query', name: auth.query, value };
  return { kind: 'header', name: auth.header, value: auth.scheme ? `${auth.scheme} ${value}` : value };
}

/** Statuses that count as refusing a bad credential: the profile's rejection statuses, plus any extra (e.g. 400). */
export function rejectionStatuses(profile: Profile, extra: readonly number[] = []): number[] {
  return [...new Set([...profile.rejection.statuses, ...extra])];
}

/**
 * Why a status is not an acceptable refusal of a credential that must not
 * work, or undefined when it is one. 2xx (served) and 5xx (crashed) are named
 * as such, because they are the two real defects.
 */
export function refusalProblem(status: number, accepted: readonly number[]): string | undefined {
  if (accepted.includes(status)) return undefined;
  if (status >= 200 && status < 300) return `${statusText(status)}: the credential was accepted`;
  if (status >= 500) return `${statusText(status)}: a server error instead of a refusal`;
  return `${statusText(status)}, expected ${describeExpected(accepted)}`;
}

/** The `alsoAccept` param of the checks that judge refused credentials: extra refusal statuses, set in a suite. */
export function alsoAcceptParam() {
  return z
    .array(z.number().int().min(400).max(499))
    .default([])
    .meta({
      description:
        "Refusal statuses accepted besides the profile's rejection.statuses, set in the suite where everyone can see them; none by default (the profile's list means what it says).",
      examples: [[400]],
    });
}
