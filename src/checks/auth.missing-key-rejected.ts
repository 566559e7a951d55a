// A request without any credential must be refused. RFC 9110 §15.5.2 wants
// 401 with a WWW-Authenticate challenge; real platforms often answer 403
// (AWS API Gateway, Directus) or leave the challenge out. A refusal with 401
// or 403 passes, and so does any status of a rejection.statuses the profile
// wrote out itself; anything short of RFC 9110's 401 + challenge is an
// advisory. The default rejection.statuses has 400 for malformed and deleted
// keys (Tyk), not for a missing one, so by default a 400 here fails. A suite
// that sets `statuses` asks for exactly those. 2xx (served) and 5xx fail, and
// so does a refusal that reveals a secret or a stack trace (refusal-echo.ts).
import { z } from 'zod';
import { defineCheck } from './check.js';
import { describeExpected, statusText } from './describe.js';
import { judgeEchoes } from './refusal-echo.js';
import { dataInRefusal } from './served-data.js';
import { type Answer, deriveAndJudge, outageOnItsResource, reverseOutcome } from './reverse-probe.js';

export default defineCheck({
  id: 'auth.missing-key-rejected',
  title: 'A request without a key is rejected',
  description:
    'Calls every allowed resource with no credential at all and expects a refusal: 401 with WWW-Authenticate (RFC 9110), or 403 (advisory), or any status of a rejection.statuses the profile writes out (advisory; the 400 of the default list does not count here); 2xx and 5xx are failures, and so is a refusal whose raw body or any header reveals a form of the key or another secret of the run, or whose body holds a stack trace.',
  severity: 'critical',
  practice: 'Reverse validation',
  destructive: false,
  phase: 'request',
  params: z.strictObject({
    statuses: z
      .array(z.number().int().min(400).max(499))
      .min(1)
      .optional()
      .meta({
        description:
          'The refusal statuses to accept for a request without a key; when unset: rejection.statuses if the profile writes it out, else 401 and 403. Set, they are strict (no advisory for a refusal other than 401).',
        examples: [[401]],
      }),
  }),
  async run(ctx, params) {
    const accepted = params.statuses ?? missingKeyStatuses(ctx.profile.rejection);
    const probe = await deriveAndJudge(
      ctx,
      ctx.profile.allowed.map((r, i) => ({
        name: `${r.method} ${r.path}`,
        label: `no credential: ${r.method} ${r.path}`,
        resource: r,
        credential: { kind: 'none' } as const,
        refusal: accepted,
        path: ['allowed', i],
      })),
      {
        outage: outageOnItsResource(ctx),
        dataInRefusal: dataInRefusal(ctx),
        echoes: judgeEchoes(ctx),
        problem: (_r, res, answer) =>
          `answered ${statusText(res.status)}${answer === 'served' ? ' — the resource is served without any key' : answer === 'server error' ? ' — a server error instead of a refusal' : ''}`,
        failure: (r, problems) => `${r.name} ${problems.join('; ')}`,
        error: (_r, why) => why,
        advise: (_r, res) =>
          res.status === 401 && !res.headers['www-authenticate']
            ? '401 without a WWW-Authenticate header (RFC 9110 §15.5.2 requires one)'
            : res.status !== 401 && !params.statuses
              ? `refused with ${statusText(res.status)}: RFC 9110 §15.5.2 expects 401 Unauthorized with a WWW-Authenticate challenge for a missing credential (accepted, as rejection.statuses allows ${res.status})`
              : undefined,
      },
    );
    const total = ctx.profile.allowed.length;
    const count = (answer: Answer) =>
      probe.judged.filter((j) => j.answer === answer && (answer === 'refused' || j.problems.length > 0)).length;
    return reverseOutcome(probe, {
      expected: `${describeExpected(accepted)} for every request without a key`,
      failed: (failures) => `expected ${describeExpected(accepted)} without a key; ${failures}`,
      passed: `all ${total} requests without a key were refused with ${describeExpected(accepted)}`,
      measurements: {
        requests: total,
        refused: count('refused'),
        served: count('served'),
        otherAnswers: probe.failures.length - count('served'),
      },
    });
  },
});

/**
 * What refuses a request with no credential, by default: a list the profile
 * wrote itself, as written; else 401 and 403 only. The default list has 400
 * for malformed and deleted keys (Tyk); a platform that answers a missing key
 * with 400 has to say so.
 */
function missingKeyStatuses(rejection: { readonly statuses: readonly number[]; readonly explicit?: true }): readonly number[] {
  return rejection.explicit ? rejection.statuses : rejection.statuses.filter((s) => s === 401 || s === 403);
}
