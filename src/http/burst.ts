// The burst generator for rate-limit checks: fires one request again and
// again, `concurrency` at a time, until the first refusal, the request cap,
// the time cap, the budget or an interruption.
//
// It is the one place where keyprobe's own speed matters: proving a limit of
// thousands per second needs more requests per second than the limit, and a
// Promise per request (undici's request()) cost two thirds of the throughput
// (bench/RESULTS.md). So it sits on undici's lowest-level API,
// Dispatcher.dispatch, with one small handler object per lane (a lane has one
// request in flight at a time and starts the next as its answer ends). It
// still keeps everything the checks and the report need: every request's send
// order, status and timing, the headers (and a capped body excerpt) of every
// refusal, exact budget accounting, per-request timeouts, abort on interrupt,
// the origin lock (HttpClient.prepare builds the request once, on the
// profile's origin only) and redacted error words. Bodies of accepted answers
// are not read into memory at all. It looks at throttled answers on purpose
// (they are what it looks for), so the client's throttle rule (wait them out)
// is not for its requests.
//
// The burst has its own undici Pool on the profile's origin, sized for it: at
// most `maxConnections` connections (a profile's bursts reuse one another's
// pools and their open connections, BurstPools, when the client carries
// them: a rate check's burst of a few dozen requests cost more in opening and
// closing its connections than in its requests); beyond that, GET and HEAD requests are
// pipelined (RFC 9112 §9.3.2 allows it for safe methods), so a burst that
// needs hundreds of requests in flight across a slow link does not open
// hundreds of connections. Other methods are never pipelined. When a server
// closes a connection mid-pipeline, undici writes the requests it had already
// written there again on a new one: each such write takes the budget too, and
// one the budget has no room for is not written (a run never sends more than
// its budget).
//
// Optionally the burst sizes itself from the round trip: it sends two
// requests one after the other first (the second on a warm connection) and
// asks the caller how many requests in flight that round trip needs. Those
// two also find out whether an https target speaks HTTP/2 (ALPN); if it does,
// the burst multiplexes its GET and HEAD requests as streams on one
// connection (100 per connection) instead of opening or pipelining many.
//
// Pacing (src/http/pacing.ts): a burst spends its rate-limit bucket. It does
// not take a slot per request (that would cost the speed it is here for);
// instead it sends only while it holds the bucket alone, on a fresh window:
// the runner gives every rate check such a hold, and a burst without one
// takes one itself for as long as it runs. Afterwards it tells the bucket
// what it spent (how many requests, when the last answer came back, the
// throttled answer's headers), so the next request waits its window and the
// next hold starts on a fresh one, as if every request had held a slot.
//
// Counting the accepted calls "before the throttle" (the first throttled
// answer to come back): neither order alone is right. In arrival order a
// gateway that answers 429 from memory faster than 200 from its upstream lets
// the throttle overtake accepted calls sent before it (issue 12: "after 1
// accepted call" when 6 were); in send order a server that reads many
// connections in its own order counts a later-sent call before an earlier one
// (up to 11 short of 1,000 on loopback). Counting every accepted call sent
// before the throttle came back covers both, but also takes in calls a window
// that reset while the burst's tail was in flight accepted (5,228 for a limit
// of 5,000 20 ms away). So acceptedBefore counts the accepted calls that came
// before the throttle in either order: sent before the throttled call, or
// answered before it. A call the next window accepted was sent after the
// throttled one and answered after it, so it comes after the throttle in
// both. Each order's own count is kept beside it, and so is the count of
// every accepted call sent before the throttle came back (acceptedAtMost: the
// most the closed window can have accepted, so only a count below even that
// says the limit is stricter than declared).
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { buildConnector, Pool, util, type Dispatcher } from 'undici';
import { whenAdmitted } from '../clock-waits.js';
import { BudgetExceededError, InterruptedError } from '../errors.js';
import type { ProbePoint } from '../result.js';
import type { Credential, HttpClient, HttpResponse, PreparedRequest } from './client.js';
import { flattenHeaders, timeoutWords } from './client.js';
import { describeNetworkError } from './network-errors.js';
import type { Hold } from './pacing.js';

