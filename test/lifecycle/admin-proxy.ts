// A management API less polite than the reference target's, for lifecycle
// adapter tests: a loopback proxy in front of the reference target's /admin
// API that first plays a script of answers for a route (429 with
// Retry-After, 503, a dropped connection, a hostile create answer) and
// otherwise forwards. It lists every request it saw, so a test can count
// what keyprobe sent (one create, not two). Closed after each test.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReferenceTarget } from '../../src/reference/index.js';
import { currentTest, type RunningTest } from '../helpers/running-test.js';

export interface Scripted {
  /** Send the request on to the real API first (the platform acts), then answer as below. */
  readonly forward?: boolean;
  /** Close the connection without answering (after forwarding, if `forward`). */
  readonly drop?: boolean;
  /** The status to answer; default: the forwarded status, else 200. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** The JSON body to answer; a function gets the forwarded answer's body. */
  readonly body?: unknown | ((forwarded: unknown) => unknown);
  /** Answer this many ms later (after forwarding, if `forward`): a slow API that acted at once. */
  readonly delayMs?: number;
}

export interface SeenRequest {
  readonly method: string;
  /** As it arrived, still percent-encoded. */
  readonly rawPath: string;
  readonly body: string;
  /** What was answered: a status, or "dropped". */
  answered?: number | 'dropped';
}

export interface AdminProxy {
  readonly origin: string;
  /** Plays these answers, one per matching request, before forwarding again. */
  script(method: string, path: RegExp, ...answers: Scripted[]): void;
  readonly seen: SeenRequest[];
  /** Requests that reached the real API. */
  forwarded(method: string, path: RegExp): number;
  /** Every answer body the real API gave (it holds the secrets keyprobe must never write). */
  readonly answers: string[];
  close(): Promise<void>;
}

/** `test`: a concurrent test's own context, whose end closes the proxy (test/helpers/running-test.ts). */
export async function startAdminProxy(target: ReferenceTarget, port = 0, test: RunningTest = currentTest): Promise<AdminProxy> {
  const scripts: { method: string; path: RegExp; answers: Scripted[] }[] = [];
  const seen: SeenRequest[] = [];
  const answers: string[] = [];
  const reached: { method: string; rawPath: string }[] = [];

  const forward = async (req: IncomingMessage, body: string): Promise<{ status: number; text: string }> => {
    reached.push({ method: req.method!, rawPath: req.url! });
    const res = await fetch(target.origin + req.url!, {
      method: req.method!,
      headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json' },
      ...(body ? { body } : {}),
    });
    const text = await res.text();
    answers.push(text);
    return { status: res.status, text };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const entry: SeenRequest = { method: req.method!, rawPath: req.url!, body };
    seen.push(entry);
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    const script = scripts.find((s) => s.method === req.method && s.path.test(path) && s.answers.length > 0);
    const step = script?.answers.shift();
    if (!step) {
      const r = await forward(req, body);
      entry.answered = r.status;
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.text);
      return;
    }
    const forwarded = step.forward ? await forward(req, body) : undefined;
    if (step.delayMs) await new Promise((resolve) => setTimeout(resolve, step.delayMs));
    if (step.drop) {
      entry.answered = 'dropped';
      req.socket.destroy();
      return;
    }
    const status = step.status ?? forwarded?.status ?? 200;
    const parsed = forwarded?.text ? (JSON.parse(forwarded.text) as unknown) : undefined;
    const answer = typeof step.body === 'function' ? (step.body as (f: unknown) => unknown)(parsed) : (step.body ?? parsed);
    entry.answered = status;
    res.writeHead(status, { 'content-type': 'application/json', ...step.headers });
    res.end(answer === undefined ? '' : JSON.stringify(answer));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500).end(err.message);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const proxy: AdminProxy = {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    script: (method, path, ...answers) => scripts.push({ method, path, answers: [...answers] }),
    seen,
    answers,
    forwarded: (method, path) =>
      reached.filter((r) => r.method === method && path.test(decodeURIComponent(new URL(r.rawPath, 'http://x').pathname))).length,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  // Per test, not a module-level afterEach: with isolate: false that would run for the first file loading this module only.
  test.onTestFinished(() => proxy.close());
  return proxy;
}

/** A free loopback port with nothing listening on it (yet). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
