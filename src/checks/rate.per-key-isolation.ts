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
import { answerWords, budgetLeft, budgetTooSmallToUndo, ms, probeKey, sleep, type ProbeResult } from './key-probe.js';
import { burstToThrottle, lastThrottledSentAt } from './rate-burst.js';
import { refillSlowerThan } from './refill-proof.js';

/**
 * Calls with the second key sent at once right after the burst, and then with
 * the key to see that it is still throttled: at least these, more for fast
 * limits and slow targets (callsAtOnceFor).
 */
const CALLS_AT_ONCE = 3;
/**
 * The lateness the check tolerates beyond two served round trips (the burst's
 * last calls coming back, then the second key's): how much later than that the
 * second key's calls may still be answered before the check calls them late. A
 * loaded runner's event loop stalls for tens of ms. On loopback three calls
 * cover it from a limit of 20 per second (2 refills of 45 ms); faster limits and
 * slower targets send more calls (callsAtOnceFor).
 */
const LATENESS_TOLERATED_MS = 80;

// Why a second-key call that is served proves nothing on its own, and what does.
// A shared limiter that refills continuously (a leaky or token bucket: nginx
// limit_req, Envoy, most gateways) gives one call back every window ÷ limit:
// 50 ms at 20 per second. If keyprobe is late between the burst's throttle and
// the second key's calls (a loaded CI runner, GC, a slow network), the shared
// bucket has served the key's burst and then has room again, so the second key
// is served; the key's own re-check after it may still meet a throttle. That
// looked like isolation: a false pass (issue #15's closing note, seen on nginx).
//
// The rule: a throttled answer to the key proves the limiter full when that
// call was judged, at or after it left (at `provenFullAt`: the later of the
// burst's last throttled call and the key's proof call, below). From a full bucket
// that gives one call back every `refillMs`, n calls are served only once more
// than (n - 1) × refillMs have passed. So if all n calls of the second key were
// answered within (n - 1) × refillMs of `provenFullAt`, no bucket shared with the
// key could have served them all, however it counts — whatever keyprobe's stalls
// were before that. Later than that, they prove nothing: inconclusive (tried once
// more on a fresh window), never a pass. refillMs is window ÷ (limit × (1 +
// tolerance)), the fastest refill the profile's declaration allows.
//
// The proof point is a fresh one, not the burst's (issue #15): the burst's last
// throttled call left before its drain (every call still in flight coming
// back), and on a loaded runner the drain alone took longer than the refills
// the second key's calls cover: a healthy per-key limiter read as inconclusive.
// So once the burst has drained, a few calls with the key go at once (its
// proof calls), and the moment the first of them comes back throttled the
// second key's calls go: that throttled call proves the limiter full again, and
// the second key's lateness is then about two round trips, not the drain.
// The burst's proof is kept if it is the later one. Why the proof calls cannot
// make a shared bucket pass:
// - A proof call that is throttled was judged with the limiter full, at or
//   after it left: the rule above holds from its send time exactly as from the
//   burst's.
// - A shared bucket that served a proof call served it from a refill: that
//   refill is gone for the second key, so served proof calls only make the
//   second key's calls less likely to be served in time. If no proof call is
//   throttled at all the key was not shown full: inconclusive, never a pass.
// - A limiter that counts refused calls too is fuller for every throttled proof
//   call; shared, it throttles the second key harder.
// - A shared fixed window that reset among the proof calls has served some of
//   them in its new window: the re-check below then sends that many fewer
//   calls, so a reset still serves all of them and reads as inconclusive.
//
// Interleaving the key's re-check with the second key's calls (B1 A1 B2 A2 …)
// was the other proposal; it only makes a shared pass less likely (a refill can
// still land between two calls), and a per-key bucket that hands the key's
// re-check one refilled call (per-key-isolation-refill.test.ts) would then be
// inconclusive. The clock above excludes a shared bucket outright.
//
// A fixed or sliding window does not refill between resets, and a reset is
// what the key's re-check (below) catches.
//
// A limiter can refill faster than its profile declares: nginx `limit_req
// rate=100r/s burst=19`, declared as docs/profile.md says (limit 20 a second),
// gives a call back every 10 ms, not 45.5. A bucket both keys share then
// serves the second key's n calls well within (n - 1) declared refills: a
// false pass (per-key-isolation-fast-refill.test.ts). So before a pass, the
// key's own limiter is shown to give calls back slower than the second key's
// calls needed, one every lateMs ÷ (n - 1): with only the key calling, the
// bucket it draws from is the one both keys would share (refill-proof.ts says
// why a throttled call proves it). The rule above then holds for the limiter
// as it is, not only as declared — assuming it refills at one pace for the
// few hundred ms the check takes.
//
// A small limit (≤ 5 a window at three calls each): the re-check's three calls
// (the fewest a leaky bucket per key needs, above) are more than a window both
// keys share that reset just before the second key's calls has left, so it
// served two and throttled one, and that passed (per-key-isolation-small-limit
// .test.ts). Counts cannot tell it from a leaky bucket per key that hands the
// late re-check a refilled call (per-key-isolation-refill.test.ts): both serve
// two and throttle one. The second key's own budget can: once the key met its
// throttle, the second key is called once more. A window both keys share is
// full then (the key was just throttled, and it cannot reset again within a
// window of the reset that served the second key), so it is throttled:
// inconclusive. A second key with a budget of its own has a call left (its
// call before the burst, n calls and this one: at most the limit when n ≤
// limit - 2, and a leaky bucket refills meanwhile) and is served.

