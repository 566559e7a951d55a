// A request without any credential must be refused with 401. RFC 9110 §15.5.2
// makes WWW-Authenticate a MUST on 401, but real gateways often omit it, so
// its absence is advisory, not a failure.
import { z } from 'zod';
import { CheckError } from '../errors.js';
import { defineCheck } from './check.js';
import { describeExpected, isSuccess, statusText } from './describe.js';
import { isServerError, targetFailsForValidKeyToo } from './server-errors.js';

export default defineCheck({
  id: 'auth.missing-key-rejected',
  title: 'A request without a key is rejected',
  description:
    'Calls every allowed resource with no credential at all and expects 401 (with WWW-Authenticate, advisory); 2xx and 5xx are failures.',
  severity: 'critical',
  destructive: false,
  phase: 'request',
  params: z.strictObject({ statuses: z.array(z.number().int().min(400).max(499)).min(1).default([401]) }),
  async run(ctx, params) {
    const failures: string[] = [];
    const errors: string[] = [];
    const advisories = new Set<string>();
    for (const r of ctx.profile.allowed) {
      try {
        const res = await ctx.http.send({
          label: `no credential: ${r.method} ${r.path}`,
          method: r.method,
          path: r.path,
          body: r.body,
          headers: r.headers,
          credential: { kind: 'none' },
        });
        if (params.statuses.includes(res.status)) {
          if (res.status === 401 && !res.headers['www-authenticate'])
            advisories.add('401 without a WWW-Authenticate header (RFC 9110 §15.5.2 requires one)');
          continue;
        }
        ctx.http.markFailing(res);
        if (isServerError(res.status)) {
          const outage = await targetFailsForValidKeyToo(ctx, r, res.status);
          if (outage) {
            errors.push(outage);
            continue;
          }
        }
        const why = isSuccess(res)
          ? ' — the resource is served without any key'
          : res.status >= 500
            ? ' — a server error instead of a refusal'
            : '';
        failures.push(`${r.method} ${r.path} answered ${statusText(res.status)}${why}`);
      } catch (err) {
        if (!(err instanceof CheckError)) throw err;
        errors.push(err.message);
      }
    }
    const total = ctx.profile.allowed.length;
    const expected = `${describeExpected(params.statuses)} for every request without a key`;
    const measurements = { requests: total, accepted: failures.length };
    if (failures.length > 0)
      return {
        verdict: 'fail',
        message: `expected ${describeExpected(params.statuses)} without a key; ${failures.join('; ')}`,
        expected,
        observed: failures.join('; '),
        advisories: [...advisories],
        measurements,
      };
    if (errors.length > 0)
      return { verdict: 'error', message: `could not verify: ${errors.join('; ')}`, advisories: [...advisories], measurements };
    return {
      verdict: 'pass',
      message: `all ${total} requests without a key were refused with ${describeExpected(params.statuses)}`,
      expected,
      advisories: [...advisories],
      measurements,
    };
  },
});
