// Every audit rule, in one explicit list: a new rule is one file plus one line
// here. Order here is the order in reports.
import type { AnyRule } from '../rule.js';
import inventoryRowsValid from './audit.inventory-rows-valid.js';
import secretInInventory from './audit.secret-in-inventory.js';
import unclaimedKey from './audit.unclaimed-key.js';
import staleKey from './audit.stale-key.js';
import overPrivilegedKey from './audit.over-privileged-key.js';
import testKeyInProduction from './audit.test-key-in-production.js';
import keyNaming from './audit.key-naming.js';
import expiryPolicy from './audit.expiry-policy.js';
import rotationOverdue from './audit.rotation-overdue.js';
import rotationDueSoon from './audit.rotation-due-soon.js';
import revokedKeyInUse from './audit.revoked-key-in-use.js';

export const RULES: readonly AnyRule[] = [
  inventoryRowsValid,
  secretInInventory,
  unclaimedKey,
  staleKey,
  overPrivilegedKey,
  testKeyInProduction,
  keyNaming,
  expiryPolicy,
  rotationOverdue,
  rotationDueSoon,
  revokedKeyInUse,
] as unknown as readonly AnyRule[];
