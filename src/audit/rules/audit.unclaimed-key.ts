// A key nobody answers for cannot be reviewed, rotated or reclaimed: every key
// needs an owner, and where the policy lists custodians, one of them.
import { z } from 'zod';
import { defineRule, Judgement, NOT_RECORDED } from '../rule.js';

export default defineRule({
  id: 'audit.unclaimed-key',
  title: 'Every key has a known owner',
  description:
    'Flags keys with no owner, or (when the policy lists custodians) an owner who is not one of them. A custodian entry starting with "@" matches a whole e-mail domain.',
  severity: 'high',
  gating: true,
  params: z.strictObject({
    custodians: z
      .array(z.string().min(1))
      .default([])
      .meta({
        description: 'Owners that count as real custodians; empty means any non-empty owner. Case does not matter.',
        examples: [['crm-platform-team@example.com']],
      }),
  }),
  expected: (p) => (p.custodians.length ? `every key owned by one of ${p.custodians.length} custodians` : 'every key has an owner'),
  summary: (p) => (p.custodians.length ? 'keys without an owner, or with one who is not a custodian' : 'keys without an owner'),
  evaluate(inventory, params) {
    const exact = new Set(params.custodians.filter((c) => !c.startsWith('@')).map((c) => c.toLowerCase()));
    const domains = params.custodians.filter((c) => c.startsWith('@')).map((c) => c.toLowerCase());
    const isCustodian = (owner: string) => {
      const o = owner.toLowerCase();
      return exact.has(o) || domains.some((d) => o.endsWith(d));
    };
    const out = new Judgement();
    const recordsOwners = inventory.recorded.has('owner');
    for (const key of inventory.keys) {
      if (!recordsOwners) out.cannotJudge(key, NOT_RECORDED.owner);
      else if (!key.owner) out.fail(key, 'no owner');
      else if (params.custodians.length > 0 && !isCustodian(key.owner)) out.fail(key, `owner "${key.owner}" is not a custodian`);
    }
    return out;
  },
});
