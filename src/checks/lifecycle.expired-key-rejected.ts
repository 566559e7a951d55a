// An expired key must be rejected (Kong ignored key ttl in DB-less/hybrid
// mode). With a declared `expiredKey` the check just probes it; otherwise it
// creates a canary that expires within seconds, proves it works before its
// expiry (so a rejection afterwards means something), waits, and probes again.
import { z } from 'zod';
import { createCanary } from '../lifecycle/canary.js';
import { defineCheck } from './check.js';
import { canaryCreationUnmet } from './requirements.js';
import { statusText } from './describe.js';
import type { CheckOutcome } from './check.js';
import { budgetTooSmallToUndo, budgetLeft, ms, probeKey, probeSettled, sleepUntil, type ProbeResult } from './key-probe.js';

export default defineCheck({
  id: 'lifecycle.expired-key-rejected',
  title: 'An expired key is rejected',
  description:
    'Probes a declared expired key, or creates a canary that expires in a few seconds, confirms it works, and expects it to be rejected once it has expired (within a tolerance).',
  severity: 'high',
  destructive: true,
  phase: 'lifecycle',
  params: z.strictObject({
    /** Lifetime of the created canary. */
    expiresInSeconds: z.number().positive().max(600).default(1),
    /** It may still be accepted this long after its expiry (clock skew between keyprobe and the target). */
    toleranceMs: z.number().int().nonnegative().default(1000),
    pollIntervalMs: z.number().int().min(1).default(50),
  }),
  unmet(profile) {
    if (profile.expiredKey) return [];
    if (!profile.lifecycle)
      return [
        { path: ['expiredKey'], message: 'the profile declares no expiredKey and has no lifecycle section to create an expiring canary' },
      ];
    return canaryCreationUnmet(profile);
  },
  async run(ctx, params): Promise<CheckOutcome> {
    const expected = 'an expired key is refused';
    if (ctx.profile.expiredKey) {
      const r = await probeSettled(ctx, ctx.profile.expiredKey.secret, { label: 'declared expired key' });
      if (r.kind === 'rejected')
        return { verdict: 'pass', message: `the declared expired key was refused with ${statusText(r.status!)}`, expected };
      if (r.kind === 'accepted')
        return {
          verdict: 'fail',
          message: `the declared expired key was accepted (${statusText(r.status!)})`,
          expected,
          observed: `accepted with ${statusText(r.status!)}`,
        };
      return { verdict: 'error', message: `the declared expired key got no clear answer: ${describe(r)}` };
    }

    const tooSmall = budgetTooSmallToUndo(ctx);

    if (tooSmall) return tooSmall;

    const acquired = await createCanary(
      { profile: ctx.profile, adapter: ctx.lifecycle, cleanup: ctx.cleanup },
      { expiresInSeconds: params.expiresInSeconds },
    );
    if (!acquired.ok) return { verdict: acquired.verdict, message: acquired.reason };
    const canary = acquired.key;
    // The target stamped the expiry no later than the moment the create call returned.
    const createdBy = performance.now();
    const expiresAt = createdBy + params.expiresInSeconds * 1000;

    const before = await probeSettled(ctx, canary.secret, { label: 'canary before it expires' }, 1);
    if (before.kind !== 'accepted') {
      return {
        verdict: 'error',
        message: `the expiring canary was not accepted before its expiry (${describe(before)}), so a later rejection would prove nothing; raise the expiresInSeconds parameter if it is too short`,
      };
    }

    ctx.progress(`waiting ${params.expiresInSeconds} s for the canary to expire`);
    await sleepUntil(expiresAt, ctx.signal);
    let acceptedAfterExpiry = 0;
    let last: ProbeResult | undefined;
    let at = performance.now();
    while (performance.now() <= expiresAt + params.toleranceMs) {
      if (budgetLeft(ctx) < 1)
        return { verdict: 'error', message: 'the request budget ran out while probing the expired canary; raise target.budget' };
      last = await probeKey(ctx, canary.secret, { label: 'canary after its expiry', record: acceptedAfterExpiry < 3 });
      if (last.kind === 'rejected') {
        // The target's clock started the lifetime a little before ours, so this can be slightly negative: 0 then.
        const afterMs = Math.max(0, ms(last.sentAt - expiresAt));
        return {
          verdict: 'pass',
          message: `the canary was refused with ${statusText(last.status!)} ${afterMs} ms after its ${params.expiresInSeconds} s lifetime ended`,
          expected,
          measurements: { expiresInSeconds: params.expiresInSeconds, rejectedAfterExpiryMs: afterMs, acceptedAfterExpiry },
        };
      }
      if (last.kind === 'accepted') {
        if (last.response) ctx.http.markFailing(last.response);
        acceptedAfterExpiry++;
      }
      at += params.pollIntervalMs;
      await sleepUntil(at, ctx.signal);
    }
    if (acceptedAfterExpiry === 0) return { verdict: 'error', message: `the expired canary got no clear answer: ${describe(last)}` };
    return {
      verdict: 'fail',
      message: `the canary was still accepted ${params.toleranceMs} ms after it expired (${acceptedAfterExpiry} calls succeeded after its expiry)`,
      expected,
      observed: `accepted with ${describe(last)} after expiry`,
      measurements: { expiresInSeconds: params.expiresInSeconds, acceptedAfterExpiry },
    };
  },
});

function describe(r: ProbeResult | undefined): string {
  if (!r) return 'no probe';
  return r.status !== undefined ? statusText(r.status) : (r.error ?? r.kind);
}
