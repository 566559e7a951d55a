// The burst generator for rate-limit checks: fires one request again and
// again, `concurrency` at a time (p-limit over the client's undici Agent, so
// at most that many connections), until the first refusal, the request cap,
// or the time cap. It goes through the one HttpClient, so origin lock,
// budget, timeouts and redaction hold here too; it keeps no per-request
// evidence (a burst would drown the report) but a timeline of every request.
// It observes throttled answers on purpose (they are what it looks for), so
// it opts out of the client's throttle rule.
//
// Counts follow send order, not arrival: a gateway that answers 429 from
// memory faster than 200 from its upstream lets a throttle overtake accepted
// calls sent before it. Every call sent before the first throttle came back
// may have been counted in the window that throttle closed, so those are the
// calls "accepted before the throttle".
import pLimit from 'p-limit';
import { BudgetExceededError, CheckError, InterruptedError } from '../errors.js';
import type { ProbePoint } from '../result.js';
import type { Credential, HttpClient, HttpResponse } from './client.js';

export interface BurstOptions {
  readonly http: HttpClient;
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly credential?: Credential;
  readonly concurrency: number;
  /** Never more than this many requests (the caller keeps it within the budget). */
  readonly maxRequests: number;
  /** Stop launching after this long. */
  readonly maxDurationMs: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (sent: number, max: number) => void;
}

export interface BurstRefusal {
  /**
   * 1-based position of the first throttled call in the order the limiter
   * counted them: one after the calls it accepted first (acceptedBefore + 1).
   */
  readonly call: number;
  /** When the first refusal came back, since the burst started. */
  readonly atMs: number;
  readonly response: HttpResponse;
  /** Accepted calls sent before the first refusal came back, whenever their own answers arrived. */
  readonly acceptedBefore: number;
  /** Requests still in flight when it arrived (launched before the generator could stop). */
  readonly inFlight: number;
}

export interface BurstResult {
  /** One point per answer (or failed request), in arrival order; tMs since the burst started. */
  readonly points: readonly ProbePoint[];
  readonly sent: number;
  readonly accepted: number;
  readonly firstRefusal?: BurstRefusal;
  /** Network failures, in words (first few). */
  readonly errors: readonly string[];
  readonly errorCount: number;
  readonly durationMs: number;
  readonly stoppedBy: 'refusal' | 'max-requests' | 'time' | 'budget' | 'interrupted';
}

const KEPT_ERRORS = 5;

export async function runBurst(o: BurstOptions): Promise<BurstResult> {
  const limit = pLimit(Math.max(1, o.concurrency));
  const points: ProbePoint[] = [];
  const errors: string[] = [];
  let errorCount = 0;
  let sent = 0;
  let inFlight = 0;
  let accepted = 0;
  let firstRefusal: Omit<BurstRefusal, 'call' | 'acceptedBefore'> | undefined;
  /** When each accepted call was sent (after any queueing in the client), since the burst started. */
  const acceptedSentMs: number[] = [];
  let stoppedBy: BurstResult['stoppedBy'] | undefined;
  const t0 = performance.now();

  const one = async (): Promise<void> => {
    if (stoppedBy) return;
    if (o.signal?.aborted) {
      stoppedBy = 'interrupted';
      return;
    }
    if (performance.now() - t0 > o.maxDurationMs) {
      stoppedBy = 'time';
      return;
    }
    sent++;
    inFlight++;
    o.onProgress?.(sent, o.maxRequests);
    try {
      const res = await o.http.send({
        label: o.label,
        method: o.method,
        path: o.path,
        body: o.body,
        headers: o.headers,
        credential: o.credential,
        record: false,
        throttle: 'observe',
      });
      const tMs = round(performance.now() - t0);
      const ok = res.status >= 200 && res.status < 300;
      points.push({ tMs, status: res.status, accepted: ok });
      if (ok) {
        accepted++;
        acceptedSentMs.push(res.sentAt - t0);
      } else if (!firstRefusal) {
        // Stop launching; the requests already in flight still land on the timeline.
        firstRefusal = { atMs: tMs, response: res, inFlight: inFlight - 1 };
        stoppedBy ??= 'refusal';
      }
    } catch (err) {
      if (err instanceof BudgetExceededError) {
        sent--;
        stoppedBy ??= 'budget';
      } else if (err instanceof InterruptedError) {
        stoppedBy = 'interrupted';
      } else if (err instanceof CheckError) {
        errorCount++;
        if (errors.length < KEPT_ERRORS) errors.push(err.message);
        points.push({ tMs: round(performance.now() - t0), accepted: false });
      } else throw err;
    } finally {
      inFlight--;
    }
  };

  await Promise.all(Array.from({ length: Math.max(0, o.maxRequests) }, () => limit(one)));
  const refusal = firstRefusal;
  const acceptedBefore = refusal ? acceptedSentMs.filter((sentMs) => sentMs < refusal.atMs).length : 0;
  return {
    points,
    sent,
    accepted,
    ...(refusal ? { firstRefusal: { ...refusal, acceptedBefore, call: acceptedBefore + 1 } } : {}),
    errors,
    errorCount,
    durationMs: round(performance.now() - t0),
    stoppedBy: stoppedBy ?? 'max-requests',
  };
}

/** The most accepted answers that arrived within any span of `windowMs`: did the burst really exceed the rate? */
export function maxAcceptedInWindow(points: readonly ProbePoint[], windowMs: number): number {
  const times = points
    .filter((p) => p.accepted)
    .map((p) => p.tMs)
    .sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
