// Keys of other environments (test, staging) must not reach this
// environment. Where one origin serves one environment (the default), a
// shared key store is the only thing between a leaked test key and
// production data, so a foreign key must be refused. Where the key selects
// its environment on one origin (environmentIsolation.selectedBy: key, as
// Unleash and Stripe do), a foreign key may be served, but only its own
// environment's data: the check then judges whose data it got. A refusal
// must not say the foreign key back (or any other secret of the run, or a
// stack trace: refusal-echo.ts): a test key quoted in a production error
// lands in production logs.
import { CheckError } from '../errors.js';
import type { HttpResponse } from '../http/client.js';
import { defineCheck, noParams } from './check.js';
import { otherEnvironments } from './requirements.js';
import { presentAs, probeResource, rejectionStatuses } from './credentials.js';
import { describeExpected, statusText } from './describe.js';
import { deriveAndJudge } from './reverse-probe.js';
import { judgeEchoes } from './refusal-echo.js';
import { isolationProbe, judgeServedData, ownBaseline, type OwnData } from './environment-data.js';

export default defineCheck({
  id: 'env.foreign-environment-key-rejected',
  title: 'Keys of other environments are refused',
  description:
    "Sends each key listed under otherEnvironments to an allowed resource of this target; each must be refused with a rejection status (2xx and 5xx are failures), and no refusal may reveal the foreign key or another secret of the run (as is, encoded, or 12 characters past its public prefix; a masked quote such as kp_test_8f3a****wxyz is fine) in its body or any header, nor a stack trace. Where the key selects its environment on one origin (environmentIsolation.selectedBy: key), a foreign key may instead be served, but only its own environment's data, told apart by environmentField, markers or onlyHere.",
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

    // The other environments' keys are profile secrets, registered before any check runs.
    const keys = ctx.profile.otherEnvironments.map((foreign, i) => ({
      name: `${foreign.environment} key${foreign.name ? ` ${foreign.name}` : ''}`,
      secret: foreign.secret,
      resource,
      credential: presentAs(ctx.profile, foreign.secret),
      refusal: accepted,
      path: ['otherEnvironments', i],
    }));
    // Where keys select their environment, a served foreign key passes if it only saw its own environment's data.
    const judgeServed = async (r: (typeof keys)[number], res: HttpResponse) => {
      if (!iso || !own) return undefined;
      const signals = await judgeServedData(ctx, iso, own, res, { label: r.name, credential: r.credential });
      const here = signals.filter((s) => s.kind === 'here');
      const ownData = signals.filter((s) => s.kind === 'own');
      if (here.length > 0)
        return { failure: `${r.name} was served this ${targetEnv} environment's data: ${here.map((s) => s.words).join('; ')}` };
      if (ownData.length > 0)
        return { pass: `${r.name} was served, but only its own environment's data (${ownData.map((s) => s.words).join('; ')})` };
      return { error: `${r.name} was served, and keyprobe could not tell whose data: ${signals.map((s) => s.words).join('; ')}` };
    };
    const probe = await deriveAndJudge(ctx, keys, {
      refused: (r, res) => `${r.name} was refused with ${statusText(res.status)}`,
      judgeServed,
      // The foreign key said back is named as such ("the test key itself"), not as "another secret".
      echoes: judgeEchoes(ctx, (r: (typeof keys)[number]) => ({ secret: r.secret, name: `the ${r.name}` })),
    });
    const { failures, errors, passes } = probe;
    const total = ctx.profile.otherEnvironments.length;
    const envs = [...new Set(ctx.profile.otherEnvironments.map((k) => k.environment))].join(', ');
    const expected = byData
      ? `keys of ${envs} refused with ${describeExpected(accepted)}, or served only their own environment's data, never this ${targetEnv} environment's`
      : `${describeExpected(accepted)} for keys of ${envs} on this ${targetEnv} target`;
    // Refused with the right status, but saying too much: not "expected … to be refused".
    const saidTooMuch = probe.judged.filter((j) => j.answer === 'refused' && j.problems.length > 0).length;
    const measurements = {
      keys: total,
      notRefused: failures.length - saidTooMuch,
      ...(saidTooMuch > 0 ? { refusalsThatSaidTooMuch: saidTooMuch } : {}),
      isolation: byData ? 'by data (the key selects its environment)' : 'by origin',
    };
    if (failures.length > 0 && saidTooMuch === failures.length)
      return {
        verdict: 'fail',
        message: `the keys of other environments were refused, but a refusal said too much: ${failures.join('; ')}`,
        expected,
        observed: failures.join('; '),
        measurements,
        findings: probe.findings,
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
        findings: probe.findings,
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
