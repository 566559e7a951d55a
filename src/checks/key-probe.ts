// Probing one key for the lifecycle and isolation checks: send the probe
// request with a given secret and sort the answer into accepted / rejected /
// throttled. A throttled answer says nothing about the key's state, so it is
// never counted as a rejection: by default the HTTP client waits it out and
// asks again (the throttle rule, src/http/throttle.ts), and a probe that stays
// throttled comes back as `throttled`; polling loops that keep their own
// cadence observe throttled answers instead and count them apart.
import type { Profile } from '../config/profile-schema.js';
import { CheckError, InterruptedError, ThrottledError } from '../errors.js';
import { clockWait } from '../clock-waits.js';
import type { HttpResponse } from '../http/client.js';
import { isThrottled } from '../http/throttle.js';
import type { CheckContext, CheckOutcome } from './check.js';
import { asList, matchesExpected, statusText } from './describe.js';
import { softRefusal } from './soft-refusal.js';

export type ProbeKind = 'accepted' | 'rejected' | 'throttled' | 'other' | 'error';

export interface ProbeResult {
  readonly kind: ProbeKind;
  readonly status?: number;
  /** performance.now() when the request was sent. */
  readonly sentAt: number;
  readonly response?: HttpResponse;
  readonly error?: string;
  /**
   * Why an answer with an accepting status reads as a refusal (soft-refusal.ts),
   * redacted: such a probe is of kind 'other', neither accepted nor rejected.
   */
  readonly softRefusal?: string;
}

/** A probe's answer in words: its status ("401 Unauthorized"), else why it had none; "no probe" where none was sent. */
export function answerWords(r: ProbeResult | undefined): string {
  if (!r) return 'no probe';
  if (r.status !== undefined && r.softRefusal) return softRefusalWords(r.status, r.softRefusal);
  return r.status !== undefined ? statusText(r.status) : (r.error ?? r.kind);
}

/** "200 OK with a body that reads as a refusal ("ok": false, "error": "token_revoked")". */
export function softRefusalWords(status: number, said: string): string {
  return `${statusText(status)} with a body that reads as a refusal (${said})`;
}

/** Requests kept back from every check's probing, so cleanup (delete a canary, re-enable a key) can always be sent. */
export const CLEANUP_RESERVE = 10;

export function budgetLeft(ctx: CheckContext): number {
  return ctx.http.budget.remaining - CLEANUP_RESERVE;
}

/**
 * A destructive check acts on a key (creates, disables) only while the budget
 * can still pay for undoing it; otherwise a small budget would strand a canary
 * or leave a key disabled. Returns the `error` outcome to give instead.
 */
export function budgetTooSmallToUndo(ctx: CheckContext): CheckOutcome | undefined {
  if (budgetLeft(ctx) >= 1) return undefined;
  const { limit, remaining } = ctx.http.budget;
  return {
    verdict: 'error',
    message: `the request budget of ${limit} requests has ${remaining} left, and keyprobe keeps ${CLEANUP_RESERVE} back so it can always undo a change to a key (delete a canary, re-enable a key); raise target.budget (or --budget) to verify this check`,
  };
}

/** The request lifecycle probes use: lifecycle.probe, else the first allowed GET, else the first allowed resource. */
export function lifecycleProbe(profile: Profile): {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  expect?: readonly number[];
} {
  if (profile.lifecycle?.probe) return profile.lifecycle.probe;
  const r = profile.allowed.find((a) => a.method === 'GET') ?? profile.allowed[0]!;
  return { method: r.method, path: r.path, body: r.body, headers: r.headers, expect: asList(r.expect) };
}

/** The statuses that mean "throttled": the declared ones, and 429 always. */
export function throttleStatuses(profile: Profile): number[] {
  return [...new Set([...(profile.rateLimit?.statuses ?? []), 429])];
}

export function classify(profile: Profile, status: number, expect?: readonly number[]): ProbeKind {
  if (matchesExpected(status, expect)) return 'accepted';
  if (profile.rejection.statuses.includes(status)) return 'rejected';
  if (throttleStatuses(profile).includes(status)) return 'throttled';
  return 'other';
}

