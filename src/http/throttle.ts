// The throttle rule, in one place (docs/verdicts.md has it as a table): an
// answer that says "slow down" is about the caller's pace, not about the
// request, so no check may judge it — neither as a refusal nor as a failure.
// HttpClient.send applies it to every request: it waits what the answer
// asks (Retry-After, else the RateLimit reset, else the declared window),
// bounded, and asks again; still throttled after `maxTries` sends, it throws
// ThrottledError ("throttled: could not judge"), which gives `error`. Only
// requests that observe throttling on purpose (the rate checks' bursts, and
// probes that count throttled answers apart) opt out with `throttle: 'observe'`.
import { parseRateLimitHeaders, saysRetryAfter, secondsUntilReset } from './rate-limit-headers.js';

export interface ThrottleRule {
  /** Statuses the profile declares as throttling (rateLimit.statuses); 429 counts whatever is declared. */
  readonly declared: readonly number[];
  /**
   * Statuses the profile also expects as refusals or denials (rejection,
   * denial). A declared throttling status among them (Tyk answers a spent
   * quota with 403) counts as throttling only when the answer says when to
   * come back (Retry-After); otherwise it is the refusal it looks like.
   */
  readonly refusals: readonly number[];
  /** How long to wait when the answer names no time: the declared window. */
  readonly fallbackWaitMs: number;
  /** The longest single wait; an answer that asks for more is given up on at once. */
  readonly maxWaitMs: number;
  /** Sends of one request in all, the first included. */
  readonly maxTries: number;
}

/** Added to every wait, so a window that ends "at" the announced second has ended. */
const WAIT_MARGIN_MS = 50;

/** The rule when the profile declares no rate limit: 429 and 503 + Retry-After, a 1 s window. */
export const DEFAULT_THROTTLE_RULE: ThrottleRule = Object.freeze({
  declared: [],
  refusals: [],
  fallbackWaitMs: 1000,
  maxWaitMs: 5000,
  maxTries: 4,
});

/** The longest single wait for a declared window: long enough for the window once, never more than a minute. */
export function longestWaitMs(windowMs: number): number {
  return Math.min(60_000, Math.max(DEFAULT_THROTTLE_RULE.maxWaitMs, windowMs + 1000));
}

/** The rule for a profile's declarations (plain numbers, so this layer knows nothing of profiles). */
export function throttleRule(o: {
  declaredStatuses?: readonly number[];
  refusalStatuses?: readonly number[];
  windowSeconds?: number;
}): ThrottleRule {
  const fallbackWaitMs = (o.windowSeconds ?? 1) * 1000;
  return {
    declared: [...(o.declaredStatuses ?? [])],
    refusals: [...(o.refusalStatuses ?? [])],
    fallbackWaitMs,
    maxWaitMs: longestWaitMs(fallbackWaitMs),
    maxTries: DEFAULT_THROTTLE_RULE.maxTries,
  };
}

/** Does this answer say "slow down"? */
export function isThrottled(rule: ThrottleRule, status: number, headers: Readonly<Record<string, string>>): boolean {
  if (status === 429) return true;
  // Read only for the statuses it can decide: every answer keyprobe gets passes through here, nearly all of them 2xx.
  // A Retry-After whose wait is unusable (repeated, already past) still says "come back later": the wait is then the fallback's.
  const saysWhen = () => saysRetryAfter(parseRateLimitHeaders(headers));
  if (status === 503) return saysWhen() || rule.declared.includes(503);
  if (!rule.declared.includes(status)) return false;
  return !rule.refusals.includes(status) || saysWhen();
}

export interface ThrottleWait {
  readonly ms: number;
  /** Where the wait came from, for messages: "Retry-After: 1", "the declared 1 s window". */
  readonly from: string;
  /** The answer asks for longer than keyprobe waits. */
  readonly tooLong: boolean;
}

/** A status as words, for the two statuses that throttle whatever is declared. */
export function throttleStatusText(status: number): string {
  return status === 429 ? '429 Too Many Requests' : status === 503 ? '503 Service Unavailable' : String(status);
}

/**
 * Remembers that the target stayed throttled through a request's whole round
 * of waits. While it lasts, a throttled answer is not waited out again: a
 * target that throttles everything (a 503 storm) would otherwise cost every
 * request of the run its waits. The first answer that is not throttled ends it.
 */
export class ThrottleStreak {
  private sinceMs: number | undefined;
  get active(): boolean {
    return this.sinceMs !== undefined;
  }
  get since(): number | undefined {
    return this.sinceMs;
  }
  begin(): void {
    this.sinceMs ??= performance.now();
  }
  end(): void {
    this.sinceMs = undefined;
  }
}

/** How long to wait before asking again after a throttled answer. */
export function throttleWait(rule: ThrottleRule, headers: Readonly<Record<string, string>>): ThrottleWait {
  const reset = secondsUntilReset(parseRateLimitHeaders(headers));
  const asked = reset ? reset.seconds * 1000 : rule.fallbackWaitMs;
  const from = reset ? reset.from : `the declared ${rule.fallbackWaitMs / 1000} s window`;
  const ms = Math.round(asked + WAIT_MARGIN_MS);
  return { ms: Math.min(ms, rule.maxWaitMs), from, tooLong: ms > rule.maxWaitMs };
}

/**
 * How long a throttled answer pauses its bucket (every request the limiter
 * counts with it): the wait the answer asks for, or the declared window when
 * that wait is longer than keyprobe waits (an absurd Retry-After, a day-long
 * penalty box). Requests that meet such a throttle give up at once (`error`),
 * so pausing the longest wait buys them nothing: it only stalled the run, once
 * per throttle, on a signal keyprobe does not act on. The declared window is
 * what the profile vouches for, and what an answer without a usable wait (none,
 * unparseable, sent twice, a date already past) pauses the bucket for too, as
 * rate.recovers waits it for such an answer.
 */
export function throttlePauseMs(rule: ThrottleRule, headers: Readonly<Record<string, string>>): number {
  const wait = throttleWait(rule, headers);
  return wait.tooLong ? Math.round(rule.fallbackWaitMs + WAIT_MARGIN_MS) : wait.ms;
}
