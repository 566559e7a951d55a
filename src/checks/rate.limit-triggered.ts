// A rate limit must really trigger, per key, near the declared limit. Limiters
// fail open (Kong `fault_tolerant`) or count per node, so keyprobe drives the
// probe resource above the limit and counts the accepted calls before the
// first throttle, in send or in arrival order (src/http/burst.ts: each order
// alone undercounts on some gateways). Too little load to exceed the limit is
// `error`, never a false fail.
import { defineCheck, noParams } from './check.js';
import { rateLimit } from './requirements.js';
import { statusText } from './describe.js';
import type { BurstRefusal } from '../http/burst.js';
import { burstToThrottle } from './rate-burst.js';

export default defineCheck({
  id: 'rate.limit-triggered',
  title: 'The rate limit triggers near the declared limit',
  description:
    'Bursts the rateLimit probe above the expected limit and passes when a throttling answer (429 or a declared status) arrives within limit × (1 + tolerance) accepted calls plus the requests in flight; too little load is an error, not a fail.',
  severity: 'high',
  practice: 'Reverse validation',
  required: true,
  destructive: false,
  phase: 'rate',
  params: noParams,
  requires: [rateLimit],
  async run(ctx) {
    const spec = ctx.profile.rateLimit;
    const o = await burstToThrottle(ctx, spec);
    const expected = `a throttling answer within ${o.allowance} accepted calls (limit ${spec.limit} per ${spec.windowSeconds} s + ${Math.round(spec.tolerance * 100)}% tolerance) plus the requests in flight`;
    const base = { expected, measurements: o.measurements, timeline: o.timeline };
    if (o.unverifiable) return { ...base, verdict: 'error', message: o.unverifiable };
    if (o.neverThrottled) {
      return {
        ...base,
        verdict: 'fail',
        message: `no rate limit: all ${o.burst.accepted} calls were accepted (${o.maxAcceptedInWindow} within one ${spec.windowSeconds} s window, limit ${spec.limit}), none throttled`,
        observed: `${o.burst.accepted} accepted, 0 throttled`,
      };
    }
    const t = o.throttle!;
    const allowed = o.allowance + t.inFlight;
    const advisories: string[] = [];
    if (o.undeclaredStatus)
      advisories.push(
        `throttled with ${statusText(t.response.status)}, which is not a declared throttling status (rate.limit-signalled judges the status)`,
      );
    // Stricter than declared only when even every accepted call sent before the throttle came back is too few.
    if (t.acceptedAtMost < Math.floor(spec.limit * (1 - spec.tolerance)))
      advisories.push(
        `throttled after only ${t.acceptedBefore} accepted calls${t.acceptedAtMost !== t.acceptedBefore ? ` (at most ${t.acceptedAtMost}, counting every accepted call sent before the throttle came back)` : ''}, below the expected ${spec.limit}: the limit is stricter than declared, or the window was not fresh`,
      );
    const observed = `${o.burst.accepted} calls accepted, first throttle (${statusText(t.response.status)}) at call ${t.call}, ${t.inFlight} in flight${otherOrders(t)}`;
    if (o.windowMayHaveReset) {
      return {
        ...base,
        verdict: 'error',
        message: `inconclusive: ${o.burst.accepted} calls were accepted before the throttle, but it came only after the first ${spec.windowSeconds} s window and just ${o.acceptedInFirstWindow} of them came back within it, so the window may have reset mid-burst (the burst was slow even on a second, fresh window); raise rateLimit.concurrency or check the target's latency`,
        observed,
        advisories,
      };
    }
    if (o.burst.accepted > allowed) {
      return {
        ...base,
        verdict: 'fail',
        message: `the limit triggered late: ${o.burst.accepted} calls were accepted, more than ${o.allowance} (limit ${spec.limit} + tolerance) + ${t.inFlight} in flight`,
        observed,
        advisories,
      };
    }
    return {
      ...base,
      verdict: 'pass',
      message: `throttled with ${statusText(t.response.status)} after ${t.acceptedBefore} accepted calls (limit ${spec.limit} per ${spec.windowSeconds} s, at most ${allowed} allowed)`,
      observed,
      advisories,
    };
  },
});

/**
 * How the count of accepted calls before the throttle differs by order, where
 * it does: answers overtook each other on the way, or a window reset while
 * requests were in flight.
 */
function otherOrders(t: BurstRefusal): string {
  const parts: string[] = [];
  if (t.acceptedSentBefore !== t.acceptedBefore) parts.push(`${t.acceptedSentBefore} sent before the throttled call`);
  if (t.acceptedArrivedBefore !== t.acceptedBefore) parts.push(`${t.acceptedArrivedBefore} answered before the throttle came back`);
  if (t.acceptedAtMost !== t.acceptedBefore) parts.push(`${t.acceptedAtMost} sent before the throttle came back`);
  return parts.length > 0 ? `; of the accepted calls, ${parts.join(', ')}` : '';
}
