// The one HTTP client every check uses. It sends only to the profile's origin,
// never follows redirects (so a credential cannot be carried to another
// origin), counts every request against the profile's budget, times every
// request out, reads at most a capped excerpt of each body, and records each
// exchange as redacted evidence. It also keeps the two rate-limit rules for
// every request: pacing (a request waits for a slot in the rate-limit bucket
// it counts against, src/http/pacing.ts) and the throttle rule (an answer that
// says "slow down" is waited out and asked again, never handed to a check to
// judge, src/http/throttle.ts).
import { Agent, type Dispatcher } from 'undici';
import { clockWait } from '../clock-waits.js';
import { visibleHeaderText, withoutInvisible } from './body-text.js';
import { BudgetExceededError, CheckError, InterruptedError, NoAnswerError, ThrottledError } from '../errors.js';
import type { Exchange } from '../result.js';
import type { SecretRegistry } from '../secrets.js';
import type { BurstPools, BurstSpent } from './burst.js';
import { CappedRequest } from './capped-request.js';
import { evidenceHeaderValue } from './credential-headers.js';
import { curlLine } from './curl.js';
import { classifyNetworkError, describeNetworkError, isMalformedAnswer } from './network-errors.js';
import type { Pacer, Slot } from './pacing.js';
import {
  DEFAULT_THROTTLE_RULE,
  isThrottled,
  throttlePauseMs,
  throttleStatusText,
  throttleWait,
  ThrottleStreak,
  type ThrottleRule,
} from './throttle.js';

/** How a request carries a credential. */
export type Credential =
  | { readonly kind: 'none' }
  /** A key placed the way the profile's target expects (header + scheme, or query parameter). */
  | { readonly kind: 'key'; readonly secret: string }
  /** A raw header, e.g. a wrong scheme. */
  | { readonly kind: 'header'; readonly name: string; readonly value: string }
  /** A raw query parameter. */
  | { readonly kind: 'query'; readonly name: string; readonly value: string };

export type AuthPlacement = { readonly header: string; readonly scheme: string } | { readonly query: string };

/** A request as it will go on the wire, for a signer to sign. */
export interface RequestToSign {
  readonly method: string;
  readonly url: URL;
  /** Lower-case names: every header that will be sent, the credential included. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact body bytes (JSON), or undefined. */
  readonly body: string | undefined;
}

export interface SignedHeaders {
  /** Added to the request, replacing headers of the same name (e.g. authorization, x-date). */
  readonly headers: Readonly<Record<string, string>>;
  /** The values that must never be written (the signature): registered as secrets before the request is sent or recorded. */
  readonly secrets: readonly string[];
}

/**
 * Signs a request for an API that authenticates each request by a signature
 * over it (AWS SigV4, an HMAC over method, path, date and body): called once
 * per try, after the request is built and before it is sent, so a retry is
 * signed afresh. See src/http/signers.ts.
 */
export type RequestSigner = (request: RequestToSign) => SignedHeaders;

export interface SendOptions {
  /** What this request is for; shows in the evidence. */
  readonly label: string;
  readonly method: string;
  /** A path on the target's origin, starting with "/". */
  readonly path: string;
  /** Default: the profile's key. */
  readonly credential?: Credential;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Close the connection afterwards, so the next request opens a fresh one. */
  readonly freshConnection?: boolean;
  /** Keep this exchange as evidence (default true; a burst keeps only its timeline). */
  readonly record?: boolean;
  /** With `record: false`, keep the exchange after all when its answer passes this (the first refusal that says too much). */
  readonly recordIf?: (response: HttpResponse) => boolean;
  /**
   * What a throttled answer (429, a declared throttling status, 503 with
   * Retry-After) does: `wait` (default) waits it out and asks again, and
   * throws ThrottledError when it stays throttled, so no check ever judges
   * one; `observe` returns it as it is, for requests that look at throttling
   * on purpose (bursts, probes that count throttled answers apart).
   */
  readonly throttle?: 'wait' | 'observe';
  /** Bounds on waiting throttles out instead of the rule's, for a caller with its own (a lifecycle action: lifecycle.retry). */
  readonly throttleLimits?: ThrottleLimits;
  /** Signs the request (lifecycle.http.signer); its secret values are redacted from everything recorded. */
  readonly sign?: RequestSigner;
}

