// Servers that lie, found by red-teaming keyprobe's verdicts: each case points
// the real CLI (in-process) at a small loopback server that misbehaves one
// way a real platform does, and proves the run still ends in bounded time with
// the right verdicts and exit code, no stack trace and no secret in any output.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, it, type TestContext } from 'vitest';
import { EXIT } from '../../src/errors.js';
import {
  expectNoCrash,
  expectNoSecrets,
  jsonAnswer,
  listenForTest,
  newSecret,
  runDisableCheck,
  runKeyprobe,
  tempDirForTest,
  type Listener,
} from './helpers.js';

/**
 * A small API: GET /v1/agents serves the key (and the canary), everything
 * else is 403 for them and 401 for any other credential. `extraHeaders` adds
 * headers to every answer to a known key.
 */
async function api(test: TestContext, secrets: readonly string[], extraHeaders: () => Record<string, string>): Promise<Listener> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const auth = req.headers.authorization ?? '';
    const known = secrets.some((s) => auth === `Bearer ${s}`) && !req.url?.includes('?');
    const status = !known ? 401 : req.method === 'GET' && req.url === '/v1/agents' ? 200 : 403;
    res.writeHead(status, { 'content-type': 'application/json', ...(known ? extraHeaders() : {}) });
    res.end(JSON.stringify(status === 200 ? { agents: [] } : { error: status === 401 ? 'unauthorized' : 'forbidden' }));
  });
  return listenForTest(server, test);
}

/**
 * A target that serves the key GET /v1/agents, answers any other credential
 * 401, and answers every other request with `deny` (the denial under test).
 */