type ProbeRequest = ReturnType<typeof lifecycleProbe>;

export interface ProbeOptions {
  readonly label: string;
  /** Default: the lifecycle probe (lifecycleProbe). */
  readonly resource?: ProbeRequest;
  readonly freshConnection?: boolean;
  readonly record?: boolean;
  /** Keep an unrecorded probe as evidence after all when its answer passes this (SendOptions.recordIf). */
  readonly recordIf?: (response: HttpResponse) => boolean;
  /** `wait` (default): throttles are waited out first; `observe`: a throttled answer comes back at once, as `throttled`. */
  readonly throttle?: 'wait' | 'observe';
}

/**
 * One probe with `secret`. A network failure is a result of kind 'error', an
 * answer that stayed throttled one of kind 'throttled' (with the error's
 * words); an interruption is thrown.
 */
export async function probeKey(ctx: CheckContext, secret: string, opts: ProbeOptions): Promise<ProbeResult> {
  const p = opts.resource ?? lifecycleProbe(ctx.profile);
  const sentAt = performance.now();
  try {
    const res = await ctx.http.send({
      label: opts.label,
      method: p.method,
      path: p.path,
      body: p.body,
      headers: p.headers,
      credential: { kind: 'key', secret },
      freshConnection: opts.freshConnection,
      record: opts.record,
      ...(opts.recordIf ? { recordIf: opts.recordIf } : {}),
      throttle: opts.throttle ?? 'wait',
    });
    // An observed answer is a throttle by the client's rule, which reads its headers: a declared throttling
    // status that is also a refusal (Tyk's 403) throttles only with Retry-After, which classify cannot see.
    const kind = isThrottled(ctx.http.throttleRule, res.status, res.headers) ? 'throttled' : classify(ctx.profile, res.status, p.expect);
    // A 2xx whose body says "refused" (Slack's ok: false) shows neither that the key works nor that it is
    // refused as the profile declares: the lifecycle checks cannot tell, so it is neither (docs/verdicts.md).
    const soft = kind === 'accepted' ? softRefusal(res) : undefined;
    // The moment the answered request left (after any pacing or throttle wait) is what a latency is measured from.
    if (soft) return { kind: 'other', status: res.status, sentAt: res.sentAt, response: res, softRefusal: ctx.secrets.redact(soft) };
    return { kind, status: res.status, sentAt: res.sentAt, response: res };
  } catch (err) {
    if (err instanceof InterruptedError || !(err instanceof CheckError)) throw err;
    if (err instanceof ThrottledError) return { kind: 'throttled', status: err.status, sentAt, error: err.message };
    return { kind: 'error', sentAt, error: err.message };
  }
}

/**
 * A probe whose answer is about the key, never about the pace: the HTTP client
 * waits throttles out for every request now, so this is probeKey; the name is
 * kept for the lifecycle checks that call it (`_tries` is the client's rule's).
 */
export function probeSettled(ctx: CheckContext, secret: string, opts: ProbeOptions, _tries?: number): Promise<ProbeResult> {
  return probeKey(ctx, secret, { ...opts, throttle: 'wait' });
}

/** Resolves after `ms`; throws InterruptedError if the run is interrupted meanwhile. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  // A long sleep lends the profile's concurrency slot to another profile (src/clock-waits.ts).
  return clockWait(
    signal,
    ms,
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new InterruptedError(String(signal.reason ?? 'abort')));
      const onAbort = () => {
        clearTimeout(timer);
        reject(new InterruptedError(String(signal.reason ?? 'abort')));
      };
      const timer = setTimeout(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal.addEventListener('abort', onAbort, { once: true });
    }),
  );
}

/** Sleeps until performance.now() reaches `at`. */
export function sleepUntil(at: number, signal: AbortSignal): Promise<void> {
  return sleep(at - performance.now(), signal);
}

export function ms(n: number): number {
  return Math.round(n * 10) / 10;
}
