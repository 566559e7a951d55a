// A disabled key must die at once and stay dead. Real systems lag (Unkey and
// Unleash up to 60 s, Tyk ~10 s, Kong multi-node ~5 s) and flap (per-node
// caches let some requests through after the first refusal), so this check
// polls rather than testing once: every 10 ms near the start, backing off
// later, timing from the moment the disable call returned, for up to
// lifecycle.maxRevocationWaitMs, so a lag is measured rather than guessed.
// Then it keeps probing through a stability window on fresh connections (so
// a load balancer may pick another node each time) and fails if any probe is
// accepted again. It passes only a window watched closely enough to have
// seen a flap — no stretch unwatched longer than four probe intervals or a
// quarter of the window; after a longer gap it watches on, for up to four
// windows or 10 s (src/checks/refusal-watch.ts) — so one probe in a window keyprobe
// slept through (a stalled runner) is `error`, never "stayed refused". Where
// the platform has no disable, the off switch is a delete of a canary
// keyprobe created for the purpose.
//
// Throttled probes are counted apart and never judged (the throttle rule,
// docs/verdicts.md): the polls observe them rather than wait them out, so
// they keep their cadence. Late only on proof: a revocation that never came,
// or came after the budget, fails only on a probe accepted after the budget;
// a refusal first seen after the budget with no probe accepted after it could
// have come in time (the probes in between were throttled or held up by
// pacing), so that is `error`. Counts in messages are of judged probes.
// Every refusal, in the poll and in the window, is judged for what it says
// back (refusal-judge.ts): a revoked key quoted in its refusal lands in
// every log the refusal does, and that fails whatever the timing.
import { z } from 'zod';
import { maxRevocationWait, type LifecycleSpec, type Profile } from '../config/profile-schema.js';
import { keyToDisable } from './canary.js';
import type { ProbePoint, RevocationTimeline } from '../result.js';
import { defineCheck, type CheckContext, type CheckOutcome, type OutcomeFinding } from './check.js';
import { judgingRefusals, type RefusalJudge } from './refusal-judge.js';
import { duration } from './describe.js';
import { disableSubjectKnown } from './requirements.js';
import { answerWords, budgetTooSmallToUndo, probeSettled } from './key-probe.js';
import { notWatchedClosely, otherAnswers, refusedLate, watchForRefusal } from './refusal-watch.js';

const PARAMS = z.strictObject({
  pollIntervalMs: z
    .number()
    .int()
    .min(1)
    .max(10)
    .default(10)
    .meta({ description: 'Milliseconds between probes while resolution matters (10 ms or finer).', examples: [5] }),
  fineBudgets: z
    .number()
    .positive()
    .default(3)
    .meta({
      description: 'Fine polling lasts this many revocation budgets (lifecycle.revocationBudgetMs), then the interval grows.',
      examples: [5],
    }),
  maxWaitMs: z
    .number()
    .int()
    .positive()
    .optional()
    .meta({
      description:
        "Give up waiting for the first refusal after this many milliseconds; overrides the profile's lifecycle.maxRevocationWaitMs (default 90 s).",
      examples: [30000],
    }),
  stabilityIntervalMs: z
    .number()
    .int()
    .min(1)
    .default(50)
    .meta({ description: 'Milliseconds between probes in the stability window after the first refusal.', examples: [100] }),
});

export default defineCheck({
  id: 'lifecycle.disabled-key-rejected',
  title: 'A disabled key is rejected at once, and stays rejected',
  description:
    'Disables a canary key (or a declared one) — or, where the platform has no disable, deletes a canary it created — polls until the first rejection (up to lifecycle.maxRevocationWaitMs) and reports the revocation latency measured from the moment the disable or delete call returned; fails beyond lifecycle.revocationBudgetMs, or if any probe in the stability window (fresh connections) is accepted again. Every refusal it sees must also say no secret back: none may reveal the disabled key or another secret of the run (as is, encoded, or 12 characters past its public prefix; a masked quote such as kp_live_8f3a****wxyz, or the key id or name, is fine) in its body or any header, nor hold a stack trace; the first refusal that does is kept as evidence and the rest are counted.',
  severity: 'critical',
  practice: 'Reverse validation',
  required: true,
  destructive: true,
  phase: 'lifecycle',
  params: PARAMS,
  requires: [disableSubjectKnown],
  // Every refusal of the key is judged for what it says back (refusal-judge.ts).
  run: judgingRefusals(disableAndWatch),
});

