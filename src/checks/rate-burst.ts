// Shared by the rate checks: drive the profile's rate-limit probe above the
// expected limit with the burst generator, and say what was seen — a
// throttle, a refusal that is not one, or no throttle at all (and then
// whether the burst really exceeded the expected rate, because too little
// load is an `error`, never a false fail).
import type { RateLimitSpec } from '../config/profile-schema.js';
import type { Credential } from '../http/client.js';
import { maxAcceptedInWindow, runBurst, type BurstRefusal, type BurstResult } from '../http/burst.js';
import type { BurstTimeline } from '../result.js';
import type { CheckContext } from './check.js';
import { statusText } from './describe.js';
import { budgetLeft, sleep } from './key-probe.js';

export interface BurstOutcome {
  readonly burst: BurstResult;
  readonly timeline: BurstTimeline;
  /** Most accepted calls that may arrive before the throttle: limit × (1 + tolerance), rounded down. */
  readonly allowance: number;
  /** The first refusal, when it is a throttle (a declared status, 429, or another 4xx/5xx once the limit was reached). */
  readonly throttle?: BurstRefusal;
  /** True when the throttle's status is neither declared nor 429. */
  readonly undeclaredStatus: boolean;
  /** Why there is no usable throttle and the check cannot judge: the `error` message. */
  readonly unverifiable?: string;
  /** No throttle although the burst clearly exceeded the expected rate. */
  readonly neverThrottled: boolean;
  readonly maxAcceptedInWindow: number;
  /** Accepted answers back within one window of the burst's first request. */
  readonly acceptedInFirstWindow?: number;
  /** The throttle came back only after the first window: accepted calls may span two windows. */
  readonly throttledAfterFirstWindow?: boolean;
  readonly measurements: Record<string, number | string>;
}

/** Requests beyond the allowance and the in-flight ones, so "no throttle" is unambiguous. */
const EXTRA_REQUESTS = 3;
const MAX_BURST_MS = 30_000;

export async function burstToThrottle(
  ctx: CheckContext,
  spec: RateLimitSpec,
  opts: { credential?: Credential; label?: string } = {},
): Promise<BurstOutcome> {
  const allowance = Math.floor(spec.limit * (1 + spec.tolerance));
  const wanted = allowance + spec.concurrency + EXTRA_REQUESTS;
  const available = budgetLeft(ctx);
  const windowMs = spec.windowSeconds * 1000;
  const base = { allowance, undeclaredStatus: false, neverThrottled: false, maxAcceptedInWindow: 0 };
  const emptyTimeline: BurstTimeline = { kind: 'burst', expectedLimit: spec.limit, windowSeconds: spec.windowSeconds, points: [] };
  if (available < wanted) {
    const burst: BurstResult = { points: [], sent: 0, accepted: 0, errors: [], errorCount: 0, durationMs: 0, stoppedBy: 'budget' };
    return {
      ...base,
      burst,
      timeline: emptyTimeline,
      unverifiable: `the request budget has ${Math.max(0, available)} requests left, but exceeding a limit of ${spec.limit} needs ${wanted}; raise target.budget`,
      measurements: { expectedLimit: spec.limit },
    };
  }

  const first = await burstOnce(ctx, spec, opts, allowance, wanted);
  // A burst slower than one window that met no throttle proves nothing: a
  // window may have reset in its middle (a loaded machine or a slow target).
  // Burst once more on a fresh window before judging; never fail on it.
  if (!first.slow || budgetLeft(ctx) < wanted || ctx.signal.aborted) return first.outcome;
  ctx.progress(`the burst was slower than one ${spec.windowSeconds} s window and met no throttle; waiting a fresh window to burst again`);
  await sleep(windowMs + FRESH_WINDOW_MARGIN_MS, ctx.signal);
  const second = await burstOnce(ctx, spec, opts, allowance, wanted);
  second.outcome.measurements.attempts = 2;
  return second.outcome;
}

/** Between two bursts, a little more than a window, as the runner waits before each rate check. */
const FRESH_WINDOW_MARGIN_MS = 100;

