// An enabled key past its rotation date: its expiry passed, or it has not been
// rotated within the rotation period.
import { z } from 'zod';
import { day, daysBetween, defineRule, refOf, type Finding } from '../rule.js';
import { rotationDue } from './rotation.js';

export default defineRule({
  id: 'audit.rotation-overdue',
  title: 'No enabled key is overdue for rotation',
  description:
    'Flags enabled keys whose rotation date (expiry, or creation/last rotation plus rotationPeriodDays, whichever is first) has passed.',
  severity: 'high',
  gating: true,
  params: z.strictObject({}),
  expected: (_p, s) => `every enabled key rotated before it expires and at least every ${s.rotationPeriodDays} days`,
  summary: () => 'enabled keys overdue for rotation',
  evaluate(inventory, _params, settings) {
    const findings: Finding[] = [];
    for (const key of inventory.keys) {
      if (!key.enabled) continue;
      const due = rotationDue(key, settings);
      if (due <= settings.now)
        findings.push({ key: refOf(key), detail: `rotation was due ${day(due)}, ${daysBetween(due, settings.now)} days ago` });
    }
    return findings;
  },
});
