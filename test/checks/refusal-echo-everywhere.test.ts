// Every refusal a check requires is judged for what it says back, not only
// the auth checks' and authz's: env.foreign-environment-key-rejected fails on
// a refusal that quotes the foreign key (or another secret of the run), or
// holds a stack trace in its body or in any header; a masked quote of it and
// its id or name pass. Every check that judges a refusal looks for stack
// traces in headers too (on one line, or percent-encoded), and does not take
// real gateways' error headers for one. A masked quote of the canary passes
// auth.key-in-query-rejected as a masked quote of the key does. Over real
// loopback HTTP, through the runner (runOne), with keys made at test time;
// nothing the check returned holds a secret.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../src/config/profile-schema.js';
import { loadedProfile } from '../runner/profiles.js';
import { headerReveals } from '../../src/checks/refusal-echo.js';
import type { CheckResult } from '../../src/result.js';
import { SecretRegistry } from '../../src/secrets.js';
import { base62, randomChars } from '../helpers/random-keys.js';
import { findSecrets } from '../helpers/scan.js';
import { json, startServer, type TestServer } from '../http/servers.js';
import { runOne } from './run-one.js';

const KEY = `kp_live_${base62(32)}`;
const CANARY = `kp_live_${base62(32)}`;
const FOREIGN = `kp_test_${base62(32)}`;
/** A foreign key with no type prefix: 40 random characters. */
const PLAIN_FOREIGN = base62(40);
const FOREIGN_ID = `key_${base62(12)}`;

/** Java, Python, Node.js and Go traces as debug headers carry them: on one line, or percent-encoded. */
const TRACE_HEADERS: Record<string, [string, string]> = {
  java: [
    'x-debug-exception',
    'java.lang.IllegalStateException: key refused at com.acme.auth.ApiKeyFilter.doFilterInternal(ApiKeyFilter.java:87) at org.springframework.web.filter.OncePerRequestFilter.doFilter(OncePerRequestFilter.java:116)',
  ],
  'python-encoded': [
    'x-error',
    encodeURIComponent('Traceback (most recent call last):\n  File "/app/auth.py", line 12, in check_key\nKeyError: \'kp\''),
  ],
  'python-plus': ['x-error', 'File+%22%2Fapp%2Fauth.py%22%2C+line+12%2C+in+check_key'],
  node: ['x-error-stack', 'Error: invalid key    at authenticate (/srv/app/auth.js:12:19)    at Layer.handle (/srv/app/router.js:95:5)'],
  go: ['x-panic', 'goroutine 7 [running]: main.auth(0xc000010000) /go/src/app/auth.go:42 +0x1d'],
  // Symfony in debug mode: the thrown exception's file and line, as rawurlencode(file):line.
  'php-file': [
    'x-debug-exception-file',
    `${encodeURIComponent('/var/www/vendor/symfony/security-http/Firewall/ExceptionListener.php')}:123`,
  ],
};

/** `n` random lowercase hex digits: the ids gateways stamp on an answer, made at test time. */
const hex = (n: number) => randomChars('0123456789abcdef', n);

/**
 * Error headers of real gateways and frameworks (their documented answers to a
 * refused or failed request), with their request ids made at test time: none
 * is a stack trace.
 */