/** A throttled answer that was waited out: its status, the wait, and where the wait came from ("Retry-After: 1"). */
export interface WaitedOut {
  readonly status: number;
  readonly waitMs: number;
  readonly from: string;
}

export interface ThrottleLimits {
  /** Sends in all, the first included (default: the rule's). */
  readonly maxTries?: number;
  /** performance.now() ms: a wait that would end later is not started (the request gives up at once, saying so). */
  readonly until?: number;
  /** What `until` is, for that message, e.g. "the time keyprobe gives one lifecycle action (lifecycle.retry.maxSeconds: 30)". */
  readonly untilName?: string;
}

export interface HttpResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The status line's reason phrase, raw (unredacted): a server may write
   * anything there (`HTTP/1.1 401 <the key>`), so it is judged like a header
   * (src/checks/refusal-echo.ts) and never recorded: keep it in memory only.
   */
  readonly reasonPhrase?: string;
  /** The raw (unredacted) body excerpt; keep it in memory only. */
  readonly body: string;
  /**
   * Why `body` is still content-coded (src/http/content-encoding.ts: zstd, an
   * unknown coding): its text is bytes nobody can read, so no check can search
   * it (refusal-echo.ts: unsearchedBody) and the evidence shows this instead.
   */
  readonly bodyNotDecoded?: string;
  readonly bodyTruncated: boolean;
  readonly durationMs: number;
  /** performance.now() when this request was sent (after any pacing wait): the moment a probe's answer is about. */
  readonly sentAt: number;
  /** The throttled answers waited out before this one, with the waits (absent: none). */
  readonly throttled?: readonly WaitedOut[];
}

/** Counts the requests of one profile's run, across all of its checks. */
export class RequestBudget {
  private used = 0;
  constructor(readonly limit: number) {}
  take(): void {
    if (this.used >= this.limit) throw new BudgetExceededError(this.limit);
    this.used++;
  }
  get spent(): number {
    return this.used;
  }
  get remaining(): number {
    return this.limit - this.used;
  }
}

export interface HttpClientOptions {
  readonly origin: string;
  readonly auth: AuthPlacement;
  readonly primaryKey: string;
  readonly timeoutMs: number;
  readonly budget: RequestBudget;
  readonly secrets: SecretRegistry;
  readonly dispatcher: Dispatcher;
  readonly signal?: AbortSignal;
  /** Bytes of each body kept in memory (and, redacted, as evidence). */
  readonly bodyCap?: number;
  /** What counts as throttled and how long to wait; default: 429 and 503 + Retry-After, a 1 s window. */
  readonly throttle?: ThrottleRule;
  /** The rate-limit bucket a request counts against, from the secret it carries (undefined: none). */
  readonly pacing?: (secret: string | undefined) => Pacer | undefined;
  /** A hold on a bucket (Pacer.hold): this client's requests in that bucket go through unpaced. */
  readonly hold?: object;
  /** Live status, e.g. "waiting 1050 ms (Retry-After: 1)". */
  readonly progress?: (text: string) => void;
  /** Shared by a client and its forks; made by the first client when absent. */
  readonly throttleStreak?: ThrottleStreak;
  /** The CA the dispatcher trusts (--ca / target.ca), so a burst's own connection pool trusts it too. */
  readonly ca?: string | Buffer;
  /** Where a profile's bursts leave their connection pools for its next burst (absent: each burst opens and closes its own). */
  readonly burstPools?: BurstPools;
  /** Shared by a client and its forks (one profile's checks); made by the first client when absent. */
  readonly servedToKey?: Map<string, HttpResponse>;
}

/** What a fork may change besides the signal. */
export interface ForkOptions {
  readonly hold?: object;
  readonly progress?: (text: string) => void;
}

