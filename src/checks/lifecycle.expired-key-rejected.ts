// An expired key must be rejected (Kong ignored key ttl in DB-less/hybrid
// mode). With a declared `expiredKey` the check just probes it; otherwise it
// creates a canary that expires within seconds, verifies from the create
// answer (or by reading the canary back through introspection) that the
// platform really set that expiry, proves the canary works before it (so a
// rejection afterwards means something), waits, and keeps probing up to
// lifecycle.maxRevocationWaitMs: platforms that cache keys keep an expired
// one alive until the next refresh, and that lag is measured, not guessed.
// A canary still accepted after an expiry keyprobe could not verify was set
// is an `error` — keyprobe's own create may be what went wrong — never a
// verdict on the target. Throttled probes are never judged (refusal-watch.ts),
// and lateness needs proof: a probe accepted after the allowed lag.
// An expiry keyprobe could not verify is counted from the moment the create
// returned plus the lifetime; but the create action is also offered the
// expiry as a whole second, rounded up (KEYPROBE_EXPIRES_AT_EPOCH_SECONDS,
// {{expiresAt}}), and a platform that took that form (the HAProxy recipe did)
// may serve the canary up to a second longer. A refusal that is late only
// by that rounding is not judged: it is an error that says so, never a pass
// on a guess nor a lag the platform did not have. Every refusal of the
// expired key is judged for what it says back (refusal-judge.ts).
import { z } from 'zod';
import { maxRevocationWait } from '../config/profile-schema.js';
import { CheckError } from '../errors.js';
import { createCanary, statedExpiry, type SubjectKey } from './canary.js';
import { defineCheck } from './check.js';
import type { CheckContext, CheckOutcome } from './check.js';
import { duration, statusText } from './describe.js';
import { budgetTooSmallToUndo, probeSettled, sleepUntil, answerWords } from './key-probe.js';
import { expiryForms } from '../lifecycle/types.js';
import { expiredKeyOrCanary } from './requirements.js';
import { otherAnswers, refusedLate, watchForRefusal, type Watch } from './refusal-watch.js';
import { judgingRefusals, type RefusalJudge } from './refusal-judge.js';

/** Where keyprobe learnt the canary's expiry, and what it is (epoch ms, or null for none). */
interface KnownExpiry {
  readonly at: number | null;
  readonly source: string;
}

const PARAMS = z.strictObject({
  expiresInSeconds: z
    .number()
    .positive()
    .max(600)
    .default(1)
    .meta({ description: 'Lifetime, in seconds, of the expiring canary keyprobe creates.', examples: [5] }),
  toleranceMs: z
    .number()
    .int()
    .nonnegative()
    .default(1000)
    .meta({
      description:
        'Milliseconds the key may still be accepted after its expiry (clock skew between keyprobe and the target); lifecycle.revocationBudgetMs applies when larger.',
      examples: [2000],
    }),
  pollIntervalMs: z
    .number()
    .int()
    .min(1)
    .default(50)
    .meta({ description: 'Milliseconds between probes while waiting for the expired key to be refused.', examples: [100] }),
});

export default defineCheck({
  id: 'lifecycle.expired-key-rejected',
  title: 'An expired key is rejected',
  description:
    'Probes a declared expired key, or creates a canary that expires in a few seconds, verifies the platform set that expiry (create answer or introspection), confirms the canary works, and expects it to be refused once it has expired — within the larger of toleranceMs and lifecycle.revocationBudgetMs; the lag is measured for up to lifecycle.maxRevocationWaitMs. Every refusal it sees must also say no secret back: none may reveal the expired key or another secret of the run (as is, encoded, or 12 characters past its public prefix; a masked quote such as kp_live_8f3a****wxyz, or the key id or name, is fine) in its body or any header, nor hold a stack trace; the first refusal that does is kept as evidence and the rest are counted.',
  severity: 'high',
  practice: 'Reverse validation',
  destructive: true,
  phase: 'lifecycle',
  params: PARAMS,
  requires: [expiredKeyOrCanary],
  // Every refusal of the expired key is judged for what it says back (refusal-judge.ts).
  run: judgingRefusals(expireAndWatch),
});

