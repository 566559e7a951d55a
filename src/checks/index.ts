// Every check keyprobe has, in one explicit list: a new check is one file
// plus one line here. Order here is the order in reports.
import type { AnyCheck } from './check.js';
import authValidKeyAccepted from './auth.valid-key-accepted.js';
import authMissingKeyRejected from './auth.missing-key-rejected.js';
import authInvalidKeyRejected from './auth.invalid-key-rejected.js';
import authNearMissKeyRejected from './auth.near-miss-key-rejected.js';
import authKeyInQueryRejected from './auth.key-in-query-rejected.js';
import authzUnauthorizedResourceDenied from './authz.unauthorized-resource-denied.js';
import envForeignEnvironmentKeyRejected from './env.foreign-environment-key-rejected.js';
import envKeyMatchesEnvironment from './env.key-matches-environment.js';
import namingKeyNameConvention from './naming.key-name-convention.js';
import governanceOwnerAndExpiry from './governance.owner-and-expiry.js';
import privilegeLeastPrivilege from './privilege.least-privilege.js';
import lifecycleDisabledKeyRejected from './lifecycle.disabled-key-rejected.js';
import lifecycleRotatedKey from './lifecycle.rotated-key.js';
import lifecycleExpiredKeyRejected from './lifecycle.expired-key-rejected.js';
import rateLimitTriggered from './rate.limit-triggered.js';
import rateLimitSignalled from './rate.limit-signalled.js';
import rateRecovers from './rate.recovers.js';
import ratePerKeyIsolation from './rate.per-key-isolation.js';

export const CHECKS: readonly AnyCheck[] = [
  authValidKeyAccepted,
  authMissingKeyRejected,
  authInvalidKeyRejected,
  authNearMissKeyRejected,
  authKeyInQueryRejected,
  authzUnauthorizedResourceDenied,
  envForeignEnvironmentKeyRejected,
  envKeyMatchesEnvironment,
  namingKeyNameConvention,
  governanceOwnerAndExpiry,
  privilegeLeastPrivilege,
  lifecycleDisabledKeyRejected,
  lifecycleRotatedKey,
  lifecycleExpiredKeyRejected,
  rateLimitTriggered,
  rateLimitSignalled,
  rateRecovers,
  ratePerKeyIsolation,
] as unknown as readonly AnyCheck[];

export function findCheck(id: string): AnyCheck | undefined {
  return CHECKS.find((c) => c.id === id);
}
