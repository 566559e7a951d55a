// A disabled key must die at once and stay dead. Real systems lag (Unkey up
// to 60 s, Tyk ~10 s, Kong multi-node ~5 s) and flap (per-node caches let
// some requests through after the first refusal), so this check polls rather
// than testing once: every 10 ms or faster near the start, backing off later,
// timing from the moment the disable call returned. Then it keeps probing
// through a stability window on fresh connections (so a load balancer may
// pick another node each time) and fails if any probe is accepted again.
import { z } from 'zod';
import { keyToDisable } from '../lifecycle/canary.js';
import type { ProbePoint, RevocationTimeline } from '../result.js';
import { defineCheck } from './check.js';
import { disableSubject } from './requirements.js';
import { statusText } from './describe.js';
import { budgetTooSmallToUndo, budgetLeft, ms, probeKey, probeSettled, sleepUntil } from './key-probe.js';

/** Polling interval never grows beyond this. */
const MAX_POLL_INTERVAL_MS = 250;

export default defineCheck({
  id: 'lifecycle.disabled-key-rejected',
  title: 'A disabled key is rejected at once, and stays rejected',
  description:
    'Disables a canary key (or a declared one), polls until the first rejection and reports the revocation latency measured from the moment the disable call returned; fails beyond lifecycle.revocationBudgetMs, or if any probe in the stability window (fresh connections) is accepted again.',
  severity: 'critical',
  destructive: true,
  phase: 'lifecycle',
  params: z.strictObject({
    /** Interval between probes while resolution matters (10 ms or finer). */
    pollIntervalMs: z.number().int().min(1).max(10).default(10),
    /** Fine polling lasts this many revocation budgets, then the interval grows. */
    fineBudgets: z.number().positive().default(3),
    /** Give up waiting for the first rejection after this long (default: 5 budgets, at least 5 s). */
    maxWaitMs: z.number().int().positive().optional(),
    /** Interval between probes in the stability window. */
    stabilityIntervalMs: z.number().int().min(1).default(50),
  }),
  unmet(profile) {
    return disableSubject(profile).unmet;
  },
  async run(ctx, params) {
    const lc = ctx.profile.lifecycle!;
    const budgetMs = lc.revocationBudgetMs;
    const maxWaitMs = params.maxWaitMs ?? Math.max(5000, 5 * budgetMs);
    const tooSmall = budgetTooSmallToUndo(ctx);
    if (tooSmall) return tooSmall;
    const acquired = await keyToDisable({ profile: ctx.profile, adapter: ctx.lifecycle, cleanup: ctx.cleanup });
    if (!acquired.ok) return { verdict: acquired.verdict, message: acquired.reason };
    const subject = acquired.key;
    const who = `${subject.kind} "${subject.ref.name}"`;

    const before = await probeSettled(ctx, subject.secret, { label: `${subject.kind} before the disable` });
    if (before.kind !== 'accepted') {
      subject.dropRestore?.();
      return {
        verdict: 'error',
        message: `the ${who} was not accepted before the disable (${before.status ? statusText(before.status) : before.error}), so its revocation cannot be measured`,
      };
    }

    ctx.progress(`disabling the ${who}`);
    const disabled = await ctx.lifecycle!.disable(subject.ref);
    if (disabled.outcome === 'skipped') {
      subject.dropRestore?.();
      return { verdict: 'skip', message: disabled.reason };
    }
    if (disabled.outcome === 'failed') return { verdict: 'error', message: `could not disable the ${who}: ${disabled.reason}` };
    const t0 = disabled.timing.returnedAt;

    // Phase 1: poll until the first rejection.
    const points: ProbePoint[] = [];
    let acceptedAfterDisable = 0;
    let throttled = 0;
    let firstRejectionMs: number | undefined;
    let interval = params.pollIntervalMs;
    let next = t0;
    const fineUntil = params.fineBudgets * budgetMs;
    while (firstRejectionMs === undefined && performance.now() - t0 <= maxWaitMs) {
      if (budgetLeft(ctx) < 1) return budgetError(points, acceptedAfterDisable);
      const r = await probeKey(ctx, subject.secret, { label: 'after the disable', record: false });
      const tMs = ms(r.sentAt - t0);
      points.push({ tMs, ...(r.status !== undefined ? { status: r.status } : {}), accepted: r.kind === 'accepted' });
      if (r.kind === 'rejected') firstRejectionMs = tMs;
      else if (r.kind === 'accepted') acceptedAfterDisable++;
      else if (r.kind === 'throttled') throttled++;
      if (firstRejectionMs !== undefined) break;
      if (tMs > fineUntil) interval = Math.min(MAX_POLL_INTERVAL_MS, interval * 1.25);
      next += interval;
      await sleepUntil(next, ctx.signal);
    }
    ctx.progress(firstRejectionMs === undefined ? 'no rejection yet' : `first rejection after ${firstRejectionMs} ms`);

    // Phase 2: the stability window, each probe on a fresh connection.
    let stabilityProbes = 0;
    let flaps = 0;
    if (firstRejectionMs !== undefined) {
      const end = t0 + firstRejectionMs + lc.stabilityWindowMs;
      let at = performance.now();
      while (performance.now() < end) {
        if (budgetLeft(ctx) < 1) return budgetError(points, acceptedAfterDisable);
        const r = await probeKey(ctx, subject.secret, { label: 'stability window', freshConnection: true });
        stabilityProbes++;
        points.push({ tMs: ms(r.sentAt - t0), ...(r.status !== undefined ? { status: r.status } : {}), accepted: r.kind === 'accepted' });
        if (r.kind === 'accepted') {
          if (r.response) ctx.http.markFailing(r.response);
          flaps++;
          acceptedAfterDisable++;
        } else if (r.kind === 'throttled') throttled++;
        at += params.stabilityIntervalMs;
        await sleepUntil(at, ctx.signal);
      }
    }

    const timeline: RevocationTimeline = {
      kind: 'revocation',
      budgetMs,
      stabilityWindowMs: lc.stabilityWindowMs,
      ...(firstRejectionMs !== undefined ? { firstRejectionMs } : {}),
      points,
    };
    const measurements = {
      ...(firstRejectionMs !== undefined ? { revocationLatencyMs: firstRejectionMs } : {}),
      latencyMeasuredFrom: 'the moment the disable call returned',
      disableCallMs: disabled.timing.durationMs,
      revocationBudgetMs: budgetMs,
      probes: points.length,
      acceptedAfterDisable,
      acceptedAfterFirstRejection: flaps,
      stabilityProbes,
      throttledProbes: throttled,
      subject: subject.kind,
    };
    const advisories =
      throttled > 0
        ? [`${throttled} probes were throttled (not counted as rejections): the key's rate limit is lower than the probing rate`]
        : [];
    const expected = `first rejection within ${budgetMs} ms of the disable call returning, then every probe in a ${lc.stabilityWindowMs} ms window rejected`;

    if (firstRejectionMs === undefined) {
      return {
        verdict: 'fail',
        message: `the ${who} was still accepted ${maxWaitMs} ms after the disable call returned (${acceptedAfterDisable} calls succeeded after the disable): revocation did not take effect`,
        expected,
        observed: `no rejection in ${points.length} probes over ${maxWaitMs} ms`,
        advisories,
        measurements,
        timeline,
      };
    }
    const problems: string[] = [];
    if (firstRejectionMs > budgetMs)
      problems.push(
        `the first rejection came ${firstRejectionMs} ms after the disable call returned, over the ${budgetMs} ms budget (${acceptedAfterDisable - flaps} calls succeeded meanwhile)`,
      );
    if (flaps > 0)
      problems.push(
        `${flaps} of ${stabilityProbes} probes in the ${lc.stabilityWindowMs} ms stability window were accepted again after the first rejection (flapping: some nodes still honour the key)`,
      );
    const observed = `first rejection after ${firstRejectionMs} ms; ${acceptedAfterDisable} calls succeeded after the disable, ${flaps} of them after the first rejection`;
    if (problems.length > 0)
      return { verdict: 'fail', message: `${problems.join('; ')}`, expected, observed, advisories, measurements, timeline };
    return {
      verdict: 'pass',
      message: `the ${who} was rejected ${firstRejectionMs} ms after the disable call returned (budget ${budgetMs} ms) and stayed rejected for all ${stabilityProbes} probes of the ${lc.stabilityWindowMs} ms stability window`,
      expected,
      observed,
      advisories,
      measurements,
      timeline,
    };
  },
});

function budgetError(points: readonly ProbePoint[], acceptedAfterDisable: number) {
  return {
    verdict: 'error' as const,
    message: `the request budget ran out after ${points.length} probes (${acceptedAfterDisable} accepted after the disable); raise target.budget to measure revocation`,
    measurements: { probes: points.length, acceptedAfterDisable },
  };
}
