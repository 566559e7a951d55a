// A key's name is how a person finds its owner and purpose during an
// incident: `<system>-<env>-<purpose>`, lower case with hyphens, agreeing with
// the declared fields. Generic names (test, api, key, default…) say nothing.
import { z } from 'zod';
import { GENERIC_NAMES, GENERIC_PURPOSES, nameProblems, slug } from '../rules/naming.js';
import { defineCheck } from './check.js';
import { introspect } from './introspection.js';

// The convention itself lives in src/rules/naming.ts, shared with audit.key-naming and `keyprobe init`.
export { nameProblems };

export default defineCheck({
  id: 'naming.key-name-convention',
  title: 'The key is named <system>-<env>-<purpose>',
  description:
    "The key's name (declared, and as the platform knows it where introspection is available) must be lower-case words joined by hyphens, read <system>-<env>-<purpose> in agreement with key.system, key.environment and key.purpose, and must not be generic (test, api, system, key, default, …).",
  severity: 'medium',
  practice: 'Naming',
  destructive: false,
  phase: 'request',
  params: z.strictObject({
    genericNames: z
      .array(z.string())
      .default([...GENERIC_NAMES])
      .meta({
        description: 'Whole key names that say nothing about whose key it is or what for; a key named one of them fails.',
        examples: [['default', 'test', 'my-key']],
      }),
    genericPurposes: z
      .array(z.string())
      .default([...GENERIC_PURPOSES])
      .meta({
        description: 'Purpose parts (the <purpose> of <system>-<env>-<purpose>) too vague to tell what the key is for.',
        examples: [['key', 'api', 'misc']],
      }),
  }),
  async run(ctx, params) {
    const { key } = ctx.profile;
    const conventional = `${slug(key.system)}-${slug(key.environment)}-${slug(key.purpose)}`;
    const problems = nameProblems(key.name, key, params);
    const advisories: string[] = [];
    const measurements: Record<string, string> = { name: key.name, conventionalName: conventional };

    const intro = await introspect(ctx.http, ctx.profile);
    if (intro?.ok && intro.data.name !== undefined) {
      measurements.platformName = intro.data.name;
      if (intro.data.name !== key.name) problems.push(`the platform knows the key as "${intro.data.name}", not "${key.name}"`);
    } else if (intro && !intro.ok) advisories.push(`introspection was not usable (${intro.why}); only the declared name was checked`);

    const suggestion = params.genericPurposes.includes(slug(key.purpose))
      ? `${slug(key.system)}-${slug(key.environment)}-<what-the-key-does>`
      : conventional;
    const expected = `a name of the form <system>-<env>-<purpose> that agrees with the declared fields, e.g. ${suggestion}`;
    if (problems.length > 0)
      return {
        verdict: 'fail',
        message: `the key name "${key.name}" breaks the convention: ${problems.join('; ')}; expected ${suggestion}`,
        expected,
        observed: problems.join('; '),
        advisories,
        measurements,
      };
    return {
      verdict: 'pass',
      message: `"${key.name}" is <system>-<env>-<purpose> and agrees with the declared system, environment and purpose`,
      expected,
      advisories,
      measurements,
      // Without the platform's own name for the key, only the declaration was judged.
      ...(measurements.platformName === undefined ? { basis: 'declared' as const } : {}),
    };
  },
});
