// A warning, not a failure (not gating by default): keys whose rotation date
// comes within warningDays, so the owner can plan the rotation.
import { z } from 'zod';
import { day, daysBetween, DAY_MS, defineRule, Judgement } from '../rule.js';
import { NO_ROTATION_BASE, rotationDue } from './rotation.js';

export default defineRule({
  id: 'audit.rotation-due-soon',
  title: 'No key is due for rotation within the warning period',
  description: 'Flags enabled keys whose rotation date (see audit.rotation-overdue) comes within warningDays. Advisory by default.',
  severity: 'low',
  gating: false,
  params: z.strictObject({
    warningDays: z
      .number()
      .int()
      .nonnegative()
      .default(30)
      .meta({ description: 'Flag enabled keys due for rotation within this many days.', examples: [14] }),
  }),
  expected: (p) => `no enabled key due for rotation within ${p.warningDays} days`,
  summary: (p) => `enabled keys due for rotation within ${p.warningDays} days`,
  evaluate(inventory, params, settings) {
    const horizon = settings.now + params.warningDays * DAY_MS;
    const out = new Judgement();
    for (const key of inventory.keys) {
      if (!key.enabled) continue;
      const due = rotationDue(key, settings);
      // Already overdue is audit.rotation-overdue's finding, not this one's.
      if (due && due.at <= settings.now) continue;
      if (!due?.exact) out.cannotJudge(key, NO_ROTATION_BASE);
      else if (due.at <= horizon) out.fail(key, `rotation due ${day(due.at)}, in ${Math.max(0, daysBetween(settings.now, due.at))} days`);
    }
    return out;
  },
});
