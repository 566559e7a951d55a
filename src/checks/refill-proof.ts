// rate.per-key-isolation's clock rule takes the profile's declared limit and
// tolerance as the fastest a limiter can give calls back. A limiter can be
// faster than declared: nginx `limit_req rate=100r/s burst=19`, declared as
// docs/profile.md says (limit 20 a second), holds 20 calls but gives one back
// every 10 ms, and a bucket both keys share would then serve the second key's
// calls well within the time the rule accepts. So before a pass, the key's own
// limiter is shown to refill slower than the second key's calls needed: with
// only the key calling, whatever bucket it draws from (shared or its own) is
// the one measured.
//
// Why a throttled call proves it. A limiter's room is never below nothing, and
// grows by one call every refill; a call judged throttled found less than one
// call of room. Call `since` a moment after which only these calls with the key
// are judged (the key's previous calls, and the second key's, have come back).
// If a call sent D ms after `since` is throttled, with s of these calls served
// before it, the limiter gave back less than 1 + s calls in those D ms: it
// refills slower than one call every D ÷ (1 + s) ms. So a throttle D ≥ needMs ×
// (1 + s) after some `since` shows it refills slower than one call every
// needMs. A cap on the room (a bucket's size, at least one call) only wastes
// refills, except that a bucket that filled to its cap and was then drawn below
// one call by its own served calls gave back less than one call between two
// of them: so each call goes at least `needMs` after the one before came back,
// and that case proves it too. A served call alone proves nothing (the room
// left before it is unknown): up to MAX_REFILL_CALLS calls in all. A window
// that resets (fixed or sliding) gives nothing back between resets: its calls
// are throttled until the reset.
import type { RateLimitSpec, Profile } from '../config/profile-schema.js';
import type { CheckContext } from './check.js';
import { ms, probeKey, sleep, type ProbeResult } from './key-probe.js';

/** Most calls with the key spent showing that its limiter refills slower than needed. */
const MAX_REFILL_CALLS = 6;

export interface RefillProof {
  /** The limiter was shown to give back less than one call every `needMs`. */
  readonly slower: boolean;
  /** The calls with the key it sent, each as answered. */
  readonly calls: readonly ProbeResult[];
  /**
   * The shortest time, in ms, from one of the key's calls coming back to the next
   * being served: the limiter gave a call back within about that (for sizing a
   * later try). Undefined when none was served.
   */
  readonly servedWithinMs?: number;
  /** An answer that was neither served nor throttled: nothing can be concluded. */
  readonly unclear?: ProbeResult;
}

/** A moment after which only later calls are judged, and how many calls had been served by then. */
interface Since {
  readonly at: number;
  readonly served: number;
}

/**
 * Calls with the key, one at a time, each at least `needMs` after the previous
 * one came back (the first `needMs` after `lastAnsweredAt`, when the key's and
 * the second key's last calls came back), until one shows the limiter refills
 * slower than one call every `needMs` (`slower`), one is neither served nor
 * throttled (`unclear`), or MAX_REFILL_CALLS were sent.
 */
export async function refillSlowerThan(
  ctx: CheckContext<Profile & { rateLimit: RateLimitSpec }>,
  needMs: number,
  lastAnsweredAt: number,
  throttled: (r: ProbeResult) => boolean,
): Promise<RefillProof> {
  const calls: ProbeResult[] = [];
  let sinces: Since[] = [{ at: lastAnsweredAt, served: 0 }];
  let previous = lastAnsweredAt;
  let served = 0;
  let servedWithinMs: number | undefined;
  while (calls.length < MAX_REFILL_CALLS) {
    // A timer may fire a little early by performance.now(): wait until the moment has surely passed.
    while (performance.now() < previous + needMs) await sleep(previous + needMs - performance.now() + 1, ctx.signal);
    const r = await probeKey(ctx, ctx.profile.key.secret, {
      label: `the key, refilling slower than one call every ${ms(needMs)} ms? (${calls.length + 1} of at most ${MAX_REFILL_CALLS})`,
      resource: ctx.profile.rateLimit.probe,
      throttle: 'observe',
    });
    calls.push(r);
    const isThrottled = throttled(r);
    if (!isThrottled && r.kind !== 'accepted') return { slower: false, calls, servedWithinMs, unclear: r };
    // The cap's case above needs every call at least needMs after the one before: if one was not, count from it.
    if (r.sentAt - previous < needMs) sinces = [];
    else if (isThrottled && sinces.some((s) => r.sentAt - s.at >= needMs * (1 + served - s.served)))
      return { slower: true, calls, servedWithinMs };
    const answered = r.response ? r.response.sentAt + r.response.durationMs : performance.now();
    if (!isThrottled) {
      served++;
      servedWithinMs = Math.min(servedWithinMs ?? Number.POSITIVE_INFINITY, answered - previous);
    }
    sinces.push({ at: answered, served });
    previous = answered;
  }
  return { slower: false, calls, servedWithinMs };
}
