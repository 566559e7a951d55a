// Names are how people find, review and reclaim keys: `<system>-<env>-<purpose>`,
// nothing generic, parts that agree with what is recorded, and no two keys
// with the same name. The convention itself lives in src/rules/naming.ts.
import { z } from 'zod';
import { GENERIC_NAMES, GENERIC_PURPOSES, KNOWN_ENVIRONMENTS, keyNameProblems, nameIdentity } from '../../rules/naming.js';
import { defineRule, Judgement, NOT_RECORDED } from '../rule.js';

export default defineRule({
  id: 'audit.key-naming',
  title: 'Every key is named <system>-<env>-<purpose>, uniquely',
  description:
    'Flags names that do not follow <system>-<env>-<purpose>, are generic (test, api, key, default…), whose parts disagree with the recorded environment/system/purpose, or that another key already has (case-insensitive).',
  severity: 'low',
  gating: true,
  params: z.strictObject({
    genericNames: z
      .array(z.string().min(1))
      .default([...GENERIC_NAMES])
      .meta({ description: 'Whole names (and system parts) that are generic.', examples: [['test', 'api', 'default']] }),
    genericPurposes: z
      .array(z.string().min(1))
      .default([...GENERIC_PURPOSES])
      .meta({ description: 'Purpose parts that are generic.', examples: [['key', 'access']] }),
    duplicates: z
      .boolean()
      .default(true)
      .meta({ description: 'Flag keys whose name another key already has.', examples: [false] }),
  }),
  expected: () => 'every name is <system>-<env>-<purpose>, not generic, agrees with the recorded fields and is unique',
  summary: () => 'keys breaking the naming convention',
  evaluate(inventory, params, settings) {
    const environments = [
      ...new Set([...KNOWN_ENVIRONMENTS, ...settings.productionEnvironments, ...settings.testEnvironments].map((e) => e.toLowerCase())),
    ];
    const options = { environments, genericNames: params.genericNames, genericPurposes: params.genericPurposes };
    const firstWithName = new Map<string, { name: string; id: string; row: number }>();
    const out = new Judgement();
    for (const key of inventory.keys) {
      if (key.name === undefined) {
        out.cannotJudge(key, NOT_RECORDED.name);
        continue;
      }
      const problems = keyNameProblems(key.name, { environment: key.environment, system: key.system, purpose: key.purpose }, options);
      if (params.duplicates) {
        const identity = nameIdentity(key.name);
        const first = firstWithName.get(identity);
        if (first) problems.push(`same name as ${first.name} (${first.id}, row ${first.row})`);
        else firstWithName.set(identity, { name: key.name, id: key.id, row: key.row });
      }
      if (problems.length) out.fail(key, problems.join('; '));
    }
    return out;
  },
});