export default defineCheck({
  id: 'rate.per-key-isolation',
  title: 'One throttled key does not throttle another',
  description:
    'Checks that a second key from the same client is served, throttles the key with a burst, then sends three calls at once with the second key (more for fast limits or slow targets): all must be served (a shared or per-IP bucket fails), soon enough after the throttle that a shared bucket refilling continuously could not have served them, at the declared rate or at the rate the key itself is seen refilling (else inconclusive), and the first key must still be throttled (at small limits, the second key is then served once more, so a shared window that reset just before its calls shows). A second key not served before the burst is an error, not a fail.',
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
        message: `the ${other.kind} was not served before the burst (${before.status !== undefined ? `${answerWords(before)}${before.kind === 'throttled' ? ', throttled already' : ''}` : before.error}), so isolation cannot be judged: a second key must work before the key is throttled`,
        measurements: { secondKey: other.kind, secondKeyBeforeBurst: before.status ?? 'no answer' },
      };

    // A served call's round trip, which the second key's calls after the burst take too.
    const servedRttMs = before.response!.durationMs;
    // Inconclusive when the second key's calls came too late after the throttle, or
    // the key's window reset before it was checked again (the throttle came late in
    // its window on a slow machine): once more on a fresh window. Calls that came late
    // are sent more at once the second time, for as late as they were (callsAtOnceFor).
    let result = await isolationAttempt(ctx, other, { servedRttMs });
    if (result.inconclusive && !ctx.signal.aborted) {
      ctx.progress(`${result.inconclusive}; waiting a fresh window to try once more`);
      await sleep(spec.windowSeconds * 1000 + 100, ctx.signal);
      const firstTry = result.inconclusive;
      result = await isolationAttempt(ctx, other, { servedRttMs, lateMs: result.lateMs, servedWithinMs: result.servedWithinMs });
      result.outcome.measurements!['attempts'] = 2;
      // Why the first try could not judge, for a reader who wonders why there were two.
      result.outcome.measurements!['firstTryInconclusive'] = firstTry;
    }
    return result.outcome;
  },
});

