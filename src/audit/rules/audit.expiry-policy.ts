// A key that never expires outlives the people and systems that knew about
// it. Every enabled key needs an expiry within the maximum lifetime.
import { z } from 'zod';
import { daysBetween, DAY_MS, defineRule, refOf, type Finding } from '../rule.js';

export default defineRule({
  id: 'audit.expiry-policy',
  title: 'Every key expires within the maximum lifetime',
  description: 'Flags enabled keys without an expiry, or whose expiry lies more than maxLifetimeDays after their creation.',
  severity: 'high',
  gating: true,
  params: z.strictObject({ maxLifetimeDays: z.number().int().positive().default(365) }),
  expected: (p) => `every enabled key expires at most ${p.maxLifetimeDays} days after its creation`,
  summary: (p) => `enabled keys without an expiry or living longer than ${p.maxLifetimeDays} days`,
  evaluate(inventory, params) {
    const findings: Finding[] = [];
    for (const key of inventory.keys) {
      if (!key.enabled) continue;
      if (key.expires === undefined) findings.push({ key: refOf(key), detail: 'no expiry' });
      else if (key.expires - key.created > params.maxLifetimeDays * DAY_MS) {
        findings.push({
          key: refOf(key),
          detail: `lives ${daysBetween(key.created, key.expires)} days (at most ${params.maxLifetimeDays})`,
        });
      }
    }
    return findings;
  },
});
