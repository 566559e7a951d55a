// Watching a dead key until the target refuses it. A disabled, deleted or
// expired key should be refused at once, but real platforms lag by design
// (Unleash and Unkey cache keys for up to 60 s, Tyk ~10 s), and the number
// a reviewer needs is how long a dead key stays usable. So the disable and
// expiry checks keep probing up to lifecycle.maxRevocationWaitMs: finely
// (every pollIntervalMs) while the answer decides the verdict — the first few
// revocation budgets — then ever more sparsely, so a long wait stays within
// a few hundred requests of the budget. The probes go through the check's
// HTTP client like any other request, but observe throttled answers instead
// of waiting them out (so they keep their cadence): a throttled probe is
// counted apart, never as a refusal nor as an acceptance. The key was refused
// somewhere between the last accepted probe (`lastAcceptedMs`) and the first
// refused one: a refusal is proven late only by a probe accepted after the
// budget, since probes in between may have been throttled or held up by
// pacing (the throttle rule, docs/verdicts.md). Once refused, a disabled key
// must stay refused: the optional stability window probes on, each on a fresh
// connection (another node may still honour the key), and counts every
// acceptance as a flap — and measures how closely it watched: a flap is seen
// only by a probe sent while it lasts, so a window keyprobe probed once (its
// event loop blocked, a starved CPU, a slow target) proves nothing. After a
// gap it watches on until a whole window was watched closely (WATCHED_WINDOWS,
// WATCH_ON_MS); one it never watched closely is not judged (notWatchedClosely). This is the one poll-until-refused loop of the
// lifecycle checks (disabled, expired, rotated). Every refusal it sees, in
// the poll and in the stability window, is handed to the check's
// RefusalJudge (refusal-judge.ts): a refusal must not say the key back.
import type { Profile } from '../config/profile-schema.js';
import type { ProbePoint } from '../result.js';
import type { CheckContext } from './check.js';
import type { RefusalJudge } from './refusal-judge.js';
import { duration, statusText } from './describe.js';
import {
  answerWords,
  budgetLeft,
  classify,
  lifecycleProbe,
  ms,
  probeKey,
  sleepUntil,
  type ProbeOptions,
  type ProbeResult,
} from './key-probe.js';

export interface WatchOptions {
  /** performance.now() the lag counts from (the moment the disable or delete returned, or the expiry). */
  readonly t0: number;
  /** Give up once this long after t0 has passed without a rejection. */
  readonly maxWaitMs: number;
  /** Probes are pollIntervalMs apart (or fineUntilMs / 300, if coarser) until this long after t0, then the interval grows. */
  readonly fineUntilMs: number;
  readonly pollIntervalMs: number;
  readonly label: string;
  /** How many of the probes to keep as evidence (the timeline keeps them all). */
  readonly keepEvidence?: number;
  /**
   * The allowed lag: the first probe sent after it is kept as evidence too
   * (`firstLate`), since an acceptance then is what a late refusal is proven by.
   */
  readonly lateAfterMs?: number;
  /** `observe` (default): a throttled probe comes back at once and is counted apart; `wait`: the client waits throttles out first. */
  readonly throttle?: 'observe' | 'wait';
  /** Mark every accepted probe as failing evidence (it proves the key still works where it must not). */
  readonly markAccepted?: boolean;
  /** After the first refusal, keep probing this long (from that refusal), each probe on a fresh connection. */
  readonly stability?: { readonly windowMs: number; readonly intervalMs: number };
  /** Judges what every refusal says back (and keeps the first that says too much as evidence). */
  readonly refusals?: RefusalJudge;
}

/** What the stability window saw: judged probes, throttled ones (not judged), and acceptances after the first refusal. */
export interface StabilityWindow {
  readonly probes: number;
  readonly throttled: number;
  readonly flaps: number;
  /** The window's length (ms), from the first refusal's probe. */
  readonly windowMs: number;
  /** The longest stretch that may go unwatched in a window that is judged (allowedGapMs). */
  readonly allowedGapMs: number;
  /** The longest stretch (ms) no answered probe watched, from the first refusal on. */
  readonly largestGapMs: number;
  /** How long (ms) after the first refusal the watch went on: longer than the window when a gap made it watch on. */
  readonly watchedMs: number;
  /** Whether some stretch of windowMs, after the first refusal, was watched with no gap over allowedGapMs. */
  readonly covered: boolean;
  /** Probes (counted in `probes`) answered 2xx with a body that reads as a refusal: neither a flap nor a refusal. */
  readonly softRefused: number;
  /** The first of them, in words (redacted). */
  readonly softRefusal?: string;
}