/** Probes the declared expired key, or lets a canary expire and watches it: the verdict on the expiry, before its refusals are judged. */
async function expireAndWatch(ctx: CheckContext, params: z.output<typeof PARAMS>, refusals: RefusalJudge): Promise<CheckOutcome> {
  const expected = 'an expired key is refused';
  if (ctx.profile.expiredKey) {
    refusals.about({ secret: ctx.profile.expiredKey.secret, name: 'the declared expired key' }, ['expiredKey']);
    const r = await probeSettled(ctx, ctx.profile.expiredKey.secret, { label: 'declared expired key' });
    if (r.kind === 'rejected' && r.response) refusals.judge(r.response);
    if (r.kind === 'rejected')
      return { verdict: 'pass', message: `the declared expired key was refused with ${statusText(r.status!)}`, expected };
    if (r.kind === 'accepted')
      return {
        verdict: 'fail',
        message: `the declared expired key was accepted (${statusText(r.status!)})`,
        expected,
        observed: `accepted with ${statusText(r.status!)}`,
        findings: [
          {
            title: 'The expired key still works',
            message: `the declared expired key was accepted (${statusText(r.status!)})`,
            ...(r.response ? { response: r.response } : {}),
            path: ['expiredKey'],
          },
        ],
      };
    return { verdict: 'error', message: `the declared expired key got no clear answer: ${answerWords(r)}` };
  }

  const tooSmall = budgetTooSmallToUndo(ctx);
  if (tooSmall) return tooSmall;
  // expiredKeyOrCanary: without a declared expired key, the profile has a lifecycle section.
  const lc = ctx.profile.lifecycle!;
  const maxWaitMs = maxRevocationWait(lc);
  const allowedMs = Math.max(params.toleranceMs, lc.revocationBudgetMs);

  const requestedAt = Date.now();
  const createStarted = performance.now();
  const acquired = await createCanary(
    { profile: ctx.profile, adapter: ctx.lifecycle, cleanup: ctx.cleanup },
    { expiresInSeconds: params.expiresInSeconds },
  );
  if (!acquired.ok) return { verdict: acquired.verdict, message: acquired.reason };
  const canary = acquired.key;
  refusals.about({ secret: canary.secret, name: 'the expired canary' }, ['lifecycle']);
  // The target stamped the expiry no later than the moment the create call returned.
  const createdAt = Date.now();
  const requestedExpiry = createdAt + params.expiresInSeconds * 1000;
  // The whole-second form of the expiry was computed before the create returned: it is at most this.
  const latestOffered = expiryForms(params.expiresInSeconds, createdAt).epochMs;

  const known = statedIn(canary) ?? (await readBack(ctx, canary));
  if (known?.at === null)
    return {
      verdict: 'error',
      message: `the create action did not set an expiry: ${known.source} shows none for the canary, so it would never expire; pass the lifetime in the create action (e.g. {{expiresInSeconds}} in lifecycle.http.create)`,
    };
  if (known && known.at > requestedExpiry + allowedMs && known.at - Date.now() > maxWaitMs)
    return {
      verdict: 'error',
      message: `the create action set an expiry of ${new Date(known.at).toISOString()} (${known.source}), ${duration(known.at - requestedAt)} away instead of the ${params.expiresInSeconds} s asked for, and beyond lifecycle.maxRevocationWaitMs (${duration(maxWaitMs)}); keyprobe will not wait that long`,
    };
  // Times on keyprobe's clock, from the verified expiry where there is one.
  const expiryWall = known?.at ?? requestedExpiry;
  const expiresAt = performance.now() + (expiryWall - Date.now());
  // Said as asked, unless the platform set a noticeably different expiry.
  const lifetime =
    Math.abs(expiryWall - requestedExpiry) > 1000
      ? `the expiry the platform set (${new Date(expiryWall).toISOString()})`
      : `its ${params.expiresInSeconds} s lifetime`;

  const before = await probeSettled(ctx, canary.secret, { label: 'canary before it expires' }, 1);
  if (before.kind !== 'accepted') {
    return {
      verdict: 'error',
      message: `the expiring canary was not accepted before its expiry (${answerWords(before)}, probed ${duration(Math.max(0, before.sentAt - createStarted))} after the create action started: a slow create may use up its ${params.expiresInSeconds} s lifetime), so a later rejection would prove nothing; raise the expiresInSeconds parameter if it is too short`,
    };
  }

  ctx.progress(
    lifetime.startsWith('its')
      ? `waiting ${params.expiresInSeconds} s for the canary to expire`
      : `waiting until ${new Date(expiryWall).toISOString()} for the canary to expire`,
  );
  await sleepUntil(expiresAt, ctx.signal);
  const watch = await watchForRefusal(ctx, canary.secret, {
    t0: expiresAt,
    maxWaitMs,
    fineUntilMs: 3 * allowedMs,
    pollIntervalMs: params.pollIntervalMs,
    label: 'canary after its expiry',
    keepEvidence: 3,
    lateAfterMs: allowedMs,
    refusals,
  });
  const measurements = {
    expiresInSeconds: params.expiresInSeconds,
    expiresAt: new Date(expiryWall).toISOString(),
    expiryVerifiedFrom: known?.source ?? 'not verified (the create answer states no expiry and there is no introspection to read it back)',
    allowedLagMs: allowedMs,
    maxRevocationWaitMs: maxWaitMs,
    acceptedAfterExpiry: watch.accepted,
    probes: watch.points.length,
    throttledProbes: watch.throttled,
  };
  if (watch.stoppedBy === 'budget')
    return {
      verdict: 'error',
      message: 'the request budget ran out while probing the expired canary; raise target.budget',
      measurements,
    };

  // Blame the target only for an expiry keyprobe saw the platform set.
  const unverified = known
    ? undefined
    : `keyprobe could not verify that the create action set an expiry (the create answer states none, and the profile has no target.introspection to read the canary back), so this says nothing about the target`;

  if (watch.firstRejectionMs !== undefined) {
    // The target's clock started the lifetime a little before ours, so this can be slightly negative: 0 then.
    const lagMs = Math.max(0, watch.firstRejectionMs);
    const refused = `refused with ${statusText(watch.last!.status!)} ${duration(lagMs)} after ${lifetime}${lifetime.startsWith('its') ? ' ended' : ''}`;
    // The last probe still served after the expiry: the true lag lies between it and the first refusal.
    const served = watch.points.filter((p) => p.accepted).map((p) => p.tMs);
    const all = {
      ...measurements,
      rejectedAfterExpiryMs: lagMs,
      ...(served.length > 0 ? { lastAcceptedAfterExpiryMs: Math.max(...served) } : {}),
    };
    if (lagMs <= allowedMs)
      return { verdict: 'pass', message: `the canary was ${refused} (allowed ${duration(allowedMs)})`, expected, measurements: all };
    // Late only against the lifetime, in time against the whole-second expiry also offered: which one the platform took is unknown.
    const roundingMs = latestOffered - requestedExpiry;
    if (unverified && lagMs - roundingMs <= allowedMs)
      return {
        verdict: 'error',
        message: `could not judge the expiry within ${duration(allowedMs)}: the canary was ${refused}, but the create action was also offered its expiry rounded up to a whole second (${new Date(latestOffered).toISOString()}, up to ${duration(roundingMs)} later), and refused ${duration(Math.max(0, lagMs - roundingMs))} after that it would be in time; neither the create answer nor a read-back says which expiry the platform set, so state it in the create answer (expiresAt) or declare target.introspection`,
        expected,
        measurements: all,
      };
    // Seen late, but no probe was accepted after the allowed lag: the refusal may have come in time, unseen.
    if ((watch.lastAcceptedMs ?? 0) <= allowedMs)
      return {
        verdict: 'error',
        message: `could not judge the expiry within ${duration(allowedMs)}: the canary was ${refused}, but no probe between ${duration(Math.max(0, watch.lastAcceptedMs ?? 0))} and then got a judged answer (the probes were throttled, held up by pacing, or sent late by a busy keyprobe), so it may have been refused in time`,
        expected,
        measurements: all,
      };
    if (unverified) return { verdict: 'error', message: `the canary was ${refused}, but ${unverified}`, expected, measurements: all };
    markLate(ctx, watch);
    return {
      verdict: 'fail',
      message: `${refusedLate('the canary', lagMs, 'it expired', allowedMs)} (${watch.accepted} calls succeeded after its expiry)`,
      expected,
      observed: `first refusal ${duration(lagMs)} after the expiry`,
      findings: [
        {
          title: 'Refused late after its expiry',
          message: refusedLate('the canary', lagMs, 'it expired', allowedMs),
          ...(watch.firstLate?.response ? { response: watch.firstLate.response } : {}),
          path: ['lifecycle', 'revocationBudgetMs'],
        },
      ],
      measurements: all,
    };
  }
  if (watch.accepted === 0)
    return { verdict: 'error', message: `the expired canary got no clear answer: ${answerWords(watch.last)}`, measurements };
  // Never refused, but served only early on and not judged since: not proven to outlive the allowed lag.
  // Where no probe was throttled, name what the probes answered (a 500, a 404), not a throttle.
  const neither = watch.throttled === 0 ? otherAnswers(ctx.profile, watch.points, watch.softRefusal) : undefined;
  if (watch.lastAcceptedMs! <= allowedMs && neither)
    return {
      verdict: 'error',
      message: `could not judge: the expired canary was last accepted ${duration(Math.max(0, watch.lastAcceptedMs!))} after its expiry and never refused; ${neither}, neither an acceptance nor a refusal (rejection.statuses: ${ctx.profile.rejection.statuses.join(', ')})`,
      measurements,
    };
  if (watch.lastAcceptedMs! <= allowedMs)
    return {
      verdict: 'error',
      message: `throttled: could not judge: the expired canary was last accepted ${duration(Math.max(0, watch.lastAcceptedMs!))} after its expiry and got no judged answer after that (${watch.throttled} of ${watch.points.length} probes were throttled)`,
      measurements,
    };
  const stillAccepted = `the canary was still accepted ${duration(maxWaitMs)} after ${lifetime}${lifetime.startsWith('its') ? ' ended' : ''}: not refused within ${duration(maxWaitMs)} (lifecycle.maxRevocationWaitMs; ${watch.accepted} calls succeeded after its expiry)`;
  if (unverified) return { verdict: 'error', message: `${stillAccepted}, but ${unverified}`, expected, measurements };
  markLate(ctx, watch);
  return {
    verdict: 'fail',
    message: stillAccepted,
    expected,
    observed: `accepted with ${answerWords(watch.last)} after expiry`,
    measurements,
  };
}

