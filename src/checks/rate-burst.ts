// Shared by the rate checks: drive the profile's rate-limit probe above the
// expected limit with the burst generator, and say what was seen — a
// throttle, a refusal that is not one, or no throttle at all (and then
// whether the burst really exceeded the expected rate, because too little
// load is an `error`, never a false fail).
//
// Across latency a burst needs many requests in flight: HTTP/1.1 carries one
// answer per connection per round trip, so a limit of 2,000/s 40 ms away
// needs 80 at once just to keep up. The burst measures the round trip with
// its first two requests and keeps enough in flight to exceed the limit's
// allowance within half a window (rateLimit.concurrency is the least it
// uses; MAX_BURST_CONCURRENCY the most), and says what it chose.
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
  /**
   * More calls were accepted before the throttle than the allowance and those
   * in flight, but it came only after the first window, within which no more
   * than those came back: the window may have reset mid-burst (a slow burst on
   * a loaded machine), so the count says nothing about the limit.
   */
  readonly windowMayHaveReset?: boolean;
  readonly measurements: Record<string, number | string>;
}

/** Requests beyond the allowance and the in-flight ones, so "no throttle" is unambiguous. */
const EXTRA_REQUESTS = 3;
const MAX_BURST_MS = 30_000;
/**
 * Most requests a burst keeps in flight, however far away the target is: 40 ms
 * away that is about 12,000 per second, over 64 connections pipelined 8 deep
 * (GET/HEAD; other methods stop at 64). The precision of "accepted ≤ limit +
 * in flight" weakens as this grows, and a target should not see more than
 * this from one client at once.
 */
export const MAX_BURST_CONCURRENCY = 512;
/** A sized burst keeps enough in flight to exceed the allowance within this share of one window. */
const WINDOW_SHARE = 0.5;

export interface BurstSizing {
  /** Requests in flight the round trip needs to exceed the allowance within half a window. */
  readonly needed: number;
  /** What the burst uses: at least rateLimit.concurrency, at most the cap and what the budget allows. */
  readonly concurrency: number;
  readonly cappedBy?: 'cap' | 'budget';
}

/**
 * Requests in flight for a burst to exceed `allowance` accepted calls within
 * half a window when each takes `roundTripMs` (Little's law: in flight =
 * rate × time per request), within the declared minimum, the cap and the
 * requests the budget has left beyond the allowance.
 */