export interface BurstOptions {
  readonly http: HttpClient;
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly credential?: Credential;
  /** Requests in flight at once (unless sized from the round trip). */
  readonly concurrency: number;
  /** Never more than this many requests (the caller keeps it within the budget). */
  readonly maxRequests: number;
  /**
   * When given, the burst first sends two requests one after the other,
   * measures their round trip (send to response headers; the faster of the
   * two, so a connection's set-up does not count) and takes its concurrency
   * and request cap from this. Both requests are part of the burst.
   */
  readonly sizeFromRoundTrip?: (roundTripMs: number) => { readonly concurrency: number; readonly maxRequests: number };
  /** Most connections the burst opens (default 64); beyond that it pipelines GET and HEAD. */
  readonly maxConnections?: number;
  /** Pipeline GET and HEAD this deep on each connection regardless (the benchmark's setting); default: only as needed. */
  readonly pipelining?: number;
  /** Stop launching after this long. */
  readonly maxDurationMs: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (sent: number, max: number) => void;
}

/** One answer (or failed request) of a burst. */
export interface BurstPoint extends ProbePoint {
  /** 1-based position in send order. */
  readonly seq: number;
  /** When it was sent, in ms since the burst started (tMs is when its answer arrived). */
  readonly sentMs: number;
}

export interface BurstRefusal {
  /**
   * 1-based position of the first throttled call in the order the limiter
   * counted them: one after the calls it accepted first (acceptedBefore + 1).
   */
  readonly call: number;
  /** 1-based position of the refused request in send order. */
  readonly seq: number;
  /** 1-based position of the refusal among the answers, in arrival order (points[arrival - 1] is it). */
  readonly arrival: number;
  /** When the first refusal came back, since the burst started. */
  readonly atMs: number;
  /** Status, every header (lower-case names) and a capped body excerpt; raw, so keep it in memory only. */
  readonly response: HttpResponse;
  /**
   * Accepted calls that came before the refusal in send order or in arrival
   * order: sent before the refused request, or answered before the refusal
   * came back (the figure the checks report and the benchmark judges).
   */
  readonly acceptedBefore: number;
  /** Accepted answers that arrived before the refusal (arrival order; low when throttles overtake accepted answers). */
  readonly acceptedArrivedBefore: number;
  /** Accepted answers to requests sent before the refused one (send order; low when the server reads its connections in its own order). */
  readonly acceptedSentBefore: number;
  /**
   * Accepted answers to every request sent before the refusal came back,
   * whenever they arrived: the most the window it closed can have accepted
   * (more than it did when a window reset while requests were in flight).
   */
  readonly acceptedAtMost: number;
  /** Requests still in flight when it arrived (launched before the generator could stop). */
  readonly inFlight: number;
}

export interface BurstResult {
  /** One point per answer (or failed request), in arrival order; tMs since the burst started. */
  readonly points: readonly BurstPoint[];
  /** Requests launched (each once, whatever undici did with it). */
  readonly sent: number;
  /**
   * Requests written again after a server closed their connection mid-pipeline
   * (each took the budget like a new request; absent: none).
   */
  readonly resent?: number;
  readonly accepted: number;
  readonly firstRefusal?: BurstRefusal;
  /** Network failures, in words, redacted (first few). */
  readonly errors: readonly string[];
  readonly errorCount: number;
  readonly durationMs: number;
  readonly stoppedBy: 'refusal' | 'max-requests' | 'time' | 'budget' | 'interrupted';
  /** Requests in flight at once, after sizing. */
  readonly concurrency: number;
  readonly connections: number;
  /** Requests in flight on one connection (1: no pipelining; with HTTP/2, streams). */
  readonly pipelining: number;
  /** The protocol of the burst's connections: HTTP/2 only when an https target offered it to a sized burst. */
  readonly protocol: 'http/1.1' | 'h2';
  /** The round trip the burst sized itself from, when it did. */
  readonly roundTripMs?: number;
  /** How long the burst waited for a fresh window of its rate-limit bucket before it began (absent: it did not wait). */
  readonly waitedForWindowMs?: number;
}

