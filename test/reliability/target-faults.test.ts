// Target faults give `error`, never a crash or a hang: each case points the
// real CLI (in-process) at a small loopback server that misbehaves one way,
// and proves the verdicts say what happened in plain words, the run ends in
// bounded time with exit 3, the reports are written, and no secret shows.
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import {
  existingChecks,
  expectNoCrash,
  expectNoSecrets,
  listen,
  listenForTest,
  NETWORK_REQUEST_CHECKS,
  newSecret,
  rawServer,
  runKeyprobe,
  tempDirForTest,
} from './helpers.js';

/** target.timeoutMs where the target never answers (short, so the test is quick); elsewhere the usual 5 s. */
const TIMEOUT_MS = 300;
const NORMAL_TIMEOUT_MS = 5_000;
/** Slack for a busy machine on top of the timeouts themselves. */
const SLACK_MS = 2_000;

/**
 * Runs the network request checks against `origin` and asserts the common
 * promise: every check is `error`, its message matches `words`, exit 3, the
 * reports exist, bounded time, no crash, no secret.
 */
async function expectErrorRun(
  origin: string,
  words: RegExp,
  extra: { args?: string[]; profile?: Partial<Parameters<typeof runKeyprobe>[1]> } = {},
) {
  const tmp = tempDirForTest('keyprobe-rel-');
  const secret = newSecret();
  const run = await runKeyprobe(
    tmp,
    {
      origin,
      allowed: ['GET /v1/agents', 'GET /v1/agents/agt-support'],
      denied: ['POST /v1/agents'],
      timeoutMs: NORMAL_TIMEOUT_MS,
      ...extra.profile,
    },
    { secret, args: extra.args },
  );
  expectNoCrash(run);
  expect(run.code, run.stdout + run.stderr).toBe(EXIT.unverified);
  expect(run.result, 'results.json is written').toBeDefined();
  // Bounded: no request outlived its timeout, and the run took at most every request's timeout in a row.
  const exchanges = run.checks.flatMap((c) => c.evidence);
  const timeoutMs = extra.profile?.timeoutMs ?? NORMAL_TIMEOUT_MS;
  for (const e of exchanges) expect(e.durationMs).toBeLessThan(timeoutMs + 1_000);
  expect(run.elapsedMs).toBeLessThan(run.result!.profiles[0]!.requestsSent * timeoutMs + SLACK_MS);
  expect(run.checks.map((c) => c.id)).toEqual(existingChecks(NETWORK_REQUEST_CHECKS));
  for (const c of run.checks) {
    expect(c.verdict, `${c.id}: ${c.message}`).toBe('error');
    expect(c.message).toMatch(words);
  }
  // The console says it too, and explains the exit code.
  expect(run.stdout).toMatch(words);
  expect(run.stdout).toMatch(/exit 3: nothing failed, but the launch could not be verified/);
  expectNoSecrets([secret], run);
  return run;
}

