// One request on undici's lowest-level API (Dispatcher.dispatch) with a small
// handler that keeps the status, the headers and at most `cap` bytes of the
// body, as HttpClient.send needs them. undici's request() does the same
// through a Promise, an AbortSignal listener and a Readable stream per
// request, read by async iteration: twice the CPU per request (85–110 µs
// against 40 µs on loopback), which a run of a thousand profiles, each
// sending about a hundred requests this way, pays on one core.
//
// It behaves as request() did for the client: a 1xx answer is not the
// answer; headers are parsed by undici as request() has them (lower-case
// names, a repeated header as an array); a body longer than the cap is cut
// there and the connection dropped (the rest is never read); abort() fails
// the request with the reason given, at once or as soon as undici starts it.
//
// A request that asks for a fresh connection (`reset: true`, sent as
// `connection: close`) is answered, then undici closes its socket by
// destroying it with an InformationalError('reset'), and Node's stream
// destroy reads that error's stack at once. Capturing and formatting that
// stack (through llhttp's wasm frames) cost ~130 µs a probe, more than the
// rest of the probe's request on loopback; the error is never shown to anyone
// (undici drops it). So for the instant between the answer and that destroy,
// errors are made without stack traces (undici's own response-error
// interceptor does the same): see withoutStackTracesThisTick.
import type { Dispatcher } from 'undici';
import { decodeContent, whyNotDecoded } from './content-encoding.js';

export interface CappedAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The status line's reason phrase as the server wrote it ("Unauthorized", or anything: HTTP/1.1 lets a server put text there). */
  readonly reasonPhrase: string;
  /** The body's first `cap` bytes, decoded as UTF-8. */
  readonly text: string;
  /** Why a body with a Content-Encoding was left as it came (whyNotDecoded): its text is then the coded bytes. */
  readonly notDecoded?: string;
  readonly truncated: boolean;
}

export class CappedRequest implements Dispatcher.DispatchHandler {
  /** True once the answer's headers came (a timeout after that is the body's). */
  headersArrived = false;
  readonly answer: Promise<CappedAnswer>;
  private resolve!: (a: CappedAnswer) => void;
  private reject!: (err: Error) => void;
  private controller?: Dispatcher.DispatchController;
  private abortReason?: Error;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private reasonPhrase = '';
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private truncated = false;
  /** undici closes this request's connection right after the answer (see the file's comment). */
  private readonly closesConnection: boolean;

  constructor(
    dispatcher: Dispatcher,
    options: Dispatcher.DispatchOptions,
    private readonly cap: number,
  ) {
    this.closesConnection = options.reset === true;
    this.answer = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    try {
      dispatcher.dispatch(options, this);
    } catch (err) {
      // A request undici refuses to build (a header it rejects) fails like any other, as request() made it.
      this.reject(err as Error);
    }
  }

  /** Fails the request with `reason` (a deadline, an interruption); undici drops its connection. */
  abort(reason: Error): void {
    this.abortReason ??= reason;
    this.controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(
    _c: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = headers;
    this.reasonPhrase = statusMessage ?? '';
    this.headersArrived = true;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.truncated) return;
    if (this.size + chunk.length > this.cap) {
      this.chunks.push(Buffer.from(chunk.subarray(0, this.cap - this.size)));
      this.size = this.cap;
      this.truncated = true;
      // What is kept is the answer; the rest is not read.
      this.finish();
      controller.abort(new Error('body over the cap'));
      return;
    }
    // undici may reuse the chunk's memory once this returns.
    this.chunks.push(Buffer.from(chunk));
    this.size += chunk.length;
  }

  onResponseEnd(): void {
    // undici makes the InformationalError('reset') that closes the connection right after this returns.
    if (this.closesConnection) withoutStackTracesThisTick();
    this.finish();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    // After the cap the request was dropped on purpose: the answer is already given.
    if (!this.truncated) this.reject(err);
  }

  private finish(): void {
    const raw = Buffer.concat(this.chunks);
    // A compressed body is judged and recorded as the server meant it (src/http/content-encoding.ts).
    const decoded =
      this.headers['content-encoding'] === undefined ? undefined : decodeContent(raw, this.headers['content-encoding'], this.cap);
    const coded = this.headers['content-encoding'] !== undefined && decoded === undefined && raw.length > 0;
    this.resolve({
      status: this.status,
      headers: this.headers,
      reasonPhrase: this.reasonPhrase,
      text: (decoded?.bytes ?? raw).toString('utf8'),
      truncated: this.truncated || decoded?.truncated === true,
      ...(coded ? { notDecoded: whyNotDecoded(this.headers['content-encoding']) } : {}),
    });
  }
}

/**
 * Errors made from now until the current tick's queue has run carry no stack
 * trace (the message and code are kept); then Error.stackTraceLimit is what it
 * was. Only undici's code runs in between: what is left of its parser's
 * callback (the reset error and the socket's destroy) and the callbacks
 * already queued, never a check's or the runner's (they run as microtasks,
 * after the restore).
 */
function withoutStackTracesThisTick(): void {
  // A restore is already queued this tick.
  if (Error.stackTraceLimit === 0) return;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  process.nextTick(() => {
    Error.stackTraceLimit = limit;
  });
}
