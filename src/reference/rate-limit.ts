// Fixed-window rate limiting per bucket (normally one bucket per key) and the
// header fields that announce it (IETF httpapi-ratelimit-headers draft:
// RateLimit-Policy and RateLimit; Retry-After from RFC 9110 §10.2.3).

import type { RateLimitPolicy } from './keys.js';

export interface RateDecision {
  readonly allowed: boolean;
  readonly policy: RateLimitPolicy;
  /** Requests left in the current window after this one. */
  readonly remaining: number;
  /** Whole seconds until the window resets (at least 1 while it is open). */
  readonly resetSeconds: number;
}

interface Window {
  start: number;
  count: number;
}

export class FixedWindowLimiter {
  private readonly windows = new Map<string, Window>();

  /**
   * Counts one request against `bucket`. A throttled request does not count,
   * so a client that keeps knocking still recovers when the window ends.
   */
  take(bucket: string, policy: RateLimitPolicy, now = Date.now()): RateDecision {
    const windowMs = policy.windowSeconds * 1000;
    let window = this.windows.get(bucket);
    if (!window || now >= window.start + windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(bucket, window);
    }
    const allowed = window.count < policy.limit;
    if (allowed) window.count += 1;
    return {
      allowed,
      policy,
      remaining: Math.max(0, policy.limit - window.count),
      resetSeconds: Math.max(1, Math.ceil((window.start + windowMs - now) / 1000)),
    };
  }

  reset(): void {
    this.windows.clear();
  }
}

/** RateLimit-Policy and RateLimit, sent on every rate-limited answer. */
export function rateLimitFields(decision: RateDecision): Record<string, string> {
  return {
    'RateLimit-Policy': `"default";q=${decision.policy.limit};w=${decision.policy.windowSeconds}`,
    RateLimit: `"default";r=${decision.remaining};t=${decision.resetSeconds}`,
  };
}