async function isolationAttempt(
  ctx: CheckContext<Profile & { rateLimit: RateLimitSpec }>,
  other: SubjectKey,
  timing: Lateness,
): Promise<{
  outcome: CheckOutcome & { measurements: Record<string, Measurement> };
  inconclusive?: string;
  /** How late the second key's calls were answered, when that made the attempt inconclusive. */
  lateMs?: number;
  /**
   * When the key's limiter was not shown refilling slower than needed: how soon the key was
   * served again after a call of its own (else the declared refill).
   */
  servedWithinMs?: number;
}> {
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
  const burstProvenFullAt = lastThrottledSentAt(o.throttle, o.burst.points);
  const throttled = (r: ProbeResult) => r.kind === 'throttled' || r.status === throttleStatus;
  const n = callsAtOnceFor(spec, timing);

  // A fresh proof that the key is throttled, now that the burst has drained (see the rule above):
  // the second key's calls leave the moment the first of the key's proof calls comes back throttled.
  const proofCount = proofCalls(spec, n, performance.now() - burstProvenFullAt + timing.servedRttMs, budgetLeft(ctx));
  const proofs = callsSentAtOnce(ctx, ctx.profile.key.secret, proofCount, 'the key, throttled before the second key?');
  const proof = await firstThat(proofs, throttled);
  if (!proof) {
    const answers = await Promise.all(proofs);
    return {
      inconclusive: 'the key was no longer throttled just before the second key was tried',
      outcome: {
        ...base,
        verdict: 'error',
        message: `the key was no longer throttled after its burst (${proofCount} calls at once: ${answers.map((r) => (r.status !== undefined ? r.status : 'no answer')).join(', ')}), so the limiter was not shown full when the ${other.kind} was tried: inconclusive`,
      },
    };
  }
  const provenFullAt = Math.max(burstProvenFullAt, proof.sentAt);

  // Several calls with the second key at once, not one: see the rule above. Each
  // looks at throttling on purpose: a throttled second key is this check's
  // failure, not an answer to wait out.
  const seconds = await callsAtOnce(ctx, other.secret, n, `${other.kind} while the key is throttled`);
  // Proof calls a window that reset may have served in its new window (see the rule above).
  const servedProofs = (await Promise.all(proofs)).filter((r) => r.kind === 'accepted').length;
  const expected = `all ${n} calls with the ${other.kind}, sent at once, are served while the key is throttled`;
  const throttledToo = seconds.filter(throttled);
  if (throttledToo.length > 0) {
    return {
      outcome: {
        ...base,
        verdict: 'fail',
        message: `the ${other.kind} was throttled too (${throttledToo.length} of ${n} calls: ${statusText(throttledToo[0]!.status!)}) while only the key had been bursting: the limit is shared (per client IP or global), not per key`,
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
        message: `the ${other.kind} got ${answerWords(unclear)}, neither served nor throttled, so isolation cannot be judged`,
      },
    };
  }
  const lateMs = Math.max(...seconds.map(answeredAt)) - provenFullAt;
  const refill = refillMs(spec);
  if (lateMs > (n - 1) * refill) {
    return {
      inconclusive: `the ${other.kind}'s calls came too late after the throttle`,
      lateMs,
      outcome: {
        ...base,
        verdict: 'error',
        message: `the ${n} calls with the ${other.kind} were all served, but answered ${Math.round(lateMs)} ms after the key's last throttled call left: a bucket both keys share, giving one call back every ${ms(refill)} ms (window ÷ (limit × (1 + tolerance))), could have served ${n} once more than ${Math.round((n - 1) * refill)} ms had passed, so isolation cannot be judged (keyprobe or the network was slow): inconclusive`,
      },
    };
  }
  const second = seconds[0]!;
  // The window must not have reset meanwhile, or the second key's success proves
  // nothing. A few calls with the key at once, not one: a leaky or token bucket
  // (nginx limit_req) gives one call's worth back every window / limit, so a lone
  // call that comes a moment late (a busy machine, a slow network) may be served
  // though the key is still throttled. A window that reset serves every one of
  // them (recheckCalls). A fast bucket gives the key a call back every few ms, so
  // more for as late as they come.
  const sized = recheckCalls(spec, n, lateMs + timing.servedRttMs);
  // A window both keys share that reset among the proof calls has served those it served in its new window too.
  const count = servedProofs > 0 ? Math.min(sized, spec.limit - n - servedProofs) : sized;
  if (count < 1)
    return {
      inconclusive: 'the key was served too often to be checked again',
      outcome: {
        ...base,
        verdict: 'error',
        message: `the key was served ${servedProofs} times just before the ${other.kind}'s ${n} calls, which leaves no call to check it is still throttled within a limit of ${spec.limit}: inconclusive`,
      },
    };
  const stills = await callsAtOnce(ctx, ctx.profile.key.secret, count, 'the key, still throttled?');
  if (!stills.some(throttled)) {
    const still = stills[0]!;
    return {
      inconclusive: 'the window reset before the key was checked again',
      outcome: {
        ...base,
        verdict: 'error',
        message: `the key was no longer throttled (${count === 1 ? '' : `${count} calls at once: `}${answerWords(still)}) when checked again, so the window may have reset: inconclusive`,
      },
    };
  }
  let lastAnsweredAt = Math.max(...stills.map(answeredAt));

  // A small limit: more re-check calls than a window both keys share has left after the second key's
  // calls, so a reset just before those calls would still have throttled one of them (see the rule above).
  if (count > spec.limit - n - servedProofs) {
    const again = await probeKey(ctx, other.secret, {
      label: `${other.kind} once more, after the key's re-check`,
      resource: spec.probe,
      throttle: 'observe',
    });
    lastAnsweredAt = answeredAt(again);
    if (again.kind !== 'accepted' || lastAnsweredAt - provenFullAt >= spec.windowSeconds * 1000)
      return {
        inconclusive: `the ${other.kind} was not served once more after the key's re-check`,
        outcome: {
          ...base,
          verdict: 'error',
          message: `the ${other.kind} got ${answerWords(again)}${again.kind === 'accepted' ? `, but ${Math.round(lastAnsweredAt - provenFullAt)} ms after the key's last throttled call left, a window later,` : ''} when called once more after the key's re-check: with a limit of ${spec.limit}, the re-check's ${count} calls could not show a window both keys share that reset just before the ${other.kind}'s ${n} calls, and such a window, full again, throttles it: inconclusive`,
        },
      };
  }

  // The clock rule above takes the declared refill as the fastest; a limiter that refills faster
  // serves the second key's calls sooner. Shown on the key's own limiter (refill-proof.ts).
  const needMs = lateMs / (n - 1);
  const refillProof = await refillSlowerThan(ctx, needMs, lastAnsweredAt, throttled);
  if (!refillProof.slower) {
    const unclear = refillProof.unclear;
    return {
      inconclusive: `the key's limiter was not seen refilling slower than the ${other.kind}'s calls needed`,
      lateMs,
      servedWithinMs: refillProof.servedWithinMs ?? refillMs(spec),
      outcome: {
        ...base,
        verdict: 'error',
        message: unclear
          ? `the key got ${answerWords(unclear)}, neither served nor throttled, when its limiter's refill was checked, so isolation cannot be judged: inconclusive`
          : `the ${n} calls with the ${other.kind} were all served within ${Math.round(lateMs)} ms of the key's last throttled call, but the key's own limiter was not shown giving calls back slower than one every ${ms(needMs)} ms (${refillProof.calls.length} calls with the key, each at least that long after the one before: ${refillProof.calls.filter((r) => r.kind === 'accepted').length} served): it may refill faster than the profile declares (${spec.limit} per ${spec.windowSeconds} s), and a bucket both keys share refilling that fast could have served them, so isolation cannot be judged: inconclusive`,
      },
    };
  }
  return {
    outcome: {
      ...base,
      verdict: 'pass',
      message: `while the key was throttled (${statusText(throttleStatus)}), all ${n} calls with the ${other.kind}, sent at once, were served (${statusText(second.status!)})`,
      expected,
    },
  };
}

