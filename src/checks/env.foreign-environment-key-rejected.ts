// Keys of other environments (test, staging) must not reach this
// environment. Where one origin serves one environment (the default), a
// shared key store is the only thing between a leaked test key and
// production data, so a foreign key must be refused. Where the key selects
// its environment on one origin (environmentIsolation.selectedBy: key, as
// Unleash and Stripe do), a foreign key may be served, but only its own
// environment's data: the check then judges whose data it got.
import { CheckError } from '../errors.js';
import type { HttpResponse } from '../http/client.js';
import { defineCheck, noParams } from './check.js';
import { otherEnvironments } from './requirements.js';
import { outageDetector, presentAs, probeResource, refusalProblem, rejectionStatuses } from './credentials.js';
import { describeExpected, isSuccess, statusText } from './describe.js';
import { isolationProbe, judgeServedData, ownBaseline, type OwnData } from './environment-data.js';
import { isServerError } from './server-errors.js';

export default defineCheck({
  id: 'env.foreign-environment-key-rejected',
  title: 'Keys of other environments are refused',
  description:
    "Sends each key listed under otherEnvironments to an allowed resource of this target; each must be refused with a rejection status (2xx and 5xx are failures). Where the key selects its environment on one origin (environmentIsolation.selectedBy: key), a foreign key may instead be served, but only its own environment's data, told apart by environmentField, markers or onlyHere.",
  severity: 'critical',
  practice: 'Per-environment keys',
  destructive: false,
  phase: 'request',
  params: noParams,
  requires: [otherEnvironments],
  async run(ctx) {
    const iso = ctx.profile.environmentIsolation;
    const byData = iso?.selectedBy === 'key';
    const resource = byData ? isolationProbe(ctx.profile) : probeResource(ctx.profile);
    const accepted = rejectionStatuses(ctx.profile);
    const targetEnv = ctx.profile.target.environment ?? ctx.profile.key.environment;

    // Where keys select their environment, first learn what this environment's own data looks like.
    let own: OwnData | undefined;
    if (byData) {
      const baseline = await ownBaseline(ctx, iso);
      if (!baseline.ok) throw new CheckError(baseline.why);
      own = baseline.own;
    }

    const failures: string[] = [];
    const errors: string[] = [];
    const passes: string[] = [];
    const outage = outageDetector(ctx);
    for (const foreign of ctx.profile.otherEnvironments) {
      ctx.secrets.add(foreign.secret, `${foreign.environment}-key`);
      const label = `${foreign.environment} key${foreign.name ? ` ${foreign.name}` : ''}`;
      const credential = presentAs(ctx.profile, foreign.secret);
      try {
        const res: HttpResponse = await ctx.http.send({
          label: `${label}: ${resource.method} ${resource.path}`,
          method: resource.method,
          path: resource.path,
          body: resource.body,
          headers: resource.headers,
          credential,
        });
        if (accepted.includes(res.status)) {
          passes.push(`${label} was refused with ${statusText(res.status)}`);
          continue;
        }
        if (byData && isSuccess(res)) {
          const signals = await judgeServedData(ctx, iso, own!, res, { label, credential });
          const here = signals.filter((s) => s.kind === 'here');
          const ownData = signals.filter((s) => s.kind === 'own');
          if (here.length > 0)
            failures.push(`${label} was served this ${targetEnv} environment's data: ${here.map((s) => s.words).join('; ')}`);
          else if (ownData.length > 0)
            passes.push(`${label} was served, but only its own environment's data (${ownData.map((s) => s.words).join('; ')})`);
          else errors.push(`${label} was served, and keyprobe could not tell whose data: ${signals.map((s) => s.words).join('; ')}`);
          continue;
        }
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
    const expected = byData
      ? `keys of ${envs} refused with ${describeExpected(accepted)}, or served only their own environment's data, never this ${targetEnv} environment's`
      : `${describeExpected(accepted)} for keys of ${envs} on this ${targetEnv} target`;
    const measurements = {
      keys: total,
      notRefused: failures.length,
      isolation: byData ? 'by data (the key selects its environment)' : 'by origin',
    };
    if (failures.length > 0)
      return {
        verdict: 'fail',
        message: byData
          ? `expected keys of other environments to be refused or served only their own environment's data; ${failures.join('; ')}`
          : `expected this ${targetEnv} target to refuse keys of other environments with ${describeExpected(accepted)}; ${failures.join('; ')}`,
        expected,
        observed: failures.join('; '),
        measurements,
      };
    if (errors.length > 0) return { verdict: 'error', message: `could not verify: ${errors.join('; ')}`, expected, measurements };
    if (byData) return { verdict: 'pass', message: `${passes.join('; ')}`, expected, measurements };
    return {
      verdict: 'pass',
      message: `${total === 1 ? 'the key of another environment' : `all ${total} keys of other environments`} (${envs}) ${total === 1 ? 'was' : 'were'} refused by this ${targetEnv} target with ${describeExpected(accepted)}`,
      expected,
      measurements,
    };
  },
});
