// A rate limit must belong to the key: while one key is throttled, another
// key from the same client must still be served. Directus keyed its limiter
// by client IP, so one busy integration throttled every other one; a global
// bucket does the same. The second key is a declared secondKey, else the
// declared canary, else a canary created (and deleted) through the adapter.
import type { Profile, RateLimitSpec } from '../config/profile-schema.js';
import { secondKey, type SubjectKey } from './canary.js';
import type { Measurement } from '../result.js';
import { defineCheck, noParams, type CheckContext, type CheckOutcome } from './check.js';
import { perKeyLimiter, rateLimit, secondKeyAvailable } from './requirements.js';
import { statusText } from './describe.js';
import { budgetTooSmallToUndo, probeKey, sleep, type ProbeResult } from './key-probe.js';
import { burstToThrottle } from './rate-burst.js';

/** Calls with the second key, sent at once right after the burst. */
const SECOND_KEY_CALLS = 3;
/** Calls with the key, sent at once after those, to see that it is still throttled. */
const STILL_THROTTLED_CALLS = 3;

export default defineCheck({
  id: 'rate.per-key-isolation',
  title: 'One throttled key does not throttle another',
  description:
    'Checks that a second key from the same client is served, throttles the key with a burst, then sends three calls at once with the second key: all must be served (a shared or per-IP bucket fails, a continuously refilling one too), and the first key must still be throttled. A second key not served before the burst is an error, not a fail.',
  severity: 'high',
  practice: 'Reverse validation',
  destructive: false,
  phase: 'rate',
  params: noParams,
  requires: [rateLimit, perKeyLimiter, secondKeyAvailable],
  async run(ctx) {
    const spec = ctx.profile.rateLimit;
    const tooSmall = budgetTooSmallToUndo(ctx);
    if (tooSmall) return tooSmall;
    const acquired = await secondKey({ profile: ctx.profile, adapter: ctx.lifecycle, cleanup: ctx.cleanup });
    if (!acquired.ok) return { verdict: acquired.verdict, message: acquired.reason };
    const other = acquired.key;

    // A baseline: the second key must be served before the burst, or a throttled (or
    // refused) answer after it would blame the key's burst for what was there before
    // (a second key throttled elsewhere, or refused with the throttle's own status, Tyk's 403).
    const before = await probeKey(ctx, other.secret, {
      label: `${other.kind} before the burst`,
      resource: spec.probe,
      throttle: 'observe',
    });
    if (before.kind !== 'accepted')
      return {
        verdict: 'error',
        message: `the ${other.kind} was not served before the burst (${before.status !== undefined ? `${statusText(before.status)}${before.kind === 'throttled' ? ', throttled already' : ''}` : before.error}), so isolation cannot be judged: a second key must work before the key is throttled`,
        measurements: { secondKey: other.kind, secondKeyBeforeBurst: before.status ?? 'no answer' },
      };

    // Inconclusive when the key's window reset before it was checked again (the
    // throttle came late in its window on a slow machine): once more on a fresh window.
    let result = await isolationAttempt(ctx, other);
    if (result.inconclusive && !ctx.signal.aborted) {
      ctx.progress('the window reset before the key was checked again; waiting a fresh window to try once more');
      await sleep(spec.windowSeconds * 1000 + 100, ctx.signal);
      result = await isolationAttempt(ctx, other);
      result.outcome.measurements!['attempts'] = 2;
    }
    return result.outcome;
  },
});

