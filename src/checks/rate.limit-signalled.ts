// A throttled answer must say so in the standard way: status 429 (RFC 6585
// §4) — another status only where the profile declares it, and then it is
// flagged — and a Retry-After a client can act on (seconds or an HTTP-date,
// RFC 9110 §10.2.3). RateLimit / RateLimit-Policy (IETF draft-11),
// RateLimit-* and X-RateLimit-* (with Kong's -Minute style suffixes) are
// parsed where present and must agree with what the burst observed; their
// absence is advisory unless the suite asks for them.
//
// This check owns the `rate-limit-status=503` defect: the limit itself did
// trigger (rate.limit-triggered passes, with a note), but a client that
// retries on 429 only sees a server error, so the *signal* is wrong.
import { z } from 'zod';
import {
  hasAnySignal,
  parseRateLimitHeaders,
  repeatedRetryAfterWords,
  retryAfterClockWords,
  retryAfterDateWords,
  type LegacyLimit,
  type QuotaPolicy,
  type RetryAfter,
} from '../http/rate-limit-headers.js';
import { defineCheck } from './check.js';
import { rateLimit } from './requirements.js';
import { statusText } from './describe.js';
import { budgetLeft } from './key-probe.js';
import { burstToThrottle } from './rate-burst.js';

/** A Retry-After of at least this many declared windows is an advisory (it names both figures). */
const RETRY_AFTER_FAR_BEYOND = 10;
/**
 * The longest wait a Retry-After may ask for and still be a signal: a day, or
 * twice the declared window when that is longer. A fixed or sliding window
 * resets within one window (twice leaves room for a burst that straddled two);
 * a penalty box beyond the window is real (Cloudflare's longest mitigation
 * timeout is a day), so a day is allowed whatever the window. Anything longer
 * is no wait for this limit that a client can act on (99999999999999999999999).
 */
const RETRY_AFTER_LONGEST_SIGNAL_SECONDS = 86_400;

