// The burst generator for rate-limit checks: fires one request again and
// again, `concurrency` at a time (p-limit over the client's undici Agent, so
// at most that many connections), until the first refusal, the request cap,
// or the time cap. It goes through the one HttpClient, so origin lock,
// budget, timeouts and redaction hold here too; it keeps no per-request
// evidence (a burst would drown the report) but a timeline of every request.
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
  /** 1-based position of the refusal among the answers, in arrival order. */
  readonly call: number;
  readonly atMs: number;
  readonly response: HttpResponse;
  /** Accepted answers that arrived before it. */
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
  let firstRefusal: BurstRefusal | undefined;
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
      });
      const tMs = round(performance.now() - t0);
      const ok = res.status >= 200 && res.status < 300;
      points.push({ tMs, status: res.status, accepted: ok });
      if (ok) accepted++;
      else if (!firstRefusal) {
        // Stop launching; the requests already in flight still land on the timeline.
        firstRefusal = { call: points.length, atMs: tMs, response: res, acceptedBefore: accepted, inFlight: inFlight - 1 };
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
  return {
    points,
    sent,
    accepted,
    ...(firstRefusal ? { firstRefusal } : {}),
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
