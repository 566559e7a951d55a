// A key nobody has used for months but that still works is pure risk: it can
// leak and be used without anyone noticing. Disable or delete it.
import { z } from 'zod';
import { day, daysBetween, DAY_MS, defineRule, refOf, type Finding } from '../rule.js';

export default defineRule({
  id: 'audit.stale-key',
  title: 'No enabled key sits unused',
  description: 'Flags enabled, unexpired keys not used for more than unusedDays (never-used keys count from their creation).',
  severity: 'medium',
  gating: true,
  params: z.strictObject({ unusedDays: z.number().int().positive().default(90) }),
  expected: (p) => `every enabled key used within the last ${p.unusedDays} days`,
  summary: (p) => `enabled keys unused for more than ${p.unusedDays} days`,
  evaluate(inventory, params, { now }) {
    const cutoff = now - params.unusedDays * DAY_MS;
    const findings: Finding[] = [];
    for (const key of inventory.keys) {
      if (!key.enabled || (key.expires !== undefined && key.expires <= now)) continue;
      const since = key.lastUsed ?? key.created;
      if (since >= cutoff) continue;
      const detail =
        key.lastUsed !== undefined
          ? `last used ${day(key.lastUsed)}, ${daysBetween(key.lastUsed, now)} days ago`
          : `never used; created ${day(key.created)}, ${daysBetween(key.created, now)} days ago`;
      findings.push({ key: refOf(key), detail });
    }
    return findings;
  },
});
