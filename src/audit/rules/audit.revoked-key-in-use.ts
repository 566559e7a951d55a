// A disabled or expired key that is still seen in use means revocation does
// not work (or a caller still depends on a key that should be dead).
import { z } from 'zod';
import { day, DAY_MS, defineRule, Judgement, NOT_RECORDED } from '../rule.js';

export default defineRule({
  id: 'audit.revoked-key-in-use',
  title: 'No disabled or expired key is still in use',
  description:
    'Flags keys used after their expiry, and disabled keys used after disabledAt (where recorded) or, without disabledAt, within the last recentUseDays.',
  severity: 'critical',
  gating: true,
  params: z.strictObject({
    recentUseDays: z
      .number()
      .positive()
      .default(1)
      .meta({
        description: 'Without a recorded disabledAt: a disabled key used this recently (days) counts as still in use.',
        examples: [7],
      }),
  }),
  expected: () => 'no use of a key after it was disabled or expired',
  summary: () => 'disabled or expired keys still in use',
  evaluate(inventory, params, { now }) {
    const recent = now - params.recentUseDays * DAY_MS;
    const out = new Judgement();
    const recordsUse = inventory.recorded.has('lastUsed');
    for (const key of inventory.keys) {
      if (!recordsUse) {
        // Only a dead key can be "in use after revocation"; those are the ones it cannot judge.
        if (!key.enabled || (key.expires !== undefined && key.expires <= now)) out.cannotJudge(key, NOT_RECORDED.lastUsed);
        continue;
      }
      if (key.lastUsed === undefined) continue;
      const reasons: string[] = [];
      if (key.expires !== undefined && key.lastUsed > key.expires)
        reasons.push(`used ${day(key.lastUsed)}, after it expired on ${day(key.expires)}`);
      if (!key.enabled) {
        if (key.disabledAt !== undefined) {
          if (key.lastUsed > key.disabledAt)
            reasons.push(`used ${new Date(key.lastUsed).toISOString()}, after it was disabled on ${day(key.disabledAt)}`);
        } else if (key.lastUsed >= recent)
          reasons.push(`disabled, yet last used ${new Date(key.lastUsed).toISOString()} (within ${params.recentUseDays} days)`);
      }
      if (reasons.length) out.fail(key, reasons.join('; '));
    }
    return out;
  },
});