const GATEWAY_HEADERS: Record<string, string> = {
  // AWS API Gateway
  'x-amzn-errortype': 'UnauthorizedException:http://internal.amazon.com/coral/com.amazon.coral.service/',
  'x-amzn-requestid': `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`,
  'x-amz-apigw-id': `${base62(15)}=`,
  'x-amzn-trace-id': `Root=1-${hex(8)}-${hex(24)}`,
  // CloudFront in front of it
  'x-cache': 'Error from cloudfront',
  via: `1.1 ${hex(32)}.cloudfront.net (CloudFront)`,
  'x-amz-cf-pop': 'FRA56-P1',
  // nginx and HAProxy error pages
  server: 'nginx/1.25.3',
  'cache-control': 'no-cache',
  connection: 'close',
  // Kong
  'x-kong-response-latency': '1',
  'x-kong-request-id': hex(32),
  // Envoy, Cloudflare
  'x-envoy-upstream-service-time': '12',
  'cf-ray': `${hex(16)}-FRA`,
  nel: '{"success_fraction":0,"report_to":"cf-nel","max_age":604800}',
  'report-to': '{"endpoints":[{"url":"https:\\/\\/a.nel.cloudflare.com\\/report\\/v4?s=abc%2Fdef"}],"group":"cf-nel","max_age":604800}',
  // Azure API Management
  'www-authenticate': 'AzureApiManagementKey realm="https://contoso.azure-api.net/echo",name="Ocp-Apim-Subscription-Key",type="header"',
  // Spring Security, Symfony, Rails, Express
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=31536000 ; includeSubDomains',
  'x-debug-token-link': 'https://api.example.com/_profiler/3f2a1b',
  'x-debug-exception': 'Full%20authentication%20is%20required%20to%20access%20this%20resource.',
  'x-runtime': '0.012345',
  'x-powered-by': 'Express',
  link: '</static/js/app.4f3a2b.js>; rel=preload; as=script',
  sourcemap: '/static/js/main.js.map',
  'content-security-policy': "default-src 'none'; script-src 'self' https://cdn.example.com/app.js; report-uri /csp",
  'set-cookie': 'AWSALB=abc; Expires=Sat, 07 Dec 2026 10:00:00 GMT; Path=/',
  'x-error': 'Unauthorized',
  'x-error-message': 'Invalid API key provided at the gateway',
};

/**
 * How the target answers a foreign key (GET /v1/agents with it):
 * clean, body (quotes it), header (WWW-Authenticate error_description),
 * masked (its type prefix and 4 characters, then the last 4), prefix-and-12
 * (the prefix and 12 characters past it), id (only its id and name),
 * other-secret (quotes the canary), trace-body, and one mode per TRACE_HEADERS
 * entry (`trace:NAME`), and gateway (every GATEWAY_HEADERS header).
 */
let mode = 'clean';
let foreign = FOREIGN;

function target(req: IncomingMessage, res: ServerResponse): void {
  const authorization = String(req.headers.authorization ?? '');
  // trace-all: every refusal (the 403 of the denied resource too) carries a Java trace in X-Debug-Exception.
  const [traceName, trace] = TRACE_HEADERS.java!;
  const traced = mode === 'trace-all' ? { [traceName]: trace } : {};
  if (req.url === '/v1/admin' && authorization === `Bearer ${KEY}`) {
    json(res, 403, { error: 'forbidden' }, traced);
    return;
  }
  if (authorization === `Bearer ${KEY}` || authorization === `Bearer ${CANARY}`) {
    json(res, 200, { agents: [{ id: 'agt-support', name: 'Support agent' }] });
    return;
  }
  const presented = authorization.replace(/^Bearer /, '');
  const headers: Record<string, string> = { 'www-authenticate': 'Bearer realm="api", error="invalid_token"', ...traced };
  let body: unknown = { error: 'invalid_key' };
  // Only the foreign key's refusal is bent: every other refusal (the near misses, say) stays clean.
  if (presented === foreign) {
    if (mode === 'body') body = { error: `key ${presented} belongs to another environment` };
    if (mode === 'header')
      headers['www-authenticate'] = `Bearer error="invalid_token", error_description="the key ${presented} is foreign"`;
    if (mode === 'masked') body = { error: `key ${presented.slice(0, 12)}****${presented.slice(-4)} belongs to another environment` };
    if (mode === 'prefix-and-12') body = { error: `key ${presented.slice(0, 20)}**** belongs to another environment` };
    if (mode === 'id') body = { error: `key ${FOREIGN_ID} (crm-test-agent-call) belongs to another environment` };
    if (mode === 'other-secret') body = { error: `this environment expects keys like ${CANARY}` };
    if (mode === 'trace-body') body = { error: 'wrong_environment', stack: 'Error: foreign\n    at checkEnv (/srv/app/env.js:3:9)' };
    if (mode.startsWith('trace:')) {
      const [name, value] = TRACE_HEADERS[mode.slice('trace:'.length)]!;
      headers[name] = value;
    }
    if (mode === 'gateway') Object.assign(headers, GATEWAY_HEADERS);
  }
  json(res, 401, body, headers);
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer(target);
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  mode = 'clean';
  foreign = FOREIGN;
});

