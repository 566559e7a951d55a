// Each fault must make exactly one keyprobe check fail. keyprobe's real checks
// live elsewhere (src/checks); here each is modelled by a small probe with the
// same pass/fail/error rule, so the fixture's promise is proven on its own:
// with no fault every probe passes, and each fault fails exactly its check,
// the others passing or, where they cannot be verified, giving `error`.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FAULTS, parseFaultArgs, type ReferenceTarget } from '../../src/reference/index.js';
import { findSecrets } from '../helpers/scan.js';
import { call, createKey, rememberSecret, start } from './helpers.js';
import { FAULT_CHECKS } from '../detection/fault-checks.js';

type Verdict = 'pass' | 'fail' | 'error';
type Probe = (target: ReferenceTarget) => Promise<Verdict>;

const ok = (status: number): boolean => status >= 200 && status < 300;
const verdict = (holds: boolean): Verdict => (holds ? 'pass' : 'fail');
/** Keys for the non-rate probes get a roomy limit, so only the rate probes throttle. */
const ROOMY = { limit: 1000, windowSeconds: 1 };
const SMALL = { limit: 3, windowSeconds: 1 };

function key(target: ReferenceTarget, scopes: string[] = ['agents:read', 'agents:call'], extra = {}) {
  return createKey(target, { scopes, rateLimit: ROOMY, ...extra });
}

/** A refusal that says too much: a form of the key in its body or any header, or a Java stack trace in a header (the *-key-echo faults). */
function saysTooMuch(answer: Awaited<ReturnType<typeof call>>, secret: string): boolean {
  const headers = Object.fromEntries(answer.headers);
  if (findSecrets([secret], { texts: { body: answer.text, ...headers } }).length > 0) return true;
  return Object.values(headers).some((v) => /\bat [\w.$]+\(\w+\.java:\d+\)/.test(v));
}

/** Refused, and the refusal says nothing it must not. */
async function refusedCleanly(t: ReferenceTarget, secret: string): Promise<boolean> {
  const answer = await call(t, 'GET', '/v1/agents', { key: secret });
  return !ok(answer.status) && !saysTooMuch(answer, secret);
}

const statusOf = async (target: ReferenceTarget, path: string, options: Parameters<typeof call>[3] = {}, method = 'GET') =>
  (await call(target, method, path, options)).status;

/**
 * Calls with a fresh key until it is refused. `windowMayHaveReset`: the burst
 * took longer than SMALL's window (a slow moment on a busy machine), so its
 * calls may have fallen into two windows and the count proves nothing.
 */
async function burstUntilThrottled(target: ReferenceTarget, secret: string) {
  const started = Date.now();
  const windowMayHaveReset = () => Date.now() - started >= SMALL.windowSeconds * 1000;
  let accepted = 0;
  for (let i = 0; i < 8; i++) {
    const answer = await call(target, 'GET', '/v1/agents', { key: secret });
    if (!ok(answer.status)) return { accepted, answer, windowMayHaveReset: windowMayHaveReset() };
    accepted += 1;
  }
  return { accepted, answer: undefined, windowMayHaveReset: windowMayHaveReset() };
}