/** One request, built and checked against the origin lock once, for the burst generator to send many times. */
export interface PreparedRequest {
  readonly origin: string;
  /** Path and query. */
  readonly path: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** A GET with the profile's own key as the profile places it, and nothing else that could change the answer. */
function isPlainKeyGet(opts: SendOptions): boolean {
  return (
    opts.method.toUpperCase() === 'GET' &&
    opts.credential === undefined &&
    opts.body === undefined &&
    opts.headers === undefined &&
    opts.sign === undefined
  );
}

/** Most exchanges one check keeps as evidence; a count of the rest is kept. */
export const MAX_EVIDENCE_PER_CHECK = 60;
const EVIDENCE_BODY_CHARS = 2048;
const DEFAULT_BODY_CAP = 64 * 1024;

export class HttpClient {
  private readonly exchanges: Exchange[] = [];
  /** Which recorded exchange each response came from, so a check can mark the one it failed on. */
  private readonly recordedAs = new WeakMap<HttpResponse, number>();
  private readonly failing = new Set<number>();
  private omitted = 0;
  private readonly startedAt = performance.now();
  private readonly streak: ThrottleStreak;
  /**
   * The last 2xx answer the profile's own key got on each path, to a plain GET
   * (no body, no extra headers), by any check of the profile: what a reverse
   * check compares a refusal's body with (checks/served-data.ts) without
   * asking again. Kept only for the profile's run (its client and forks).
   */
  private readonly served: Map<string, HttpResponse>;

  constructor(private readonly options: HttpClientOptions) {
    this.streak = options.throttleStreak ?? new ThrottleStreak();
    this.served = options.servedToKey ?? new Map();
  }

  get origin(): string {
    return this.options.origin;
  }
  get budget(): RequestBudget {
    return this.options.budget;
  }
  get dispatcher(): Dispatcher {
    return this.options.dispatcher;
  }
  get primaryKey(): string {
    return this.options.primaryKey;
  }
  get throttleRule(): ThrottleRule {
    return this.options.throttle ?? DEFAULT_THROTTLE_RULE;
  }
  get timeoutMs(): number {
    return this.options.timeoutMs;
  }
  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }
  get secrets(): SecretRegistry {
    return this.options.secrets;
  }
  get ca(): string | Buffer | undefined {
    return this.options.ca;
  }
  get burstPools(): BurstPools | undefined {
    return this.options.burstPools;
  }

  /** The evidence gathered so far by this client (one client per check). */
  evidence(): { exchanges: Exchange[]; omitted: number } {
    return { exchanges: this.exchanges.map((e, i) => (this.failing.has(i) ? { ...e, failing: true } : e)), omitted: this.omitted };
  }

  /** Marks the exchange a response came from as one the check failed on (reports open it); unrecorded responses are ignored. */
  markFailing(res: HttpResponse): void {
    const i = this.recordedAs.get(res);
    if (i !== undefined) this.failing.add(i);
  }

  /** The index in evidence() of the exchange a response came from (a finding links to it); undefined when it was not recorded. */
  exchangeIndexOf(res: HttpResponse): number | undefined {
    return this.recordedAs.get(res);
  }

  /** A client for another check, sharing origin, budget, pacing and connections but not evidence. */
  fork(signal?: AbortSignal, extra: ForkOptions = {}): HttpClient {
    return new HttpClient({
      ...this.options,
      ...extra,
      signal: signal ?? this.options.signal,
      throttleStreak: this.streak,
      servedToKey: this.served,
    });
  }

  /** The last 2xx answer the profile's own key got to a plain GET of `path` in this profile's run, if any. */
  servedToKey(path: string): HttpResponse | undefined {
    return this.served.get(path);
  }

  /**
   * Builds a request once for the burst generator, under the same rules as
   * send(): only a path on the profile's origin, the credential placed as the
   * profile says. Budget, timeouts and interruption are the sender's job.
   */
  prepare(opts: SendOptions): PreparedRequest {
    const { parsed: u, headers } = this.buildChecked(opts);
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    return {
      origin: this.options.origin,
      path: u.pathname + u.search,
      method: opts.method,
      headers,
      ...(body !== undefined ? { body } : {}),
    };
  }

