// The key must belong to the environment the target serves, by every sign
// there is: its declared environment, the environment part of its name, the
// environment marker at the start of the secret (Stripe's sk_test_/sk_live_),
// and what the platform says about it (introspection). A test key wired into
// production, or a live key into a test system, is caught before launch.
import { defineCheck, noParams } from './check.js';
import { canonicalEnvironment, environmentMarker, isEnvironmentWord, isProduction } from '../rules/environments.js';
import { introspect } from './introspection.js';

export default defineCheck({
  id: 'env.key-matches-environment',
  title: 'The key belongs to the environment the target serves',
  description:
    "Compares the target's environment with the key's declared environment, the environment part of its name, the environment marker at the start of the secret (a test marker on production, a live marker elsewhere) and, where available, the introspected environment.",
  severity: 'high',
  practice: 'Per-environment keys',
  destructive: false,
  phase: 'request',
  params: noParams,
  async run(ctx) {
    const { key, target } = ctx.profile;
    const targetEnv = target.environment ?? key.environment;
    const want = canonicalEnvironment(targetEnv);
    const mismatches: string[] = [];
    const advisories: string[] = [];
    const measurements: Record<string, string> = { targetEnvironment: targetEnv, declaredEnvironment: key.environment };
    if (!target.environment)
      advisories.push(
        "target.environment is not declared, so the target is taken to serve the key's declared environment; declare it to compare the two",
      );

    if (canonicalEnvironment(key.environment) !== want) mismatches.push(`the key is declared for "${key.environment}" (key.environment)`);

    const nameEnv = environmentInName(key.name, key.system);
    if (nameEnv) {
      measurements.nameEnvironment = nameEnv;
      if (canonicalEnvironment(nameEnv) !== want) mismatches.push(`its name ${key.name} says "${nameEnv}"`);
    } else advisories.push(`the name ${key.name} has no environment part (see naming.key-name-convention)`);

    // Production must not get a non-production marker; other environments must not get a live one.
    // (A test marker on staging is normal: many platforms have only test and live keys.)
    const marker = environmentMarker(key.secret);
    if (marker) {
      measurements.secretMarker = marker.prefix;
      const wrong = isProduction(targetEnv) ? !isProduction(marker.environment) : isProduction(marker.environment);
      if (wrong) mismatches.push(`the secret starts with the ${marker.environment} marker "${marker.prefix}"`);
    }

    const intro = await introspect(ctx.http, ctx.profile);
    if (intro?.ok && intro.data.environment) {
      measurements.introspectedEnvironment = intro.data.environment;
      if (canonicalEnvironment(intro.data.environment) !== want)
        mismatches.push(`the platform reports environment "${intro.data.environment}" (GET ${intro.data.path})`);
    } else if (intro && !intro.ok)
      advisories.push(`introspection was not usable (${intro.why}); only the declaration and the secret were compared`);

    const expected = `every sign of the key's environment says "${targetEnv}", the environment this target serves`;
    if (mismatches.length > 0)
      return {
        verdict: 'fail',
        message: `expected a key for "${targetEnv}" (the target's environment), but ${mismatches.join('; ')}`,
        expected,
        observed: mismatches.join('; '),
        advisories,
        measurements,
      };
    const signs = [
      'declared environment',
      ...(nameEnv ? ['name'] : []),
      ...(marker ? [`secret marker ${marker.prefix}`] : []),
      ...(intro?.ok && intro.data.environment ? ['introspection'] : []),
    ];
    return {
      verdict: 'pass',
      message: `the key belongs to "${targetEnv}" by every sign checked (${signs.join(', ')})`,
      expected,
      advisories,
      measurements,
      // Without the platform's word (introspection), only the declaration and the secret's own marker were judged.
      ...(intro?.ok && intro.data.environment ? {} : { basis: 'declared' as const }),
    };
  },
});

/** The environment part of `<system>-<env>-<purpose>`, or any environment word in the name. */
export function environmentInName(name: string, system: string): string | undefined {
  const parts = name
    .toLowerCase()
    .split(/[-_.\s]+/)
    .filter(Boolean);
  const systemParts = system
    .toLowerCase()
    .split(/[-_.\s]+/)
    .filter(Boolean);
  const startsWithSystem = systemParts.every((p, i) => parts[i] === p);
  if (startsWithSystem && parts.length > systemParts.length && isEnvironmentWord(parts[systemParts.length]!))
    return parts[systemParts.length];
  return parts.find((p) => isEnvironmentWord(p));
}