/** How often a bucket refills one call at the fastest the profile allows: window ÷ (limit × (1 + tolerance)), in ms. */
function refillMs(spec: RateLimitSpec): number {
  return (spec.windowSeconds * 1000) / Math.floor(spec.limit * (1 + spec.tolerance));
}

/** What the second key's calls are expected to take to come back after the throttle. */
interface Lateness {
  /** A served call's round trip (the second key's call before the burst). */
  readonly servedRttMs: number;
  /** How late they came on an earlier try, if they came too late. */
  readonly lateMs?: number;
  /**
   * Set when an earlier try could not show the key's limiter refilling slower than its second key's
   * calls needed: how soon the key was served again after a call of its own (a refill may take no
   * longer), else the declared refill.
   */
  readonly servedWithinMs?: number;
}

/**
 * Calls sent at once with each key: enough that (n - 1) refills take longer
 * than the second key's calls are expected to come back after the throttle
 * (two served round trips and LATENESS_TOLERATED_MS: a fast limit refills
 * within a round trip or two, a slow upstream takes several refills to answer;
 * after a try that came too late, half as late again as it was: a machine that
 * stalled once may stall as long again; for twice the refills after a try whose
 * refill proof failed), at least CALLS_AT_ONCE, and at most
 * half the limit, so the second key's own budget serves them all after its
 * call before the burst, and a window both keys share that reset serves both
 * keys' calls (the re-check's rule). Exported for its test.
 */