/**
 * How closely a stability window must be watched to be judged: no stretch of it
 * may go unwatched for longer than four probe intervals (three probes late or
 * lost in a row) or a quarter of the window, whichever is longer — 500 ms for
 * the default 50 ms over 2 s. A flap that lasts that long is seen.
 */
export function allowedGapMs(windowMs: number, intervalMs: number): number {
  return Math.max(4 * intervalMs, windowMs / 4);
}

/**
 * A window with a longer gap is watched again, from the first probe after the
 * gap, until four windows (and at least WATCH_ON_MS) after the first refusal:
 * a loaded machine leaves gaps of a few hundred ms now and then (GC, a starved
 * CPU), and where the platform limits per client address the probes wait for
 * pacing slots while the run's other requests (another profile's burst) take
 * them, for a few seconds. Those must cost some probes, not the verdict. Every
 * probe is judged: a flap seen in any of them fails.
 */
const WATCHED_WINDOWS = 4;
const WATCH_ON_MS = 10_000;

/**
 * Why a stability window cannot be judged, or undefined when it can: no
 * stretch of the window's length was watched without a gap over allowedGapMs
 * (keyprobe or the target was slow), or too few probes got a judged answer to
 * be spread across the window that closely (the rest were throttled: those
 * keep the cadence but say nothing about the key).
 */
export function notWatchedClosely(w: StabilityWindow): string | undefined {
  const window = duration(w.windowMs);
  if (!w.covered)
    return `could not judge the ${window} stability window: it was not watched closely enough: ${w.probes + w.throttled} probes in ${duration(w.watchedMs)} after the first rejection, largest gap ${duration(w.largestGapMs)} (a ${window} stretch with no gap over ${duration(w.allowedGapMs)} is needed: four probe intervals or a quarter of the window, whichever is longer); keyprobe or the target was slow, or the probes waited long for pacing slots`;
  const needed = Math.ceil(w.windowMs / w.allowedGapMs);
  if (w.probes < needed)
    return `throttled: could not judge the ${window} stability window: only ${w.probes} of its ${w.probes + w.throttled} probes got a judged answer (the rest were throttled), and it takes at least ${needed} to watch it every ${duration(w.allowedGapMs)}`;
  return undefined;
}

export interface Watch {
  /** Milliseconds after t0 the first rejected probe was sent; absent when none was. */
  readonly firstRejectionMs?: number;
  readonly points: ProbePoint[];
  /** Probes accepted before the first rejection (or before the wait ran out). */
  readonly accepted: number;
  /** Milliseconds after t0 the last accepted probe was sent: the refusal came after it. Absent when none was accepted. */
  readonly lastAcceptedMs?: number;
  /** Probes answered with a throttle: not judged. */
  readonly throttled: number;
  /** Probes before the first rejection answered 2xx with a body that reads as a refusal (key-probe.ts): not judged. */
  readonly softRefused: number;
  /** The first soft refusal seen, in the poll or the stability window, in words (redacted). */
  readonly softRefusal?: string;
  readonly last?: ProbeResult;
  /** The first probe sent after lateAfterMs, kept as evidence: a check that fails on it marks it (markFailing). */
  readonly firstLate?: ProbeResult;
  /** Present when a stability window was asked for and the key was refused. */
  readonly stability?: StabilityWindow;
  readonly stoppedBy: 'rejected' | 'wait ran out' | 'budget';
}

/** The interval never grows beyond this share of the whole wait (and never beyond 250 ms for waits under 15 s). */
const SPARSEST_SHARE = 1 / 60;
const SPARSEST_SHORT_WAIT_MS = 250;
const GROWTH = 1.25;
/**
 * Most probes of the fine phase: its interval is never finer than its length
 * over this. A 1 s budget is watched every 10 ms; a 60 s one (a platform
 * whose key cache is documented) every 600 ms, the same resolution relative
 * to the budget, instead of spending the whole request budget.
 */
const MAX_FINE_PROBES = 300;

