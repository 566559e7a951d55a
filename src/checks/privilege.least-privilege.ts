// The key should hold exactly the scopes its allowed resources need. Wildcards
// and admin scopes turn a leaked integration key into a leaked platform; any
// other excess is named so it can be removed.
import { z } from 'zod';
import { CheckError } from '../errors.js';
import { defineCheck, type CheckContext } from './check.js';
import { requirement } from './requirements.js';
import { introspect } from './introspection.js';

const ADMIN_SCOPE = /(^|[:._/-])(admin|administrator|manage|management|root|superuser|sudo|owner|full[-_]?access)([:._/-]|$)/i;

/** Known granted scopes (declared or introspected): without them there is nothing to judge. */
const knownScopes = requirement((profile) => {
  const needKnown = profile.allowed.some((r) => r.scope);
  const grantedKnown = profile.key.scopes !== undefined || profile.target.introspection !== undefined;
  if (!needKnown && !grantedKnown)
    return [
      {
        path: ['key', 'scopes'],
        message: 'neither the granted scopes (key.scopes or target.introspection) nor the needed ones (allowed[].scope) are known',
      },
    ];
  if (!grantedKnown)
    return [{ path: ['key', 'scopes'], message: 'the granted scopes are unknown: declare key.scopes or target.introspection' }];
  return [];
});

export default defineCheck({
  id: 'privilege.least-privilege',
  title: 'The key holds no scope beyond what its allowed resources need',
  description:
    'Compares the granted scopes (introspected where available, else key.scopes) with the scopes the allowed resources name (allowed[].scope). Wildcards (*, *:*, foo:*) and admin or management scopes fail; every other excess scope is named.',
  severity: 'high',
  practice: 'Least privilege',
  destructive: false,
  phase: 'request',
  params: z.strictObject({
    tolerated: z
      .array(z.string())
      .default([])
      .meta({ description: 'Scopes that are fine to hold even if no allowed resource names them.', examples: [['openid', 'profile']] }),
  }),
  requires: [knownScopes],
  async run(ctx, params) {
    const advisories: string[] = [];
    const granted = await grantedScopes(ctx, advisories);
    const needed = [...new Set(ctx.profile.allowed.flatMap((r) => (r.scope ? [r.scope] : [])))];
    const unscoped = ctx.profile.allowed.filter((r) => !r.scope).map((r) => `${r.method} ${r.path}`);
    if (unscoped.length > 0)
      advisories.push(
        `allowed resources without a scope: ${unscoped.join(', ')}; the excess is judged only against the scopes that are named`,
      );

    const wildcards = granted.scopes.filter((s) => s.includes('*'));
    const admin = granted.scopes.filter((s) => !s.includes('*') && ADMIN_SCOPE.test(s));
    const adminNeeded = admin.filter((s) => needed.includes(s));
    for (const s of adminNeeded) advisories.push(`the allowed resources need the admin scope "${s}"; consider a narrower one`);
    const excess = granted.scopes.filter(
      (s) => !needed.includes(s) && !params.tolerated.includes(s) && !wildcards.includes(s) && !admin.includes(s),
    );
    const missing = needed.filter((s) => !granted.scopes.includes(s) && wildcards.length === 0);
    if (missing.length > 0) advisories.push(`needed but not granted: ${missing.join(', ')} (see auth.valid-key-accepted)`);

    const problems: string[] = [];
    if (wildcards.length > 0) problems.push(`wildcard scope${wildcards.length > 1 ? 's' : ''} ${wildcards.join(', ')}`);
    const adminExcess = admin.filter((s) => !needed.includes(s));
    if (adminExcess.length > 0) problems.push(`admin/management scope${adminExcess.length > 1 ? 's' : ''} ${adminExcess.join(', ')}`);
    if (excess.length > 0) problems.push(`scope${excess.length > 1 ? 's' : ''} no allowed resource needs: ${excess.join(', ')}`);

    const measurements = {
      grantedScopes: granted.scopes.join(' '),
      neededScopes: needed.join(' '),
      scopeSource: granted.source,
      excessScopes: wildcards.length + adminExcess.length + excess.length,
    };
    const expected = `granted scopes (${granted.source}) within what the allowed resources need: ${needed.join(', ') || '(none named)'}`;
    // Without introspection the verdict compares two declarations: nothing the target did was seen.
    const basis = granted.observed ? {} : ({ basis: 'declared' } as const);
    if (problems.length > 0)
      return {
        verdict: 'fail',
        message: `expected only ${needed.join(', ') || 'the needed scopes'}, but the key (${granted.source}) also holds ${problems.join('; ')}`,
        expected,
        observed: `granted: ${granted.scopes.join(', ')}`,
        advisories,
        measurements,
        ...basis,
      };
    return {
      verdict: 'pass',
      message: `the key's scopes (${granted.source}: ${granted.scopes.join(', ') || 'none'}) are exactly what the allowed resources need`,
      expected,
      advisories,
      measurements,
      ...basis,
    };
  },
});

async function grantedScopes(ctx: CheckContext, advisories: string[]): Promise<{ scopes: string[]; source: string; observed: boolean }> {
  const declared = ctx.profile.key.scopes;
  const intro = await introspect(ctx.http, ctx.profile);
  if (intro?.ok && intro.data.scopes) {
    if (declared && !sameSet(declared, intro.data.scopes))
      advisories.push(
        `the declared scopes (${declared.join(', ')}) differ from the platform's (${intro.data.scopes.join(', ')}); the platform's are judged`,
      );
    return { scopes: [...intro.data.scopes], source: `introspected from GET ${intro.data.path}`, observed: true };
  }
  const why = intro ? (intro.ok ? `GET ${intro.data.path} did not name the scopes` : intro.why) : undefined;
  if (declared) {
    if (why) advisories.push(`introspection was not usable (${why}); the declared scopes were judged`);
    return { scopes: [...declared], source: 'declared in key.scopes', observed: false };
  }
  throw new CheckError(`the granted scopes are unknown: ${why ?? 'no introspection'} and no key.scopes declared`);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s) => b.includes(s));
}
