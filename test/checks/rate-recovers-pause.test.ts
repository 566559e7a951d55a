// rate.recovers waits the announced time from the moment the throttled answer
// arrived. It used to take that moment as "now less the rest of the burst", so
// a pause of keyprobe's own between the burst's end and the wait (a busy
// machine, a long GC) lengthened the wait by as much, and a Retry-After that
// understated the throttle by more than its one-second allowance could pass.
// Here the pause is made on purpose: the burst's outcome reaches the check
// 1.5 s late, against a server that says "Retry-After: 1" and throttles for 3 s.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it, vi } from 'vitest';
import { profileSchema } from '../../src/config/profile-schema.js';
import { suiteOfAllChecks } from '../../src/checks/suite.js';
import { runSuite } from '../../src/runner/run.js';
import { SecretRegistry } from '../../src/secrets.js';
import { closedAfterEach } from '../helpers/servers.js';

vi.mock('../../src/checks/rate-burst.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/checks/rate-burst.js')>();
  return {
    ...real,
    burstToThrottle: async (...args: Parameters<typeof real.burstToThrottle>) => {
      const outcome = await real.burstToThrottle(...args);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return outcome;
    },
  };
});

const SECRET = 'kp_fake_pause_secret_0123456789ab';
const LIMIT = 5;
/** How long the key stays throttled from its first throttled answer, whatever Retry-After says. */
const THROTTLED_FOR_MS = 3000;

const servers = closedAfterEach();

/** LIMIT calls, then 429 with "Retry-After: 1" for THROTTLED_FOR_MS: a Retry-After that lies by 2 s. */
async function lyingTarget(): Promise<string> {
  let accepted = 0;
  let throttledUntil: number | undefined;
  const server = createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${SECRET}`) {
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end('{}');
      return;
    }
    const now = Date.now();
    if (throttledUntil !== undefined && now >= throttledUntil) {
      throttledUntil = undefined;
      accepted = 0;
    }
    if (accepted < LIMIT && throttledUntil === undefined) {
      accepted++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    throttledUntil ??= now + THROTTLED_FOR_MS;
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"rate_limited"}');
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

it('a pause after the burst does not lengthen the wait: a Retry-After 2 s short still fails', async () => {
  const profile = profileSchema.parse({
    key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: SECRET },
    target: { origin: await lyingTarget() },
    allowed: ['GET /v1/agents'],
    rateLimit: { limit: LIMIT, windowSeconds: 1, probe: 'GET /v1/agents', concurrency: 2 },
  });
  const result = await runSuite({
    profiles: [{ file: '(test)', digest: '0', profile, secrets: [SECRET] }],
    suite: suiteOfAllChecks(),
    only: ['rate.recovers'],
    secrets: new SecretRegistry(),
  });
  const check = result.profiles[0]!.checks.find((c) => c.id === 'rate.recovers')!;
  expect(check.verdict, check.message).toBe('fail');
  expect(check.message).toMatch(
    /^Retry-After said 1 s but the key was still throttled \(429 Too Many Requests\) \d+ ms after the throttle/,
  );
  // Probed about 1.1 s after the throttle, then a second later: not 1.5 s later for the pause.
  expect(check.measurements.stillThrottledAtMs).toBeLessThan(THROTTLED_FOR_MS - 1000);
});