/** Probes `secret` until it is refused or `maxWaitMs` after t0 has passed. */
export async function watchForRefusal(ctx: CheckContext, secret: string, o: WatchOptions): Promise<Watch> {
  const sparsest = Math.max(SPARSEST_SHORT_WAIT_MS, o.maxWaitMs * SPARSEST_SHARE);
  const points: ProbePoint[] = [];
  let accepted = 0;
  let lastAcceptedMs: number | undefined;
  let throttled = 0;
  let softRefused = 0;
  let softRefusal: string | undefined;
  let last: ProbeResult | undefined;
  let firstLate: ProbeResult | undefined;
  const seen = () => ({
    points,
    accepted,
    ...(lastAcceptedMs !== undefined ? { lastAcceptedMs } : {}),
    throttled,
    softRefused,
    ...(softRefusal !== undefined ? { softRefusal } : {}),
    ...(last ? { last } : {}),
    ...(firstLate ? { firstLate } : {}),
  });
  let interval = Math.max(o.pollIntervalMs, o.fineUntilMs / MAX_FINE_PROBES);
  let next = Math.max(o.t0, performance.now());
  while (performance.now() - o.t0 <= o.maxWaitMs) {
    if (budgetLeft(ctx) < 1) return { ...seen(), stoppedBy: 'budget' };
    const late = !firstLate && o.lateAfterMs !== undefined && performance.now() - o.t0 > o.lateAfterMs;
    last = await probeJudged(
      ctx,
      secret,
      { label: o.label, record: late || points.length < (o.keepEvidence ?? 0), throttle: o.throttle ?? 'observe' },
      o.refusals,
    );
    if (late) firstLate = last;
    const tMs = ms(last.sentAt - o.t0);
    points.push({ tMs, ...(last.status !== undefined ? { status: last.status } : {}), accepted: last.kind === 'accepted' });
    if (last.kind === 'rejected') {
      if (!o.stability) return { firstRejectionMs: tMs, ...seen(), stoppedBy: 'rejected' };
      ctx.progress(`first rejection after ${duration(tMs)}`);
      const window = await stabilityWindow(ctx, secret, { start: last.sentAt, ...o.stability, refusals: o.refusals }, o.t0, points);
      softRefusal ??= window.seen.softRefusal;
      return { firstRejectionMs: tMs, ...seen(), stability: window.seen, stoppedBy: window.budgetRanOut ? 'budget' : 'rejected' };
    }
    if (last.kind === 'accepted') {
      if (o.markAccepted && last.response) ctx.http.markFailing(last.response);
      accepted++;
      lastAcceptedMs = tMs;
    } else if (last.kind === 'throttled') throttled++;
    else if (last.softRefusal) {
      softRefused++;
      softRefusal ??= answerWords(last);
    }
    if (tMs > o.fineUntilMs) interval = Math.min(sparsest, interval * GROWTH);
    if (points.length % 20 === 0)
      ctx.progress(`${o.label}: not refused yet ${ms(tMs / 1000)} s on, waiting up to ${ms(o.maxWaitMs / 1000)} s`);
    next += interval;
    await sleepUntil(next, ctx.signal);
  }
  return { ...seen(), stoppedBy: 'wait ran out' };
}

/**
 * Probes on from `start` (performance.now(), the first refusal's probe), each
 * on a fresh connection, until a stretch of windowMs has been watched with no
 * gap over allowedGapMs (or the time to watch on has passed); an
 * acceptance is a flap, marked as failing evidence. Every answered probe
 * watched the key (throttled ones keep the cadence, and are counted apart);
 * an unanswered one watched nothing.
 */
