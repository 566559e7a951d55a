// After a rotation the new key must work at once and the old one must die
// when the declared grace period ends (Kong#5705: old key still valid after
// rotation). Only a canary keyprobe created is rotated: rotating a declared
// key would leave the profile pointing at a dead secret. Every refusal of
// the old key is judged for what it says back (refusal-judge.ts): quoting
// the old key, or the new one, in it is a finding.
import { z } from 'zod';
import { createCanary, registerDelete } from './canary.js';
import { defineCheck, type CheckContext, type CheckOutcome } from './check.js';
import type { LifecycleSpec, Profile } from '../config/profile-schema.js';
import { judgingRefusals, type RefusalJudge } from './refusal-judge.js';
import { rotatableCanary } from './requirements.js';
import { watchForRefusal } from './refusal-watch.js';
import { budgetTooSmallToUndo, ms, probeKey, probeSettled, sleepUntil, answerWords } from './key-probe.js';

const PARAMS = z.strictObject({
  toleranceMs: z
    .number()
    .int()
    .nonnegative()
    .default(1000)
    .meta({
      description: 'Milliseconds the old key may still be accepted after its grace period ends (clock skew, propagation).',
      examples: [2000],
    }),
  maxGraceSeconds: z
    .number()
    .positive()
    .default(60)
    .meta({
      description: 'The longest grace period (lifecycle.rotationGraceSeconds) this check waits out; a longer one gives `error`.',
      examples: [300],
    }),
  pollIntervalMs: z
    .number()
    .int()
    .min(1)
    .default(100)
    .meta({ description: 'Milliseconds between probes of the old key after rotation.', examples: [250] }),
});

export default defineCheck({
  id: 'lifecycle.rotated-key',
  title: 'After rotation the new key works and the old one dies after its grace period',
  description:
    'Creates a canary, rotates it with lifecycle.rotationGraceSeconds of grace, expects the new secret to be accepted at once and the old one to be rejected once the grace period has passed (within a tolerance). Every refusal it sees must also say no secret back: none may reveal the old key, the new one or another secret of the run (as is, encoded, or 12 characters past its public prefix; a masked quote such as kp_live_8f3a****wxyz, or the key id or name, is fine) in its body or any header, nor hold a stack trace; the first refusal that does is kept as evidence and the rest are counted.',
  severity: 'high',
  practice: 'Rotation and reclamation',
  destructive: true,
  phase: 'lifecycle',
  params: PARAMS,
  requires: [rotatableCanary],
  // Every refusal of the old key is judged for what it says back (refusal-judge.ts).
  run: judgingRefusals(rotateAndWatch),
});

