// A loopback platform that answers the way issue #12 met Directus 11 with
// static tokens as keys: one fixed-window rate limiter per client address
// that counts every request (no key, bad key, denied resource alike) and
// answers 429 + Retry-After *before* authentication; the key accepted in the
// Authorization header and also as ?access_token=; 403 for a resource the key
// may not read and for a request with no key at all. Every request's arrival
// and answer is recorded, so a test can see what really reached it.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ThrottlingPlatformOptions {
  /** Requests per client address per window; 0: no limiter. */
  readonly limit: number;
  readonly windowMs?: number;
  /** Successful answers are held back this long (the gateway answers 429s from memory, 200s from the upstream). */
  readonly slowSuccessMs?: number;
  /** Requests whose path matches are always answered 429 with this Retry-After. */
  readonly alwaysThrottle?: { readonly path: string; readonly retryAfter: string };
}

export interface Arrival {
  /** performance.now() when the request arrived. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  status?: number;
}

export interface ThrottlingPlatform {
  readonly origin: string;
  readonly key: string;
  readonly canary: string;
  readonly arrivals: Arrival[];
  close(): Promise<void>;
}

const ALLOWED = new Set(['GET /items/agents', 'GET /users/me']);

export async function startThrottlingPlatform(o: ThrottlingPlatformOptions): Promise<ThrottlingPlatform> {
  const key = `kp_prod_${randomBytes(16).toString('hex')}`;
  const canary = `kp_prod_${randomBytes(16).toString('hex')}`;
  const windowMs = o.windowMs ?? 1000;
  const windows = new Map<string, { start: number; count: number }>();
  const arrivals: Arrival[] = [];

  const answer = (res: ServerResponse, arrival: Arrival, status: number, body: unknown, headers: Record<string, string> = {}) => {
    arrival.status = status;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://platform.invalid');
    const arrival: Arrival = { at: performance.now(), method: req.method ?? '', path: url.pathname };
    arrivals.push(arrival);
    const route = `${req.method} ${url.pathname}`;

    if (o.alwaysThrottle && url.pathname === o.alwaysThrottle.path)
      return answer(res, arrival, 429, { errors: [{ message: 'Too many requests' }] }, { 'retry-after': o.alwaysThrottle.retryAfter });

    // The limiter sits in front of everything, keyed by the client address.
    if (o.limit > 0) {
      const ip = req.socket.remoteAddress ?? 'unknown';
      const now = Date.now();
      let w = windows.get(ip);
      if (!w || now >= w.start + windowMs) {
        w = { start: now, count: 0 };
        windows.set(ip, w);
      }
      if (w.count >= o.limit) {
        const retryAfter = Math.max(1, Math.ceil((w.start + windowMs - now) / 1000));
        return answer(
          res,
          arrival,
          429,
          { errors: [{ message: 'Too many requests, retry later.' }] },
          { 'retry-after': String(retryAfter) },
        );
      }
      w.count++;
    }

    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const presented = bearer ?? url.searchParams.get('access_token') ?? undefined;
    if (presented === undefined)
      return answer(res, arrival, 403, {
        errors: [{ message: "You don't have permission to access this.", extensions: { code: 'FORBIDDEN' } }],
      });
    if (presented !== key && presented !== canary)
      return answer(res, arrival, 401, { errors: [{ message: 'Invalid user credentials.', extensions: { code: 'INVALID_CREDENTIALS' } }] });
    if (!ALLOWED.has(route))
      return answer(res, arrival, 403, {
        errors: [{ message: "You don't have permission to access this.", extensions: { code: 'FORBIDDEN' } }],
      });
    if (o.slowSuccessMs) await new Promise((r) => setTimeout(r, o.slowSuccessMs));
    return answer(res, arrival, 200, {
      data: route === 'GET /users/me' ? { id: 'u1', role: 'integration' } : [{ id: 1, name: 'support' }],
    });
  };

  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => void handle(req, res).catch(() => res.destroy()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    key,
    canary,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The most arrivals within any span of `windowMs`. */
export function maxArrivalsInWindow(arrivals: readonly Arrival[], windowMs: number): number {
  const times = arrivals.map((a) => a.at).sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}
