// The positive check: strict, two-sided. A dead key must not pass because a
// 401/403 "is also an answer" (the trap schemathesis#1385 describes); a 429
// is no answer at all, so it is waited out, and if it stays, `error`.
import { CheckError } from '../errors.js';
import { defineCheck, noParams } from './check.js';
import { asList, describeExpected, matchesExpected, statusText } from './describe.js';
import { isServerError, serverErrorWords } from './server-errors.js';
import { softRefusal } from './soft-refusal.js';

export default defineCheck({
  id: 'auth.valid-key-accepted',
  title: 'The key reaches every resource it should',
  description:
    'Calls every allowed resource with the key and expects its declared status (default any 2xx); 401 and 403 are failures, never warnings; a throttled answer is waited out, never judged.',
  severity: 'critical',
  practice: 'Reverse validation',
  required: true,
  destructive: false,
  phase: 'request',
  params: noParams,
  async run(ctx) {
    const failures: string[] = [];
    const errors: string[] = [];
    const softRefusals: string[] = [];
    const unread: string[] = [];
    for (const r of ctx.profile.allowed) {
      const expected = asList(r.expect);
      try {
        const res = await ctx.http.send({
          label: `allowed: ${r.method} ${r.path}`,
          method: r.method,
          path: r.path,
          body: r.body,
          headers: r.headers,
        });
        if (matchesExpected(res.status, expected)) {
          // A 2xx whose body says "refused" (Slack's ok: false, GraphQL's errors) proves nothing either way.
          const refusal = softRefusal(res);
          // A body still content-coded (zstd on Node 20) cannot be read for a refusal: the status stands, and the reader is told.
          if (res.bodyNotDecoded) unread.push(`${r.method} ${r.path} (${res.bodyNotDecoded})`);
          if (refusal) {
            ctx.http.markFailing(res);
            softRefusals.push(
              `${r.method} ${r.path} answered ${statusText(res.status)}, but its body reads as a refusal (${ctx.secrets.redact(refusal)})`,
            );
          }
          continue;
        }
        ctx.http.markFailing(res);
        if (isServerError(res.status)) {
          errors.push(serverErrorWords(r.method, r.path, res.status));
          continue;
        }
        // A throttled answer never gets here: the client waits it out (src/http/throttle.ts).
        const why = res.status === 401 || res.status === 403 ? ' (the key was refused)' : '';
        failures.push(`${r.method} ${r.path} answered ${statusText(res.status)}${why}, expected ${describeExpected(expected)}`);
      } catch (err) {
        if (!(err instanceof CheckError)) throw err;
        errors.push(err.message);
      }
    }
    const total = ctx.profile.allowed.length;
    const measurements = { resources: total, refused: failures.length, unreachable: errors.length };
    if (failures.length > 0) {
      return {
        verdict: 'fail',
        message: `${failures.length} of ${total} allowed resources did not answer as expected: ${failures.join('; ')}`,
        expected: 'every allowed resource answers its expected status',
        observed: failures.join('; '),
        measurements,
      };
    }
    if (errors.length > 0 || softRefusals.length > 0) {
      const unreachable =
        errors.length > 0 ? [`${errors.length} of ${total} allowed resources could not be judged: ${errors.join('; ')}`] : [];
      const soft =
        softRefusals.length > 0
          ? [
              `${softRefusals.length} of ${total} allowed resources answered 2xx with a body that says "refused", which cannot show the key reaches them: ${softRefusals.join('; ')}`,
            ]
          : [];
      return {
        verdict: 'error',
        message: [...unreachable, ...soft].join('; '),
        measurements: softRefusals.length > 0 ? { ...measurements, softRefused: softRefusals.length } : measurements,
      };
    }
    const advisories = unread.length
      ? [
          `the body of ${unread.join(', ')} could not be decoded, so whether it says "refused" in a 2xx (a soft refusal) was not judged: the status alone passed it`,
        ]
      : [];
    return {
      verdict: 'pass',
      message: `all ${total} allowed resources answered as expected`,
      measurements,
      ...(advisories.length ? { advisories } : {}),
    };
  },
});
