// An enabled key past its rotation date: its expiry passed, or it has not been
// rotated within the rotation period.
import { z } from 'zod';
import { day, daysBetween, defineRule, Judgement } from '../rule.js';
import { NO_ROTATION_BASE, rotationDue } from './rotation.js';

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
    const out = new Judgement();
    for (const key of inventory.keys) {
      if (!key.enabled) continue;
      const due = rotationDue(key, settings);
      // Past the expiry is overdue whatever the creation date; before it, only an exact date can tell.
      if (due && due.at <= settings.now) out.fail(key, `rotation was due ${day(due.at)}, ${daysBetween(due.at, settings.now)} days ago`);
      else if (!due?.exact) out.cannotJudge(key, NO_ROTATION_BASE);
    }
    return out;
  },
});