async function stabilityWindow(
  ctx: CheckContext,
  secret: string,
  w: { readonly start: number; readonly windowMs: number; readonly intervalMs: number; readonly refusals: RefusalJudge | undefined },
  t0: number,
  points: ProbePoint[],
): Promise<{ seen: StabilityWindow; budgetRanOut: boolean }> {
  const allowed = allowedGapMs(w.windowMs, w.intervalMs);
  const giveUpAt = w.start + Math.max(WATCHED_WINDOWS * w.windowMs, WATCH_ON_MS);
  let probes = 0;
  let throttled = 0;
  let flaps = 0;
  let softRefused = 0;
  let softRefusal: string | undefined;
  // The stretch watched closely so far begins at stretchFrom; watchedAt is its last answered probe.
  let stretchFrom = w.start;
  let watchedAt = w.start;
  let largestGapMs = 0;
  let covered = false;
  let endedAt: number | undefined;
  const seen = (): StabilityWindow => ({
    probes,
    throttled,
    flaps,
    windowMs: w.windowMs,
    allowedGapMs: allowed,
    largestGapMs: ms(largestGapMs),
    watchedMs: ms((endedAt ?? performance.now()) - w.start),
    covered,
    softRefused,
    ...(softRefusal !== undefined ? { softRefusal } : {}),
  });
  let at = performance.now();
  for (;;) {
    const now = performance.now();
    const stretchEnd = stretchFrom + w.windowMs;
    // The stretch's end is watched by the last probe if it came no more than `allowed` before it.
    if (now >= stretchEnd && stretchEnd - watchedAt <= allowed) {
      largestGapMs = Math.max(largestGapMs, stretchEnd - watchedAt);
      covered = true;
      endedAt = stretchEnd;
      break;
    }
    if (now >= giveUpAt) {
      largestGapMs = Math.max(largestGapMs, now - watchedAt);
      endedAt = now;
      break;
    }
    if (budgetLeft(ctx) < 1) return { seen: seen(), budgetRanOut: true };
    const r = await probeJudged(ctx, secret, { label: 'stability window', freshConnection: true, throttle: 'observe' }, w.refusals);
    points.push({ tMs: ms(r.sentAt - t0), ...(r.status !== undefined ? { status: r.status } : {}), accepted: r.kind === 'accepted' });
    if (r.kind === 'throttled') throttled++;
    else probes++;
    if (r.kind === 'accepted') {
      if (r.response) ctx.http.markFailing(r.response);
      flaps++;
    }
    if (r.softRefusal) {
      softRefused++;
      softRefusal ??= answerWords(r);
    }
    if (r.response) {
      const gap = r.sentAt - watchedAt;
      largestGapMs = Math.max(largestGapMs, gap);
      // A gap nobody watched: a whole window must be watched again, from this probe.
      if (gap > allowed) stretchFrom = r.sentAt;
      watchedAt = r.sentAt;
    }
    // A late probe (a stall, a pacing wait) is not made up for by probes back to back: they would all
    // watch the same moment, and spend the pacing slots that spread probes across the window.
    at = Math.max(at + w.intervalMs, performance.now());
    await sleepUntil(at, ctx.signal);
  }
  return { seen: seen(), budgetRanOut: false };
}

/** The measured lag, as a reviewer reads it: "the canary was refused 37.1 s after the delete; budget 1 s". */
export function refusedLate(subject: string, lagMs: number, after: string, budgetMs: number): string {
  return `${subject} was refused ${duration(lagMs)} after ${after}; budget ${duration(budgetMs)}`;
}

/** The probes of a watch that answered neither accepted nor refused nor throttled, in words: "of 301 probes, 300 answered 500 Internal Server Error". */
export function otherAnswers(profile: Profile, points: readonly ProbePoint[], softRefusal?: string): string | undefined {
  const expect = lifecycleProbe(profile).expect;
  const counts = new Map<string, number>();
  for (const p of points) {
    if (p.accepted) continue;
    const kind = p.status === undefined ? undefined : classify(profile, p.status, expect);
    // Not accepted with an accepting status: its body read as a refusal (key-probe.ts).
    const what =
      p.status === undefined
        ? 'no answer'
        : kind === 'other'
          ? statusText(p.status)
          : kind === 'accepted'
            ? `${statusText(p.status)} with a body that reads as a refusal`
            : undefined;
    if (what) counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  const parts = [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => `${n} ${what === 'no answer' ? 'got no answer' : `answered ${what}`}`);
  const first = softRefusal ? ` (the first: ${softRefusal})` : '';
  return `of ${points.length} probes, ${parts.join(', ')}${first}`;
}

/**
 * One probe of the key. A refusal goes to the check's judge, if it has one,
 * and is kept as evidence when it is the first that says too much
 * (RefusalJudge.keepAsEvidence), whether or not the probe was to be recorded:
 * in the poll and in the stability window alike.
 */
async function probeJudged(
  ctx: CheckContext,
  secret: string,
  opts: ProbeOptions,
  refusals: RefusalJudge | undefined,
): Promise<ProbeResult> {
  const r = await probeKey(ctx, secret, refusals ? { ...opts, recordIf: refusals.keepAsEvidence } : opts);
  if (r.kind === 'rejected' && r.response) refusals?.judge(r.response);
  return r;
}
