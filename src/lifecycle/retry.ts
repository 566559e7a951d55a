// Retries of lifecycle actions. A management API may throttle (429, or 503
// with Retry-After), shed load, or drop a connection — on a shared CI runner
// another job may be spending the same per-address limit. keyprobe then
// waits (Retry-After when the answer gives one, else exponential backoff with
// jitter) and tries again, within a bounded number of tries and a bounded
// total time, and records every try.
//
// Throttles are waited out in one place only. For disable, enable and delete
// the HTTP client waits them out (the throttle rule, src/http/throttle.ts),
// within these same bounds (HttpClient.send's throttleLimits); one still
// throttled comes back as ThrottledError and ends the action, never retried
// here on top. Create and rotate look at a throttled answer themselves
// (`throttle: 'observe'`): only after it was searched can keyprobe tell
// whether it holds a key, so the retry is decided here (retryableAnswer).
//
// Which failures may be retried depends on the action (see retryableAnswer
// and retryableNoAnswer):
//
// - disable, enable and delete are idempotent: doing one twice leaves the key
//   as doing it once. They are retried on 429, 502, 503 and 504 and on any
//   transient network failure, even one after which the request may have
//   arrived (a delete that arrived answers the retry 404: "already gone").
// - create and rotate are not: each success mints a new secret, and a second
//   one would be a live key keyprobe does not know to delete. They are
//   retried only where the platform cannot have acted: the connection was
//   never made (nothing was sent), or the answer is a refusal given before
//   the request is handled — 429, or 503 with Retry-After (a deliberate
//   "come back later") — and holds no key. A 503 without Retry-After (often a
//   gateway whose upstream reset mid-request), a 502 or 504, a timeout, or a
//   connection dropped after the request was sent may follow a create the
//   platform finished: never retried; the action fails and says a key may
//   exist.
import { clockWait } from '../clock-waits.js';
import { InterruptedError } from '../errors.js';
import type { LifecycleAttempt } from '../result.js';
import type { LifecycleAction } from './types.js';

export interface RetryPolicy {
  /** Most tries of one action, the first included. */
  readonly attempts: number;
  /** Most time, in ms, from the first try to the start of the last. */
  readonly maxMs: number;
}

/** Without Retry-After, waits grow 250 ms, 500 ms, 1 s, 2 s, 4 s… (each between half and all of that), never beyond this. */
const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 4000;

/** "Equal jitter": half the exponential step, plus a random part of the other half, so parallel runs do not retry in step. */
export function backoffMs(triesSoFar: number, random: () => number = Math.random): number {
  const step = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (triesSoFar - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}

const IDEMPOTENT: ReadonlySet<LifecycleAction> = new Set(['disable', 'enable', 'delete']);

export function isIdempotent(action: LifecycleAction): boolean {
  return IDEMPOTENT.has(action);
}

/**
 * Whether an HTTP answer that is not a success may be retried. `heldKey`:
 * the answer held an id or a secret-looking value, so a create or rotate did
 * happen whatever the status says.
 */
export function retryableAnswer(action: LifecycleAction, status: number, hasRetryAfter: boolean, heldKey: boolean): boolean {
  if (isIdempotent(action)) return status === 429 || status === 502 || status === 503 || status === 504;
  return !heldKey && (status === 429 || (status === 503 && hasRetryAfter));
}

/** Whether a request that got no answer may be retried. */
export function retryableNoAnswer(action: LifecycleAction, failure: { transient: boolean; mayHaveArrived: boolean }): boolean {
  return failure.transient && (isIdempotent(action) || !failure.mayHaveArrived);
}

/** One try, as the adapter saw it. */
export interface Try<T> {
  readonly result: T;
  /** Throttled answers the HTTP client waited out within this try, before `attempt` (recorded as tries of their own). */
  readonly waitedOut?: readonly LifecycleAttempt[];
  /** What is recorded of this try. */
  readonly attempt: LifecycleAttempt;
  /** Set when it may be tried again: why (fits "still … after N attempts"), and the wait the answer asked for. */
  readonly retry?: { readonly why: string; readonly retryAfterSeconds?: number };
}

export interface Tried<T> {
  /** The last try's result. */
  readonly result: T;
  readonly attempts: readonly LifecycleAttempt[];
  /** Set when the last try asked for another that keyprobe would not make: why not. */
  readonly gaveUp?: string;
}

/** When the last wait of an action that started at `started` must have ended (performance.now() ms), and what that limit is called. */
export function retryEnd(limits: RetryLimits, started: number): { end: number; name: string } {
  const policyEnd = started + limits.policy.maxMs;
  const end = Math.min(policyEnd, limits.deadline ?? Number.POSITIVE_INFINITY);
  return {
    end,
    name:
      end === policyEnd
        ? `the time keyprobe gives one lifecycle action (lifecycle.retry.maxSeconds: ${seconds(limits.policy.maxMs)})`
        : (limits.deadlineName ?? 'the time this action may take'),
  };
}

export interface RetryLimits {
  readonly policy: RetryPolicy;
  /** Waits end at once when this aborts (the run's Ctrl-C, or a cleanup copy's own time limit). */
  readonly signal: AbortSignal;
  /** A hard end in performance.now() ms (a cleanup copy's time limit), on top of the policy's. */
  readonly deadline?: number;
  /** How to name the deadline's source in a message. */
  readonly deadlineName?: string;
}

/**
 * Runs `once` until it needs no retry, the tries or the time run out, or the
 * signal aborts (InterruptedError). A wait that would end after the time
 * allowed is not started: the action fails at once, saying so.
 */
export async function withRetries<T>(limits: RetryLimits, once: (tryNumber: number) => Promise<Try<T>>): Promise<Tried<T>> {
  const { end, name: endName } = retryEnd(limits, performance.now());
  const attempts: LifecycleAttempt[] = [];
  for (let n = 1; ; n++) {
    const t = await once(n);
    attempts.push(...(t.waitedOut ?? []), t.attempt);
    if (!t.retry) return { result: t.result, attempts };
    // Tries the client made while waiting throttles out count too: lifecycle.retry.attempts bounds them all.
    if (attempts.length >= limits.policy.attempts)
      return { result: t.result, attempts, gaveUp: `still ${t.retry.why} after ${attempts.length} attempts` };
    const asked = t.retry.retryAfterSeconds;
    const waitMs = asked !== undefined ? Math.max(0, Math.round(asked * 1000)) : backoffMs(n);
    const leftMs = end - performance.now();
    if (waitMs > leftMs) {
      const what =
        asked !== undefined ? `the management API asked to wait ${seconds(waitMs)} s (Retry-After)` : `a further wait of ${waitMs} ms`;
      return {
        result: t.result,
        attempts,
        gaveUp: `${t.retry.why}; ${what}, more than the ${seconds(Math.max(0, leftMs))} s left of ${endName}`,
      };
    }
    attempts[attempts.length - 1] = { ...t.attempt, waitMs };
    await clockWait(limits.signal, waitMs, sleep(waitMs, limits.signal));
  }
}

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

/** Waits, or rejects with InterruptedError the moment the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new InterruptedError(String(signal.reason ?? 'abort')));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError(String(signal.reason ?? 'abort')));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