export default defineCheck({
  id: 'rate.limit-signalled',
  title: 'A throttled answer is a 429 with Retry-After and consistent rate-limit headers',
  description:
    "Bursts until throttled, then checks the status (429, or a declared one — advisory), Retry-After (seconds, or an HTTP-date read against the response's Date; one that names a moment already past, asks for more than a day and twice the declared window, or is sent twice is no signal) and any RateLimit, RateLimit-Policy, RateLimit-* or X-RateLimit-* fields for consistency with the observed limit.",
  severity: 'medium',
  practice: 'Reverse validation',
  destructive: false,
  phase: 'rate',
  params: z.strictObject({
    requireRetryAfter: z
      .boolean()
      .default(true)
      .meta({ description: 'A throttled answer without a usable Retry-After fails; false makes it an advisory.', examples: [false] }),
    requireRateLimitFields: z
      .boolean()
      .default(false)
      .meta({
        description: 'Missing RateLimit / RateLimit-Policy / X-RateLimit-* fields fail instead of being an advisory.',
        examples: [true],
      }),
  }),
  requires: [rateLimit],
  async run(ctx, params) {
    const spec = ctx.profile.rateLimit;
    const o = await burstToThrottle(ctx, spec);
    const base = { measurements: o.measurements, timeline: o.timeline };
    if (o.unverifiable) return { ...base, verdict: 'error', message: o.unverifiable };
    if (!o.throttle)
      return {
        ...base,
        verdict: 'error',
        message: `no throttled answer to inspect: ${o.burst.accepted} calls were all accepted (rate.limit-triggered judges the missing limit)`,
      };

    const t = o.throttle;
    const res = t.response;
    const signals = parseRateLimitHeaders(res.headers);
    const failures: string[] = [];
    const advisories: string[] = signals.ignored.map((i) => `ignored a malformed field: ${i}`);
    const measurements: Record<string, number | string> = { ...o.measurements };
    const observedLimit = o.burst.accepted;
    const slack = Math.max(1, Math.ceil(spec.limit * spec.tolerance)) + t.inFlight;
    // A count that may span two windows (a slow burst) cannot be held against an announced limit either way.
    const uncomparable: string[] = [];
    const compareLimit = (announced: string, limit: number) => {
      if (o.windowMayHaveReset) uncomparable.push(announced);
      else if (Math.abs(limit - observedLimit) > slack)
        failures.push(`${announced}, but ${observedLimit} calls were accepted before the throttle`);
    };

    // Status.
    if (res.status !== 429) {
      if (spec.statuses.includes(res.status))
        advisories.push(
          `throttles with ${statusText(res.status)} instead of 429 Too Many Requests (declared in rateLimit.statuses, so advisory; clients that back off on 429 will not)`,
        );
      else
        failures.push(
          `throttled with ${statusText(res.status)}, not 429 Too Many Requests (declare it in rateLimit.statuses if that is intended)`,
        );
    }

    // Retry-After.
    if (signals.retryAfter) {
      measurements.retryAfter = signals.retryAfter.raw;
      measurements.retryAfterForm = signals.retryAfter.form;
      if (signals.retryAfter.clock) measurements.retryAfterClock = signals.retryAfter.clock;
      const unusable = unusableRetryAfter(signals.retryAfter, spec.windowSeconds);
      if (unusable) (params.requireRetryAfter ? failures : advisories).push(unusable);
      // Not a failure: Retry-After is the wait the server asks for, and it may ask for more than the
      // window (a penalty box, a longer quota); rate.recovers judges whether calls come back after it.
      // But a client that obeys one far beyond the limit's window stalls for nothing: say so.
      const farBeyond = signals.retryAfter.seconds >= RETRY_AFTER_FAR_BEYOND * spec.windowSeconds;
      if (farBeyond && !unusable)
        advisories.push(
          `Retry-After ${signals.retryAfter.raw} asks for ${Math.round(signals.retryAfter.seconds)} s, ${Math.floor(signals.retryAfter.seconds / spec.windowSeconds)}× the declared ${spec.windowSeconds} s window (rateLimit.windowSeconds): a client that obeys it waits far longer than this limit needs`,
        );
    } else {
      const why = signals.repeatedRetryAfter
        ? `${repeatedRetryAfterWords(signals.repeatedRetryAfter)} on the throttled answer: RFC 9110 §5.3 lets a client treat a repeated singleton field as an error, and it cannot tell which one to obey`
        : res.headers['retry-after'] !== undefined
          ? `Retry-After "${res.headers['retry-after']}" is neither seconds nor an HTTP-date`
          : 'no Retry-After on the throttled answer';
      (params.requireRetryAfter ? failures : advisories).push(why);
    }

    // RateLimit-Policy (draft-11).
    const policy = pickPolicy(signals.policies, spec.windowSeconds);
    if (policy) {
      measurements.policyQuota = policy.quota;
      if (policy.windowSeconds !== undefined) measurements.policyWindowSeconds = policy.windowSeconds;
      compareLimit(`RateLimit-Policy announces q=${policy.quota}`, policy.quota);
      if (policy.windowSeconds !== undefined && policy.windowSeconds !== spec.windowSeconds)
        advisories.push(`RateLimit-Policy announces w=${policy.windowSeconds} s, the profile declares ${spec.windowSeconds} s`);
    }
    // RateLimit (draft-11): one member per quota, and a throttle spends at least one of them; a
    // longer quota (a day's) may rightly have some left, so only a field where none is spent fails.
    const noneSpent = signals.states.every((s) => s.remaining > 0);
    for (const s of signals.states) {
      if (noneSpent) failures.push(`RateLimit "${s.name}" says r=${s.remaining} remaining on a throttled answer`);
      const spentHere = noneSpent || s.remaining === 0;
      if (spentHere && s.resetSeconds !== undefined && signals.retryAfter && Math.abs(s.resetSeconds - signals.retryAfter.seconds) > 1) {
        advisories.push(
          `RateLimit t=${s.resetSeconds} disagrees with Retry-After ${signals.retryAfter.raw} (Retry-After takes precedence)`,
        );
      }
    }
    // RateLimit-* and X-RateLimit-*.
    for (const l of signals.legacy) {
      failures.push(...legacyProblems(l, spec.windowSeconds, compareLimit));
    }

    const anyFields = signals.policies.length + signals.states.length + signals.legacy.length > 0;
    if (!anyFields)
      (params.requireRateLimitFields ? failures : advisories).push(
        'no RateLimit, RateLimit-Policy or X-RateLimit-* fields on the throttled answer',
      );
    measurements.signals = describeSignals(signals);

    // One more throttled request, kept as evidence of the answer's headers.
    if (budgetLeft(ctx) > 0)
      await ctx.http
        .send({
          label: 'throttled answer (evidence)',
          method: spec.probe.method,
          path: spec.probe.path,
          body: spec.probe.body,
          headers: spec.probe.headers,
          throttle: 'observe',
        })
        .catch(() => undefined);

    const expected = `429 Too Many Requests with a Retry-After (seconds or HTTP-date)${anyFields || params.requireRateLimitFields ? ' and rate-limit fields consistent with the observed limit' : ''}`;
    const observed = `${statusText(res.status)}; ${hasAnySignal(signals) ? describeSignals(signals) : 'no rate-limit signals'}`;
    if (failures.length > 0)
      return { ...base, measurements, verdict: 'fail', message: failures.join('; '), expected, observed, advisories };
    if (uncomparable.length > 0)
      return {
        ...base,
        measurements,
        verdict: 'error',
        message: `inconclusive: ${uncomparable.join('; ')}, but the ${observedLimit} calls accepted before the throttle cannot be compared with it: the throttle came only after the first ${spec.windowSeconds} s window and just ${o.acceptedInFirstWindow} of them came back within it, so the window may have reset mid-burst (the burst was slow even on a second, fresh window); raise rateLimit.concurrency or check the target's latency`,
        expected,
        observed,
        advisories,
      };
    return {
      ...base,
      measurements,
      verdict: 'pass',
      message: `throttled with ${statusText(res.status)} and ${describeSignals(signals)}`,
      expected,
      observed,
      advisories,
    };
  },
});

