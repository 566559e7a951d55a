// Keys of other environments (test, staging) must be refused by this target.
// Where keys carry no environment marker, a shared key store is the only
// thing between a leaked test key and production data.
import { CheckError } from '../errors.js';
import { defineCheck, noParams } from './check.js';
import type { Unmet } from './requirements.js';
import { outageDetector, presentAs, probeResource, refusalProblem, rejectionStatuses } from './credentials.js';
import { isServerError } from './server-errors.js';
import { describeExpected } from './describe.js';

export default defineCheck({
  id: 'env.foreign-environment-key-rejected',
  title: 'Keys of other environments are refused',
  description:
    'Sends each key listed under otherEnvironments to an allowed resource of this target; each must be refused with a rejection status. 2xx and 5xx are failures.',
  severity: 'critical',
  destructive: false,
  phase: 'request',
  params: noParams,
  unmet(profile): Unmet[] {
    return profile.otherEnvironments.length === 0
      ? [{ path: ['otherEnvironments'], message: 'the profile lists no keys of other environments (otherEnvironments: [...])' }]
      : [];
  },
  async run(ctx) {
    const resource = probeResource(ctx.profile);
    const accepted = rejectionStatuses(ctx.profile);
    const targetEnv = ctx.profile.target.environment ?? ctx.profile.key.environment;
    const failures: string[] = [];
    const errors: string[] = [];
    const outage = outageDetector(ctx);
    for (const foreign of ctx.profile.otherEnvironments) {
      ctx.secrets.add(foreign.secret, `${foreign.environment}-key`);
      const label = `${foreign.environment} key${foreign.name ? ` ${foreign.name}` : ''}`;
      try {
        const res = await ctx.http.send({
          label: `${label}: ${resource.method} ${resource.path}`,
          method: resource.method,
          path: resource.path,
          body: resource.body,
          headers: resource.headers,
          credential: presentAs(ctx.profile, foreign.secret),
        });
        const problem = refusalProblem(res.status, accepted);
        const down = isServerError(res.status) ? await outage(res.status) : undefined;
        if (problem) ctx.http.markFailing(res);
        if (down) errors.push(`${label}: ${down}`);
        else if (problem) failures.push(`${label} → ${problem}`);
      } catch (err) {
        if (!(err instanceof CheckError)) throw err;
        errors.push(`${label}: ${err.message}`);
      }
    }
    const total = ctx.profile.otherEnvironments.length;
    const envs = [...new Set(ctx.profile.otherEnvironments.map((k) => k.environment))].join(', ');
    const expected = `${describeExpected(accepted)} for keys of ${envs} on this ${targetEnv} target`;
    const measurements = { keys: total, notRefused: failures.length };
    if (failures.length > 0)
      return {
        verdict: 'fail',
        message: `expected this ${targetEnv} target to refuse keys of other environments with ${describeExpected(accepted)}; ${failures.join('; ')}`,
        expected,
        observed: failures.join('; '),
        measurements,
      };
    if (errors.length > 0) return { verdict: 'error', message: `could not verify: ${errors.join('; ')}`, expected, measurements };
    return {
      verdict: 'pass',
      message: `${total === 1 ? 'the key of another environment' : `all ${total} keys of other environments`} (${envs}) ${total === 1 ? 'was' : 'were'} refused by this ${targetEnv} target with ${describeExpected(accepted)}`,
      expected,
      measurements,
    };
  },
});