/** Opens, in the reports, the probe that proves the canary was served after the allowed lag. */
function markLate(ctx: CheckContext, watch: Watch): void {
  if (watch.firstLate?.kind === 'accepted' && watch.firstLate.response) ctx.http.markFailing(watch.firstLate.response);
}

/** The expiry the create answer states, if it states one. */
function statedIn(canary: SubjectKey): KnownExpiry | undefined {
  const at = statedExpiry(canary.createdFields);
  return at === undefined ? undefined : { at, source: 'the create answer' };
}

/** Reads the canary back through the profile's introspection endpoint, if it has one. */
async function readBack(ctx: CheckContext, canary: SubjectKey): Promise<KnownExpiry | undefined> {
  const spec = ctx.profile.target.introspection;
  if (!spec) return undefined;
  const source = `a read-back (GET ${spec.path} with the canary)`;
  try {
    const res = await ctx.http.send({
      label: `read the canary back: GET ${spec.path}`,
      method: 'GET',
      path: spec.path,
      credential: { kind: 'key', secret: canary.secret },
    });
    if (res.status < 200 || res.status >= 300) return undefined;
    const json = JSON.parse(res.body) as unknown;
    if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
    const at = statedExpiry(json as Record<string, unknown>);
    return at === undefined ? undefined : { at, source };
  } catch (err) {
    if (err instanceof CheckError || err instanceof SyntaxError) return undefined;
    throw err;
  }
}
