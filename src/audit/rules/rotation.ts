// When a key is due for rotation: at its expiry, or rotationPeriodDays after
// its creation (or last rotation), whichever comes first. Without a creation
// or rotation date only the expiry is known, and it is only an upper bound.
import { DAY_MS, type AuditSettings } from '../rule.js';
import type { InventoryKey } from '../inventory.js';

export interface RotationDue {
  readonly at: number;
  /** False when `at` is the expiry alone: the key may have been due earlier. */
  readonly exact: boolean;
}

export function rotationDue(key: InventoryKey, settings: AuditSettings): RotationDue | undefined {
  const base = key.rotated ?? key.created;
  if (base === undefined) return key.expires !== undefined ? { at: key.expires, exact: false } : undefined;
  const byPeriod = base + settings.rotationPeriodDays * DAY_MS;
  return { at: key.expires !== undefined ? Math.min(key.expires, byPeriod) : byPeriod, exact: true };
}

export const NO_ROTATION_BASE = 'no creation or rotation date recorded';
