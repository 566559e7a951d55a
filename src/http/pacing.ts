// Pacing: keeps the requests that one rate limiter counts (a bucket: one key's
// requests on a per-key limiter; every request to the origin on a per-client
// or global one) below the declared limit, so a healthy platform never has to
// throttle keyprobe in the first place. A Pacer is one bucket; every client
// of the run that sends into that bucket shares it (src/runner/pacing-plan.ts
// decides which requests go into which bucket).
//
// The rule: at most `perWindow` requests in any window. A request occupies its
// slot from the moment it is sent until one window after its answer came
// back; the platform saw it somewhere in between, so however the platform
// cuts its windows (fixed from the first request, sliding, token bucket), no
// window of its holds more than `perWindow` of ours. Answers that say the
// window is used up (RateLimit r=0, X-RateLimit-Remaining: 0, a throttled
// answer's Retry-After) pause the bucket until the time they name.
//
// A rate check that bursts takes a `hold`: it waits until nothing of the
// bucket is in flight and a whole window has passed since the last answer
// (so the burst starts on a fresh window), then only the holder's requests
// are sent — unpaced — until it lets go. Afterwards the burst's own requests
// occupy their slots like any others, so the next request waits its window.
// The burst generator (src/http/burst.ts) sends around slots altogether,
// inside a hold, and says afterwards what it spent (`spent`): its requests then
// occupy the window as if each had held a slot until the burst's last answer.
import { clockWait } from '../clock-waits.js';
import { InterruptedError } from '../errors.js';
import { parseRateLimitHeaders } from './rate-limit-headers.js';
import { longestWaitMs } from './throttle.js';

export interface PacerSpec {
  /** Requests allowed in any window: below the declared limit, for headroom. */
  readonly perWindow: number;
  readonly windowMs: number;
  /** What the bucket is, for notes, e.g. "the key's requests to https://api.example.com". */
  readonly label: string;
}

export interface Slot {
  /** Call once the answer (or failure) is in; its headers may pause the bucket. */
  release(headers?: Readonly<Record<string, string>>): void;
}

export interface Hold {
  /** Pass to HttpClient (fork({ hold })) so the holder's requests go through. */
  readonly token: object;
  /** How long the hold waited for a fresh window. */
  readonly waitedMs: number;
  release(): void;
}

export interface PacerStats {
  /** Requests held back, and for how long in all. */
  readonly delayed: number;
  readonly delayedMs: number;
  /** Holds taken (bursts), and how long they waited for a fresh window in all. */
  readonly holds: number;
  readonly holdWaitMs: number;
  /** Requests holders sent without a slot each (bursts), reported afterwards. */
  readonly unpaced: number;
}

/** Added to "one window after the last answer", for clock granularity on both ends. */
export const FRESH_WINDOW_MARGIN_MS = 100;

export class Pacer {
  private inFlight = 0;
  /** Answer times of finished requests still inside their window, oldest first. */
  private done: number[] = [];
  private lastDone = Number.NEGATIVE_INFINITY;
  private pausedUntil = 0;
  private holder: object | undefined;
  private holdsWaiting = 0;
  private holdChain: Promise<void> = Promise.resolve();
  private wakers = new Set<() => void>();
  private counters = { delayed: 0, delayedMs: 0, holds: 0, holdWaitMs: 0, unpaced: 0 };

  constructor(readonly spec: PacerSpec) {}

  get stats(): PacerStats {
    return { ...this.counters };
  }

  /** Waits for a slot (the holder's requests never wait), then counts the request as sent. */
  async acquire(signal?: AbortSignal, hold?: object): Promise<Slot> {
    if (!(hold !== undefined && hold === this.holder)) {
      const t0 = performance.now();
      for (;;) {
        checkAborted(signal);
        const now = performance.now();
        const blocked = this.holder !== undefined || this.holdsWaiting > 0;
        const at = blocked ? Number.POSITIVE_INFINITY : this.nextFreeAt(now);
        if (at <= now) break;
        await this.waitForChange(at - now, signal);
      }
      const waited = performance.now() - t0;
      if (waited >= 1) {
        this.counters.delayed++;
        this.counters.delayedMs += waited;
      }
    }
    this.inFlight++;
    let released = false;
    return {
      release: (headers) => {
        if (released) return;
        released = true;
        this.inFlight--;
        const now = performance.now();
        this.done.push(now);
        this.lastDone = now;
        if (headers) this.learn(headers, now);
        this.wake();
      },
    };
  }

  /** True when `hold` is the hold on this bucket now (its holder's requests go through unpaced). */
  heldBy(hold: object | undefined): boolean {
    return hold !== undefined && hold === this.holder;
  }