export function callsAtOnceFor(spec: RateLimitSpec, timing: Lateness): number {
  const expectedMs = Math.max(LATENESS_TOLERATED_MS + 2 * timing.servedRttMs, 1.5 * (timing.lateMs ?? 0));
  // After a try whose refill proof failed, calls for twice the refills: its calls with the key then
  // each need to come back within half a refill, not within one less a round trip (refill-proof.ts).
  const refill = timing.servedWithinMs === undefined ? refillMs(spec) : Math.min(refillMs(spec), timing.servedWithinMs) / 2;
  const sized = 1 + Math.ceil(expectedMs / refill);
  return Math.max(CALLS_AT_ONCE, Math.min(sized, Math.floor(spec.limit / 2)));
}

/** After the second key's calls, slack for the key's re-check to come back, in ms. */
const RECHECK_SLACK_MS = 40;

/**
 * Calls with the key at once to see it is still throttled: its own bucket, full
 * when the throttled call at `provenFullAt` was judged, serves fewer than
 * 1 + elapsed / refillMs of them, so enough for the re-check's expected lateness
 * (`expectedMs` after that call left, and RECHECK_SLACK_MS) leaves one throttled.
 * At most what a window that reset serves in full, so a reset still shows as
 * inconclusive: the limit, less the second key's calls in case both keys share
 * it. At least CALLS_AT_ONCE (or the limit), as before.
 */
function recheckCalls(spec: RateLimitSpec, secondKeyCalls: number, expectedMs: number): number {
  const sized = 1 + Math.ceil((expectedMs + RECHECK_SLACK_MS) / refillMs(spec));
  return Math.max(Math.min(CALLS_AT_ONCE, spec.limit), Math.min(sized, spec.limit - secondKeyCalls));
}

/**
 * The key's proof calls after the burst: enough that its own bucket, full when
 * the burst's last throttled call was judged, has not refilled for all of them
 * by the time they arrive (`sinceProofMs` since that call left, and
 * RECHECK_SLACK_MS), so one comes back throttled; at least CALLS_AT_ONCE; at
 * most the limit less the second key's calls (a window that reset serves them
 * all: inconclusive), and what the budget leaves after the second key's calls
 * and a re-check of CALLS_AT_ONCE.
 */
function proofCalls(spec: RateLimitSpec, secondKeyCalls: number, sinceProofMs: number, budget: number): number {
  const sized = 1 + Math.ceil((sinceProofMs + RECHECK_SLACK_MS) / refillMs(spec));
  return Math.max(CALLS_AT_ONCE, Math.min(sized, spec.limit - secondKeyCalls, budget - secondKeyCalls - CALLS_AT_ONCE));
}

/**
 * The first of `calls` to come back with `wanted(result)`, as soon as it does;
 * undefined once all are back without one. A call that throws (an
 * interruption) rejects it.
 */
function firstThat(calls: readonly Promise<ProbeResult>[], wanted: (r: ProbeResult) => boolean): Promise<ProbeResult | undefined> {
  return new Promise((resolve, reject) => {
    let pending = calls.length;
    for (const call of calls)
      call.then((r) => {
        if (wanted(r)) resolve(r);
        else if (--pending === 0) resolve(undefined);
      }, reject);
  });
}

/** performance.now() when a served call's answer was in. */
function answeredAt(r: ProbeResult): number {
  return r.response ? r.response.sentAt + r.response.durationMs : performance.now();
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
  return Promise.all(callsSentAtOnce(ctx, secret, count, label));
}

/** As callsAtOnce, each call's answer on its own, for acting on the first that comes back. */
function callsSentAtOnce(
  ctx: CheckContext<Profile & { rateLimit: RateLimitSpec }>,
  secret: string,
  count: number,
  label: string,
): Promise<ProbeResult>[] {
  return Array.from({ length: count }, (_, i) =>
    probeKey(ctx, secret, { label: `${label} (${i + 1} of ${count})`, resource: ctx.profile.rateLimit.probe, throttle: 'observe' }),
  );
}
