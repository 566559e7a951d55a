// A valid key on a resource it may not reach must be denied, and the denial
// must not say more than "no": no data of the resource, no internal names the
// profile declares as markers, no key or key hash echoed back (LiteLLM
// #39757), no stack trace (unstructured-api #578, dataverse #4954). A key
// echoed in a header (`WWW-Authenticate: … error="invalid key kp_…"`, a debug
// header, a cookie) is the same finding as in the body.
import type { DeniedResource, Profile } from '../config/profile-schema.js';
import type { SecretRegistry } from '../secrets.js';
import { defineCheck, noParams } from './check.js';
import { denied } from './requirements.js';
import { describeExpected, statusText } from './describe.js';
import { deriveAndJudge, reverseOutcome } from './reverse-probe.js';
import { bodyReveals, headerReveals, revealedProblems } from './refusal-echo.js';

export default defineCheck({
  id: 'authz.unauthorized-resource-denied',
  title: 'Resources the key may not reach are denied, without leaking anything',
  description:
    "Calls every denied resource with the key and expects a denial status (the resource's own, or denial.statuses); 2xx and 5xx fail. The raw body must carry no declared marker, no form of the key or its sha256 hash, and no stack trace; no header may carry a form of the key or its hash.",
  severity: 'critical',
  practice: 'Reverse validation',
  required: true,
  destructive: false,
  phase: 'request',
  params: noParams,
  requires: [denied],
  async run(ctx) {
    let leaky = 0;
    const probe = await deriveAndJudge(
      ctx,
      ctx.profile.denied.map((r, i) => ({
        name: `${r.method} ${r.path}`,
        label: `denied: ${r.method} ${r.path}`,
        resource: r,
        refusal: r.statuses ?? ctx.profile.denial.statuses,
        path: ['denied', i],
        denied: r,
      })),
      {
        problem: (r, res, answer) =>
          answer === 'served'
            ? `answered ${statusText(res.status)} — the resource was served`
            : answer === 'server error'
              ? `answered ${statusText(res.status)} — a server error instead of a denial`
              : `answered ${statusText(res.status)}, expected ${describeExpected(r.refusal)}`,
        // Judged on the raw body and headers: the evidence copy is already redacted.
        inspect: (r, res) => {
          const leaks = leaksIn(res.body, r.denied, ctx.profile, ctx.secrets);
          if (leaks.length > 0) leaky++;
          return revealedProblems(res.status, leaks, headerReveals(res.headers, ctx.profile, ctx.secrets, undefined, res.reasonPhrase));
        },
        failure: (r, problems) => `${r.name} ${problems.join('; ')}`,
      },
    );
    const total = ctx.profile.denied.length;
    return reverseOutcome(probe, {
      expected:
        'every denied resource answers its denial status with a body that reveals nothing (no marker, key, key hash or stack trace), and headers that reveal no key',
      failed: (failures) => `${probe.failures.length} of ${total} denied resources misbehaved: ${failures}`,
      passed: `all ${total} denied resources were refused with their denial status, and no denial body revealed a marker, key, key hash or stack trace, nor any header a key`,
      measurements: {
        resources: total,
        served: probe.judged.filter((j) => j.answer === 'served').length,
        leakyBodies: leaky,
        notDenied: probe.failures.length,
      },
    });
  },
});

/**
 * What a denial body reveals, named without quoting any secret: a declared
 * marker, then what any refusal's body must not reveal (refusal-echo.ts: a
 * form of the key or another secret of the run, a stack trace).
 */
export function leaksIn(body: string, resource: DeniedResource, profile: Profile, secrets: SecretRegistry): string[] {
  const found: string[] = [];
  const markers = [...new Set([...profile.denial.markers, ...(resource.markers ?? [])])];
  const hit = markers.filter((m) => m !== '' && body.includes(m));
  if (hit.length > 0) found.push(`declared marker${hit.length > 1 ? 's' : ''} ${hit.map((m) => `"${m}"`).join(', ')}`);
  found.push(...bodyReveals(body, profile, secrets));
  return found;
}