/** Disables (or deletes) the key and watches it die: the verdict on the revocation, before its refusals are judged. */
async function disableAndWatch(
  ctx: CheckContext<Profile & { lifecycle: LifecycleSpec }>,
  params: z.output<typeof PARAMS>,
  refusals: RefusalJudge,
): Promise<CheckOutcome> {
  const lc = ctx.profile.lifecycle;
  const budgetMs = lc.revocationBudgetMs;
  const maxWaitMs = params.maxWaitMs ?? maxRevocationWait(lc);
  const tooSmall = budgetTooSmallToUndo(ctx);
  if (tooSmall) return tooSmall;
  const acquired = await keyToDisable({ profile: ctx.profile, adapter: ctx.lifecycle, cleanup: ctx.cleanup });
  if (!acquired.ok) return { verdict: acquired.verdict, message: acquired.reason };
  const subject = acquired.key;
  const who = `${subject.kind} "${subject.ref.name}"`;
  refusals.about({ secret: subject.secret, name: subject.kind === 'own key' ? 'the key' : `the ${subject.kind}` }, ['lifecycle']);

  const off = subject.offSwitch ?? 'disable';
  const before = await probeSettled(ctx, subject.secret, { label: `${subject.kind} before the ${off}` });
  if (before.kind !== 'accepted') {
    subject.dropRestore?.();
    // A created canary refused with the denial status was most likely created without the scopes the probe needs.
    const scopes =
      subject.kind === 'created canary' && before.status !== undefined && ctx.profile.denial.statuses.includes(before.status)
        ? ' (was it created without the scopes the probe needs? check the create action)'
        : '';
    const answer = before.kind === 'throttled' || before.status === undefined ? before.error : answerWords(before);
    return {
      verdict: 'error',
      message: `the ${who} was not accepted before the ${off} (${answer})${scopes}, so its revocation cannot be measured`,
    };
  }

  ctx.progress(`${off === 'delete' ? 'deleting' : 'disabling'} the ${who}`);
  const switched = off === 'delete' ? await ctx.lifecycle.delete(subject.ref) : await ctx.lifecycle.disable(subject.ref);
  if (switched.outcome === 'skipped') {
    subject.dropRestore?.();
    return { verdict: 'skip', message: switched.reason };
  }
  if (switched.outcome === 'failed') return { verdict: 'error', message: `could not ${off} the ${who}: ${switched.reason}` };
  // Deleted by the check itself: cleanup has nothing left to delete.
  if (off === 'delete') subject.forgetDelete?.();
  else subject.refusedBeforeDelete?.('the canary was disabled before the delete, so it is refused whether or not the delete did anything');
  const t0 = switched.timing.returnedAt;

  // Poll until the first rejection (or until the wait runs out), then through the stability window.
  const watch = await watchForRefusal(ctx, subject.secret, {
    t0,
    maxWaitMs,
    fineUntilMs: params.fineBudgets * budgetMs,
    pollIntervalMs: params.pollIntervalMs,
    label: `after the ${off}`,
    stability: { windowMs: lc.stabilityWindowMs, intervalMs: params.stabilityIntervalMs },
    refusals,
  });
  const points: ProbePoint[] = watch.points;
  const { firstRejectionMs, lastAcceptedMs } = watch;
  const { probes: stabilityProbes, throttled: stabilityThrottled, flaps } = watch.stability ?? { probes: 0, throttled: 0, flaps: 0 };
  const acceptedAfterDisable = watch.accepted + flaps;
  const throttled = watch.throttled + stabilityThrottled;
  const softRefusedInWindow = watch.stability?.softRefused ?? 0;
  const softRefused = watch.softRefused + softRefusedInWindow;
  if (watch.stoppedBy === 'budget') return budgetError(points, acceptedAfterDisable);
  if (firstRejectionMs === undefined) ctx.progress('no rejection yet');

  const timeline: RevocationTimeline = {
    kind: 'revocation',
    budgetMs,
    stabilityWindowMs: lc.stabilityWindowMs,
    ...(firstRejectionMs !== undefined ? { firstRejectionMs } : {}),
    ...(off === 'delete' ? { offSwitch: 'delete' as const } : {}),
    points,
  };
  const measurements = {
    ...(firstRejectionMs !== undefined ? { revocationLatencyMs: firstRejectionMs } : {}),
    latencyMeasuredFrom: `the moment the ${off} call returned`,
    offSwitch: off === 'delete' ? 'delete (the lifecycle adapter has no disable)' : 'disable',
    [off === 'delete' ? 'deleteCallMs' : 'disableCallMs']: switched.timing.durationMs,
    revocationBudgetMs: budgetMs,
    maxRevocationWaitMs: maxWaitMs,
    probes: points.length,
    acceptedAfterDisable,
    acceptedAfterFirstRejection: flaps,
    stabilityProbes,
    throttledProbes: throttled,
    ...(softRefused > 0 ? { softRefusedProbes: softRefused } : {}),
    ...(lastAcceptedMs !== undefined ? { lastAcceptedMs } : {}),
    subject: subject.kind,
  };
  const advisories = [
    ...(throttled > 0
      ? [
          `${throttled} probes were throttled and not judged (neither a rejection nor an acceptance): the rate limit is lower than the probing rate`,
        ]
      : []),
    // Before the first rejection a soft refusal only delays the refusal keyprobe measures: never in the key's favour.
    ...(watch.softRefused > 0
      ? [
          `${watch.softRefused} probes before the first rejection answered with a success status and a body that reads as a refusal (${watch.softRefusal}), and were not judged: keyprobe cannot tell whether the key still worked there`,
        ]
      : []),
    ...(off === 'delete'
      ? [
          `the off switch was a delete: the ${ctx.lifecycle.kind} lifecycle adapter has no disable, so keyprobe created a canary and deleted it`,
        ]
      : []),
  ];
  const expected = `first rejection within ${duration(budgetMs)} of the ${off} call returning, then every probe in a ${duration(lc.stabilityWindowMs)} window rejected`;

  // Still served after the budget is proven only by a probe accepted after it.
  const provenLate = lastAcceptedMs !== undefined && lastAcceptedMs > budgetMs;
  if (firstRejectionMs === undefined) {
    // Answered, but neither served nor refused as the profile declares (a 500, a 404): say so, not "throttled".
    const neither = throttled === 0 ? otherAnswers(ctx.profile, points, watch.softRefusal) : undefined;
    if (!provenLate && neither)
      return {
        verdict: 'error',
        message: `could not judge: no probe of the ${who} was refused within ${duration(maxWaitMs)} of the ${off}, and none was accepted after the ${duration(budgetMs)} budget: ${neither}, neither an acceptance nor a refusal (rejection.statuses: ${ctx.profile.rejection.statuses.join(', ')})`,
        advisories,
        measurements,
        timeline,
      };
    if (!provenLate)
      return {
        verdict: 'error',
        message: `throttled: could not judge: no probe of the ${who} was refused within ${duration(maxWaitMs)} of the ${off}, and none was accepted after the ${duration(budgetMs)} budget (${throttled} of ${points.length} probes were throttled, ${acceptedAfterDisable} accepted${lastAcceptedMs !== undefined ? `, the last ${duration(lastAcceptedMs)} after the ${off}` : ''})`,
        advisories,
        measurements,
        timeline,
      };
    const unjudged = throttled > 0 ? `; ${throttled} more probes were throttled and not judged` : '';
    return {
      verdict: 'fail',
      message: `the ${who} was still accepted ${duration(maxWaitMs)} after the ${off} call returned: not refused within ${duration(maxWaitMs)} (lifecycle.maxRevocationWaitMs; budget ${duration(budgetMs)}); ${acceptedAfterDisable} calls succeeded after the ${off}${unjudged}`,
      expected,
      observed: `no rejection in ${points.length - throttled} judged probes over ${duration(maxWaitMs)}`,
      advisories,
      measurements,
      timeline,
      findings: [
        {
          title: `The ${off === 'delete' ? 'deleted' : 'disabled'} key still works`,
          message: `not refused within ${duration(maxWaitMs)} of the ${off} (budget ${duration(budgetMs)})`,
          path: ['lifecycle', 'maxRevocationWaitMs'],
        },
      ],
    };
  }
  const problems: string[] = [];
  const findings: OutcomeFinding[] = [];
  // Seen late, but no probe was accepted after the budget: the refusal may have come in time, unseen.
  if (firstRejectionMs > budgetMs && !provenLate)
    return {
      verdict: 'error',
      message: `could not judge revocation within the ${duration(budgetMs)} budget: the first rejection was seen ${duration(firstRejectionMs)} after the ${off} call returned, but no probe between ${duration(Math.max(0, lastAcceptedMs ?? 0))} and then got a judged answer (the probes were throttled or held up by pacing), so it may have come in time`,
      advisories,
      measurements,
      timeline,
    };
  if (firstRejectionMs > budgetMs) {
    problems.push(
      `${refusedLate(`the ${who}`, firstRejectionMs, `the ${off}`, budgetMs)} (${acceptedAfterDisable - flaps} calls succeeded meanwhile)`,
    );
    findings.push({
      title: 'Refused after the revocation budget',
      message: refusedLate(`the ${who}`, firstRejectionMs, `the ${off}`, budgetMs),
      path: ['lifecycle', 'revocationBudgetMs'],
    });
  }
  if (flaps > 0) {
    problems.push(
      `${flaps} of ${stabilityProbes} probes in the ${duration(lc.stabilityWindowMs)} stability window were accepted again after the first rejection (flapping: some nodes still honour the key)`,
    );
    findings.push({
      title: 'Accepted again after the first refusal',
      message: `${flaps} of ${stabilityProbes} probes in the stability window were accepted (flapping)`,
      path: ['lifecycle', 'stabilityWindowMs'],
    });
  }
  const observed = `first rejection ${duration(firstRejectionMs)} after the ${off}; ${acceptedAfterDisable} calls succeeded after the ${off}, ${flaps} of them after the first rejection`;
  if (problems.length > 0)
    return { verdict: 'fail', message: `${problems.join('; ')}`, expected, observed, advisories, measurements, timeline, findings };
  if (stabilityProbes === 0 && stabilityThrottled > 0)
    return {
      verdict: 'error',
      message: `throttled: could not judge the ${duration(lc.stabilityWindowMs)} stability window: the ${who} was refused ${duration(firstRejectionMs)} after the ${off} call returned, but all ${stabilityThrottled} probes of the window were throttled`,
      advisories,
      measurements,
      timeline,
    };
  // A flap is seen only by a probe sent while it lasts: a window not watched closely is not judged.
  const notCovered = watch.stability && notWatchedClosely(watch.stability);
  if (notCovered) return { verdict: 'error', message: notCovered, advisories, measurements, timeline };
  // A soft refusal in the window is no flap keyprobe can prove, nor the refusal the profile declares: the window cannot pass.
  if (softRefusedInWindow > 0)
    return {
      verdict: 'error',
      message: `could not judge the ${duration(lc.stabilityWindowMs)} stability window: the ${who} was refused ${duration(firstRejectionMs)} after the ${off} call returned, but ${softRefusedInWindow} of ${stabilityProbes} probes of the window then answered ${watch.stability?.softRefusal}: neither the refusal the profile declares (rejection.statuses: ${ctx.profile.rejection.statuses.join(', ')}) nor proof that the key works, so keyprobe cannot tell whether it stayed refused`,
      advisories,
      measurements,
      timeline,
    };
  const unjudged = stabilityThrottled > 0 ? ` (${stabilityThrottled} more were throttled and not judged)` : '';
  return {
    verdict: 'pass',
    message: `the ${who} was refused ${duration(firstRejectionMs)} after the ${off} call returned (budget ${duration(budgetMs)}) and stayed refused for all ${stabilityProbes} ${stabilityThrottled > 0 ? 'judged ' : ''}probes of the ${duration(lc.stabilityWindowMs)} stability window${unjudged}`,
    expected,
    observed,
    advisories,
    measurements,
    timeline,
  };
}

function budgetError(points: readonly ProbePoint[], acceptedAfterDisable: number) {
  return {
    verdict: 'error' as const,
    message: `the request budget ran out after ${points.length} probes (${acceptedAfterDisable} accepted after the disable); raise target.budget to measure revocation`,
    measurements: { probes: points.length, acceptedAfterDisable },
  };
}