  /**
   * Requests the holder sent without a slot each (the burst generator):
   * `count` of them, the last answered at `lastAnswerAt` (performance.now()).
   * They occupy the window as if each had held its slot until that last
   * answer (later than each one's own, so on the safe side), and that answer
   * is the bucket's last, so the next hold and `settle` begin a whole window
   * after it. The headers of the burst's last refusal may pause the bucket,
   * as any answer's do.
   */
  spent(count: number, lastAnswerAt: number, headers?: Readonly<Record<string, string>>): void {
    if (count <= 0) return;
    // More than perWindow entries at one time hold nothing back longer.
    const n = Math.min(count, this.spec.perWindow);
    for (let i = 0; i < n; i++) this.done.push(lastAnswerAt);
    this.done.sort((a, b) => a - b);
    this.lastDone = Math.max(this.lastDone, lastAnswerAt);
    this.counters.unpaced += count;
    if (headers) this.learn(headers, lastAnswerAt);
    this.wake();
  }

  /** The bucket says it is spent until `at` (performance.now() time). */
  pauseUntil(at: number): void {
    if (at > this.pausedUntil) {
      this.pausedUntil = at;
      this.wake();
    }
  }

  /** Exclusive use of the bucket, starting on a fresh window; one hold at a time, in order. */
  async hold(signal?: AbortSignal): Promise<Hold> {
    this.holdsWaiting++;
    const previous = this.holdChain;
    let releaseChain!: () => void;
    this.holdChain = new Promise<void>((r) => {
      releaseChain = r;
    });
    const t0 = performance.now();
    try {
      await previous;
      await this.untilFresh(signal);
    } catch (err) {
      this.holdsWaiting--;
      releaseChain();
      this.wake();
      throw err;
    }
    this.holdsWaiting--;
    const token = {};
    this.holder = token;
    const waitedMs = performance.now() - t0;
    this.counters.holds++;
    this.counters.holdWaitMs += waitedMs;
    let released = false;
    return {
      token,
      waitedMs,
      release: () => {
        if (released) return;
        released = true;
        this.holder = undefined;
        releaseChain();
        this.wake();
      },
    };
  }

  /** Waits until nothing is in flight and a whole window has passed since the last answer; returns how long that took. */
  async settle(signal?: AbortSignal): Promise<number> {
    const t0 = performance.now();
    await this.untilFresh(signal);
    return performance.now() - t0;
  }

  private async untilFresh(signal?: AbortSignal): Promise<void> {
    for (;;) {
      checkAborted(signal);
      const now = performance.now();
      if (this.inFlight === 0 && this.holder === undefined) {
        const freshAt = Math.max(this.lastDone + this.spec.windowMs + FRESH_WINDOW_MARGIN_MS, this.pausedUntil);
        if (freshAt <= now) return;
        await this.waitForChange(freshAt - now, signal);
      } else await this.waitForChange(Number.POSITIVE_INFINITY, signal);
    }
  }

  /** When the next request may be sent (now, a later time, or +Infinity: when something in flight answers). */
  private nextFreeAt(now: number): number {
    const { perWindow, windowMs } = this.spec;
    while (this.done.length > 0 && this.done[0]! + windowMs <= now) this.done.shift();
    const earliest = Math.max(now, this.pausedUntil);
    const occupied = this.inFlight + this.done.length;
    if (occupied < perWindow) return earliest;
    // The (occupied - perWindow)-th oldest answer must leave the window first.
    const k = occupied - perWindow;
    return k < this.done.length ? Math.max(earliest, this.done[k]! + windowMs) : Number.POSITIVE_INFINITY;
  }

  /**
   * A spent quota announced by the answer pauses the bucket until its reset,
   * unless that is further away than keyprobe waits out a throttle (an hourly
   * quota at 0, an X-RateLimit-Reset in milliseconds): the next request then
   * goes out, and if it is throttled the throttle rule gives `error` at once,
   * where a pause would have stalled the run in silence until the reset.
   */
  private learn(headers: Readonly<Record<string, string>>, now: number): void {
    const s = parseRateLimitHeaders(headers);
    const longestMs = longestWaitMs(this.spec.windowMs);
    const spent = [
      ...s.states.filter((st) => st.remaining === 0 && st.resetSeconds !== undefined).map((st) => st.resetSeconds!),
      ...s.legacy.filter((l) => l.remaining === 0 && l.resetSeconds !== undefined).map((l) => l.resetSeconds!),
    ].filter((seconds) => seconds * 1000 <= longestMs);
    if (spent.length > 0) this.pauseUntil(now + Math.max(...spent) * 1000 + FRESH_WINDOW_MARGIN_MS);
  }

  private wake(): void {
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const w of wakers) w();
  }

  /** Resolves on the next change (an answer, a hold let go) or after `ms`; rejects when the run is interrupted. */
  private waitForChange(ms: number, signal?: AbortSignal): Promise<void> {
    const change = new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.wakers.delete(done);
        resolve();
      };
      const onAbort = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        reject(new InterruptedError(String(signal?.reason ?? 'abort')));
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(1, Math.ceil(ms))) : undefined;
      this.wakers.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    // Waiting out a window (not an answer in flight) lends the profile's concurrency slot to another profile (src/clock-waits.ts).
    return Number.isFinite(ms) ? clockWait(signal, ms, change) : change;
  }
}

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new InterruptedError(String(signal.reason ?? 'abort'));
}
