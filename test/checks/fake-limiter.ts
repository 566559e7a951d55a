// A small loopback rate limiter that misbehaves in ways the reference target
// does not (a Retry-After that lies, Kong-style headers, a target too slow to
// overload), and a run of chosen checks on one profile (against it or any
// other loopback server). Its servers are closed after each test.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { profileSchema } from '../../src/config/profile-schema.js';
import { suiteOfAllChecks } from '../../src/checks/suite.js';
import type { CheckResult } from '../../src/result.js';
import { runSuite } from '../../src/runner/run.js';
import { SecretRegistry } from '../../src/secrets.js';
import { closedAfterEach } from '../helpers/servers.js';
import { base62 } from '../helpers/random-keys.js';

export interface FakeLimiter {
  limit: number;
  /** How long a throttled bucket stays throttled, whatever Retry-After says. */
  lockMs: number;
  delayMs?: number;
  /** Answer one request at a time (each after delayMs): more requests in flight only queue. */
  serial?: boolean;
  headers?: (state: { remaining: number; throttled: boolean }) => Record<string, string>;
}

/** The key the fake limiter serves. */
const FAKE_SECRET = `kp_fake_${base62(24)}`;

const servers = closedAfterEach();

export async function fakeTarget(o: FakeLimiter): Promise<string> {
  let windowStart = 0;
  let count = 0;
  let lockedUntil = 0;
  let queue = Promise.resolve();
  const server = createServer((req, res) => {
    const answer = () => {
      if (req.headers.authorization !== `Bearer ${FAKE_SECRET}`) {
        res.writeHead(401, { 'www-authenticate': 'Bearer' }).end('{}');
        return;
      }
      const now = Date.now();
      if (now >= windowStart + 1000 && now >= lockedUntil) {
        windowStart = now;
        count = 0;
      }
      const throttled = count >= o.limit;
      if (!throttled) count++;
      else if (lockedUntil < now) lockedUntil = now + o.lockMs;
      res.writeHead(throttled ? 429 : 200, {
        'content-type': 'application/json',
        ...(o.headers?.({ remaining: Math.max(0, o.limit - count), throttled }) ?? {}),
      });
      res.end('{"ok":true}');
    };
    const later = () => new Promise<void>((done) => setTimeout(() => done(answer()), o.delayMs ?? 0));
    if (o.serial) queue = queue.then(later);
    else if (o.delayMs) setTimeout(answer, o.delayMs);
    else answer();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Runs the checks `ids` on one profile (`input`, as a profile file holds it), keyed by check id. */
export async function runProfileChecks(
  input: Record<string, unknown>,
  secrets: string[],
  ids: string[],
): Promise<Record<string, CheckResult>> {
  const result = await runSuite({
    profiles: [{ file: '(test)', digest: '0', profile: profileSchema.parse(input), secrets }],
    suite: suiteOfAllChecks(),
    only: ids,
    secrets: new SecretRegistry(),
  });
  return Object.fromEntries(result.profiles[0]!.checks.map((c) => [c.id, c]));
}

/** The checks `ids` against a fake limiter at `origin`, for a key whose limit is 5 per 1 s unless `rateLimit` says otherwise. */
export function runAgainst(origin: string, ids: string[], rateLimit: Record<string, unknown> = {}): Promise<Record<string, CheckResult>> {
  const input = {
    key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: FAKE_SECRET },
    target: { origin },
    allowed: ['GET /v1/agents'],
    rateLimit: { limit: 5, windowSeconds: 1, probe: 'GET /v1/agents', concurrency: 2, ...rateLimit },
  };
  return runProfileChecks(input, [FAKE_SECRET], ids);
}
