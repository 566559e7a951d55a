// Hostile servers at the wire level: what the status line, the content coding
// and the framing of an answer can hide from the checks, or make keyprobe
// misreport. Each case points the real CLI at a loopback server of its own.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import {
  adminLifecycle,
  expectNoCrash,
  expectNoSecrets,
  listenForTest,
  newSecret,
  rawServer,
  runKeyprobe,
  tempDirForTest,
} from './helpers.js';

/** A target that serves GET /v1/agents to the key and answers everything else with `refuse`. */
async function refusingTarget(secret: string, refuse: (res: ServerResponse, presented: string, req: IncomingMessage) => void) {
  const server = createServer((req, res) => {
    const presented = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (presented === secret && req.url === '/v1/agents')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"agents":[]}');
    refuse(res, presented, req);
  });
  return listenForTest(server);
}

async function run(origin: string, secret: string, checks: readonly string[]) {
  const tmp = tempDirForTest('keyprobe-wire-');
  const r = await runKeyprobe(tmp, { origin, denied: ['GET /v1/admin'] }, { secret, checks });
  expectNoCrash(r);
  expectNoSecrets([secret], r);
  return r;
}

// HTTP/1.1 lets a server write any text after the status code, and client
// libraries and proxies log it ("401 <reason>"). keyprobe read only the code:
// a refusal that put the key there passed every check.
describe('the status line reason phrase', () => {
  it('a denial whose reason phrase is the key fails authz, and no report holds it', async () => {
    const secret = newSecret();
    const target = await refusingTarget(secret, (res, presented) =>
      res.writeHead(403, `Forbidden for ${presented}`, { 'content-type': 'application/json' }).end('{"error":"forbidden"}'),
    );
    const r = await run(target.origin, secret, ['authz.unauthorized-resource-denied']);
    const check = r.checks[0]!;
    expect(check.verdict, check.message).toBe('fail');
    expect(check.message).toMatch(/its status line's reason phrase reveals the key itself/);
    expect(r.code).toBe(EXIT.fail);
  });

  it('near misses of the key echoed in the reason phrase fail auth.near-miss-key-rejected', async () => {
    const secret = newSecret();
    const target = await refusingTarget(secret, (res, presented) =>
      res.writeHead(401, `Unknown key ${presented}`, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}'),
    );
    const r = await run(target.origin, secret, ['auth.near-miss-key-rejected']);
    const check = r.checks[0]!;
    expect(check.verdict, check.message).toBe('fail');
    expect(check.message).toMatch(/status line's reason phrase reveals/);
    expect(r.code).toBe(EXIT.fail);
  });

  it('a plain reason phrase is no finding', async () => {
    const secret = newSecret();
    const target = await refusingTarget(secret, (res) =>
      res.writeHead(403, 'Go Away', { 'content-type': 'application/json' }).end('{"error":"forbidden"}'),
    );
    const r = await run(target.origin, secret, ['authz.unauthorized-resource-denied']);
    expect(r.checks[0]?.verdict, r.checks[0]?.message).toBe('pass');
  });
});

// A 503 is a throttle when it says "come back later" in a Retry-After. Sent
// twice (two fields), that Retry-After names no usable wait, but it is still no
// outage: it was read as a server error. And the lifecycle adapter read a
// retry time already past (against the response's Date) as a wait of 0, and
// asked again at once; the HTTP client waits its fallback instead.
describe('Retry-After on a 503', () => {
  it('a 503 with two Retry-After fields is a throttle: waited out with the fallback wait, then judged', async () => {
    const secret = newSecret();
    let calls = 0;
    const server = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${secret}`) return void res.writeHead(401).end();
      // Not the first allowed resource, which keyprobe's preflight may call first.
      if (req.url === '/v1/calls' && calls++ === 0) {
        res.setHeader('retry-after', ['1', '2']);
        return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"busy"}');
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"agents":[]}');
    });
    const target = await listenForTest(server);
    const tmp = tempDirForTest('keyprobe-wire-');
    const r = await runKeyprobe(
      tmp,
      { origin: target.origin, allowed: ['GET /v1/agents', 'GET /v1/calls'] },
      { secret, checks: ['auth.valid-key-accepted'] },
    );
    expectNoCrash(r);
    expectNoSecrets([secret], r);
    expect(r.checks[0]?.verdict, r.checks[0]?.message).toBe('pass');
    expect(calls).toBe(2);
    expect(r.code).toBe(EXIT.pass);
  });

  it("a create answered 503 with a repeated Retry-After, then a retry time past the response's Date, is retried after a backoff, not at once", async () => {
    const tmp = tempDirForTest('keyprobe-wire-');
    const secret = newSecret();
    const admin = newSecret('admin');
    const created = newSecret('created');
    const date = (ms: number) => new Date(ms).toUTCString();
    const createsAt: number[] = [];
    let deleted = false;
    const server = createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      const json = (status: number, body: unknown, headers: Record<string, string | string[]> = {}) => {
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.url?.startsWith('/admin/')) {
        if (auth !== `Bearer ${admin}`) return json(401, { error: 'unauthorized' });
        if (req.method === 'DELETE') {
          deleted = true;
          return json(200, {});
        }
        createsAt.push(performance.now());
        const now = Date.now();
        if (createsAt.length === 1) return json(503, { error: 'busy' }, { 'retry-after': ['1', '1'] });
        // An hour before its own Date: a retry time already past.
        if (createsAt.length === 2) return json(503, { error: 'busy' }, { date: date(now), 'retry-after': date(now - 3_600_000) });
        return json(201, { id: 'key_c1', secret: created });
      }
      // Only the key and the created canary, and only in the Authorization header.
      const ok = (auth === `Bearer ${secret}` || (auth === `Bearer ${created}` && !deleted)) && req.url === '/v1/agents';
      json(ok ? 200 : 401, ok ? { agents: [] } : { error: 'unauthorized' });
    });
    const target = await listenForTest(server);
    const lifecycle = adminLifecycle([
      'create: { method: POST, path: /admin/keys/new, body: { name: "{{name}}" } }',
      'delete: DELETE /admin/keys/{{id}}',
    ]);
    const r = await runKeyprobe(
      tmp,
      { origin: target.origin, extra: lifecycle },
      {
        secret,
        env: { KP_REL_ADMIN: admin },
        checks: ['auth.key-in-query-rejected'],
        // No declared canary: the check creates one.
        profileEdit: (y) =>
          y
            .replace('canary:\n  secret: ${env:KP_REL_CANARY}\n', '')
            .replace('  owner: crm-platform-team@example.com', '  owner: crm-platform-team@example.com\n  scopes: [agents:read]'),
      },
    );
    expectNoCrash(r);
    expectNoSecrets([secret, admin, created], r);
    const check = r.checks[0]!;
    expect(check.verdict, check.message).toBe('pass');
    const create = check.lifecycleActions?.find((a) => a.action === 'create');
    expect(create?.outcome, create?.detail).toBe('done');
    expect(create?.attempts?.map((a) => a.status)).toEqual([503, 503, 201]);
    // Backoff's first steps are 125–250 ms and 250–500 ms (retry.ts): neither wait is 0.
    expect(create?.attempts?.[0]?.waitMs).toBeGreaterThanOrEqual(125);
    expect(create?.attempts?.[1]?.waitMs).toBeGreaterThanOrEqual(125);
  });
});

// A refusal body in a coding keyprobe cannot undo (zstd on Node 20, or one
// nobody knows) was judged as its coded bytes: a key echoed inside went
// unseen and the check passed. keyprobe sends no Accept-Encoding, so any
// coding is acceptable (RFC 9110 §12.5.3): such a body is not searched, which
// the check cannot count as verified (error), and the evidence says why.
describe('a refusal body keyprobe cannot decode', () => {
  it.each([
    ['zstd', /Content-Encoding: zstd, a coding keyprobe cannot decode \(zstd\): Node\.js v\d+/],
    ['x-foo', /Content-Encoding: x-foo, a coding keyprobe cannot decode \(x-foo\)/],
  ])('a denial with Content-Encoding: %s is error (its body was not searched), and the evidence says so', async (coding, why) => {
    const secret = newSecret();
    const acceptEncodings = new Set<string>();
    const target = await refusingTarget(secret, (res, presented, req) => {
      acceptEncodings.add(req.headers['accept-encoding'] ?? '(none)');
      // Really gzip, labelled as something keyprobe cannot undo: the key is inside, unreadable as bytes.
      res
        .writeHead(403, { 'content-type': 'application/json', 'content-encoding': coding })
        .end(gzipSync(JSON.stringify({ error: `forbidden for ${presented}` })));
    });
    const r = await run(target.origin, secret, ['authz.unauthorized-resource-denied']);
    const check = r.checks[0]!;
    expect(check.verdict, check.message).toBe('error');
    expect(check.message).toMatch(/refused with 403 Forbidden, but its body could not be searched for a secret or a stack trace/);
    expect(check.message).toMatch(why);
    expect(r.code).toBe(EXIT.unverified);
    const exchange = check.evidence.find((e) => e.status === 403)!;
    expect(exchange.bodyExcerpt).toMatch(/^\[not shown, and not searched for secrets or stack traces: the body came with Content-Encoding/);
    // keyprobe asks for no coding: the server chose it.
    expect([...acceptEncodings]).toEqual(['(none)']);
  });

  it('an allowed resource served in a coding keyprobe cannot decode passes on its status, with an advisory that its body was not read', async () => {
    const secret = newSecret();
    const server = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${secret}`) return void res.writeHead(401).end();
      res
        .writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'zstd' })
        .end(gzipSync('{"ok":false,"error":"missing_scope"}'));
    });
    const target = await listenForTest(server);
    const r = await run(target.origin, secret, ['auth.valid-key-accepted']);
    const check = r.checks[0]!;
    expect(check.verdict, check.message).toBe('pass');
    expect(check.advisories.join(' ')).toMatch(
      /GET \/v1\/agents \(Content-Encoding: zstd, .*\) could not be decoded, so whether it says "refused"/,
    );
  });

  it('a denial gzip-coded as declared is decoded and judged as before (the key inside fails authz)', async () => {
    const secret = newSecret();
    const target = await refusingTarget(secret, (res, presented) =>
      res
        .writeHead(403, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
        .end(gzipSync(JSON.stringify({ error: `forbidden for ${presented}` }))),
    );
    const r = await run(target.origin, secret, ['authz.unauthorized-resource-denied']);
    expect(r.checks[0]?.verdict, r.checks[0]?.message).toBe('fail');
    expect(r.checks[0]?.message).toMatch(/its body reveals the key itself/);
  });
});