  /**
   * Sends one request, paced, and waits throttled answers out (see
   * SendOptions.throttle). Network failures throw a CheckError that says
   * what happened; an answer still throttled after the rule's tries throws
   * ThrottledError.
   */
  async send(opts: SendOptions): Promise<HttpResponse> {
    const rule = this.throttleRule;
    const limits = opts.throttleLimits;
    const maxTries = limits?.maxTries ?? rule.maxTries;
    const waited: WaitedOut[] = [];
    for (let tries = 1; ; tries++) {
      const res = await this.sendOnce(opts);
      const throttled = isThrottled(rule, res.status, res.headers);
      if (!throttled) this.streak.end();
      if (res.status >= 200 && res.status < 300 && isPlainKeyGet(opts)) this.served.set(opts.path, res);
      if (opts.throttle === 'observe' || !throttled) return waited.length > 0 ? this.withWaits(res, waited) : res;
      // A caller with its own time limit waits as long as that allows, instead of the rule's longest wait.
      const wait = throttleWait(limits?.until !== undefined ? { ...rule, maxWaitMs: Number.POSITIVE_INFINITY } : rule, res.headers);
      const what = `${opts.method} ${this.options.secrets.redact(opts.path)} answered ${throttleStatusText(res.status)}`;
      const giveUp = (detail: string) =>
        new ThrottledError(detail, res.status, res.headers, tries, [
          ...waited.map(({ status, waitMs }) => ({ status, waitMs })),
          { status: res.status },
        ]);
      if (this.streak.active)
        throw giveUp(
          `${what}; the target has throttled every request for ${Math.round(performance.now() - this.streak.since!)} ms, since an earlier one was waited out ${rule.maxTries} times, so this one was not waited out again`,
        );
      if (wait.tooLong) throw giveUp(`${what} and asks to wait ${wait.from}, longer than keyprobe waits (${rule.maxWaitMs} ms)`);
      const leftMs = limits?.until !== undefined ? limits.until - performance.now() : Number.POSITIVE_INFINITY;
      if (wait.ms > leftMs)
        throw giveUp(
          `${what} and asks to wait ${wait.from}, more than the ${Math.round(Math.max(0, leftMs) / 100) / 10} s left of ${limits?.untilName ?? 'the time this request may take'}`,
        );
      if (tries >= maxTries) {
        this.streak.begin();
        throw giveUp(
          waited.length > 0
            ? `${what} on all ${tries} tries (waited ${waited.map((w) => `${w.waitMs} ms (${w.from})`).join(', ')} between them)`
            : `${what}, and no further try is allowed`,
        );
      }
      waited.push({ status: res.status, waitMs: wait.ms, from: wait.from });
      this.options.progress?.(`throttled: ${what}; waiting ${wait.ms} ms (${wait.from}) before asking again`);
      // A long Retry-After lends the profile's concurrency slot to another profile (src/clock-waits.ts).
      await clockWait(this.options.signal, wait.ms, sleep(wait.ms, this.options.signal));
    }
  }

  /** The answer with the throttles waited out before it, still markable as failing (it is the same exchange). */
  private withWaits(res: HttpResponse, waited: readonly WaitedOut[]): HttpResponse {
    const copy = { ...res, throttled: waited };
    const i = this.recordedAs.get(res);
    if (i !== undefined) this.recordedAs.set(copy, i);
    return copy;
  }

  /**
   * Waits for a slot in the rate-limit bucket a request with `credential`
   * counts against (none: nothing to wait for). Every request must hold one
   * while on the wire and release it with the answer's headers, so the
   * bucket knows when its window is spent. Inside a hold (a rate check's
   * burst) the slot is granted at once. The burst generator, which sends
   * without `send`, instead sends only while it holds the bucket and reports
   * what it spent (bucketFor, burstSpent).
   */
  async acquireSlot(credential?: Credential): Promise<{ pacer?: Pacer; slot?: Slot }> {
    const pacer = this.pacerFor(credential);
    if (!pacer) return {};
    return { pacer, slot: await pacer.acquire(this.options.signal, this.options.hold) };
  }

  /**
   * The rate-limit bucket requests carrying `credential` count against, and
   * whether this client holds it (the runner's hold for a rate check), for a
   * sender that goes around send() without a slot per request: the burst
   * generator, which sends only while it holds the bucket and then reports
   * what it spent (burstSpent).
   */
  bucketFor(credential?: Credential): { pacer: Pacer; held: boolean } | undefined {
    const pacer = this.pacerFor(credential);
    return pacer ? { pacer, held: pacer.heldBy(this.options.hold) } : undefined;
  }

  /**
   * What a burst sent while it held the bucket: its requests occupy the window
   * as if each had held a slot (Pacer.spent), and a throttled answer pauses
   * the bucket as it does for a request sent through send().
   */
  burstSpent(pacer: Pacer, spent: BurstSpent): void {
    pacer.spent(spent.requests, spent.lastAnswerAt, spent.refusal?.headers);
    const refusal = spent.refusal;
    if (refusal && isThrottled(this.throttleRule, refusal.status, refusal.headers))
      pacer.pauseUntil(refusal.at + throttlePauseMs(this.throttleRule, refusal.headers));
  }