const PROBES: Record<string, Probe> = {
  'auth.valid-key-accepted': async (t) => {
    const { secret } = key(t);
    return verdict(
      (await statusOf(t, '/v1/agents', { key: secret })) === 200 &&
        (await statusOf(t, '/v1/agents/agt-support/calls', { key: secret }, 'POST')) === 201,
    );
  },
  'auth.missing-key-rejected': async (t) => verdict((await statusOf(t, '/v1/agents')) === 401),
  'auth.invalid-key-rejected': async (t) => {
    const bad = ['Bearer hello-world', 'Bearer !!!', 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer kp_prod_${'A'.repeat(32)}`];
    const statuses = await Promise.all(bad.map((authorization) => statusOf(t, '/v1/agents', { authorization })));
    return verdict(statuses.every((s) => s === 401 || s === 400));
  },
  'auth.near-miss-key-rejected': async (t) => {
    const { secret } = key(t);
    const last = secret.at(-1)!;
    const misses = [secret.slice(0, -1), secret.slice(0, -1) + (last === 'A' ? 'B' : 'A'), secret.toUpperCase(), `${secret}A`];
    const answers = await Promise.all(misses.map((miss) => call(t, 'GET', '/v1/agents', { key: miss })));
    // Refused, and the refusal quotes no form of the key (a near miss is all but one character of it), in the body or a header.
    const quotes = (a: (typeof answers)[number]) =>
      findSecrets([secret], { texts: { body: a.text, ...Object.fromEntries(a.headers) } }).length > 0;
    return verdict(answers.every((a) => !ok(a.status) && !quotes(a)));
  },
  'auth.key-in-query-rejected': async (t) => {
    const { secret } = key(t);
    if (!ok(await statusOf(t, `/v1/agents?api_key=${secret}`))) return 'pass';
    // Served without any credential too: the query key's effect cannot be told apart.
    return ok(await statusOf(t, '/v1/agents')) ? 'error' : 'fail';
  },
  'authz.unauthorized-resource-denied': async (t) => {
    const { secret } = key(t);
    const hash = createHash('sha256').update(secret).digest('hex');
    const denied = [
      ['GET', '/v1/resources'],
      ['POST', '/v1/agents'],
      ['DELETE', '/v1/resources/res-docs'],
    ] as const;
    for (const [method, path] of denied) {
      const answer = await call(t, method, path, { key: secret });
      if (answer.status !== 403) return 'fail';
      if (/res-internal-ledger|key_scopes|\n\s+at \S/.test(answer.text) || answer.text.includes(hash)) return 'fail';
      // The key in any form (encoded, escaped, reversed, split, partial), found by the tests' own scanner.
      if (findSecrets([secret], { texts: { body: answer.text } }).length > 0) return 'fail';
      // …and in any header, as the body.
      if (findSecrets([secret], { texts: Object.fromEntries(answer.headers) }).length > 0) return 'fail';
    }
    return 'pass';
  },
  'lifecycle.disabled-key-rejected': async (t) => {
    const canary = key(t);
    t.disableKey(canary.id);
    const deadline = Date.now() + 300; // the budget
    while (ok(await statusOf(t, '/v1/agents', { key: canary.secret }))) if (Date.now() > deadline) return 'fail';
    for (let i = 0; i < 10; i++) if (!(await refusedCleanly(t, canary.secret))) return 'fail'; // stability
    return 'pass';
  },
  'lifecycle.rotated-key': async (t) => {
    const canary = key(t);
    const rotated = t.rotateKey(canary.id, 0)!;
    rememberSecret(rotated.secret);
    return verdict(ok(await statusOf(t, '/v1/agents', { key: rotated.secret })) && (await refusedCleanly(t, canary.secret)));
  },
  'lifecycle.expired-key-rejected': async (t) => {
    const expired = key(t, undefined, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    return verdict(await refusedCleanly(t, expired.secret));
  },
  'env.foreign-environment-key-rejected': async (t) => {
    const foreign = key(t, undefined, { environment: 'test' });
    return verdict(await refusedCleanly(t, foreign.secret));
  },
  // The rate probes run last: under shared-rate-bucket they exhaust everyone's bucket.
  // As the real check: too many accepted calls prove no limit only if they fell
  // in one window; a burst slower than the window is tried once more, then inconclusive.
  'rate.limit-triggered': async (t) => {
    for (let attempt = 1; attempt <= 2; attempt++) {
      const { accepted, answer, windowMayHaveReset } = await burstUntilThrottled(t, key(t, undefined, { rateLimit: SMALL }).secret);
      if (answer !== undefined && accepted <= SMALL.limit) return 'pass';
      if (!windowMayHaveReset) return 'fail';
    }
    return 'error';
  },
  'rate.limit-signalled': async (t) => {
    const { answer } = await burstUntilThrottled(t, key(t, undefined, { rateLimit: SMALL }).secret);
    if (!answer) return 'error'; // never throttled: nothing to inspect
    const policy = answer.headers.get('ratelimit-policy');
    return verdict(
      answer.status === 429 &&
        /^\d+$/.test(answer.headers.get('retry-after') ?? '') &&
        (policy === null || policy === `"default";q=${SMALL.limit};w=${SMALL.windowSeconds}`),
    );
  },
  // As the real check: the second key being served proves isolation only if the
  // key is still throttled after it. A fixed window that reset in between (a slow
  // moment on a busy machine) would serve a shared bucket too: then once more.
  'rate.per-key-isolation': async (t) => {
    for (let attempt = 1; attempt <= 2; attempt++) {
      const first = key(t, undefined, { rateLimit: SMALL }).secret;
      const { answer } = await burstUntilThrottled(t, first);
      if (!answer) return 'error';
      const other = key(t, undefined, { rateLimit: SMALL }).secret;
      if (!ok(await statusOf(t, '/v1/agents', { key: other }))) return 'fail';
      if (!ok(await statusOf(t, '/v1/agents', { key: first }))) return 'pass';
    }
    return 'error'; // the window reset both times: inconclusive
  },
};

async function runProbes(target: ReferenceTarget): Promise<Record<string, Verdict>> {
  const verdicts: Record<string, Verdict> = {};
  for (const [id, probe] of Object.entries(PROBES)) verdicts[id] = await probe(target);
  return verdicts;
}

const failing = (verdicts: Record<string, Verdict>): string[] => Object.keys(verdicts).filter((id) => verdicts[id] === 'fail');

describe('each fault fails exactly one check', () => {
  it('with no fault on, every probe passes', async () => {
    const verdicts = await runProbes(await start());
    expect(
      Object.values(verdicts).every((v) => v === 'pass'),
      JSON.stringify(verdicts),
    ).toBe(true);
  });

  it.each(FAULTS.map((f) => [f.name, FAULT_CHECKS[f.name]] as const))('%s fails only %s', async (name, check) => {
    const target = await start({ faults: parseFaultArgs([name]) }); // with its default value
    expect(PROBES[check], `a probe for ${check}`).toBeDefined();
    const verdicts = await runProbes(target);
    expect(failing(verdicts), JSON.stringify(verdicts)).toEqual([check]);
  });
});