/** One burst and what it shows; `slow` when it met no throttle but was too slow to prove there is none. */
async function burstOnce(
  ctx: CheckContext,
  spec: RateLimitSpec,
  opts: { credential?: Credential; label?: string },
  allowance: number,
  wanted: number,
): Promise<{ outcome: BurstOutcome; slow: boolean }> {
  const windowMs = spec.windowSeconds * 1000;
  const base = { allowance, undeclaredStatus: false, neverThrottled: false, maxAcceptedInWindow: 0 };
  const done = (outcome: BurstOutcome, slow = false) => ({ outcome, slow });
  ctx.progress(`burst of up to ${wanted} requests, ${spec.concurrency} at a time`);
  const burst = await runBurst({
    http: ctx.http,
    label: opts.label ?? `burst: ${spec.probe.method} ${spec.probe.path}`,
    method: spec.probe.method,
    path: spec.probe.path,
    body: spec.probe.body,
    headers: spec.probe.headers,
    ...(opts.credential ? { credential: opts.credential } : {}),
    concurrency: spec.concurrency,
    maxRequests: wanted,
    maxDurationMs: Math.min(MAX_BURST_MS, windowMs * 3 + 1000),
    signal: ctx.signal,
    onProgress: (sent, max) => {
      if (sent % 10 === 0) ctx.progress(`burst ${sent}/${max}`);
    },
  });
  const inWindow = maxAcceptedInWindow(burst.points, windowMs);
  const timeline: BurstTimeline = {
    kind: 'burst',
    expectedLimit: spec.limit,
    windowSeconds: spec.windowSeconds,
    ...(burst.firstRefusal ? { firstThrottledAtCall: burst.firstRefusal.call } : {}),
    points: burst.points,
  };
  const measurements: Record<string, number | string> = {
    expectedLimit: spec.limit,
    windowSeconds: spec.windowSeconds,
    allowance,
    sent: burst.sent,
    accepted: burst.accepted,
    burstMs: burst.durationMs,
    concurrency: spec.concurrency,
    maxAcceptedInOneWindow: inWindow,
    achievedRatePerSecond: burst.durationMs > 0 ? Math.round((burst.sent / burst.durationMs) * 1000) : burst.sent,
  };
  const result = { ...base, burst, timeline, maxAcceptedInWindow: inWindow, measurements };
  if (burst.stoppedBy === 'interrupted') return done({ ...result, unverifiable: 'interrupted during the burst' });

  const refusal = burst.firstRefusal;
  if (refusal) {
    const status = refusal.response.status;
    measurements.throttledAtCall = refusal.call;
    measurements.acceptedBeforeThrottle = refusal.acceptedBefore;
    measurements.inFlightAtThrottle = refusal.inFlight;
    measurements.throttleStatus = status;
    const declared = spec.statuses.includes(status) || status === 429;
    if (ctx.profile.rejection.statuses.includes(status) && !declared) {
      return done({
        ...result,
        unverifiable: `the key was refused with ${statusText(status)} during the burst (after ${refusal.acceptedBefore} accepted calls): a rejection of the key, not a rate limit`,
      });
    }
    // Another 4xx/5xx counts as the throttle only once the limit was (nearly) reached: earlier it is just a failure.
    const nearLimit = refusal.acceptedBefore >= Math.floor(spec.limit * (1 - spec.tolerance));
    if (declared || (status >= 400 && nearLimit)) {
      // Many accepted calls before a throttle that came after the first window
      // may be two windows' worth (the window reset mid-burst), not a late limit.
      const inFirstWindow = burst.points.filter((p) => p.accepted && p.tMs < windowMs).length;
      const afterFirstWindow = refusal.atMs >= windowMs;
      measurements.acceptedInFirstWindow = inFirstWindow;
      const slow = afterFirstWindow && burst.accepted > allowance + refusal.inFlight && inFirstWindow <= allowance + refusal.inFlight;
      return done(
        {
          ...result,
          throttle: refusal,
          undeclaredStatus: !declared,
          acceptedInFirstWindow: inFirstWindow,
          throttledAfterFirstWindow: afterFirstWindow,
        },
        slow,
      );
    }
    return done({
      ...result,
      unverifiable: `the burst met ${statusText(status)} after only ${refusal.acceptedBefore} accepted calls, which is not a rate-limit answer (expected ${spec.statuses.map(statusText).join(' or ')} after about ${spec.limit})`,
    });
  }

  if (burst.errorCount > 0 && burst.accepted <= allowance)
    return done({ ...result, unverifiable: `${burst.errorCount} burst requests failed: ${burst.errors[0]}` });
  if (burst.stoppedBy === 'budget')
    return done({ ...result, unverifiable: 'the request budget ran out during the burst; raise target.budget' });
  // No throttle. That proves "no limit" only for calls the target received
  // within one window of the burst's first request (the runner starts every
  // burst on a fresh window): an answer back before then was received before
  // then. A slower burst may have straddled a window reset, and a limiter
  // that resets its window lets up to twice the limit through a sliding one.
  const inFirstWindow = burst.points.filter((p) => p.accepted && p.tMs < windowMs).length;
  measurements.acceptedInFirstWindow = inFirstWindow;
  if (inFirstWindow > allowance) return done({ ...result, neverThrottled: true });
  if (inWindow <= allowance) {
    return done(
      {
        ...result,
        unverifiable: `could not generate enough load: at most ${inWindow} calls were accepted within any ${spec.windowSeconds} s window, but exceeding the expected limit needs more than ${allowance} (${burst.sent} requests took ${Math.round(burst.durationMs)} ms); raise rateLimit.concurrency or check the target's latency`,
      },
      true,
    );
  }
  return done(
    {
      ...result,
      unverifiable: `no throttle, but the burst was too slow to prove there is no limit: only ${inFirstWindow} of its ${burst.accepted} accepted calls came back within the first ${spec.windowSeconds} s window (the limit is ${spec.limit}), so a window may have reset mid-burst (${burst.sent} requests took ${Math.round(burst.durationMs)} ms); raise rateLimit.concurrency or check the target's latency`,
    },
    true,
  );
}