const KEPT_ERRORS = 5;
/** Bytes of a refusal's body kept (accepted answers' bodies are not kept at all). */
const REFUSAL_BODY_CAP = 2048;
export const DEFAULT_MAX_CONNECTIONS = 64;
/** Streams a burst keeps open on one HTTP/2 connection (Node's and many servers' default limit). */
export const H2_STREAMS_PER_CONNECTION = 100;

/** A pool a burst sends on, and the protocol its connections turned out to speak. */
interface PoolEntry {
  readonly pool: Pool;
  protocol: BurstResult['protocol'];
}

/**
 * The burst pools of one profile's run, kept between its bursts: a burst
 * takes the pool of its shape (connections, pipelining, HTTP/2 offered) with
 * its connections still open, and gives it back when it ended cleanly
 * (answered or refused, nothing in flight, no network failure); any other
 * ending destroys it. The runner closes them when the profile is done.
 */
export class BurstPools {
  private readonly idle = new Map<string, PoolEntry[]>();
  private closed = false;

  take(shape: string): PoolEntry | undefined {
    return this.idle.get(shape)?.pop();
  }

  give(shape: string, entry: PoolEntry): void {
    if (this.closed) {
      void entry.pool.destroy().catch(() => undefined);
      return;
    }
    const list = this.idle.get(shape) ?? [];
    list.push(entry);
    this.idle.set(shape, list);
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(all.map((e) => e.pool.close().catch(() => undefined)));
  }
}

export async function runBurst(o: BurstOptions): Promise<BurstResult> {
  const request = o.http.prepare({
    label: o.label,
    method: o.method,
    path: o.path,
    body: o.body,
    headers: o.headers,
    ...(o.credential ? { credential: o.credential } : {}),
  });
  const bucket = o.http.bucketFor(o.credential);
  // In a big run the scheduler lets a few bursts run at once, and only while keyprobe keeps time (src/runner/slots.ts).
  if (!bucket) return whenAdmitted(o.signal ?? o.http.signal, () => new Burst(o, request).run());
  // Inside the runner's hold the bucket is already ours, on a fresh window.
  // Without one, hold it for the burst's length (which waits for a fresh
  // window and for everything of the bucket in flight to answer).
  let own: Hold | undefined;
  if (!bucket.held) {
    try {
      own = await bucket.pacer.hold(o.signal ?? o.http.signal);
    } catch (err) {
      // Interrupted while waiting: the burst below sees the signal and sends nothing.
      if (!(err instanceof InterruptedError)) throw err;
    }
  }
  let burst = undefined as Burst | undefined;
  try {
    // Made once admitted: a burst's clock (t0, its time cap) starts when it may send.
    const result = await whenAdmitted(o.signal ?? o.http.signal, () => {
      burst = new Burst(o, request);
      return burst.run();
    });
    return own && own.waitedMs >= 1 ? { ...result, waitedForWindowMs: round(own.waitedMs) } : result;
  } finally {
    const spent = burst?.spent();
    if (spent) o.http.burstSpent(bucket.pacer, spent);
    own?.release();
  }
}

/** What a burst spent of its rate-limit bucket, for HttpClient.burstSpent. */
export interface BurstSpent {
  /** Requests written (the budget they took). */
  readonly requests: number;
  /** performance.now() when the last answer (or failure) came back. */
  readonly lastAnswerAt: number;
  /** The last refusal: when it came back (performance.now()), its status and headers. */
  readonly refusal?: { readonly at: number; readonly status: number; readonly headers: Readonly<Record<string, string>> };
}

