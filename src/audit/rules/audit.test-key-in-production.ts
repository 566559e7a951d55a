// A test key in production means production trusts a credential that lives in
// test tooling, CI logs and laptops. Caught by the recorded environment, the
// key's prefix (kp_test_, sk_test_), its name, or where it was seen calling.
import { z } from 'zod';
import { parseKeyName } from '../../rules/naming.js';
import { defineRule, Judgement } from '../rule.js';

export default defineRule({
  id: 'audit.test-key-in-production',
  title: 'No test key is used in production',
  description:
    'Flags keys marked as test (environment, prefix such as kp_test_, or the env part of the name) that are also production-bound (environment, prefix, name, or seen calling a production environment).',
  severity: 'critical',
  gating: true,
  params: z.strictObject({}),
  expected: () => 'test keys (by environment, prefix or name) never marked or seen as production',
  summary: () => 'test keys in production',
  evaluate(inventory, _params, settings) {
    const prod = new Set(settings.productionEnvironments.map((e) => e.toLowerCase()));
    const test = new Set(settings.testEnvironments.map((e) => e.toLowerCase()));
    const out = new Judgement();
    for (const key of inventory.keys) {
      const env = key.environment?.toLowerCase();
      const prefixWords = key.prefix
        ? key.prefix
            .toLowerCase()
            .split(/[_\-.]+/)
            .filter(Boolean)
        : [];
      const parsed = key.name !== undefined ? parseKeyName(key.name.toLowerCase()) : undefined;
      const nameEnv = parsed?.ok ? parsed.parts.environment : undefined;
      // Nothing at all says where this key belongs: no recorded environment, prefix, name part or use.
      if (env === undefined && nameEnv === undefined && prefixWords.length === 0 && key.seenEnvironments.length === 0) {
        out.cannotJudge(key, 'no environment recorded, and neither its name, prefix nor use tells one');
        continue;
      }

      const testMarks: string[] = [];
      if (env !== undefined && test.has(env)) testMarks.push(`environment "${key.environment}"`);
      const testPrefix = prefixWords.find((w) => test.has(w));
      if (testPrefix) testMarks.push(`prefix "${key.prefix}"`);
      if (nameEnv && test.has(nameEnv)) testMarks.push(`name "${key.name}"`);
      if (testMarks.length === 0) continue;

      const prodMarks: string[] = [];
      if (env !== undefined && prod.has(env)) prodMarks.push(`environment "${key.environment}"`);
      if (prefixWords.some((w) => prod.has(w))) prodMarks.push(`prefix "${key.prefix}"`);
      if (nameEnv && prod.has(nameEnv)) prodMarks.push(`name "${key.name}"`);
      const seen = key.seenEnvironments.filter((e) => prod.has(e.toLowerCase()));
      if (seen.length) prodMarks.push(`seen calling ${seen.join(', ')}`);
      if (prodMarks.length === 0) continue;

      out.fail(key, `test by ${testMarks.join(' and ')}, but production by ${prodMarks.join(' and ')}`);
    }
    return out;
  },
});