async function denyingTarget(test: TestContext, secret: string, deny: (res: ServerResponse, auth: string) => void): Promise<Listener> {
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${secret}`) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
    if (req.method === 'GET' && req.url === '/v1/agents')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"agents":[]}');
    deny(res, auth);
  });
  return listenForTest(server, test);
}

/** authz.unauthorized-resource-denied against `target`, with POST /v1/agents declared denied. */
function runAuthz(test: TestContext, target: Listener, secret: string, args?: readonly string[]) {
  const tmp = tempDirForTest('keyprobe-hostile-', test);
  const checks = ['authz.unauthorized-resource-denied'];
  return runKeyprobe(tmp, { origin: target.origin, denied: ['POST /v1/agents'] }, { secret, checks, ...(args ? { args } : {}) });
}

const RATE_LIMIT = ['rateLimit:', '  limit: 20', '  windowSeconds: 1', '  probe: GET /v1/agents'].join('\n');
/** Checks that send the key several times, one after the other. */
const KEY_CHECKS = ['auth.valid-key-accepted', 'auth.near-miss-key-rejected', 'authz.unauthorized-resource-denied'];
/** Far less than the hour a lying server asks for, far more than these checks take. */
const HANG_GUARD_MS = 15_000;

// Every case has a server, a key and a temp dir of its own, and most of them
// wait on a rate window: five run at once (vitest's maxConcurrency), each
// with its own context's expect and cleanup (test/helpers/running-test.ts).
describe.concurrent('hostile servers', () => {
  // A served answer that says the quota is spent until a reset far away: an
  // hourly or daily quota at 0 (GitHub's X-RateLimit-Reset is an epoch up to an
  // hour ahead; some APIs send it in milliseconds). keyprobe used to pause the
  // key's bucket until then, so the run waited in silence for an hour or more.
  it.for([
    ['RateLimit r=0;t=3600', () => ({ ratelimit: '"default";r=0;t=3600' })],
    [
      'X-RateLimit-Reset an epoch in milliseconds',
      () => ({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Date.now() + 60_000) }),
    ],
  ] as const)(
    'a served answer announcing a quota spent for longer than keyprobe waits (%s) does not stall the run',
    async ([, headers], t) => {
      const { expect } = t;
      const tmp = tempDirForTest('keyprobe-hostile-', t);
      const secret = newSecret();
      const target = await api(t, [secret], headers);
      const run = await runKeyprobe(
        tmp,
        { origin: target.origin, denied: ['POST /v1/agents'], extra: RATE_LIMIT },
        { secret, checks: KEY_CHECKS, signal: AbortSignal.timeout(HANG_GUARD_MS) },
      );
      expectNoCrash(run);
      expect(run.stderr).not.toMatch(/interrupted|SIGINT|abort/i);
      expect(run.checks.map((c) => [c.id, c.verdict])).toEqual(KEY_CHECKS.map((id) => [id, 'pass']));
      expect(run.code).toBe(EXIT.pass);
      expectNoSecrets([secret], run);
    },
  );

  // A target that throttles every request, whatever the key (a WAF's or CDN's
  // per-address block, a daily quota spent before the run): the key was never
  // served, so nothing about its limit can be judged. The burst met 429 at its
  // first call, and rate.limit-triggered passed ("after 0 accepted calls"),
  // while rate.recovers and rate.per-key-isolation failed the target.
  it('a target that throttles every request gives the rate checks error, never a pass or a fail', async (t) => {
    const { expect } = t;
    const tmp = tempDirForTest('keyprobe-hostile-', t);
    const secret = newSecret();
    const server = createServer((_req, res) => {
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
      res.end('{"error":"too many requests"}');
    });
    const target = await listenForTest(server, t);
    const rateChecks = ['rate.limit-triggered', 'rate.limit-signalled', 'rate.recovers', 'rate.per-key-isolation'];
    const run = await runKeyprobe(tmp, { origin: target.origin, extra: RATE_LIMIT }, { secret, checks: rateChecks });
    expectNoCrash(run);
    expect(run.checks.map((c) => [c.id, c.verdict])).toEqual(rateChecks.map((id) => [id, 'error']));
    expect(run.checks.find((c) => c.id === 'rate.limit-triggered')?.message).toMatch(/throttled before any call of the burst was accepted/);
    expect(run.code).toBe(EXIT.unverified);
    expectNoSecrets([secret], run);
  });

  // Kong's key-auth plugin and APISIX's key-auth both default to one name for
  // the header and the query parameter, `apikey`, and Kong accepts the query
  // by default (key_in_query: true). keyprobe tried ?api_key=, ?key= and
  // ?access_token=, and passed a gateway that serves ?apikey=<key>.
  it.for([
    ['apikey', 'apikey (Kong and APISIX key-auth defaults)'],
    ['x-api-key', 'the header name itself (Kong key_names: [x-api-key])'],
  ] as const)(
    'a gateway that takes the key in the query under the header name %s is caught by auth.key-in-query-rejected',
    async ([header], t) => {
      const { expect } = t;
      const tmp = tempDirForTest('keyprobe-hostile-', t);
      const secret = newSecret();
      const canary = newSecret('canary');
      const server = createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const presented = req.headers[header] ?? url.searchParams.get(header);
        const status = presented !== canary && presented !== secret ? 401 : url.pathname === '/v1/agents' ? 200 : 403;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
      });
      const target = await listenForTest(server, t);
      const run = await runKeyprobe(
        tmp,
        { origin: target.origin, targetExtra: `  auth: { header: ${header}, scheme: "" }` },
        { secret, otherSecrets: [canary], checks: ['auth.key-in-query-rejected'] },
      );
      expectNoCrash(run);
      expect(run.checks[0]).toMatchObject({ id: 'auth.key-in-query-rejected', verdict: 'fail' });
      expect(run.checks[0]?.message).toContain(`?${header}=`);
      expect(run.code).toBe(EXIT.fail);
      expectNoSecrets([secret, canary], run);
    },
  );

  // A body the server compressed though keyprobe never asked for it (S3 and
  // CloudFront serve objects stored with Content-Encoding: gzip whatever the
  // client accepts). A denial body that echoed the key and a stack trace was
  // judged on its compressed bytes: the check passed ("no denial body revealed
  // … a key … or stack trace") and the report showed binary noise.
  it.for([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)(
    'a %s-encoded denial body that echoes the key and a stack trace is read decoded, and fails the check',
    async ([encoding, compress], t) => {
      const { expect } = t;
      const secret = newSecret();
      const target = await denyingTarget(t, secret, (res, auth) => {
        const body = JSON.stringify({
          error: 'forbidden',
          debug: { authorization: auth, stack: 'Error: denied\n    at check (/srv/app/authz.js:42:7)' },
        });
        res.writeHead(403, { 'content-type': 'application/json', 'content-encoding': encoding }).end(compress(body));
      });
      const run = await runAuthz(t, target, secret);
      expectNoCrash(run);
      const check = run.checks[0]!;
      expect(check.verdict).toBe('fail');
      expect(check.message).toMatch(/reveals the key itself, .*a Node\.js stack trace/);
      // The evidence is the text the server meant, redacted: a reviewer can read it.
      expect(JSON.stringify(check)).toMatch(/forbidden/);
      expect(run.code).toBe(EXIT.fail);
      expectNoSecrets([secret], run);
    },
  );

  // A refusal may put the credential in a header's name (`X-Rejected-<key>: 1`,
  // a debug header keyed by the caller). Only header values were judged and
  // redacted: the check passed and the evidence kept the name as sent, so the
  // publish scan withheld results.json and the run ended in exit 4, with the
  // echo that caused it never named as the target's fault.
  it('a denial that echoes the key in a header name fails the check, and every report is written', async (t) => {
    const { expect } = t;
    const secret = newSecret();
    const target = await denyingTarget(t, secret, (res) => {
      res.writeHead(403, { 'content-type': 'application/json', [`x-denied-${secret}`]: '1' }).end('{"error":"forbidden"}');
    });
    const run = await runAuthz(t, target, secret);
    expectNoCrash(run);
    const check = run.checks[0]!;
    expect(check.verdict, check.message).toBe('fail');
    expect(check.message).toMatch(/header .*reveals the key/);
    expect(run.code).toBe(EXIT.fail);
    expectNoSecrets([secret], run);
  });

  // A refusal that echoes the key with an invisible character between every
  // two of its characters (a NUL, as UTF-16 text has; a control character; a
  // zero-width space). Neither the checks nor the redactor saw the key in it:
  // authz passed, and results.json kept the key, readable once the
  // characters are dropped (junit.xml's writer drops them, which the publish
  // scan caught: without the junit reporter nothing did).
  it.for([
    ['NUL (UTF-16 text)', '\u0000'],
    ['U+0001', '\u0001'],
    ['a zero-width space', '\u200b'],
  ] as const)(
    'a denial body that spells out the key with %s between its characters fails the check, and no report holds it',
    async ([_name, between], t) => {
      const { expect } = t;
      const secret = newSecret();
      const target = await denyingTarget(t, secret, (res, auth) => {
        res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end(`forbidden for ${[...auth].join(between)}`);
      });
      const run = await runAuthz(t, target, secret, ['--reporter', 'console,json,html']);
      expectNoCrash(run);
      const check = run.checks[0]!;
      expect(check.verdict, check.message).toBe('fail');
      expect(check.message).toMatch(/its body reveals the key/);
      expect(run.code).toBe(EXIT.fail);
      // Every file as a reader sees it: JSON escapes undone, invisible characters dropped.
      for (const name of ['results.json', 'report.html']) {
        const text = readFileSync(join(run.outDir, name), 'utf8')
          .replace(/\\u00[01][0-9a-f]|\\u200b|&#x?[0-9a-f]+;/gi, '')
          .replace(/[\u0000-\u001f\u200b\ufffd]/g, '');
        expect(text.includes(secret), name).toBe(false);
      }
      expectNoSecrets([secret], run);
    },
  );

  // The same in a header: its value arrives as bytes, which undici reads as
  // Latin-1, so a zero-width space sent as UTF-8 is three characters (â, and two
  // invisible C1 controls) between every two of the key's.
  it('a denial header that spells out the key with zero-width spaces (UTF-8 bytes) fails the check, and no report holds it', async (t) => {
    const { expect } = t;
    const secret = newSecret();
    const target = await denyingTarget(t, secret, (res, auth) => {
      // Node writes a header string's characters as Latin-1 bytes: these are the UTF-8 bytes of the spelled-out key.
      res.setHeader('x-denied-for', Buffer.from([...auth].join('\u200b'), 'utf8').toString('latin1'));
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":"forbidden"}');
    });
    const run = await runAuthz(t, target, secret, ['--reporter', 'console,json,html']);
    expectNoCrash(run);
    const check = run.checks[0]!;
    expect(check.verdict, check.message).toBe('fail');
    expect(check.message).toMatch(/its x-denied-for header reveals the key/);
    expect(run.code).toBe(EXIT.fail);
    const json = readFileSync(join(run.outDir, 'results.json'), 'utf8').replace(/\\u00[0-9a-f]{2}|â/gi, '');
    expect(json.includes(secret)).toBe(false);
    expectNoSecrets([secret], run);
  });

  // RFC 9110 §8.4: Content-Encoding lists every coding applied, in order, and
  // may come as one field or several. `curl --compressed` and browsers undo
  // them all; keyprobe read only a single coding, so a denial body compressed
  // twice hid the key it echoed and the check passed.
  it.for([
    ['"gzip, gzip" in one field', ['gzip, gzip'], (b: string) => gzipSync(gzipSync(b))],
    ['"deflate, br" in one field', ['deflate, br'], (b: string) => brotliCompressSync(deflateSync(b))],
    ['gzip in two Content-Encoding fields', ['gzip', 'gzip'], (b: string) => gzipSync(gzipSync(b))],
  ] as const)(
    'a denial body encoded twice (%s) that echoes the key is read decoded, and fails the check',
    async ([_name, fields, compress], t) => {
      const { expect } = t;
      const secret = newSecret();
      const target = await denyingTarget(t, secret, (res, auth) => {
        res.setHeader('content-encoding', [...fields]);
        res
          .writeHead(403, { 'content-type': 'application/json' })
          .end(compress(JSON.stringify({ error: 'forbidden', authorization: auth })));
      });
      const run = await runAuthz(t, target, secret);
      expectNoCrash(run);
      const check = run.checks[0]!;
      expect(check.verdict).toBe('fail');
      expect(check.message).toMatch(/reveals the key itself/);
      expect(JSON.stringify(check)).toMatch(/forbidden/);
      expect(run.code).toBe(EXIT.fail);
      expectNoSecrets([secret], run);
    },
  );

  // The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers) list one
  // member per quota: a throttle spends one of them, and a longer quota (a day)
  // rightly has some left. rate.limit-signalled failed such a platform:
  // 'RateLimit "day" says r=4000 remaining on a throttled answer'.
  it('a throttle that announces several quotas, one of them spent, passes rate.limit-signalled', async (t) => {
    const { expect } = t;
    const tmp = tempDirForTest('keyprobe-hostile-', t);
    const secret = newSecret();
    let window = { start: 0, count: 0 };
    const server = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${secret}`) return void res.writeHead(401).end();
      const now = Date.now();
      if (now - window.start >= 1000) window = { start: now, count: 0 };
      const policy = { 'ratelimit-policy': '"burst";q=20;w=1, "day";q=5000;w=86400' };
      if (++window.count > 20)
        return void res
          .writeHead(429, { 'retry-after': '1', ...policy, ratelimit: '"burst";r=0;t=1, "day";r=4000;t=50000' })
          .end('{"error":"rate_limited"}');
      res.writeHead(200, { 'content-type': 'application/json', ...policy }).end('{"agents":[]}');
    });
    const target = await listenForTest(server, t);
    const run = await runKeyprobe(tmp, { origin: target.origin, extra: RATE_LIMIT }, { secret, checks: ['rate.limit-signalled'] });
    expectNoCrash(run);
    expect(run.checks[0]?.verdict, run.checks[0]?.message).toBe('pass');
    expect(run.code).toBe(EXIT.pass);
  });

  // OAuth 2.0 token introspection (RFC 7662 §2.2) names the scopes as one
  // space-separated string, `scope`, as the profile reference promises to
  // read. It was taken only as a list, so the platform's answer was ignored
  // and the narrower declaration passed: a key holding billing:admin passed
  // privilege.least-privilege (with an advisory nobody gates on).
  it('introspected scopes as a space-separated string (RFC 7662) are judged, not ignored for the declaration', async (t) => {
    const { expect } = t;
    const tmp = tempDirForTest('keyprobe-hostile-', t);
    const secret = newSecret();
    const server = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${secret}`) return void res.writeHead(401).end();
      const body = req.url === '/oauth/introspect' ? { active: true, scope: 'agents:read billing:admin' } : { agents: [] };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    const target = await listenForTest(server, t);
    const run = await runKeyprobe(
      tmp,
      {
        origin: target.origin,
        allowed: ['{ method: GET, path: /v1/agents, scope: agents:read }'],
        targetExtra: '  introspection: { path: /oauth/introspect, scopesField: scope }',
      },
      {
        secret,
        checks: ['privilege.least-privilege'],
        profileEdit: (y) => y.replace('  secret: ${env:KP_REL_KEY}', '  secret: ${env:KP_REL_KEY}\n  scopes: [agents:read]'),
      },
    );
    expectNoCrash(run);
    expect(run.checks[0]?.verdict, run.checks[0]?.message).toBe('fail');
    expect(run.checks[0]?.message).toMatch(/billing:admin/);
    expect(run.code).toBe(EXIT.fail);
  });

  // A platform that answers a disabled key with a server error: not served,
  // not refused as the profile declares, so the check cannot judge it. It said
  // so as "throttled: could not judge … (0 of N probes were throttled)", and a
  // user went looking for a rate limit.
  it('a disabled key answered 500 on every probe is error, in words that name the 500, not a throttle', async (t) => {
    const { expect } = t;
    const { run, check, state } = await runDisableCheck({
      test: t,
      canaryAnswer: (res, enabled) =>
        enabled ? jsonAnswer(res, 200, { agents: [] }) : void res.writeHead(500).end('{"error":"internal"}'),
    });
    expect(check.verdict, check.message).toBe('error');
    expect(check.message).not.toMatch(/throttled: could not judge/);
    expect(check.message).toMatch(/500 Internal Server Error/);
    expect(run.code).toBe(EXIT.unverified);
    expect(state.enabled).toBe(true);
  });

  // GitHub's secondary rate limits answer 429 with Retry-After while its
  // X-RateLimit-* fields go on describing the primary, hourly quota (5000, 4980
  // left, reset in an hour). Compared with the declared 1 s limit they failed
  // rate.limit-signalled twice over.
  it('X-RateLimit-* fields of another, longer quota on a throttled answer are not held against the declared limit', async (t) => {
    const { expect } = t;
    const tmp = tempDirForTest('keyprobe-hostile-', t);
    const secret = newSecret();
    let window = { start: 0, count: 0 };
    const hourly = () => ({
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4980',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3000),
    });
    const server = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${secret}`) return void res.writeHead(401).end();
      const now = Date.now();
      if (now - window.start >= 1000) window = { start: now, count: 0 };
      if (++window.count > 20)
        return void res.writeHead(429, { 'retry-after': '1', ...hourly() }).end('{"message":"secondary rate limit"}');
      res.writeHead(200, { 'content-type': 'application/json', ...hourly() }).end('{"agents":[]}');
    });
    const target = await listenForTest(server, t);
    const run = await runKeyprobe(tmp, { origin: target.origin, extra: RATE_LIMIT }, { secret, checks: ['rate.limit-signalled'] });
    expectNoCrash(run);
    expect(run.checks[0]?.verdict, run.checks[0]?.message).toBe('pass');
    expect(run.code).toBe(EXIT.pass);
  });
});