export function burstConcurrency(spec: RateLimitSpec, allowance: number, roundTripMs: number, available: number): BurstSizing {
  const perMs = (allowance + 1) / (spec.windowSeconds * 1000 * WINDOW_SHARE);
  const needed = Math.max(1, Math.ceil(perMs * roundTripMs));
  const byBudget = available - allowance - EXTRA_REQUESTS;
  let concurrency = Math.max(spec.concurrency, needed);
  let cappedBy: BurstSizing['cappedBy'];
  if (concurrency > MAX_BURST_CONCURRENCY) {
    concurrency = MAX_BURST_CONCURRENCY;
    cappedBy = 'cap';
  }
  if (concurrency > byBudget) {
    concurrency = Math.max(spec.concurrency, byBudget);
    cappedBy = 'budget';
  }
  return { needed, concurrency, ...(cappedBy ? { cappedBy } : {}) };
}

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
    const burst: BurstResult = {
      points: [],
      sent: 0,
      accepted: 0,
      errors: [],
      errorCount: 0,
      durationMs: 0,
      stoppedBy: 'budget',
      concurrency: 0,
      connections: 0,
      pipelining: 1,
      protocol: 'http/1.1',
    };
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
  ctx.progress(`burst of up to ${wanted} requests, ${spec.concurrency} or more at a time (sized from the round trip)`);
  let sizing: BurstSizing | undefined;
  const available = budgetLeft(ctx);
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
    sizeFromRoundTrip: (roundTripMs) => {
      sizing = burstConcurrency(spec, allowance, roundTripMs, available);
      const maxRequests = allowance + sizing.concurrency + EXTRA_REQUESTS;
      ctx.progress(`round trip ${roundTripMs.toFixed(1)} ms: ${sizing.concurrency} requests in flight, up to ${maxRequests} in all`);
      return { concurrency: sizing.concurrency, maxRequests };
    },
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
    // The report's timeline keeps its form (send order stays with the burst's own result).
    points: burst.points.map(({ tMs, status, accepted }) => (status === undefined ? { tMs, accepted } : { tMs, status, accepted })),
  };
  const measurements: Record<string, number | string> = {
    expectedLimit: spec.limit,
    windowSeconds: spec.windowSeconds,
    allowance,
    sent: burst.sent,
    ...(burst.resent ? { resent: burst.resent } : {}),
    ...(burst.waitedForWindowMs !== undefined ? { waitedForWindowMs: burst.waitedForWindowMs } : {}),
    accepted: burst.accepted,
    burstMs: burst.durationMs,
    concurrency: burst.concurrency,
    ...concurrencyMeasurements(spec, burst, sizing),
    maxAcceptedInOneWindow: inWindow,
    achievedRatePerSecond: burst.durationMs > 0 ? Math.round((burst.sent / burst.durationMs) * 1000) : burst.sent,
  };
  const result = { ...base, burst, timeline, maxAcceptedInWindow: inWindow, measurements };
  if (burst.stoppedBy === 'interrupted') return done({ ...result, unverifiable: 'interrupted during the burst' });

  const refusal = burst.firstRefusal;
  if (refusal) {
    const status = refusal.response.status;
    measurements.throttledAtCall = refusal.call;
    // The accepted calls before the throttle in send or arrival order (src/http/burst.ts); where
    // they differ, each order's own count and every accepted call sent before the throttle came back.
    measurements.acceptedBeforeThrottle = refusal.acceptedBefore;
    if (refusal.acceptedArrivedBefore !== refusal.acceptedBefore)
      measurements.acceptedArrivedBeforeThrottle = refusal.acceptedArrivedBefore;
    if (refusal.acceptedSentBefore !== refusal.acceptedBefore) measurements.acceptedSentBeforeThrottledCall = refusal.acceptedSentBefore;
    if (refusal.acceptedAtMost !== refusal.acceptedBefore) measurements.acceptedBeforeThrottleAtMost = refusal.acceptedAtMost;
    measurements.inFlightAtThrottle = refusal.inFlight;
    measurements.throttleStatus = status;
    const declared = spec.statuses.includes(status) || status === 429;
    if (ctx.profile.rejection.statuses.includes(status) && !declared) {
      return done({
        ...result,
        unverifiable: `the key was refused with ${statusText(status)} during the burst (after ${refusal.acceptedBefore} accepted calls): a rejection of the key, not a rate limit`,
      });
    }
    // Throttled before a single call was accepted: the burst measured no limit, only a key that
    // was throttled before it began (a throttle outlasting the declared window, a target that
    // throttles every request), so no rate check can judge the key on it.
    if (declared && refusal.acceptedAtMost === 0) {
      return done({
        ...result,
        unverifiable: `throttled before any call of the burst was accepted (${statusText(status)} at call ${refusal.call}): the key was throttled before the burst began (a throttle that outlasts the declared ${spec.windowSeconds} s window, or a target that throttles every request), so the limit could not be measured`,
      });
    }
    // Another 4xx/5xx counts as the throttle only once the limit was (nearly) reached: earlier it is just a failure.
    // "Reached" on the most the window can have accepted, so an order that undercounts never decides it.
    const nearLimit = refusal.acceptedAtMost >= Math.floor(spec.limit * (1 - spec.tolerance));
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
          ...(slow ? { windowMayHaveReset: true } : {}),
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
        unverifiable: `could not generate enough load: at most ${inWindow} calls were accepted within any ${spec.windowSeconds} s window, but exceeding the expected limit needs more than ${allowance} (${burst.sent} requests took ${Math.round(burst.durationMs)} ms); ${moreLoadHint(spec, burst, sizing)}`,
      },
      true,
    );
  }
  return done(
    {
      ...result,
      unverifiable: `no throttle, but the burst was too slow to prove there is no limit: only ${inFirstWindow} of its ${burst.accepted} accepted calls came back within the first ${spec.windowSeconds} s window (the limit is ${spec.limit}), so a window may have reset mid-burst (${burst.sent} requests took ${Math.round(burst.durationMs)} ms); ${moreLoadHint(spec, burst, sizing)}`,
    },
    true,
  );
}