/** Rotates a canary and watches the old key die: the verdict on the rotation, before the old key's refusals are judged. */
async function rotateAndWatch(
  ctx: CheckContext<Profile & { lifecycle: LifecycleSpec }>,
  params: z.output<typeof PARAMS>,
  refusals: RefusalJudge,
): Promise<CheckOutcome> {
  const grace = ctx.profile.lifecycle.rotationGraceSeconds;
  const adapter = ctx.lifecycle;
  if (grace > params.maxGraceSeconds)
    return {
      verdict: 'error',
      message: `the grace period (${grace} s) is longer than this check waits (maxGraceSeconds ${params.maxGraceSeconds}); raise the parameter to verify it`,
    };
  const tooSmall = budgetTooSmallToUndo(ctx);
  if (tooSmall) return tooSmall;
  const acquired = await createCanary({ profile: ctx.profile, adapter, cleanup: ctx.cleanup });
  if (!acquired.ok)
    return {
      verdict: acquired.verdict,
      message: acquired.verdict === 'skip' ? `rotation acts only on a canary keyprobe creates: ${acquired.reason}` : acquired.reason,
    };
  const canary = acquired.key;
  refusals.about({ secret: canary.secret, name: 'the old key' }, ['lifecycle', 'rotationGraceSeconds']);

  const before = await probeSettled(ctx, canary.secret, { label: 'canary before rotation' });
  if (before.kind !== 'accepted')
    return { verdict: 'error', message: `the canary was not accepted before rotation (${answerWords(before)})` };

  ctx.progress('rotating the canary');
  const rotated = await adapter.rotate(canary.ref, grace);
  if (rotated.outcome === 'skipped') return { verdict: 'skip', message: rotated.reason };
  if (rotated.outcome === 'failed') return { verdict: 'error', message: `could not rotate the canary: ${rotated.reason}` };
  const t0 = rotated.timing.returnedAt;
  const newSecret = rotated.value.secret;
  // The canary lives on under its new secret: cleanup must probe that one
  // after the delete (the old secret died with the rotation, so its refusal
  // proves nothing). Some platforms give the rotated key a new id; the old id
  // is then deleted too, as registered at its create.
  const deps = { profile: ctx.profile, adapter, cleanup: ctx.cleanup };
  if (rotated.value.id && rotated.value.id !== canary.ref.id)
    registerDelete(deps, { name: canary.ref.name, id: rotated.value.id }, newSecret);
  else {
    canary.forgetDelete?.();
    registerDelete(deps, canary.ref, newSecret);
  }

  const failures: string[] = [];
  const advisories: string[] = [];
  // The new key must work at once.
  const fresh = await probeSettled(ctx, newSecret, { label: 'new key right after rotation' });
  const newKeyMs = ms(fresh.sentAt - t0);
  // A 2xx that reads as a refusal proves neither that the new key works nor that it does not.
  if (fresh.softRefusal)
    return {
      verdict: 'error',
      message: `could not judge the new key: right after rotation it answered ${answerWords(fresh)}, which cannot show that it works`,
    };
  if (fresh.kind !== 'accepted') failures.push(`the new key was not accepted right after rotation (${answerWords(fresh)})`);

  // During the grace period the old key may still work; refusing it early is only worth a note.
  if (grace > 0) {
    const during = await probeKey(ctx, canary.secret, { label: 'old key during the grace period' });
    if (during.kind === 'rejected' && during.response) refusals.judge(during.response);
    // Inside the grace for certain only if refused before its earliest possible end:
    // the platform may have started the grace when the rotate call was sent.
    if (during.kind === 'rejected' && performance.now() < rotated.timing.startedAt + grace * 1000)
      advisories.push(
        `the old key was already refused ${ms(during.sentAt - t0)} ms after rotation, inside its ${grace} s grace period (safe, but callers get less time to switch)`,
      );
  }

  // After grace (+ tolerance) the old key must be rejected. Still alive after the
  // tolerance is proven only by a probe accepted after it (as for a disabled key,
  // src/checks/refusal-watch.ts), so the probes go on a little past it: a pause of
  // keyprobe's own (a busy machine) or a throttle waited out must not stand in for one.
  const graceEnd = t0 + grace * 1000;
  const toleranceMs = params.toleranceMs;
  await sleepUntil(graceEnd, ctx.signal);
  // The client waits throttles out here, so each probe answers about the key; every accepted one is failing evidence.
  const watch = await watchForRefusal(ctx, canary.secret, {
    t0: graceEnd,
    maxWaitMs: toleranceMs + Math.max(PROBED_PAST_TOLERANCE_MS, 3 * params.pollIntervalMs),
    fineUntilMs: toleranceMs,
    pollIntervalMs: params.pollIntervalMs,
    label: 'old key after the grace period',
    // The first few probes are kept as evidence, and the first after the tolerance; the rest would only repeat them.
    keepEvidence: 3,
    lateAfterMs: toleranceMs,
    throttle: 'wait',
    markAccepted: true,
    refusals,
  });
  if (watch.stoppedBy === 'budget')
    return { verdict: 'error', message: 'the request budget ran out while probing the old key; raise target.budget' };
  const rejectedAtMs = watch.firstRejectionMs;
  const lastOld = watch.last;
  const acceptedAfterGrace = watch.accepted;
  // Only accepted answers prove the old key lives on; throttled ones are not judged.
  if (rejectedAtMs === undefined && acceptedAfterGrace === 0)
    return { verdict: 'error', message: `the old key got no judged answer after its grace period: ${answerWords(lastOld)}` };
  const lastAcceptedMs = watch.lastAcceptedMs;
  const provenLate = lastAcceptedMs !== undefined && lastAcceptedMs > toleranceMs;
  if (provenLate) {
    failures.push(
      `the old key was still accepted ${Math.round(lastAcceptedMs)} ms after its ${grace} s grace period ended, beyond the ${toleranceMs} ms tolerance (${acceptedAfterGrace} calls succeeded after the grace period; ${rejectedAtMs === undefined ? 'never refused' : `first refused ${Math.round(rejectedAtMs)} ms after it`}; last answer ${answerWords(lastOld)})`,
    );
  } else if ((rejectedAtMs === undefined || rejectedAtMs > toleranceMs) && failures.length === 0) {
    // No probe was judged between the last acceptance (within the tolerance) and the end of it.
    return {
      verdict: 'error',
      message: `could not judge the old key within the ${toleranceMs} ms tolerance after its ${grace} s grace period: ${lastAcceptedMs === undefined ? 'not seen accepted after it' : `last accepted ${Math.round(lastAcceptedMs)} ms after it`}, ${rejectedAtMs === undefined ? 'no later probe judged' : `first seen refused ${Math.round(rejectedAtMs)} ms after it`}, and no judged probe in between (keyprobe paused, or a throttle was waited out), so it may have been refused in time`,
      advisories,
    };
  }

  const measurements = {
    graceSeconds: grace,
    toleranceMs: params.toleranceMs,
    newKeyAcceptedAfterMs: newKeyMs,
    ...(rejectedAtMs !== undefined ? { oldKeyRejectedAfterGraceMs: rejectedAtMs } : {}),
    oldKeyAcceptedAfterGrace: acceptedAfterGrace,
    measuredFrom: 'the moment the rotate call returned',
  };
  const expected = `the new key accepted at once; the old key rejected within ${params.toleranceMs} ms after its ${grace} s grace period`;
  if (failures.length > 0)
    return {
      verdict: 'fail',
      message: failures.join('; '),
      expected,
      observed: failures.join('; '),
      advisories,
      measurements,
      findings: failures.map((f) => ({ title: 'Rotation did not hold', message: f, path: ['lifecycle', 'rotationGraceSeconds'] })),
    };
  return {
    verdict: 'pass',
    message: `the new key worked at once and the old key was rejected ${rejectedAtMs} ms after its ${grace} s grace period ended`,
    expected,
    advisories,
    measurements,
  };
}

/** How long past the tolerance the old key is probed, so an acceptance after it can be seen (at least three probes). */
const PROBED_PAST_TOLERANCE_MS = 500;