  private pacerFor(credential?: Credential): Pacer | undefined {
    return this.options.pacing?.(carriedSecret(credential ?? { kind: 'key', secret: this.options.primaryKey }, this.options.auth));
  }

  /** One request on the wire: paced, budgeted, timed out, recorded. */
  private async sendOnce(opts: SendOptions): Promise<HttpResponse> {
    const { url, parsed, headers } = this.buildChecked(opts);
    const outerSignal = this.options.signal;
    if (outerSignal?.aborted) throw new InterruptedError(String(outerSignal.reason ?? 'abort'));
    this.options.budget.take();
    const { pacer, slot } = await this.acquireSlot(opts.credential);

    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    if (opts.freshConnection) headers['connection'] = 'close';
    if (opts.sign) this.sign(opts.sign, opts.method, url, headers, body);

    // One timer per request, and no AbortSignal of its own: AbortSignal.timeout + AbortSignal.any
    // cost a third of the burst generator's throughput (bench/RESULTS.md).
    let timedOut = false;
    const t0 = performance.now();
    const atMs = t0 - this.startedAt;
    const { origin, pathname, search } = parsed;
    const sent = new CappedRequest(
      this.options.dispatcher,
      {
        origin,
        path: pathname + search,
        method: opts.method as Dispatcher.HttpMethod,
        headers,
        body: body ?? null,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        reset: opts.freshConnection === true,
      },
      this.options.bodyCap ?? DEFAULT_BODY_CAP,
    );
    const timer = setTimeout(() => {
      timedOut = true;
      sent.abort(new Error('deadline'));
    }, this.options.timeoutMs);
    const stopWatching = outerSignal
      ? whenAborted(outerSignal, () => sent.abort(outerSignal.reason instanceof Error ? outerSignal.reason : new Error('interrupted')))
      : undefined;
    let answerHeaders: Record<string, string> | undefined;
    try {
      const res = await sent.answer;
      const durationMs = performance.now() - t0;
      const responseHeaders = flattenHeaders(res.headers);
      for (const [name, value] of Object.entries(responseHeaders)) responseHeaders[name] = this.unhidden(value, visibleHeaderText);
      answerHeaders = responseHeaders;
      const response: HttpResponse = {
        status: res.status,
        headers: responseHeaders,
        ...(res.reasonPhrase !== '' ? { reasonPhrase: this.unhidden(res.reasonPhrase, visibleHeaderText) } : {}),
        body: this.unhidden(res.text, withoutInvisible),
        ...(res.notDecoded ? { bodyNotDecoded: res.notDecoded } : {}),
        bodyTruncated: res.truncated,
        durationMs,
        sentAt: t0,
      };
      // A throttled answer pauses everyone in its bucket, not just this request.
      if (pacer && isThrottled(this.throttleRule, res.status, responseHeaders))
        pacer.pauseUntil(performance.now() + throttlePauseMs(this.throttleRule, responseHeaders));
      if ((opts.record !== false || opts.recordIf?.(response)) && this.record(opts, url, parsed, headers, body, atMs, response))
        this.recordedAs.set(response, this.exchanges.length - 1);
      return response;
    } catch (err) {
      const durationMs = performance.now() - t0;
      if (outerSignal?.aborted) throw new InterruptedError(String(outerSignal.reason ?? 'abort'));
      const timeout = timedOut || isTimeout(err);
      const why = timeout ? timeoutWords(sent.headersArrived, this.options.timeoutMs) : describeNetworkError(err, this.options.origin);
      if (opts.record !== false) this.record(opts, url, parsed, headers, body, atMs, undefined, why, durationMs);
      // A timed-out request may have been acted on; the lifecycle adapters' retries need to know.
      const { transient, mayHaveArrived } = timeout ? { transient: true, mayHaveArrived: true } : classifyNetworkError(err);
      throw new NoAnswerError(
        `${opts.method} ${this.options.secrets.redact(opts.path)}: ${why}`,
        transient,
        mayHaveArrived,
        !timeout && isMalformedAnswer(err),
      );
    } finally {
      clearTimeout(timer);
      stopWatching?.();
      slot?.release(answerHeaders);
    }
  }