/** How the burst chose its concurrency, for the check's measurements (and so the report). */
export function concurrencyMeasurements(spec: RateLimitSpec, burst: BurstResult, sizing?: BurstSizing): Record<string, number | string> {
  const out: Record<string, number | string> = {
    declaredConcurrency: spec.concurrency,
    concurrencyCap: MAX_BURST_CONCURRENCY,
    connections: burst.connections,
    pipelining: burst.pipelining,
    protocol: burst.protocol === 'h2' ? 'HTTP/2' : 'HTTP/1.1',
  };
  if (burst.roundTripMs !== undefined) out.roundTripMs = burst.roundTripMs;
  if (sizing) {
    out.concurrencyNeeded = sizing.needed;
    const limitedBy =
      burst.concurrency < sizing.concurrency
        ? `, limited to ${burst.concurrency} connections: ${spec.probe.method} is never pipelined`
        : sizing.cappedBy === 'cap'
          ? `, capped at ${MAX_BURST_CONCURRENCY}`
          : sizing.cappedBy === 'budget'
            ? ', limited by the request budget'
            : sizing.concurrency > sizing.needed
              ? ` (rateLimit.concurrency is ${spec.concurrency})`
              : '';
    out.concurrencySizing = `round trip ${burst.roundTripMs} ms: ${sizing.needed} in flight exceed the allowance within half a window; used ${burst.concurrency}${limitedBy}${layout(burst)}`;
  }
  return out;
}

/** How the requests in flight were spread over connections, when not one per connection. */
function layout(burst: BurstResult): string {
  if (burst.protocol === 'h2')
    return `, as HTTP/2 streams over ${burst.connections} connection${burst.connections === 1 ? '' : 's'} (up to ${burst.pipelining} each)`;
  return burst.pipelining > 1 ? `, over ${burst.connections} connections pipelined ${burst.pipelining} deep` : '';
}

/** What would give a burst more load, said in a too-little-load error. */
function moreLoadHint(spec: RateLimitSpec, burst: BurstResult, sizing?: BurstSizing): string {
  if (sizing && burst.concurrency < sizing.concurrency)
    return `${spec.probe.method} requests go one per connection and a burst opens at most ${burst.connections} (round trip ${burst.roundTripMs} ms): probe a GET resource (rateLimit.probe) or run keyprobe closer to the target`;
  if (sizing?.cappedBy === 'cap')
    return `the burst already kept ${MAX_BURST_CONCURRENCY} requests in flight, the most keyprobe sends at once (round trip ${burst.roundTripMs} ms): run keyprobe closer to the target`;
  if (sizing?.cappedBy === 'budget') return 'the request budget limited the requests in flight; raise target.budget';
  return "raise rateLimit.concurrency or check the target's latency";
}

/**
 * performance.now() when the burst's last throttled call was sent: the latest
 * moment the burst proves the limiter full (a throttled call was judged at or
 * after it left). Any throttled answer proves it, not only the first one.
 */
export function lastThrottledSentAt(throttle: BurstRefusal, points: BurstResult['points']): number {
  // Points count their send times from the burst's start; the first refusal knows its own absolute one.
  const burstStart = throttle.response.sentAt - points[throttle.arrival - 1]!.sentMs;
  const throttled = points.filter((p) => p.status === throttle.response.status).map((p) => p.sentMs);
  return burstStart + Math.max(...throttled);
}
