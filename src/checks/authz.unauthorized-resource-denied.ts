// A valid key on a resource it may not reach must be denied, and the denial
// must not say more than "no": no data of the resource, no internal names the
// profile declares as markers, no key or key hash echoed back (LiteLLM
// #39757), no stack trace (unstructured-api #578, dataverse #4954).
import { createHash } from 'node:crypto';
import { CheckError } from '../errors.js';
import type { DeniedResource, Profile } from '../config/profile-schema.js';
import { secretForms, type SecretRegistry } from '../secrets.js';
import { defineCheck, noParams } from './check.js';
import type { Unmet } from './requirements.js';
import { describeExpected, isSuccess, statusText } from './describe.js';
import { outageDetector } from './credentials.js';
import { isServerError } from './server-errors.js';
import { findStackTrace } from './stack-traces.js';

export default defineCheck({
  id: 'authz.unauthorized-resource-denied',
  title: 'Resources the key may not reach are denied, without leaking anything',
  description:
    "Calls every denied resource with the key and expects a denial status (the resource's own, or denial.statuses); 2xx and 5xx fail. The raw body must carry no declared marker, no form of the key or its sha256 hash, and no stack trace.",
  severity: 'critical',
  destructive: false,
  phase: 'request',
  params: noParams,
  unmet(profile): Unmet[] {
    return profile.denied.length === 0 ? [{ path: ['denied'], message: 'the profile lists no denied resources (denied: [...])' }] : [];
  },
  async run(ctx) {
    const failures: string[] = [];
    const errors: string[] = [];
    let served = 0;
    let leaky = 0;
    const outage = outageDetector(ctx);
    for (const r of ctx.profile.denied) {
      const statuses = r.statuses ?? ctx.profile.denial.statuses;
      const where = `${r.method} ${r.path}`;
      try {
        const res = await ctx.http.send({ label: `denied: ${where}`, method: r.method, path: r.path, body: r.body, headers: r.headers });
        const problems: string[] = [];
        if (isSuccess(res)) {
          served++;
          problems.push(`answered ${statusText(res.status)} — the resource was served`);
        } else if (isServerError(res.status)) {
          const down = await outage(res.status);
          if (down) {
            errors.push(`${where}: ${down}`);
            continue;
          }
          problems.push(`answered ${statusText(res.status)} — a server error instead of a denial`);
        } else if (!statuses.includes(res.status))
          problems.push(`answered ${statusText(res.status)}, expected ${describeExpected(statuses)}`);
        // Judged on the raw body: the evidence copy is already redacted.
        const leaks = leaksIn(res.body, r, ctx.profile, ctx.secrets);
        if (leaks.length > 0) {
          leaky++;
          problems.push(`its body ${isSuccess(res) ? 'also ' : ''}reveals ${leaks.join(', ')}`);
        }
        if (problems.length > 0) {
          ctx.http.markFailing(res);
          failures.push(`${where} ${problems.join('; ')}`);
        }
      } catch (err) {
        if (!(err instanceof CheckError)) throw err;
        errors.push(err.message);
      }
    }
    const total = ctx.profile.denied.length;
    const measurements = { resources: total, served, leakyBodies: leaky, notDenied: failures.length };
    const expected =
      'every denied resource answers its denial status with a body that reveals nothing (no marker, key, key hash or stack trace)';
    if (failures.length > 0)
      return {
        verdict: 'fail',
        message: `${failures.length} of ${total} denied resources misbehaved: ${failures.join('; ')}`,
        expected,
        observed: failures.join('; '),
        measurements,
      };
    if (errors.length > 0) return { verdict: 'error', message: `could not verify: ${errors.join('; ')}`, expected, measurements };
    return {
      verdict: 'pass',
      message: `all ${total} denied resources were refused with their denial status, and no denial body revealed a marker, key, key hash or stack trace`,
      expected,
      measurements,
    };
  },
});

/** What a denial body reveals, named without quoting any secret. */
export function leaksIn(body: string, resource: DeniedResource, profile: Profile, secrets: SecretRegistry): string[] {
  const found: string[] = [];
  const markers = [...new Set([...profile.denial.markers, ...(resource.markers ?? [])])];
  const hit = markers.filter((m) => m !== '' && body.includes(m));
  if (hit.length > 0) found.push(`declared marker${hit.length > 1 ? 's' : ''} ${hit.map((m) => `"${m}"`).join(', ')}`);

  const key = profile.key.secret;
  const keyForms = secretForms(key);
  const keyHash = createHash('sha256').update(key).digest('hex');
  if (body.includes(key) || body.includes(encodeURIComponent(key))) found.push('the key itself');
  else if (keyForms.some((f) => f !== keyHash && body.includes(f))) found.push('the key (base64-encoded)');
  if (body.toLowerCase().includes(keyHash)) found.push("the key's sha256 hash");
  // Any other secret the run knows (canary, other keys) must not show up
  // either. The key's own forms are cut out first: near misses of the key share
  // most of its text and would otherwise be reported a second time.
  const rest = keyForms.reduce((text, form) => text.split(form).join(' '), body);
  const others = secrets.secretsIn(rest).filter((s) => s !== key);
  if (others.length > 0) found.push(`${others.length === 1 ? 'another secret' : `${others.length} other secrets`} of this run`);

  const trace = findStackTrace(body);
  if (trace) found.push(`a ${trace} stack trace`);
  return found;
}