  /**
   * A target's text as it came, unless what a reader sees of it (`visible`:
   * without the characters nobody sees, src/http/body-text.ts) shows a secret
   * of the run: then that, so the checks judge the key a reader would see and
   * the redactor removes it.
   */
  private unhidden(text: string, visible: (text: string) => string): string {
    const seen = visible(text);
    return seen !== text && this.options.secrets.scanner.find(seen).length > 0 ? seen : text;
  }

  /**
   * Signs the request as built, last, so the signature covers exactly what is
   * sent. The signature is registered as a secret before anything can record
   * it; the signer cannot change where the request goes, only its headers.
   */
  private sign(signer: RequestSigner, method: string, url: string, headers: Record<string, string>, body: string | undefined): void {
    const signed = signer({ method, url: new URL(url), headers: { ...headers }, body });
    for (const secret of signed.secrets) this.options.secrets.add(secret, 'signature');
    for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
  }

  /** The URL and headers of a request, refused unless it stays on the profile's origin (as in send()). */
  private buildChecked(opts: SendOptions): { url: string; parsed: URL; headers: Record<string, string> } {
    if (!opts.path.startsWith('/'))
      throw new CheckError(`refusing to send to "${opts.path}": only paths on ${this.options.origin} are allowed`);
    const built = this.build(opts);
    // The key never leaves for another origin: we only ever build URLs on our own.
    if (built.parsed.origin !== this.options.origin) throw new CheckError(`refusing to send a credential outside ${this.options.origin}`);
    return built;
  }

  /** The URL as sent (`url`) and parsed once (`parsed`: the same URL, for its parts), and the headers. */
  private build(opts: SendOptions): { url: string; parsed: URL; headers: Record<string, string> } {
    const url = new URL(opts.path, this.options.origin);
    const headers: Record<string, string> = { 'user-agent': 'keyprobe', accept: 'application/json, */*;q=0.5' };
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
    const cred = opts.credential ?? { kind: 'key', secret: this.options.primaryKey };
    if (cred.kind === 'key') {
      const auth = this.options.auth;
      if ('query' in auth) url.searchParams.set(auth.query, cred.secret);
      else headers[auth.header.toLowerCase()] = auth.scheme ? `${auth.scheme} ${cred.secret}` : cred.secret;
    } else if (cred.kind === 'header') {
      headers[cred.name.toLowerCase()] = cred.value;
    } else if (cred.kind === 'query') {
      url.searchParams.set(cred.name, cred.value);
    }
    return { url: url.toString(), parsed: url, headers };
  }

  private record(
    opts: SendOptions,
    url: string,
    u: URL,
    headers: Record<string, string>,
    body: string | undefined,
    atMs: number,
    res?: HttpResponse,
    error?: string,
    failedAfterMs?: number,
  ): boolean {
    if (this.exchanges.length >= MAX_EVIDENCE_PER_CHECK) {
      this.omitted++;
      return false;
    }
    const redact = (s: string) => this.options.secrets.redact(s);
    const redactedHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers))
      if (k !== 'user-agent' && k !== 'accept') redactedHeaders[k] = evidenceHeaderValue(k, v, redact);
    this.exchanges.push({
      label: redact(opts.label),
      method: opts.method,
      origin: this.options.origin,
      path: redact(u.pathname + u.search),
      atMs: round(atMs),
      durationMs: round(res?.durationMs ?? failedAfterMs ?? 0),
      ...(res ? { status: res.status } : {}),
      ...(error ? { error: redact(error) } : {}),
      requestHeaders: redactedHeaders,
      responseHeaders: res ? redactHeaders(res.headers, redact) : {},
      bodyExcerpt: res ? (res.bodyNotDecoded ? notDecodedExcerpt(res.bodyNotDecoded) : redact(res.body.slice(0, EVIDENCE_BODY_CHARS))) : '',
      bodyTruncated: res ? res.bodyTruncated || res.body.length > EVIDENCE_BODY_CHARS : false,
      curl: curlLine({
        method: opts.method,
        url,
        headers,
        body,
        primaryKey: this.options.primaryKey,
        redact,
        shellPieces: (text, key) => this.options.secrets.shellPieces(text, key),
      }),
    });
    return true;
  }
}

