// When a key is due for rotation: at its expiry, or rotationPeriodDays after
// its creation (or last rotation), whichever comes first.
import { DAY_MS, type AuditSettings } from '../rule.js';
import type { InventoryKey } from '../inventory.js';

export function rotationDue(key: InventoryKey, settings: AuditSettings): number {
  const byPeriod = (key.rotated ?? key.created) + settings.rotationPeriodDays * DAY_MS;
  return key.expires !== undefined ? Math.min(key.expires, byPeriod) : byPeriod;
}
