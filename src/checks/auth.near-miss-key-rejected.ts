// Keys one edit away from the real one must be refused. Targets that compare
// only a prefix, truncate before hashing, or compare case-insensitively accept
// them, which shrinks the key space an attacker has to search. A refusal
// that quotes the near miss back puts all but one character of the key in
// every log and error tracker that keeps error bodies: a finding too
// (refusal-echo.ts), as is a stack trace.
import { z } from 'zod';
import { CheckError } from '../errors.js';
import { defineCheck } from './check.js';
import { presentAs, probeResource, rejectionStatuses, alsoAcceptParam } from './credentials.js';
import { deriveAndJudge, reverseOutcome } from './reverse-probe.js';
import { judgeEchoes } from './refusal-echo.js';
import { dataInRefusal } from './served-data.js';
import { describeExpected, isSuccess, statusText } from './describe.js';

export interface NearMiss {
  readonly label: string;
  readonly secret: string;
  /** A POSIX shell expression that makes it from the key ($KEY), for reproduce lines; absent where that would need the key's characters. */
  readonly shell?: string;
}

export default defineCheck({
  id: 'auth.near-miss-key-rejected',
  title: 'Keys one edit away from the real key are rejected',
  description:
    'Derives near misses from the key (truncated by one character, one character changed at the end and in the middle, case flipped, extended by one character), checks the real key is served on an allowed resource, and expects every near miss to be refused with one of rejection.statuses (default 400, 401, 403), with a raw body and headers that reveal no form of the key (a near miss quoted back is all but one character of it) and a body without a stack trace.',
  severity: 'critical',
  practice: 'Reverse validation',
  destructive: false,
  phase: 'request',
  params: z.strictObject({
    alsoAccept: alsoAcceptParam(),
  }),
  async run(ctx, params) {
    const resource = probeResource(ctx.profile);
    const send = (label: string, secret: string) =>
      ctx.http.send({
        label: `${label}: ${resource.method} ${resource.path}`,
        method: resource.method,
        path: resource.path,
        body: resource.body,
        headers: resource.headers,
        credential: presentAs(ctx.profile, secret),
      });

    // A refusal proves nothing if the real key is refused too.
    const control = await send('control (the real key)', ctx.profile.key.secret);
    if (!isSuccess(control)) {
      throw new CheckError(
        `the real key itself answered ${statusText(control.status)} on ${resource.method} ${resource.path}, so a refused near miss would prove nothing`,
      );
    }

    const variants = nearMissVariants(ctx.profile.key.secret);
    // Each variant is one edit from the key: it is a secret too, shown only by fingerprint.
    for (const v of variants) ctx.secrets.add(v.secret, 'near-miss', v.shell ? { shell: v.shell } : {});
    const accepted = rejectionStatuses(ctx.profile, params.alsoAccept);
    // No outage question: the real key was just served on this resource.
    const probe = await deriveAndJudge(
      ctx,
      variants.map((v) => ({
        name: v.label,
        resource,
        credential: presentAs(ctx.profile, v.secret),
        refusal: accepted,
        path: ['key', 'secret'],
      })),
      {
        outage: false,
        stopAtError: true,
        error: (_r, why) => why,
        // The control above is the valid key's answer: no second request to compare refusal bodies with.
        dataInRefusal: dataInRefusal(ctx, { resource, response: control }),
        echoes: judgeEchoes(ctx),
      },
    );
    return reverseOutcome(probe, {
      expected: `${describeExpected(accepted)} for every near miss of the key`,
      failed: (failures) => `expected ${describeExpected(accepted)} for keys one edit away from the real key; ${failures}`,
      passed: `the real key was served and all ${variants.length} near misses (${variants.map((v) => v.label).join(', ')}) were refused with ${describeExpected(accepted)}`,
      measurements: {
        nearMisses: variants.length,
        served: probe.judged.filter((j) => j.answer === 'served').length,
        notRefused: probe.failures.length,
      },
    });
  },
});

/** The near misses of a key, derived deterministically so a run can be reproduced (and scanned for). */
export function nearMissVariants(key: string): NearMiss[] {
  const extra = key.at(-1) === 'x' ? 'y' : 'x';
  // tr flips ASCII letters only: for any other key the flipped value is a variable of its own.
  const ascii = /^[\x20-\x7e]*$/.test(key);
  const variants: NearMiss[] = [
    { label: 'truncated by one character', secret: key.slice(0, -1), shell: '${KEY%?}' },
    { label: 'last character changed', secret: changeAt(key, key.length - 1) },
    { label: 'middle character changed', secret: changeAt(key, Math.floor(key.length / 2)) },
    {
      label: 'case flipped',
      secret: flipCase(key),
      ...(ascii ? { shell: `$(printf '%s' "$KEY" | tr 'a-zA-Z' 'A-Za-z')` } : {}),
    },
    { label: 'extended by one character', secret: `${key}${extra}`, shell: `\${KEY}${extra}` },
  ];
  // A key without letters has no case to flip; never send the real key as a "miss".
  return variants.filter((v) => v.secret !== key && v.secret.length > 0);
}

/** Replaces one character with another of the same kind, so the key keeps its shape. */
function changeAt(key: string, i: number): string {
  const c = key[i] ?? 'a';
  const next = /[0-9]/.test(c)
    ? String((Number(c) + 1) % 10)
    : /[a-z]/.test(c)
      ? c === 'z'
        ? 'a'
        : String.fromCharCode(c.charCodeAt(0) + 1)
      : /[A-Z]/.test(c)
        ? c === 'Z'
          ? 'A'
          : String.fromCharCode(c.charCodeAt(0) + 1)
        : c === 'x'
          ? 'y'
          : 'x';
  return key.slice(0, i) + next + key.slice(i + 1);
}

function flipCase(key: string): string {
  return [...key].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');
}
