// After the announced wait a throttled key must be served again: a client
// that obeys Retry-After (or the RateLimit reset, or the declared window)
// must not find itself still locked out. A Retry-After that lies is a fail.
import { z } from 'zod';
import {
  parseRateLimitHeaders,
  repeatedRetryAfterWords,
  retryAfterDateWords,
  retryAfterWords,
  secondsUntilReset,
} from '../http/rate-limit-headers.js';
import { defineCheck } from './check.js';
import { rateLimit } from './requirements.js';
import { statusText } from './describe.js';
import { answerWords, ms, probeKey, sleep } from './key-probe.js';
import { burstToThrottle } from './rate-burst.js';

export default defineCheck({
  id: 'rate.recovers',
  title: 'A throttled key is served again after the announced wait',
  description:
    "Bursts until throttled, waits what Retry-After says (a date read against the response's Date; one already past or sent twice is passed over for the RateLimit reset, else the declared window), and expects the next call to succeed.",
  severity: 'medium',
  practice: 'Reverse validation',
  destructive: false,
  phase: 'rate',
  params: z.strictObject({
    marginMs: z
      .number()
      .int()
      .nonnegative()
      .default(100)
      .meta({ description: 'Milliseconds added to the announced wait (Retry-After), for clock granularity.', examples: [250] }),
    maxWaitSeconds: z
      .number()
      .positive()
      .default(120)
      .meta({ description: 'The longest announced wait this check waits out; a longer one gives `error`.', examples: [300] }),
  }),
  requires: [rateLimit],
  async run(ctx, params) {
    const spec = ctx.profile.rateLimit;
    const o = await burstToThrottle(ctx, spec);
    const base = { timeline: o.timeline };
    if (o.unverifiable) return { ...base, measurements: o.measurements, verdict: 'error', message: o.unverifiable };
    if (!o.throttle)
      return {
        ...base,
        measurements: o.measurements,
        verdict: 'error',
        message: `nothing to recover from: the burst was never throttled (rate.limit-triggered judges the missing limit)`,
      };

    const signals = parseRateLimitHeaders(o.throttle.response.headers);
    const announced = secondsUntilReset(signals);
    const advisories: string[] = [];
    const waitSeconds = announced?.seconds ?? spec.windowSeconds;
    const source = announced?.from ?? `the declared ${spec.windowSeconds} s window`;
    // A Retry-After absent, repeated or naming a moment already past announces no wait: another signal (or the
    // window) is waited instead; whether such a signal is acceptable is rate.limit-signalled's to judge.
    const retryAfter = signals.retryAfter;
    if (signals.repeatedRetryAfter)
      advisories.push(`${repeatedRetryAfterWords(signals.repeatedRetryAfter)} on the throttled answer; waited ${source} instead`);
    else if (retryAfter?.pastSeconds !== undefined)
      advisories.push(
        `Retry-After ${retryAfter.raw} names a moment ${retryAfterDateWords(retryAfter)}, so it announces no wait; waited ${source} instead`,
      );
    else if (!retryAfter) advisories.push(`no Retry-After on the throttled answer; waited ${source} instead`);
    if (waitSeconds > params.maxWaitSeconds)
      return {
        ...base,
        measurements: o.measurements,
        verdict: 'error',
        message: `the announced wait (${source}) is longer than this check waits (maxWaitSeconds ${params.maxWaitSeconds})`,
        advisories,
      };

    // Wait from the moment the throttled answer arrived: its own clock reading,
    // not "now" less the rest of the burst, which any pause of keyprobe's since
    // the burst ended would push later, hiding that much of a lying Retry-After.
    const throttledAt = o.throttle.response.sentAt + o.throttle.response.durationMs;
    const waitMs = waitSeconds * 1000 + params.marginMs;
    ctx.progress(`throttled; waiting ${Math.round(waitMs)} ms (${source})`);
    await sleep(throttledAt + waitMs - performance.now(), ctx.signal);
    // Observed, not waited out: still being throttled after the announced wait is what this check fails on.
    const probeAfter = (label: string) => probeKey(ctx, ctx.profile.key.secret, { label, resource: spec.probe, throttle: 'observe' });
    let after = await probeAfter(`after waiting ${source}`);
    const stillThrottled = (p: typeof after) => p.kind === 'throttled' || p.status === o.throttle!.response.status;
    // Retry-After, an HTTP-date and the RateLimit reset all count whole seconds, so a
    // server that rounds 0.4 s down to 0 is imprecise, not lying: give it the one
    // second its header cannot express before calling the wait a lie, and say so.
    let earlyProbe: { status: number | undefined; atMs: number } | undefined;
    if (announced && stillThrottled(after)) {
      earlyProbe = { status: after.status, atMs: after.sentAt - throttledAt };
      await sleep(throttledAt + waitMs + 1000 - performance.now(), ctx.signal);
      after = await probeAfter(`1 s after ${source} (the header counts whole seconds)`);
    }
    const measurements = {
      ...o.measurements,
      announcedWaitSeconds: waitSeconds,
      announcedBy: source,
      ...(retryAfter?.clock ? { retryAfterClock: retryAfter.clock } : {}),
      probedAfterMs: ms(after.sentAt - throttledAt),
      ...(earlyProbe ? { stillThrottledAtMs: ms(earlyProbe.atMs) } : {}),
    };
    const expected = `a successful call once ${source} has passed`;
    if (after.kind === 'accepted') {
      if (earlyProbe)
        advisories.push(
          `${source} understated the wait: a call ${Math.round(earlyProbe.atMs)} ms after the throttle was still throttled (${statusText(earlyProbe.status!)}), so a client that obeys it retries too early; whole seconds cannot say a fraction, so round the wait up`,
        );
      return {
        ...base,
        measurements,
        verdict: 'pass',
        message: `served again (${statusText(after.status!)}) ${Math.round(after.sentAt - throttledAt)} ms after the throttle, ${earlyProbe ? `within the second that ${source} cannot express` : `as ${source} announced`}`,
        expected,
        advisories,
      };
    }
    if (stillThrottled(after)) {
      const waitedRetryAfter = retryAfter && retryAfter.pastSeconds === undefined;
      const lie = waitedRetryAfter ? `Retry-After said ${retryAfterWords(retryAfter)} but` : `after ${source}`;
      return {
        ...base,
        measurements,
        verdict: 'fail',
        message: `${lie} the key was still throttled (${statusText(after.status!)}) ${Math.round(after.sentAt - throttledAt)} ms after the throttle`,
        expected,
        observed: `still ${statusText(after.status!)}`,
        advisories,
      };
    }
    return {
      ...base,
      measurements,
      verdict: 'error',
      message: `the call after the wait got ${answerWords(after)}, neither served nor throttled`,
      advisories,
    };
  },
});
