// A key nobody has used for months but that still works is pure risk: it can
// leak and be used without anyone noticing. Disable or delete it.
import { z } from 'zod';
import { day, daysBetween, DAY_MS, defineRule, Judgement, NOT_RECORDED } from '../rule.js';

export default defineRule({
  id: 'audit.stale-key',
  title: 'No enabled key sits unused',
  description: 'Flags enabled, unexpired keys not used for more than unusedDays (never-used keys count from their creation).',
  severity: 'medium',
  gating: true,
  params: z.strictObject({
    unusedDays: z
      .number()
      .int()
      .positive()
      .default(90)
      .meta({ description: 'An enabled key unused for more than this many days is stale.', examples: [30] }),
  }),
  expected: (p) => `every enabled key used within the last ${p.unusedDays} days`,
  summary: (p) => `enabled keys unused for more than ${p.unusedDays} days`,
  evaluate(inventory, params, { now }) {
    const cutoff = now - params.unusedDays * DAY_MS;
    const out = new Judgement();
    const recordsUse = inventory.recorded.has('lastUsed');
    for (const key of inventory.keys) {
      if (!key.enabled || (key.expires !== undefined && key.expires <= now)) continue;
      // A key younger than the threshold cannot be stale, whatever is recorded about its use.
      if (key.created !== undefined && key.created >= cutoff) continue;
      if (!recordsUse) {
        out.cannotJudge(key, NOT_RECORDED.lastUsed);
        continue;
      }
      if (key.lastUsed !== undefined) {
        if (key.lastUsed < cutoff) out.fail(key, `last used ${day(key.lastUsed)}, ${daysBetween(key.lastUsed, now)} days ago`);
      } else if (key.created === undefined) out.cannotJudge(key, 'never used, and no creation date recorded');
      else out.fail(key, `never used; created ${day(key.created)}, ${daysBetween(key.created, now)} days ago`);
    }
    return out;
  },
});
