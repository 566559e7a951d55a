// Every check keyprobe has, in one explicit list: a new check is one file
// plus one line here. Order here is the order in reports.
import type { AnyCheck } from './check.js';
import authValidKeyAccepted from './auth.valid-key-accepted.js';
import authMissingKeyRejected from './auth.missing-key-rejected.js';

export const CHECKS: readonly AnyCheck[] = [
  authValidKeyAccepted,
  authMissingKeyRejected,
] as unknown as readonly AnyCheck[];

export function findCheck(id: string): AnyCheck | undefined {
  return CHECKS.find((c) => c.id === id);
}