// An answer undici cannot parse as HTTP/1.1 came from a target that is there:
// it was worded "cannot be reached" (preflight stopped the profile) or
// "request failed: Response body length does not match content-length
// header". keyprobe now says the target answered with a response it could not
// parse, with the parser's code, and each check gives error (exit 3).
describe('malformed HTTP', () => {
  /**
   * A raw server: the key's GET /v1/agents is served and one without a key refused (preflight's two requests);
   * every other request gets `answer` as raw bytes — every request at all when `secret` is undefined.
   */
  async function rawTarget(secret: string | undefined, answer: string) {
    const server = rawServer((socket, head) => {
      const agents = secret !== undefined && head.startsWith('GET /v1/agents ');
      const lower = head.toLowerCase();
      if (agents && lower.includes(`authorization: bearer ${secret.toLowerCase()}`))
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"agents":[]}');
      else if (agents && !lower.includes('authorization:'))
        socket.write('HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
      else socket.write(answer);
    });
    return listenForTest(server);
  }

  it.each([
    [
      'a bad chunk size',
      'HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
      /GET \/v1\/admin: the target answered, but not with valid HTTP\/1\.1: keyprobe could not parse the response \(HPE_INVALID_CHUNK_SIZE: Invalid character in chunk size\)/,
    ],
    [
      'a Content-Length sent twice',
      'HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
      /could not parse the response \(UND_ERR_RES_CONTENT_LENGTH_MISMATCH: .*a Content-Length sent twice/,
    ],
    [
      'a Content-Length that is not a number',
      'HTTP/1.1 403 Forbidden\r\nContent-Length: abc\r\n\r\nhello',
      /could not parse the response \(HPE_INVALID_CONTENT_LENGTH: Invalid character in Content-Length\)/,
    ],
  ])('a denial with %s is error naming the parser error, never "cannot be reached"', async (_name, answer, words) => {
    const secret = newSecret();
    const target = await rawTarget(secret, answer);
    const r = await run(target.origin, secret, ['authz.unauthorized-resource-denied']);
    const check = r.checks[0]!;
    expect(check.verdict, check.message).toBe('error');
    expect(check.message).toMatch(words);
    expect(r.stdout + r.stderr).not.toMatch(/cannot be reached|unreachable|request failed/);
    expect(r.code).toBe(EXIT.unverified);
  });

  it('a malformed answer to the preflight stops the profile in its own words, never "cannot be reached", and sends nothing more', async () => {
    const secret = newSecret();
    // Every request, the key's included, gets a bad chunk size.
    const target = await rawTarget(undefined, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
    const r = await run(target.origin, secret, ['auth.valid-key-accepted']);
    const check = r.checks[0]!;
    expect(check.verdict, check.message).toBe('error');
    expect(check.message).toMatch(
      /^not run: target answered with malformed HTTP \(http:\/\/127\.0\.0\.1:\d+ answered, but keyprobe cannot test it: .*could not parse the response \(HPE_INVALID_CHUNK_SIZE/,
    );
    expect(r.result!.profiles[0]!.preflight).toMatchObject({ reachable: false, malformed: true });
    // The first preflight request, and nothing after it: no check, no create against a target keyprobe cannot read.
    expect(r.result!.profiles[0]!.requestsSent).toBe(1);
    expect(r.stdout + r.stderr).not.toMatch(/cannot be reached|unreachable/);
    expect(r.code).toBe(EXIT.unverified);
  });
});