async function isolationAttempt(
  ctx: CheckContext<Profile & { rateLimit: RateLimitSpec }>,
  other: SubjectKey,
): Promise<{ outcome: CheckOutcome & { measurements: Record<string, Measurement> }; inconclusive?: boolean }> {
  const spec = ctx.profile.rateLimit;
  const o = await burstToThrottle(ctx, spec);
  const base = { measurements: { ...o.measurements, secondKey: other.kind } as Record<string, Measurement>, timeline: o.timeline };
  if (o.unverifiable) return { outcome: { ...base, verdict: 'error', message: o.unverifiable } };
  if (!o.throttle)
    return {
      outcome: {
        ...base,
        verdict: 'error',
        message: `the key was never throttled (${o.burst.accepted} calls accepted), so isolation cannot be tested (rate.limit-triggered judges the missing limit)`,
      },
    };
  const throttleStatus = o.throttle.response.status;

  // A few calls with the second key at once, not one: a shared limiter that
  // refills continuously (a leaky or token bucket, nginx limit_req) may have one
  // request's worth back a moment after the burst, but not several. Each looks
  // at throttling on purpose: a throttled second key is this check's failure,
  // not an answer to wait out.
  const throttled = (r: ProbeResult) => r.kind === 'throttled' || r.status === throttleStatus;
  const seconds = await callsAtOnce(ctx, other.secret, SECOND_KEY_CALLS, `${other.kind} while the key is throttled`);
  const expected = `all ${SECOND_KEY_CALLS} calls with the ${other.kind}, sent at once, are served while the key is throttled`;
  const throttledToo = seconds.filter(throttled);
  if (throttledToo.length > 0) {
    return {
      outcome: {
        ...base,
        verdict: 'fail',
        message: `the ${other.kind} was throttled too (${throttledToo.length} of ${SECOND_KEY_CALLS} calls: ${statusText(throttledToo[0]!.status!)}) while only the key had been bursting: the limit is shared (per client IP or global), not per key`,
        expected,
        observed: `${other.kind}: ${seconds.map((r) => (r.status !== undefined ? r.status : 'no answer')).join(', ')}`,
      },
    };
  }
  const unclear = seconds.find((r) => r.kind !== 'accepted');
  if (unclear) {
    return {
      outcome: {
        ...base,
        verdict: 'error',
        message: `the ${other.kind} got ${unclear.status !== undefined ? statusText(unclear.status) : unclear.error}, neither served nor throttled, so isolation cannot be judged`,
      },
    };
  }
  const second = seconds[0]!;
  // The window must not have reset meanwhile, or the second key's success proves
  // nothing. A few calls with the key at once, not one: a leaky or token bucket
  // (nginx limit_req) gives one call's worth back every window / limit, so a lone
  // call that comes a moment late (a busy machine, a slow network) may be served
  // though the key is still throttled. A window that reset serves every one of
  // them: no more are sent than the limit.
  const count = Math.min(STILL_THROTTLED_CALLS, spec.limit);
  const stills = await callsAtOnce(ctx, ctx.profile.key.secret, count, 'the key, still throttled?');
  if (!stills.some(throttled)) {
    const still = stills[0]!;
    return {
      inconclusive: true,
      outcome: {
        ...base,
        verdict: 'error',
        message: `the key was no longer throttled (${count === 1 ? '' : `${count} calls at once: `}${still.status !== undefined ? statusText(still.status) : still.error}) when checked again, so the window may have reset: inconclusive`,
      },
    };
  }
  return {
    outcome: {
      ...base,
      verdict: 'pass',
      message: `while the key was throttled (${statusText(throttleStatus)}), all ${SECOND_KEY_CALLS} calls with the ${other.kind}, sent at once, were served (${statusText(second.status!)})`,
      expected,
    },
  };
}

/**
 * `count` calls of the rate probe with `secret`, sent at once, each labelled
 * "label (i of count)". Each looks at throttling on purpose: here a throttled
 * answer is what is being observed, not something to wait out.
 */
function callsAtOnce(
  ctx: CheckContext<Profile & { rateLimit: RateLimitSpec }>,
  secret: string,
  count: number,
  label: string,
): Promise<ProbeResult[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      probeKey(ctx, secret, { label: `${label} (${i + 1} of ${count})`, resource: ctx.profile.rateLimit.probe, throttle: 'observe' }),
    ),
  );
}