function profile(): ProfileInput {
  return {
    key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: KEY },
    target: { origin: server.origin },
    allowed: ['GET /v1/agents'],
    denied: ['GET /v1/admin'],
    canary: { secret: CANARY },
    otherEnvironments: [{ environment: 'test', secret: foreign }],
  } as ProfileInput;
}

async function run(id: string, as: string, withForeign = FOREIGN): Promise<CheckResult> {
  mode = as;
  foreign = withForeign;
  const r = await runOne(id, profile());
  expect(findSecrets([KEY, CANARY, FOREIGN, PLAIN_FOREIGN], { texts: { result: JSON.stringify(r) } })).toEqual([]);
  return r;
}

describe('env.foreign-environment-key-rejected judges what the refusal says back', () => {
  const id = 'env.foreign-environment-key-rejected';

  it('fails a 401 that quotes the foreign key in its body or its challenge, naming it', async () => {
    for (const [as, where] of [
      ['body', 'body'],
      ['header', 'www-authenticate header'],
    ] as const) {
      const r = await run(id, as);
      expect(r.verdict, `${as}: ${r.message}`).toBe('fail');
      expect(r.message).toBe(
        `the keys of other environments were refused, but a refusal said too much: test key → refused with 401 Unauthorized, but its ${where} reveals the test key itself`,
      );
      expect(r.findings.length).toBe(1);
      expect(r.evidence.some((e) => e.failing)).toBe(true);
    }
  });

  it('fails a 401 that quotes another secret of the run, or holds a stack trace in its body', async () => {
    const other = await run(id, 'other-secret');
    expect(other.verdict).toBe('fail');
    expect(other.message).toMatch(/test key → refused with 401 Unauthorized, but its body reveals another secret of this run$/);
    const trace = await run(id, 'trace-body');
    expect(trace.verdict).toBe('fail');
    expect(trace.message).toMatch(/its body reveals a Node\.js stack trace$/);
  });

  it('fails 12 characters past the type prefix, and the first 12 of a foreign key with no prefix', async () => {
    const r = await run(id, 'prefix-and-12');
    expect(r.verdict, r.message).toBe('fail');
    expect(r.message).toMatch(/its body reveals part of the test key \(as is, 20 of 40 characters\)/);
    const plain = await run(id, 'masked', PLAIN_FOREIGN);
    expect(plain.verdict, plain.message).toBe('fail');
    expect(plain.message).toMatch(/its body reveals part of the test key/);
  });

  it('passes a clean 401, one that quotes the key masked (type prefix, 4, ****, last 4), and one that names only its id', async () => {
    for (const as of ['clean', 'masked', 'id']) {
      const r = await run(id, as);
      expect(r.verdict, `${as}: ${r.message}`).toBe('pass');
    }
  });

  it('fails a stack trace in a header, on one line or percent-encoded, naming the header and the runtime', async () => {
    const expected: Record<string, string> = {
      java: 'its x-debug-exception header reveals a Java stack trace',
      'python-encoded': 'its x-error header reveals a Python stack trace',
      'python-plus': 'its x-error header reveals a Python stack trace',
      node: 'its x-error-stack header reveals a Node.js stack trace',
      go: 'its x-panic header reveals a Go stack trace',
      'php-file': 'its x-debug-exception-file header reveals a PHP stack trace',
    };
    for (const [name, words] of Object.entries(expected)) {
      const r = await run(id, `trace:${name}`);
      expect(r.verdict, `${name}: ${r.message}`).toBe('fail');
      expect(r.message).toMatch(new RegExp(`test key → refused with 401 Unauthorized, but ${words}$`));
    }
  });

  it('passes a 401 carrying the error headers of real gateways (AWS API Gateway, CloudFront, nginx, Kong, Envoy, Cloudflare, Azure, Spring, Symfony)', async () => {
    const r = await run(id, 'gateway');
    expect(r.verdict, r.message).toBe('pass');
  });
});

