// Fixed-window rate limiting per bucket (normally one bucket per key; per
// client address under the client-rate-limit and throttled-admin behaviours)
// and the header fields that announce it (IETF httpapi-ratelimit-headers
// draft: RateLimit-Policy and RateLimit; Retry-After from RFC 9110 §10.2.3).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, type Headers } from './http-util.js';
import type { RateLimitPolicy } from './keys.js';
import type { TargetState } from './state.js';

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

/**
 * Answers a throttled request: 429 (or the rate-limit-status fault's status),
 * with Retry-After (unless the no-retry-after fault is on) and the RateLimit fields.
 */
export function sendThrottled(res: ServerResponse, state: TargetState, decision: RateDecision, counted = true): void {
  const { faults } = state;
  // Management requests are not counted in the stats (see stats.ts).
  if (counted) state.stats.throttledRequest();
  const headers: Headers = rateLimitFields(decision);
  if (!faults.has('no-retry-after')) headers['Retry-After'] = String(decision.resetSeconds);
  const status = faults.get('rate-limit-status') ?? 429;
  const { limit, windowSeconds } = decision.policy;
  sendError(res, status, 'rate_limited', `Too many requests: ${limit} per ${windowSeconds} s.`, headers, {
    retryAfterSeconds: decision.resetSeconds,
  });
}

function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * The client-rate-limit behaviour: one bucket per client address that every
 * request spends, before anything else looks at it. Undefined when the
 * behaviour is off (or the no-rate-limit fault switches all limiting off).
 */
export function takeClientLimit(req: IncomingMessage, state: TargetState): RateDecision | undefined {
  const limit = state.behaviours.get('client-rate-limit');
  if (limit === undefined || state.faults.has('no-rate-limit')) return undefined;
  return state.limiter.take(`client:${clientAddress(req)}`, { limit, windowSeconds: 1 });
}

/** The throttled-admin behaviour: the management API's own per-address bucket. Undefined when off. */
export function takeAdminLimit(req: IncomingMessage, state: TargetState): RateDecision | undefined {
  const limit = state.behaviours.get('throttled-admin');
  if (limit === undefined) return undefined;
  return state.limiter.take(`admin:${clientAddress(req)}`, { limit, windowSeconds: 1 });
}