// Retry-After that lies, or cannot be read as one wait (a red-team review):
// the date form read against keyprobe's clock instead of the response's Date,
// a retry time already past, an absurd number of seconds, the field twice,
// and a date-form wait misworded as "said <date> s". Real gateways' honest
// answers (delta-seconds, a date after Date, a day-long penalty box) still pass.
// One case at a time, after the cases above: each runs two bursts (rate.limit-signalled's, then
// rate.recovers') within the profile's request budget, and five side by side slowed their bursts enough
// that a window reset mid-burst and spent the budget (a `timing` run at load 9: rate.recovers gave
// error, "the request budget has 26 requests left, but exceeding a limit of 20 needs 33").
describe('hostile servers: Retry-After', () => {
  const httpDate = (ms: number) => new Date(ms).toUTCString();

  /**
   * 20 calls per fixed 1 s window for `secret`; a throttle then lasts `lockMs`
   * (at least the window). `clockOffsetMs` skews the server's clock (its Date);
   * `hints` gives the throttled answer's headers from that clock, to the second.
   */
  async function limiter(
    t: TestContext,
    secret: string,
    o: { lockMs?: number; clockOffsetMs?: number; hints: (serverNow: number) => Record<string, string | string[]> },
  ): Promise<Listener> {
    let window = { start: 0, count: 0 };
    let lockedUntil = 0;
    const server = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${secret}` || req.url !== '/v1/agents')
        return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      const now = Date.now();
      const serverNow = Math.floor((now + (o.clockOffsetMs ?? 0)) / 1000) * 1000;
      const date = { date: httpDate(serverNow) };
      if (now >= lockedUntil && now - window.start >= 1000) window = { start: now, count: 0 };
      if (now < lockedUntil || ++window.count > 20) {
        if (now >= lockedUntil) lockedUntil = now + Math.max(1000, o.lockMs ?? 0);
        return void res.writeHead(429, { ...date, 'content-type': 'application/json', ...o.hints(serverNow) }).end('{"error":"slow down"}');
      }
      res.writeHead(200, { ...date, 'content-type': 'application/json' }).end('{"agents":[]}');
    });
    return listenForTest(server, t);
  }

  async function run(t: TestContext, target: Listener, secret: string, checks: readonly string[]) {
    const tmp = tempDirForTest('keyprobe-retry-after-', t);
    const r = await runKeyprobe(tmp, { origin: target.origin, extra: RATE_LIMIT }, { secret, checks, signal: AbortSignal.timeout(60_000) });
    expectNoCrash(r);
    t.expect(r.stderr).not.toMatch(/interrupted|SIGINT|abort/i);
    expectNoSecrets([secret], r);
    return { run: r, check: (id: string) => r.checks.find((c) => c.id === id)! };
  }

  // RFC 9110 §10.2.3: a date is relative to the response's Date. A gateway an
  // hour behind keyprobe's clock said "3 s from my Date": read against
  // keyprobe's clock it was a date long past (a wait of 0, then a false FAIL
  // while the key was still throttled); an hour ahead, a wait of an hour.
  it.for([
    ['an hour behind', -3_600_000],
    ['an hour ahead', 3_600_000],
  ] as const)(
    "a date-form Retry-After from a gateway whose clock is %s is read against the response's Date",
    async ([_name, clockOffsetMs], t) => {
      const { expect } = t;
      const secret = newSecret();
      const target = await limiter(t, secret, {
        lockMs: 2000,
        clockOffsetMs,
        hints: (serverNow) => ({ 'retry-after': httpDate(serverNow + 3000) }),
      });
      const { run: r, check } = await run(t, target, secret, ['rate.recovers']);
      const c = check('rate.recovers');
      expect(c.verdict, c.message).toBe('pass');
      expect(c.message).toMatch(/as Retry-After: .* GMT announced/);
      expect(c.measurements.announcedWaitSeconds).toBe(3);
      expect(c.measurements.retryAfterClock).toBe('response-date');
      expect(r.code).toBe(EXIT.pass);
    },
  );

  // A retry time an hour before the response's Date asks for no wait at all,
  // as a negative delta-seconds would (which is malformed): it is no signal.
  // rate.recovers waits the declared window instead and judges the recovery.
  it("a Retry-After an hour before the response's Date fails rate.limit-signalled; rate.recovers waits the window instead", async (t) => {
    const { expect } = t;
    const secret = newSecret();
    const target = await limiter(t, secret, { hints: (serverNow) => ({ 'retry-after': httpDate(serverNow - 3_600_000) }) });
    const { run: r, check } = await run(t, target, secret, ['rate.limit-signalled', 'rate.recovers']);
    const signalled = check('rate.limit-signalled');
    expect(signalled.verdict, signalled.message).toBe('fail');
    expect(signalled.message).toMatch(
      /Retry-After .* GMT names a moment 3600 s before the response's Date: a retry time already past signals no wait/,
    );
    const recovers = check('rate.recovers');
    expect(recovers.verdict, recovers.message).toBe('pass');
    expect(recovers.message).toMatch(/as the declared 1 s window announced/);
    expect(recovers.advisories.join(' ')).toMatch(
      /Retry-After .* GMT names a moment 3600 s before the response's Date, so it announces no wait; waited the declared 1 s window instead/,
    );
    expect(r.code).toBe(EXIT.fail);
  });

  // No limit waits for 10^23 s: that is not a signal, and keyprobe must not
  // wait it (rate.recovers says it cannot wait that long: error, at once). A
  // day-long penalty box (Cloudflare's longest mitigation timeout) is honest.
  it('an absurd Retry-After fails rate.limit-signalled and is never waited; a day passes with an advisory', async (t) => {
    const { expect } = t;
    const secret = newSecret();
    const absurd = await limiter(t, secret, { hints: () => ({ 'retry-after': '99999999999999999999999' }) });
    const { run: r, check } = await run(t, absurd, secret, ['rate.limit-signalled', 'rate.recovers']);
    const signalled = check('rate.limit-signalled');
    expect(signalled.verdict, signalled.message).toBe('fail');
    expect(signalled.message).toMatch(
      /^Retry-After 99999999999999999999999 asks for more than a century, more than a day: no wait for this limit that a client can act on/,
    );
    const recovers = check('rate.recovers');
    expect(recovers.verdict, recovers.message).toBe('error');
    expect(recovers.message).toMatch(/longer than this check waits \(maxWaitSeconds 120\)/);
    expect(r.code).toBe(EXIT.fail);
    expect(r.elapsedMs).toBeLessThan(50_000);

    const secret2 = newSecret();
    const day = await limiter(t, secret2, { hints: () => ({ 'retry-after': '86400' }) });
    const honest = (await run(t, day, secret2, ['rate.limit-signalled'])).check('rate.limit-signalled');
    expect(honest.verdict, honest.message).toBe('pass');
    expect(honest.advisories.join(' ')).toMatch(/Retry-After 86400 asks for 86400 s, 86400× the declared 1 s window/);
  });

  // RFC 9110 §5.3: a singleton field sent twice may be handled as an error.
  it('two Retry-After fields are named as two fields, and are no usable signal', async (t) => {
    const { expect } = t;
    const secret = newSecret();
    const target = await limiter(t, secret, { hints: () => ({ 'retry-after': ['1', '1'] }) });
    const { run: r, check } = await run(t, target, secret, ['rate.limit-signalled', 'rate.recovers']);
    const signalled = check('rate.limit-signalled');
    expect(signalled.verdict, signalled.message).toBe('fail');
    expect(signalled.message).toMatch(/^two Retry-After fields \(1, 1\) on the throttled answer: RFC 9110 §5.3/);
    expect(signalled.message).not.toMatch(/neither seconds nor an HTTP-date/);
    const recovers = check('rate.recovers');
    expect(recovers.verdict, recovers.message).toBe('pass');
    expect(recovers.advisories.join(' ')).toMatch(
      /two Retry-After fields \(1, 1\) on the throttled answer; waited the declared 1 s window instead/,
    );
    expect(r.code).toBe(EXIT.fail);
  });

  // A date-form Retry-After that lies: the message names the date and what it
  // meant, not "said <date> s".
  it('a date-form Retry-After that lies is worded as a date, with the wait it meant', async (t) => {
    const { expect } = t;
    const secret = newSecret();
    const target = await limiter(t, secret, { lockMs: 4000, hints: (serverNow) => ({ 'retry-after': httpDate(serverNow + 1000) }) });
    const { run: r, check } = await run(t, target, secret, ['rate.recovers']);
    const c = check('rate.recovers');
    expect(c.verdict, c.message).toBe('fail');
    expect(c.message).toMatch(
      /^Retry-After said \w{3}, .* GMT \(1 s after the response's Date\) but the key was still throttled \(429 Too Many Requests\)/,
    );
    expect(c.message).not.toMatch(/GMT s /);
    expect(r.code).toBe(EXIT.fail);
  });
});