/** The secret a credential carries, as the limiter would see it: the key, or a raw header/query value without its scheme. */
function carriedSecret(cred: Credential, auth: AuthPlacement): string | undefined {
  if (cred.kind === 'none') return undefined;
  if (cred.kind === 'key') return cred.secret;
  if (cred.kind === 'query') return cred.value;
  const scheme = 'header' in auth && auth.scheme ? `${auth.scheme} ` : '';
  return scheme && cred.value.startsWith(scheme) ? cred.value.slice(scheme.length) : cred.value;
}

/**
 * What to call when a signal aborts, for each signal: one 'abort' listener
 * per signal calls them all. A listener per request cost more than the rest
 * of the request's bookkeeping: removing one walks the signal's list of
 * listeners, and the run's interruption signal holds one for every request in
 * flight in every profile.
 */
const abortCallbacks = new WeakMap<AbortSignal, AbortCallbacks>();

interface AbortCallbacks {
  readonly all: Set<() => void>;
  readonly listener: () => void;
}

/**
 * Calls `onAbort` when `signal` aborts (in the order they were given), until
 * the function it returns is called. The signal's listener goes with its last
 * request: Node holds a timeout signal (a cleanup's, AbortSignal.timeout) that
 * has an 'abort' listener, and all the listener holds, until its timer fires,
 * so every cleanup of a big run held its client and first request for 10 s
 * after it was done (issue #15: some 1,000 signals and 9-11 MB in each worker
 * of a two-thread run; bench/memory.md, "Session 13").
 */
function whenAborted(signal: AbortSignal, onAbort: () => void): () => void {
  let callbacks = abortCallbacks.get(signal);
  if (!callbacks) {
    callbacks = listenOnce(signal);
    abortCallbacks.set(signal, callbacks);
  }
  const { all, listener } = callbacks;
  all.add(onAbort);
  return () => {
    all.delete(onAbort);
    if (all.size > 0 || abortCallbacks.get(signal) !== callbacks) return;
    signal.removeEventListener('abort', listener);
    abortCallbacks.delete(signal);
  };
}

/** The one listener of a signal, in a function of its own: its closure holds the set, not the request that added it. */
function listenOnce(signal: AbortSignal): AbortCallbacks {
  const all = new Set<() => void>();
  const listener = () => {
    for (const callback of all) callback();
  };
  signal.addEventListener('abort', listener, { once: true });
  return { all, listener };
}

/** Resolves after `ms`; throws InterruptedError if the run is interrupted meanwhile. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError(String(signal.reason ?? 'abort')));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError(String(signal?.reason ?? 'abort')));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function isTimeout(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

/**
 * The same words whichever timer fired first (ours or undici's), so a slow
 * target always reads the same in a report: what had arrived, and the limit.
 */
export function timeoutWords(headersArrived: boolean, timeoutMs: number): string {
  return headersArrived
    ? `the target sent its headers but did not finish the body within ${timeoutMs} ms (target.timeoutMs)`
    : `the target sent no complete response headers within ${timeoutMs} ms (target.timeoutMs): it is not answering, or too slowly`;
}

/**
 * Every response header is evidence (a reviewer cannot ask for one that was
 * dropped), each value redacted; one whose name says credential (a session
 * cookie keyprobe does not know) is withheld unless it holds a known secret.
 * A name is redacted too: a server may put the credential in it.
 */
function redactHeaders(all: Readonly<Record<string, string>>, redact: (s: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) out[redact(k)] = evidenceHeaderValue(k, v, redact);
  return out;
}

/** Response headers as keyprobe keeps them: lower-case names, a repeated header's values joined with ", ". */
export function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Connections a dispatcher opens to one origin at most, unless told otherwise. */
export const DEFAULT_CONNECTIONS = 64;

export function createDispatcher(opts: { ca?: string | Buffer; connections?: number } = {}): Agent {
  return new Agent({
    connections: opts.connections ?? DEFAULT_CONNECTIONS,
    keepAliveTimeout: 4_000,
    ...(opts.ca ? { connect: { ca: opts.ca } } : {}),
  });
}

/** What the evidence shows for a body still content-coded: why, instead of bytes nobody can read (or search). */
function notDecodedExcerpt(why: string): string {
  return `[not shown, and not searched for secrets or stack traces: the body came with ${why}]`;
}