describe('target faults end in error verdicts with plain words, bounded time, exit 3', () => {
  it('connection refused', async () => {
    // Take a free port, then close it: nothing listens there.
    const gone = await listen(createNetServer());
    await gone.close();
    const run = await expectErrorRun(
      gone.origin,
      new RegExp(`connection refused by 127\\.0\\.0\\.1:${gone.port}: nothing is listening there`),
    );
    // Preflight found it out with one request; no check sent anything.
    const preflight = run.result!.profiles[0]!.preflight!;
    expect(preflight).toMatchObject({ reachable: false });
    expect(preflight.evidence).toHaveLength(1);
    expect(preflight.evidence[0]).toMatchObject({ error: expect.stringMatching(/connection refused/) });
    expect(preflight.evidence[0]!.status).toBeUndefined();
    expect(run.result!.profiles[0]!.requestsSent).toBe(1);
    for (const c of run.checks) expect(c.message).toMatch(/^not run: target unreachable/);
  });

  it('a host that does not resolve (.invalid never resolves, RFC 6761)', async () => {
    await expectErrorRun(
      'http://keyprobe-reliability.invalid:8080',
      /the host name in http:\/\/keyprobe-reliability\.invalid:8080 does not resolve/,
    );
  });

  it('a server that accepts the connection and never answers', async () => {
    const silent = await listenForTest(rawServer(() => undefined));
    await expectErrorRun(silent.origin, new RegExp(`sent no complete response headers within ${TIMEOUT_MS} ms \\(target\\.timeoutMs\\)`), {
      profile: { timeoutMs: TIMEOUT_MS },
    });
    expect(silent.connections()).toBeGreaterThan(0);
  });

  it('headers that trickle in, one byte at a time, without end', async () => {
    const timers = new Set<NodeJS.Timeout>();
    const trickle = await listenForTest(
      rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\n');
        const t = setInterval(() => socket.write('X'), 20);
        timers.add(t);
        socket.on('close', () => clearInterval(t));
      }),
    );
    try {
      await expectErrorRun(trickle.origin, new RegExp(`sent no complete response headers within ${TIMEOUT_MS} ms`), {
        profile: { timeoutMs: TIMEOUT_MS },
      });
    } finally {
      for (const t of timers) clearInterval(t);
    }
  });

  it('a connection reset in the middle of the body', async () => {
    const reset = await listenForTest(
      rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"agents":[');
        setTimeout(() => socket.resetAndDestroy(), 10);
      }),
    );
    await expectErrorRun(reset.origin, /the target closed the connection before its answer was complete \(connection reset\)/);
  });

  // 503 with Retry-After says "come back later": a throttle, never judged (docs/verdicts.md). Waited out
  // 4 times by the first request; after that the run does not wait each request out again.
  it('a storm of 5xx: every answer, with or without a key, is 503 with Retry-After', async () => {
    let requests = 0;
    const storm = await listenForTest(
      createHttpServer((_req, res) => {
        requests++;
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"unavailable"}');
      }),
    );
    const run = await expectErrorRun(storm.origin, /throttled: could not judge: [A-Z]+ \/\S+ answered 503 Service Unavailable/);
    // The first request to meet the storm is the preflight's: it waits it out, and says so.
    expect(run.result!.profiles[0]!.preflight?.message).toMatch(/^reachable; .*on all 4 tries \(waited 1050 ms \(Retry-After: 1\)/);
    expect(run.checks.map((c) => c.message).join('\n')).toMatch(/so this one was not waited out again/);
    expect(run.elapsedMs).toBeLessThan(15_000);
    expect(requests).toBe(run.result!.profiles[0]!.requestsSent);
  });

  it('a storm of 5xx without Retry-After: a server error, judged as one (an outage, so error)', async () => {
    let requests = 0;
    const storm = await listenForTest(
      createHttpServer((_req, res) => {
        requests++;
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"unavailable"}');
      }),
    );
    const run = await expectErrorRun(storm.origin, /503 Service Unavailable/);
    expect(run.checks.find((c) => c.id === 'auth.valid-key-accepted')!.message).toMatch(
      /a server error, so the target could not be judged/,
    );
    expect(run.checks.find((c) => c.id === 'auth.missing-key-rejected')!.message).toMatch(
      /503 Service Unavailable with the valid key too: the target is failing/,
    );
    expect(requests).toBe(run.result!.profiles[0]!.requestsSent);
  });

  it('a server that answers with something that is not HTTP', async () => {
    const garbage = await listenForTest(rawServer((socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n\u0000\u0001binary garbage\r\n\r\n')));
    await expectErrorRun(
      garbage.origin,
      /the target answered, but not with valid HTTP\/1\.1: keyprobe could not parse the response \(HPE_INVALID_CONSTANT: Expected HTTP\//,
    );
  });
});

describe('invalid JSON where JSON was expected (the introspection endpoint)', () => {
  for (const [name, contentType, body] of [
    ['truncated JSON', 'application/json', '{"id":"key_1","scopes":["agents:read",'],
    ['an HTML error page', 'text/html', '<html><body>502 Bad Gateway</body></html>'],
  ] as const) {
    it(`${name}: the check that needs it gives error saying so; the one that can do without notes it`, async () => {
      const api = await listenForTest(
        createHttpServer((req, res) => {
          if (!req.headers.authorization) return void res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
          if (req.url === '/v1/keys/self') return void res.writeHead(200, { 'content-type': contentType }).end(body);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"agents":[]}');
        }),
      );
      const tmp = tempDirForTest('keyprobe-rel-');
      const secret = newSecret();
      const run = await runKeyprobe(
        tmp,
        {
          origin: api.origin,
          allowed: ['{ method: GET, path: /v1/agents, scope: agents:read }'],
          targetExtra: '  introspection: { path: /v1/keys/self }',
        },
        { secret, checks: ['privilege.least-privilege', 'env.key-matches-environment'] },
      );
      expectNoCrash(run);
      expect(run.code, run.stdout).toBe(EXIT.unverified);
      const privilege = run.checks.find((c) => c.id === 'privilege.least-privilege')!;
      expect(privilege).toMatchObject({
        verdict: 'error',
        message: expect.stringMatching(
          /the granted scopes are unknown: GET \/v1\/keys\/self did not answer JSON and no key\.scopes declared/,
        ),
      });
      const env = run.checks.find((c) => c.id === 'env.key-matches-environment')!;
      expect(env.verdict).toBe('pass');
      expect(env.advisories.join(' ')).toMatch(/introspection was not usable \(GET \/v1\/keys\/self did not answer JSON\)/);
      expectNoSecrets([secret], run);
    });
  }
});

describe('targets that work differently still work', () => {
  /** Answers like a tiny API: 200 with the key, 401 without. */
  function answer(authorized: boolean): { status: string; body: string } {
    return authorized
      ? { status: '200 OK', body: '{"agents":[{"id":"agt-support"}]}' }
      : { status: '401 Unauthorized', body: '{"error":"missing_key"}' };
  }

  it('an HTTP/1.0 server that closes every connection after one answer (no Content-Length)', async () => {
    let requests = 0;
    const old = await listenForTest(
      rawServer((socket, head) => {
        requests++;
        const { status, body } = answer(/\r\nauthorization: /i.test(head));
        socket.end(`HTTP/1.0 ${status}\r\nContent-Type: application/json\r\nWWW-Authenticate: Bearer\r\n\r\n${body}`);
      }),
    );
    const tmp = tempDirForTest('keyprobe-rel-');
    const secret = newSecret();
    const run = await runKeyprobe(
      tmp,
      { origin: old.origin, allowed: ['GET /v1/agents', 'GET /v1/agents/agt-support'] },
      { secret, checks: ['auth.valid-key-accepted', 'auth.missing-key-rejected'] },
    );
    expectNoCrash(run);
    expect(run.checks.map((c) => [c.id, c.verdict])).toEqual([
      ['auth.valid-key-accepted', 'pass'],
      ['auth.missing-key-rejected', 'pass'],
    ]);
    expect(run.code).toBe(EXIT.pass);
    // One connection per request: nothing was sent on a connection the server had closed.
    expect(old.connections()).toBe(requests);
    // 2 preflight requests (reachability, the key) + 2 per check. (The missing-key check compares each
    // 401's body with what the valid-key check was served, without asking again: src/checks/served-data.ts.)
    expect(requests).toBe(6);
    expectNoSecrets([secret], run);
  });

  it('an HTTP/1.1 server that refuses keep-alive (Connection: close on every answer)', async () => {
    let requests = 0;
    const noKeepAlive = await listenForTest(
      createHttpServer((req, res) => {
        requests++;
        const { status, body } = answer(req.headers.authorization !== undefined);
        res.shouldKeepAlive = false;
        res
          .writeHead(Number(status.slice(0, 3)), {
            'content-type': 'application/json',
            connection: 'close',
            'www-authenticate': 'Bearer',
          })
          .end(body);
      }),
    );
    const tmp = tempDirForTest('keyprobe-rel-');
    const secret = newSecret();
    const run = await runKeyprobe(
      tmp,
      { origin: noKeepAlive.origin, allowed: ['GET /v1/agents', 'GET /v1/agents/agt-support'] },
      { secret, checks: ['auth.valid-key-accepted', 'auth.missing-key-rejected'] },
    );
    expectNoCrash(run);
    expect(run.code, run.stdout).toBe(EXIT.pass);
    expect(noKeepAlive.connections()).toBe(requests);
    expectNoSecrets([secret], run);
  });
});
