// A key that never expires outlives the people and systems that knew about
// it. Every enabled key needs an expiry within the maximum lifetime.
import { z } from 'zod';
import { daysBetween, DAY_MS, defineRule, Judgement, NOT_RECORDED } from '../rule.js';

export default defineRule({
  id: 'audit.expiry-policy',
  title: 'Every key expires within the maximum lifetime',
  description: 'Flags enabled keys without an expiry, or whose expiry lies more than maxLifetimeDays after their creation.',
  severity: 'high',
  gating: true,
  params: z.strictObject({
    maxLifetimeDays: z
      .number()
      .int()
      .positive()
      .default(365)
      .meta({
        description: 'The longest an enabled key may live, from its creation to its expiry, in days.',
        examples: [90],
      }),
  }),
  expected: (p) => `every enabled key expires at most ${p.maxLifetimeDays} days after its creation`,
  summary: (p) => `enabled keys without an expiry or living longer than ${p.maxLifetimeDays} days`,
  evaluate(inventory, params) {
    const out = new Judgement();
    const recordsExpiry = inventory.recorded.has('expires');
    for (const key of inventory.keys) {
      if (!key.enabled) continue;
      // An empty expiry means "never" only where the inventory records expiry at all.
      if (!recordsExpiry) out.cannotJudge(key, NOT_RECORDED.expires);
      else if (key.expires === undefined) out.fail(key, 'no expiry');
      else if (key.created === undefined) out.cannotJudge(key, 'no creation date recorded, so its lifetime is unknown');
      else if (key.expires - key.created > params.maxLifetimeDays * DAY_MS)
        out.fail(key, `lives ${daysBetween(key.created, key.expires)} days (at most ${params.maxLifetimeDays})`);
    }
    return out;
  },
});