describe('a stack trace in a header fails every check that judges a refusal', () => {
  for (const id of [
    'auth.missing-key-rejected',
    'auth.invalid-key-rejected',
    'auth.near-miss-key-rejected',
    'auth.key-in-query-rejected',
    'authz.unauthorized-resource-denied',
    'env.foreign-environment-key-rejected',
  ]) {
    it(`${id}: fails a refusal whose X-Debug-Exception header holds a Java stack trace, and passes it without`, async () => {
      const r = await run(id, 'trace-all');
      expect(r.verdict, r.message).toBe('fail');
      expect(r.message).toMatch(/its x-debug-exception header reveals a Java stack trace/);
      const clean = await run(id, 'clean');
      expect(clean.verdict, clean.message).toBe('pass');
    });
  }
});

describe('the header detector alone', () => {
  const loaded = loadedProfile({
    key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: KEY },
    target: { origin: 'http://127.0.0.1:9' },
    allowed: ['GET /v1/agents'],
  } as ProfileInput);
  const secrets = new SecretRegistry();
  secrets.add(KEY, 'key');

  it('finds no stack trace and no secret in real gateways’ error headers', () => {
    expect(headerReveals(GATEWAY_HEADERS, loaded.profile, secrets)).toEqual([]);
  });

  it('finds each trace, by header', () => {
    for (const [name, value] of Object.values(TRACE_HEADERS))
      expect(headerReveals({ [name]: value }, loaded.profile, secrets), name).toEqual([[name, [expect.stringMatching(/ stack trace$/)]]]);
  });
});

describe('a masked quote of the canary counts as a masked quote of the key does', () => {
  const id = 'auth.key-in-query-rejected';
  /** The canary-in-query refusal quotes the canary from the URL as `as` says. */
  let quote: (canary: string) => string = () => '';
  let queryServer: TestServer;
  beforeAll(async () => {
    queryServer = await startServer((req, res) => {
      const authorization = String(req.headers.authorization ?? '');
      if (authorization === `Bearer ${KEY}` || authorization === `Bearer ${CANARY}`) return json(res, 200, { agents: [] });
      const inQuery = [...new URL(req.url ?? '/', 'http://x').searchParams.values()].find((v) => v === CANARY);
      json(res, 401, inQuery ? { error: `a key in the URL is not accepted: ${quote(inQuery)}` } : { error: 'no key' });
    });
  });
  afterAll(async () => {
    await queryServer.close();
  });

  async function runQuery(as: (canary: string) => string): Promise<CheckResult> {
    quote = as;
    const r = await runOne(id, { ...profile(), target: { origin: queryServer.origin } } as ProfileInput);
    expect(findSecrets([KEY, CANARY], { texts: { result: JSON.stringify(r) } })).toEqual([]);
    return r;
  }

  it('passes the type prefix and 4 characters, then the last 4 (OpenAI), and the prefix and the last 4 (Stripe)', async () => {
    for (const as of [
      (c: string) => `${c.slice(0, 12)}${'*'.repeat(16)}${c.slice(-4)}`,
      (c: string) => `${c.slice(0, 8)}...${c.slice(-4)}`,
    ]) {
      const r = await runQuery(as);
      expect(r.verdict, r.message).toBe('pass');
    }
  });

  it('fails the prefix and 12 characters past it, and the canary whole', async () => {
    for (const as of [(c: string) => `${c.slice(0, 20)}****`, (c: string) => c]) {
      const r = await runQuery(as);
      expect(r.verdict, r.message).toBe('fail');
      expect(r.message).toMatch(/\?api_key= refused with 401 Unauthorized, but its body reveals another secret of this run/);
    }
  });
});
