// A valid key on a resource it may not reach must be denied, and the denial
// must not say more than "no": no data of the resource, no internal names the
// profile declares as markers, no key or key hash echoed back (LiteLLM
// #39757), no stack trace (unstructured-api #578, dataverse #4954). A key
// echoed in a header (`WWW-Authenticate: … error="invalid key kp_…"`, a debug
// header, a cookie) is the same finding as in the body.
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
          const also = isSuccess(res) ? 'also ' : '';
          const problems: string[] = [];
          const leaks = leaksIn(res.body, r.denied, ctx.profile, ctx.secrets);
          if (leaks.length > 0) {
            leaky++;
            problems.push(`its body ${also}reveals ${leaks.join(', ')}`);
          }
          for (const [name, revealed] of headerLeaks(res.headers, ctx.profile, ctx.secrets))
            problems.push(`its ${name} header ${also}reveals ${revealed.join(', ')}`);
          return problems;
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
  found.push(...secretsIn(body, profile, secrets));
  const trace = findStackTrace(body);
  if (trace) found.push(`a ${trace} stack trace`);
  return found;
}

/**
 * The headers of an answer that reveal a secret, by name, each with what it
 * reveals: judged as a body is, by the same scanner, but only for secrets
 * (a header is not where markers or stack traces are looked for).
 */
export function headerLeaks(headers: Readonly<Record<string, string>>, profile: Profile, secrets: SecretRegistry): [string, string[]][] {
  const found: [string, string[]][] = [];
  for (const [name, value] of Object.entries(headers)) {
    const revealed = secretsIn(value, profile, secrets);
    if (revealed.length > 0) found.push([name, revealed]);
  }
  return found;
}

/** The secrets a text reveals, in any form the leak scanner knows, named without quoting them. */
function secretsIn(text: string, profile: Profile, secrets: SecretRegistry): string[] {
  const found: string[] = [];
  const findings = secrets.scanner.find(text);
  if (findings.length === 0) return found;
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
  return found;
}