/**
 * Why a Retry-After that parses is still no signal, or undefined. A retry time
 * already past is judged like a negative delta-seconds (which is malformed):
 * it names no wait. "Retry-After: 0" and a date within the second of the
 * response's Date ask to retry at once, which is a wait a client can obey.
 */
function unusableRetryAfter(r: RetryAfter, windowSeconds: number): string | undefined {
  if (r.pastSeconds !== undefined)
    return `Retry-After ${r.raw} names a moment ${r.pastSeconds} s before ${retryAfterClockWords(r)}: a retry time already past signals no wait`;
  const longest = Math.max(RETRY_AFTER_LONGEST_SIGNAL_SECONDS, 2 * windowSeconds);
  if (r.seconds > longest)
    return `Retry-After ${r.raw} asks for ${waitWords(r.seconds)}${r.clock ? ` (read against ${retryAfterClockWords(r)})` : ''}, more than ${longest === RETRY_AFTER_LONGEST_SIGNAL_SECONDS ? 'a day' : `twice the declared ${windowSeconds} s window`}: no wait for this limit that a client can act on`;
  return undefined;
}

/** A long wait in words: "90000 s", or "more than a century" for an absurd one (1e+23 s reads as nothing). */
function waitWords(seconds: number): string {
  return seconds > 100 * 31_536_000 ? 'more than a century' : `${Math.round(seconds)} s`;
}

/** The policy matching the declared window, else the first. */
function pickPolicy(policies: readonly QuotaPolicy[], windowSeconds: number): QuotaPolicy | undefined {
  return policies.find((p) => p.windowSeconds === windowSeconds) ?? policies[0];
}

function legacyProblems(l: LegacyLimit, windowSeconds: number, compareLimit: (announced: string, limit: number) => void): string[] {
  const out: string[] = [];
  // Kong sends one set per period; only the one for the declared window can be compared with the burst.
  // A set without a period whose reset is further away than a window describes another, longer quota
  // (GitHub's hourly X-RateLimit-* on a secondary limit's 429): not this limit either.
  const otherQuota = l.windowSeconds === undefined && l.resetSeconds !== undefined && l.resetSeconds > windowSeconds + 1;
  const comparable = (l.windowSeconds === undefined || l.windowSeconds === windowSeconds) && !otherQuota;
  if (comparable && l.limit !== undefined) compareLimit(`${l.source} announces a limit of ${l.limit}`, l.limit);
  if (comparable && l.remaining !== undefined && l.remaining > 0)
    out.push(`${l.source} says ${l.remaining} remaining on a throttled answer`);
  return out;
}

function describeSignals(s: ReturnType<typeof parseRateLimitHeaders>): string {
  const parts: string[] = [];
  if (s.retryAfter)
    parts.push(
      `Retry-After ${s.retryAfter.raw} (${s.retryAfter.form === 'seconds' ? 'seconds' : `http-date, ${retryAfterDateWords(s.retryAfter)}`})`,
    );
  for (const p of s.policies)
    parts.push(`RateLimit-Policy "${p.name}" q=${p.quota}${p.windowSeconds !== undefined ? ` w=${p.windowSeconds}` : ''}`);
  for (const st of s.states)
    parts.push(`RateLimit "${st.name}" r=${st.remaining}${st.resetSeconds !== undefined ? ` t=${st.resetSeconds}` : ''}`);
  for (const l of s.legacy)
    parts.push(
      `${l.source}${l.limit !== undefined ? ` limit=${l.limit}` : ''}${l.remaining !== undefined ? ` remaining=${l.remaining}` : ''}`,
    );
  return parts.length > 0 ? parts.join(', ') : 'no rate-limit signals';
}