/**
 * How many connections, and how deep each is pipelined (or how many HTTP/2
 * streams each carries), for `concurrency` requests in flight.
 */
export function connectionPlan(
  concurrency: number,
  method: string,
  opts: { maxConnections?: number; pipelining?: number; h2?: boolean } = {},
): { concurrency: number; connections: number; pipelining: number } {
  const safe = method === 'GET' || method === 'HEAD';
  const maxConnections = Math.max(1, opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
  const wanted = Math.max(1, Math.floor(concurrency));
  if (safe && opts.h2) {
    const streams = Math.min(wanted, H2_STREAMS_PER_CONNECTION);
    return { concurrency: wanted, connections: Math.ceil(wanted / streams), pipelining: streams };
  }
  // undici sends a request of another method alone on its connection (it could not be retried).
  if (!safe) {
    const n = Math.min(wanted, maxConnections);
    return { concurrency: n, connections: n, pipelining: 1 };
  }
  const pipelining = Math.max(1, opts.pipelining ?? Math.ceil(wanted / maxConnections));
  return { concurrency: wanted, connections: Math.ceil(wanted / pipelining), pipelining };
}

type StopReason = BurstResult['stoppedBy'];

class Burst {
  readonly points: BurstPoint[] = [];
  readonly errors: string[] = [];
  errorCount = 0;
  sent = 0;
  /** Requests undici wrote again after their connection closed mid-pipeline. */
  resent = 0;
  accepted = 0;
  inFlight = 0;
  firstRefusal?: Omit<BurstRefusal, 'call' | 'acceptedBefore' | 'acceptedSentBefore' | 'acceptedAtMost'>;
  /** performance.now() when the first refusal came back (its atMs is rounded). */
  private refusalAt = 0;
  /** The latest refusal, for the rate-limit bucket (its headers may say how long the window stays spent). */
  private lastRefusal?: BurstSpent['refusal'];
  private lastAnswerAt?: number;
  stoppedBy?: StopReason;
  /** Lanes keep launching as their answers end; false while the pilot requests run alone. */
  relaunch = false;
  /** GET/HEAD requests of the burst proper may share a connection (never the pilots'). */
  pipelined = false;
  maxRequests: number;
  readonly t0 = performance.now();
  readonly timeoutMs: number;
  private readonly lanes: Lane[] = [];
  private dispatcher?: Dispatcher;
  /** What launch() hands undici (dispatchOptions()). */
  private options?: Dispatcher.DispatchOptions;
  /** The pools this burst sent on, each with its shape (BurstPools). */
  private readonly pools: { readonly shape: string; readonly entry: PoolEntry }[] = [];
  private onIdle?: () => void;

  constructor(
    readonly o: BurstOptions,
    readonly request: PreparedRequest,
  ) {
    this.maxRequests = Math.max(0, o.maxRequests);
    this.timeoutMs = o.http.timeoutMs;
  }

  async run(): Promise<BurstResult> {
    const signal = this.o.signal ?? this.o.http.signal;
    const onAbort = () => this.interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    // One timer for the whole burst enforces every request's timeout (undici's
    // own header and body timeouts do most of it; this also covers connecting).
    const sweep = setInterval(() => this.expireOverdue(), Math.max(10, Math.min(250, this.timeoutMs / 4)));
    let plan = connectionPlan(this.o.concurrency, this.request.method, this.o);
    let roundTripMs: number | undefined;
    try {
      if (signal?.aborted) this.stoppedBy = 'interrupted';
      if (this.o.sizeFromRoundTrip && !this.stoppedBy) {
        // One connection, offered HTTP/2 where the origin is https.
        this.dispatcher = this.openPool(1, 1, this.request.origin.startsWith('https:'));
        roundTripMs = await this.pilot();
        if (roundTripMs !== undefined && !this.stoppedBy && !this.firstRefusal) {
          const sized = this.o.sizeFromRoundTrip(roundTripMs);
          this.maxRequests = Math.max(this.sent, sized.maxRequests);
          plan = connectionPlan(sized.concurrency, this.request.method, { ...this.o, h2: this.protocol === 'h2' });
        }
      }
      if (!this.stoppedBy && !this.firstRefusal) {
        this.dispatcher = this.openPool(plan.connections, plan.pipelining, this.protocol === 'h2');
        this.relaunch = true;
        this.pipelined = plan.pipelining > 1;
        const idle = this.whenIdle();
        for (let i = 0; i < plan.concurrency; i++) if (!this.launch(this.lane(i))) break;
        await idle;
      }
    } finally {
      clearInterval(sweep);
      signal?.removeEventListener('abort', onAbort);
      await this.releasePools();
    }
    const refusal = this.firstRefusal;
    return {
      points: this.points,
      sent: this.sent,
      ...(this.resent > 0 ? { resent: this.resent } : {}),
      accepted: this.accepted,
      ...(refusal ? { firstRefusal: { ...refusal, ...this.countBefore(refusal) } } : {}),
      errors: this.errors,
      errorCount: this.errorCount,
      durationMs: round(performance.now() - this.t0),
      stoppedBy: this.stoppedBy ?? (this.firstRefusal ? 'refusal' : 'max-requests'),
      concurrency: plan.concurrency,
      connections: plan.connections,
      pipelining: plan.pipelining,
      protocol: this.protocol,
      ...(roundTripMs !== undefined ? { roundTripMs: round(roundTripMs) } : {}),
    };
  }

  /** What the burst spent of its rate-limit bucket (undefined: it sent nothing). */
  spent(): BurstSpent | undefined {
    const requests = this.sent + this.resent;
    if (requests === 0) return undefined;
    return {
      requests,
      // Requests abandoned by an interruption have no answer: they count until now.
      lastAnswerAt: this.inFlight > 0 || this.lastAnswerAt === undefined ? performance.now() : this.lastAnswerAt,
      ...(this.lastRefusal ? { refusal: this.lastRefusal } : {}),
    };
  }

  /** HTTP/2 when any connection the burst sent on speaks it. */
  private get protocol(): BurstResult['protocol'] {
    return this.pools.some((p) => p.entry.protocol === 'h2') ? 'h2' : 'http/1.1';
  }

  /**
   * A pool on the profile's origin that trusts the run's CA and notes whether
   * its connections speak HTTP/2: the profile's idle one of this shape when
   * there is one (its connections still open), else a new one.
   */
  private openPool(connections: number, pipelining: number, allowH2: boolean): Pool {
    const shape = `${connections}x${pipelining}${allowH2 ? '+h2' : ''}`;
    const entry = this.o.http.burstPools?.take(shape) ?? this.newPool(connections, pipelining, allowH2);
    this.pools.push({ shape, entry });
    return entry.pool;
  }

  private newPool(connections: number, pipelining: number, allowH2: boolean): PoolEntry {
    const ca = this.o.http.ca;
    const connect = buildConnector({ timeout: this.timeoutMs, allowH2, ...(ca ? { ca } : {}) });
    // Set below, before any connection can open (connections open with the first request).
    let entry: PoolEntry | undefined;
    const pool = new Pool(this.request.origin, {
      connections,
      pipelining,
      keepAliveTimeout: 4_000,
      connect: (opts, callback) =>
        connect(opts, (err, socket) => {
          if (err) return callback(err, null);
          if ((socket as TLSSocket).alpnProtocol === 'h2') entry!.protocol = 'h2';
          // Only pipelined connections can have several requests to write at once.
          else if (pipelining > 1) coalesceWrites(socket!);
          callback(null, socket!);
        }),
    });
    entry = { pool, protocol: 'http/1.1' };
    return entry;
  }

  /**
   * After the burst: its pools go back to the profile's BurstPools when it
   * ended cleanly (nothing in flight, no failure, not interrupted), so the
   * next burst finds their connections open; otherwise they are destroyed,
   * which also ends anything still queued on them.
   */
  private async releasePools(): Promise<void> {
    const reusable =
      this.o.http.burstPools !== undefined && this.inFlight === 0 && this.errorCount === 0 && this.stoppedBy !== 'interrupted';
    if (reusable) for (const { shape, entry } of this.pools) this.o.http.burstPools!.give(shape, entry);
    else await Promise.all(this.pools.map((p) => p.entry.pool.destroy().catch(() => undefined)));
  }

  /** Two requests one after the other; the faster round trip (undefined when neither was answered). */
  private async pilot(): Promise<number | undefined> {
    const lane = this.lane(0);
    const times: number[] = [];
    for (let i = 0; i < 2 && !this.stoppedBy && !this.firstRefusal; i++) {
      const idle = this.whenIdle();
      if (!this.launch(lane)) break;
      await idle;
      if (lane.headersAtMs !== undefined) times.push(lane.headersAtMs - lane.sentAtMs);
    }
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  private lane(i: number): Lane {
    this.lanes[i] ??= new Lane(this);
    return this.lanes[i]!;
  }

  private whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.onIdle = resolve;
    });
  }

  /** Starts the lane's next request unless the burst is over; false when it did not. */
  launch(lane: Lane): boolean {
    if (this.stoppedBy || this.firstRefusal) return this.idleIfDone();
    if (this.sent >= this.maxRequests) return this.idleIfDone();
    const sentAtMs = performance.now() - this.t0;
    if (sentAtMs > this.o.maxDurationMs) {
      this.stoppedBy = 'time';
      return this.idleIfDone();
    }
    if (!this.takeBudget()) return this.idleIfDone();
    const seq = ++this.sent;
    this.inFlight++;
    this.o.onProgress?.(seq, this.maxRequests);
    lane.start(seq, sentAtMs);
    this.dispatcher!.dispatch(this.dispatchOptions(), lane);
    return true;
  }

  /**
   * The request as undici takes it: the same for every request of the burst
   * (undici reads it and keeps nothing of it but a reference), so it is made
   * once for the pilots and once for the burst proper, not once per request.
   */
  private dispatchOptions(): Dispatcher.DispatchOptions {
    // Non-blocking lets undici pipeline it; only ever for GET and HEAD.
    const blocking = !this.pipelined;
    if (this.options?.blocking !== blocking) {
      const r = this.request;
      this.options = {
        origin: r.origin,
        path: r.path,
        method: r.method as Dispatcher.HttpMethod,
        headers: r.headers,
        body: r.body ?? null,
        blocking,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      };
    }
    return this.options;
  }

  /**
   * undici is about to write a request again (its connection closed with it
   * written but unanswered): it takes the budget like any request; false when
   * the budget has no room, and then it is not written.
   */
  rewrite(): boolean {
    if (!this.takeBudget()) return false;
    this.resent++;
    return true;
  }

  /** One request's worth of the budget; false (and the burst stops) when it is spent. */
  private takeBudget(): boolean {
    try {
      this.o.http.budget.take();
      return true;
    } catch (err) {
      if (!(err instanceof BudgetExceededError)) throw err;
      this.stoppedBy ??= 'budget';
      return false;
    }
  }

  /** A lane's request is over: answered, or failed with `error`. */
  settled(lane: Lane, error?: Error): void {
    this.inFlight--;
    const now = performance.now();
    this.lastAnswerAt = now;
    const tMs = round(now - this.t0);
    if (error) this.failed(lane, tMs, error);
    else this.answered(lane, tMs, now);
    if (!this.relaunch) this.idleIfDone();
    else if (!error) this.launch(lane);
    // After a failure, start the next request from a fresh stack: a
    // dispatcher that fails synchronously must not recurse.
    else setImmediate(() => this.launch(lane));
  }

  private answered(lane: Lane, tMs: number, now: number): void {
    const status = lane.status;
    const ok = status >= 200 && status < 300;
    this.points.push({ tMs, status, accepted: ok, seq: lane.seq, sentMs: lane.sentAtMs });
    if (ok) {
      this.accepted++;
      return;
    }
    this.lastRefusal = { at: now, status, headers: lane.headers };
    if (this.firstRefusal) return;
    // Stop launching; the requests already in flight still land on the timeline.
    this.refusalAt = now;
    this.firstRefusal = {
      arrival: this.points.length,
      seq: lane.seq,
      atMs: tMs,
      response: {
        status,
        headers: lane.headers,
        body: Buffer.concat(lane.body).toString('utf8'),
        bodyTruncated: lane.bodyTruncated,
        durationMs: round(tMs - lane.sentAtMs),
        sentAt: this.t0 + lane.sentAtMs,
      },
      acceptedArrivedBefore: this.accepted,
      inFlight: this.inFlight,
    };
  }

  private failed(lane: Lane, tMs: number, error: Error): void {
    // Requests cut short by an interruption are not the target's failures.
    if (this.stoppedBy === 'interrupted') return;
    this.points.push({ tMs, accepted: false, seq: lane.seq, sentMs: lane.sentAtMs });
    // Nor is one the budget had no room to write again.
    if (lane.budgetRefused) return;
    this.errorCount++;
    if (this.errors.length < KEPT_ERRORS) {
      const why = lane.timedOut
        ? timeoutWords(lane.headersAtMs !== undefined, this.timeoutMs)
        : describeNetworkError(error, this.request.origin);
      this.errors.push(this.o.http.secrets.redact(`${this.o.method} ${this.o.path}: ${why}`));
    }
  }

  /** False, and wakes whoever waits for the burst once nothing is in flight. */
  private idleIfDone(): false {
    if (this.inFlight === 0 && this.onIdle) {
      const wake = this.onIdle;
      this.onIdle = undefined;
      wake();
    }
    return false;
  }

  private interrupt(): void {
    this.stoppedBy = 'interrupted';
    for (const lane of this.lanes) lane?.abort();
    // Requests still waiting for a connection have nothing to abort yet: the pool's end fails them.
    for (const { entry } of this.pools) void entry.pool.destroy().catch(() => undefined);
    this.idleIfDone();
  }

  private expireOverdue(): void {
    const now = performance.now() - this.t0;
    for (const lane of this.lanes) if (lane?.inFlight && now - lane.sentAtMs > this.timeoutMs) lane.expire();
  }

  /** The accepted calls before the first refusal, counted the ways BurstRefusal says. */
  private countBefore(refusal: {
    readonly seq: number;
    readonly arrival: number;
  }): Pick<BurstRefusal, 'call' | 'acceptedBefore' | 'acceptedSentBefore' | 'acceptedAtMost'> {
    const cameBackMs = this.refusalAt - this.t0;
    let either = 0;
    let sentBefore = 0;
    let atMost = 0;
    this.points.forEach((p, i) => {
      if (!p.accepted) return;
      const bySend = p.seq < refusal.seq;
      if (bySend) sentBefore++;
      // Points are in arrival order: the refusal is points[arrival - 1].
      if (bySend || i < refusal.arrival - 1) either++;
      if (p.sentMs < cameBackMs) atMost++;
    });
    return { call: either + 1, acceptedBefore: either, acceptedSentBefore: sentBefore, acceptedAtMost: atMost };
  }
}

