// A warning, not a failure (not gating by default): keys whose rotation date
// comes within warningDays, so the owner can plan the rotation.
import { z } from 'zod';
import { day, daysBetween, DAY_MS, defineRule, refOf, type Finding } from '../rule.js';
import { rotationDue } from './rotation.js';

export default defineRule({
  id: 'audit.rotation-due-soon',
  title: 'No key is due for rotation within the warning period',
  description: 'Flags enabled keys whose rotation date (see audit.rotation-overdue) comes within warningDays. Advisory by default.',
  severity: 'low',
  gating: false,
  params: z.strictObject({ warningDays: z.number().int().nonnegative().default(30) }),
  expected: (p) => `no enabled key due for rotation within ${p.warningDays} days`,
  summary: (p) => `enabled keys due for rotation within ${p.warningDays} days`,
  evaluate(inventory, params, settings) {
    const horizon = settings.now + params.warningDays * DAY_MS;
    const findings: Finding[] = [];
    for (const key of inventory.keys) {
      if (!key.enabled) continue;
      const due = rotationDue(key, settings);
      if (due > settings.now && due <= horizon)
        findings.push({ key: refOf(key), detail: `rotation due ${day(due)}, in ${Math.max(0, daysBetween(settings.now, due))} days` });
    }
    return findings;
  },
});
