// The one HTTP client every check uses. It sends only to the profile's origin,
// never follows redirects (so a credential cannot be carried to another
// origin), counts every request against the profile's budget, times every
// request out, reads at most a capped excerpt of each body, and records each
// exchange as redacted evidence.
import { Agent, request, type Dispatcher } from 'undici';
import { BudgetExceededError, CheckError, InterruptedError } from '../errors.js';
import type { Exchange } from '../result.js';
import type { SecretRegistry } from '../secrets.js';
import { curlLine } from './curl.js';
import { describeNetworkError } from './network-errors.js';

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
}

export interface HttpResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The raw (unredacted) body excerpt; keep it in memory only. */
  readonly body: string;
  readonly bodyTruncated: boolean;
  readonly durationMs: number;
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
  /** The CA the dispatcher trusts (--ca / target.ca), so a burst's own connection pool trusts it too. */
  readonly ca?: string | Buffer;
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

/** Most exchanges one check keeps as evidence; a count of the rest is kept. */
export const MAX_EVIDENCE_PER_CHECK = 60;
const EVIDENCE_BODY_CHARS = 2048;
const DEFAULT_BODY_CAP = 64 * 1024;

export class HttpClient {
  private readonly exchanges: Exchange[] = [];
  private omitted = 0;
  private readonly startedAt = performance.now();

  constructor(private readonly options: HttpClientOptions) {}

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

  /** The evidence gathered so far by this client (one client per check). */
  evidence(): { exchanges: Exchange[]; omitted: number } {
    return { exchanges: [...this.exchanges], omitted: this.omitted };
  }

  /** A client for another check, sharing origin, budget and connections but not evidence. */
  fork(signal?: AbortSignal): HttpClient {
    return new HttpClient({ ...this.options, signal: signal ?? this.options.signal });
  }

  /**
   * Builds a request once for the burst generator, under the same rules as
   * send(): only a path on the profile's origin, the credential placed as the
   * profile says. Budget, timeouts and interruption are the sender's job.
   */
  prepare(opts: SendOptions): PreparedRequest {
    const { url, headers } = this.buildChecked(opts);
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const u = new URL(url);
    return {
      origin: this.options.origin,
      path: u.pathname + u.search,
      method: opts.method,
      headers,
      ...(body !== undefined ? { body } : {}),
    };
  }

  /** Sends one request. Network failures throw a CheckError that says what happened. */
  async send(opts: SendOptions): Promise<HttpResponse> {
    if (!opts.path.startsWith('/'))
      throw new CheckError(`refusing to send to "${opts.path}": only paths on ${this.options.origin} are allowed`);
    const { url, headers } = this.build(opts);
    // The key never leaves for another origin: we only ever build URLs on our own.
    if (new URL(url).origin !== this.options.origin) throw new CheckError(`refusing to send a credential outside ${this.options.origin}`);
    const outerSignal = this.options.signal;
    if (outerSignal?.aborted) throw new InterruptedError(String(outerSignal.reason ?? 'abort'));
    this.options.budget.take();

    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    if (opts.freshConnection) headers['connection'] = 'close';

    // One controller and one timer per request: AbortSignal.timeout + AbortSignal.any
    // cost a third of the burst generator's throughput (bench/RESULTS.md).
    const deadline = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort(new Error('deadline'));
    }, this.options.timeoutMs);
    const onOuterAbort = () => deadline.abort(outerSignal?.reason);
    outerSignal?.addEventListener('abort', onOuterAbort, { once: true });
    const signal = deadline.signal;
    const atMs = performance.now() - this.startedAt;
    const t0 = performance.now();
    let headersArrived = false;
    try {
      const res = await request(url, {
        method: opts.method as Dispatcher.HttpMethod,
        headers,
        body,
        signal,
        dispatcher: this.options.dispatcher,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        reset: opts.freshConnection === true,
      });
      headersArrived = true;
      const { text, truncated } = await readCapped(res.body, this.options.bodyCap ?? DEFAULT_BODY_CAP);
      const durationMs = performance.now() - t0;
      const responseHeaders = flattenHeaders(res.headers);
      const response: HttpResponse = { status: res.statusCode, headers: responseHeaders, body: text, bodyTruncated: truncated, durationMs };
      if (opts.record !== false) this.record(opts, url, headers, body, atMs, response);
      return response;
    } catch (err) {
      const durationMs = performance.now() - t0;
      if (outerSignal?.aborted) throw new InterruptedError(String(outerSignal.reason ?? 'abort'));
      const why =
        timedOut || isTimeout(err) ? timeoutWords(headersArrived, this.options.timeoutMs) : describeNetworkError(err, this.options.origin);
      if (opts.record !== false) this.record(opts, url, headers, body, atMs, undefined, why, durationMs);
      throw new CheckError(`${opts.method} ${this.options.secrets.redact(opts.path)}: ${why}`);
    } finally {
      clearTimeout(timer);
      outerSignal?.removeEventListener('abort', onOuterAbort);
    }
  }

  /** The URL and headers of a request, refused unless it stays on the profile's origin (as in send()). */
  private buildChecked(opts: SendOptions): { url: string; headers: Record<string, string> } {
    if (!opts.path.startsWith('/'))
      throw new CheckError(`refusing to send to "${opts.path}": only paths on ${this.options.origin} are allowed`);
    const built = this.build(opts);
    // The key never leaves for another origin: we only ever build URLs on our own.
    if (new URL(built.url).origin !== this.options.origin)
      throw new CheckError(`refusing to send a credential outside ${this.options.origin}`);
    return built;
  }

  private build(opts: SendOptions): { url: string; headers: Record<string, string> } {
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
    return { url: url.toString(), headers };
  }

  private record(
    opts: SendOptions,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    atMs: number,
    res?: HttpResponse,
    error?: string,
    failedAfterMs?: number,
  ): void {
    if (this.exchanges.length >= MAX_EVIDENCE_PER_CHECK) {
      this.omitted++;
      return;
    }
    const redact = (s: string) => this.options.secrets.redact(s);
    const u = new URL(url);
    const redactedHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (k !== 'user-agent' && k !== 'accept') redactedHeaders[k] = redact(v);
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
      responseHeaders: res ? pickHeaders(res.headers, redact) : {},
      bodyExcerpt: res ? redact(res.body.slice(0, EVIDENCE_BODY_CHARS)) : '',
      bodyTruncated: res ? res.bodyTruncated || res.body.length > EVIDENCE_BODY_CHARS : false,
      curl: curlLine({ method: opts.method, url, headers, body, primaryKey: this.options.primaryKey, redact }),
    });
  }
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

/** Response headers worth keeping as evidence. */
const KEPT_HEADERS = /^(content-type|www-authenticate|retry-after|ratelimit|ratelimit-.*|x-ratelimit-.*|location|x-request-id|date)$/;

function pickHeaders(all: Readonly<Record<string, string>>, redact: (s: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) if (KEPT_HEADERS.test(k)) out[k] = redact(v);
  return out;
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Reads at most `cap` bytes, then drops the connection's remaining body. */
async function readCapped(body: Dispatcher.ResponseData['body'], cap: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    if (size + buf.length > cap) {
      chunks.push(buf.subarray(0, cap - size));
      size = cap;
      truncated = true;
      body.destroy();
      break;
    }
    chunks.push(buf);
    size += buf.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

export function createDispatcher(opts: { ca?: string | Buffer; connections?: number } = {}): Agent {
  return new Agent({
    connections: opts.connections ?? 64,
    keepAliveTimeout: 4_000,
    ...(opts.ca ? { connect: { ca: opts.ca } } : {}),
  });
}
