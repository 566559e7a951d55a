// A valid key on a resource it may not reach must be denied, and the denial
// must not say more than "no": no data of the resource, no internal names the
// profile declares as markers, no key or key hash echoed back (LiteLLM
// #39757), no stack trace (unstructured-api #578, dataverse #4954).
import type { DeniedResource, Profile } from '../config/profile-schema.js';
import type { LeakFinding } from '../leaks/scanner.js';
import { fingerprint, type SecretRegistry } from '../secrets.js';
import { defineCheck, noParams } from './check.js';
import { denied } from './requirements.js';
import { describeExpected, isSuccess, statusText } from './describe.js';
import { deriveAndJudge, reverseOutcome } from './reverse-probe.js';
import { findStackTrace } from './stack-traces.js';

export default defineCheck({
  id: 'authz.unauthorized-resource-denied',
  title: 'Resources the key may not reach are denied, without leaking anything',
  description:
    "Calls every denied resource with the key and expects a denial status (the resource's own, or denial.statuses); 2xx and 5xx fail. The raw body must carry no declared marker, no form of the key or its sha256 hash, and no stack trace.",
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
        // Judged on the raw body: the evidence copy is already redacted.
        inspect: (r, res) => {
          const leaks = leaksIn(res.body, r.denied, ctx.profile, ctx.secrets);
          if (leaks.length === 0) return [];
          leaky++;
          return [`its body ${isSuccess(res) ? 'also ' : ''}reveals ${leaks.join(', ')}`];
        },
        failure: (r, problems) => `${r.name} ${problems.join('; ')}`,
      },
    );
    const total = ctx.profile.denied.length;
    return reverseOutcome(probe, {
      expected:
        'every denied resource answers its denial status with a body that reveals nothing (no marker, key, key hash or stack trace)',
      failed: (failures) => `${probe.failures.length} of ${total} denied resources misbehaved: ${failures}`,
      passed: `all ${total} denied resources were refused with their denial status, and no denial body revealed a marker, key, key hash or stack trace`,
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
 * What a denial body reveals, named without quoting any secret. Secrets are
 * looked for by the run's leak scanner, the same matcher as the scan of every
 * report: the key in any encoding, escaping, case, reversed, split, or any
 * run of it long enough to matter, and its sha256.
 */
export function leaksIn(body: string, resource: DeniedResource, profile: Profile, secrets: SecretRegistry): string[] {
  const found: string[] = [];
  const markers = [...new Set([...profile.denial.markers, ...(resource.markers ?? [])])];
  const hit = markers.filter((m) => m !== '' && body.includes(m));
  if (hit.length > 0) found.push(`declared marker${hit.length > 1 ? 's' : ''} ${hit.map((m) => `"${m}"`).join(', ')}`);

  const findings = secrets.scanner.find(body);
  const keyPrint = fingerprint(profile.key.secret);
  const ofKey = findings.filter((f) => f.fingerprint === keyPrint);
  const keyForms = ofKey.filter((f) => !f.form.startsWith('its sha256'));
  if (keyForms.some((f) => f.whole && f.form === 'as is')) found.push('the key itself');
  else if (keyForms.length > 0) {
    const whole = keyForms.filter((f) => f.whole);
    found.push(
      whole.length > 0 ? `the key (${whole.map((f) => f.form).join('; ')})` : `part of the key (${keyForms.map((f) => f.form).join('; ')})`,
    );
  }
  if (ofKey.some((f) => f.form.startsWith('its sha256'))) found.push("the key's sha256 hash");
  // Any other secret the run knows (canary, other keys) must not show up
  // either. Near misses of the key share most of its text: where one was found
  // inside the key's own match it is the key, not a second secret.
  const insideKey = (f: LeakFinding) => ofKey.some((k) => k.view === f.view && k.start <= f.start && f.end <= k.end);
  const others = new Set(findings.filter((f) => f.fingerprint !== keyPrint && !insideKey(f)).map((f) => f.fingerprint));
  if (others.size > 0) found.push(`${others.size === 1 ? 'another secret' : `${others.size} other secrets`} of this run`);

  const trace = findStackTrace(body);
  if (trace) found.push(`a ${trace} stack trace`);
  return found;
}
