// What the rate.per-key-isolation timing tests share: a leaky bucket (nginx
// limit_req with burst and nodelay) and the check run alone on a two-key
// profile. Each test file keeps its own target: how it delays which answers
// is what that file proves.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CheckResult } from '../../src/result.js';
import { runProfileChecks } from './fake-limiter.js';

/**
 * A leaky bucket of `limit` calls per bucket, giving one back every 1000 / perSecond ms
 * (1000 / limit unless given: a faster refill is nginx's `rate` above its `burst`):
 * `take(bucket)` is true when served; `reset(bucket)` empties it (a window that really reset).
 */
export function leakyBucket(limit: number, perSecond = limit): { take(bucket: string): boolean; reset(bucket: string): void } {
  const level = new Map<string, { value: number; at: number }>();
  return {
    take(bucket) {
      const now = performance.now();
      const b = level.get(bucket) ?? { value: 0, at: now };
      b.value = Math.max(0, b.value - ((now - b.at) * perSecond) / 1000);
      b.at = now;
      level.set(bucket, b);
      if (b.value + 1 > limit) return false;
      b.value += 1;
      return true;
    },
    reset(bucket) {
      level.delete(bucket);
    },
  };
}

/** rate.per-key-isolation alone, for `key` and its declared second key, against `origin` limited to `limit` a second. */
export async function isolationCheck(
  origin: string,
  keys: { key: string; second: string },
  limit: number,
  concurrency = 2,
): Promise<CheckResult> {
  const input = {
    key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: keys.key },
    target: { origin },
    allowed: ['GET /v1/agents'],
    secondKey: { secret: keys.second, name: 'billing-prod-agent-call' },
    rateLimit: { limit, windowSeconds: 1, probe: 'GET /v1/agents', concurrency },
  };
  return (await runProfileChecks(input, [keys.key, keys.second], ['rate.per-key-isolation']))['rate.per-key-isolation']!;
}

/**
 * A loopback target for two keys: any other credential is refused (401); a call
 * with either is handed to `onCall` with its Authorization header and `reply`,
 * which answers it served (200) or throttled (429). Added to `servers` to be closed.
 */
export async function twoKeyTarget(
  servers: Server[],
  keys: { key: string; second: string },
  onCall: (auth: string, reply: (ok: boolean) => void) => void,
): Promise<string> {
  const server = createServer((req, res) => {
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${keys.key}` && auth !== `Bearer ${keys.second}`) {
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end('{}');
      return;
    }
    onCall(auth, (ok) =>
      res.writeHead(ok ? 200 : 429, { 'content-type': 'application/json' }).end(ok ? '{"ok":true}' : '{"error":"slow down"}'),
    );
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