/**
 * One request in flight at a time, as an undici dispatch handler. It keeps
 * only the status of an accepted answer; of a refusal, its headers and a
 * capped body excerpt.
 *
 * It is a handler of undici's first kind (onConnect, onHeaders, onData,
 * onComplete, onError: what undici's HTTP/1.1 and HTTP/2 clients call
 * themselves), not of the newer kind (onRequestStart, onResponseStart, …):
 * undici runs a newer one through an adapter that makes two objects per
 * request and turns every answer's raw headers into an object, work a burst
 * does not need for the accepted answers it never reads the headers of. A
 * refusal's raw headers go through the same undici function the adapter uses
 * (util.parseHeaders), so they come out as they did.
 */
class Lane implements Dispatcher.DispatchHandler {
  seq = 0;
  sentAtMs = 0;
  headersAtMs?: number;
  status = 0;
  headers: Record<string, string> = {};
  body: Buffer[] = [];
  bodySize = 0;
  bodyTruncated = false;
  timedOut = false;
  inFlight = false;
  /** Times undici started writing this request (more than one: written again after its connection closed). */
  writes = 0;
  /** A second write the budget had no room for: aborted before it was written. */
  budgetRefused = false;
  /** Aborts the request in flight (undici gives it with each write; it ignores a request already over). */
  private abortRequest?: (err: Error) => void;

  constructor(private readonly burst: Burst) {}

  start(seq: number, sentAtMs: number): void {
    this.seq = seq;
    this.sentAtMs = sentAtMs;
    this.headersAtMs = undefined;
    this.timedOut = false;
    this.inFlight = true;
    this.abortRequest = undefined;
    this.writes = 0;
    this.budgetRefused = false;
    // What a refusal left behind (accepted answers leave nothing).
    if (this.status >= 300) {
      this.headers = {};
      this.body = [];
      this.bodySize = 0;
      this.bodyTruncated = false;
    }
    this.status = 0;
  }

  abort(): void {
    if (this.inFlight) this.abortRequest?.(new Error('interrupted'));
  }

  expire(): void {
    this.timedOut = true;
    this.abortRequest?.(new Error('deadline'));
  }

  /** undici calls this each time it is about to write the request, a write again after a closed connection too. */
  onConnect(abort: (err?: Error) => void): void {
    this.abortRequest = abort;
    // Interrupted or overdue before undici even started it.
    if (this.timedOut) {
      abort(new Error('deadline'));
      return;
    }
    if (++this.writes > 1 && !this.burst.rewrite()) {
      this.budgetRefused = true;
      abort(new BudgetExceededError(this.burst.o.http.budget.limit));
    }
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    // 1xx answers are not the answer.
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.headersAtMs = performance.now() - this.burst.t0;
    if (statusCode < 300) return true;
    this.headers = flattenHeaders(util.parseHeaders(rawHeaders) as Record<string, string | string[] | undefined>);
    return true;
  }

  onData(chunk: Buffer): boolean {
    // Accepted answers' bodies are not kept; a refusal's up to the cap.
    if (this.status < 300) return true;
    if (this.bodySize >= REFUSAL_BODY_CAP) {
      this.bodyTruncated = true;
      return true;
    }
    const room = REFUSAL_BODY_CAP - this.bodySize;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (chunk.length > room) this.bodyTruncated = true;
    this.body.push(Buffer.from(part));
    this.bodySize += part.length;
    return true;
  }

  onComplete(): void {
    this.inFlight = false;
    this.burst.settled(this);
  }

  onError(err: Error): void {
    this.inFlight = false;
    this.burst.settled(this, err);
  }
}

/**
 * Requests written to one HTTP/1.1 connection in the same tick leave in one
 * write: answers arrive in batches, each starts its lane's next request, and
 * undici writes each request on its own. One syscall and one TCP segment per
 * request was a third of the burst's CPU time (the same batching Nagle's
 * algorithm would do, without its delay).
 */
function coalesceWrites(socket: Socket): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let corked = false;
  socket.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    return write(...args);
  }) as Socket['write'];
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
