// Where an https target speaks HTTP/2, a sized burst multiplexes its requests
// as streams on one connection instead of opening (or pipelining) many; where
// it does not, nothing changes. A node:http2 server with a self-signed
// certificate made at test time (openssl) and a fixed-window limiter of 30
// per second; every request it sees is counted by protocol.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { profileSchema } from '../../src/config/profile-schema.js';
import { suiteOfAllChecks } from '../../src/checks/suite.js';
import { runBurst } from '../../src/http/burst.js';
import { createDispatcher, HttpClient, RequestBudget } from '../../src/http/client.js';
import { runSuite } from '../../src/runner/run.js';
import { SecretRegistry } from '../../src/secrets.js';
import { listen, type Listener } from '../reliability/helpers.js';
import { tempDir } from '../helpers/tmp.js';
import { base62 } from '../helpers/random-keys.js';

const KEY = `kp_test_h2burst_${base62(24)}`;
const LIMIT = 30;

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let certs: ReturnType<typeof tempDir>;
let cert: Buffer;
let key: Buffer;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(() => {
  if (!hasOpenssl()) return;
  certs = tempDir('keyprobe-h2-');
  const certFile = join(certs.dir, 'cert.pem');
  const keyFile = join(certs.dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(certFile);
  key = readFileSync(keyFile);
}, 20_000);

afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});
afterAll(() => certs?.cleanup());

interface Limited extends Listener {
  /** Requests seen, by HTTP version ("2.0", "1.1"). */
  readonly byVersion: Record<string, number>;
  /** TLS connections that negotiated HTTP/2. */
  h2Sessions(): number;
}

/** A fixed window of LIMIT requests per second from the first one; then 429 with Retry-After. */
function limiter(byVersion: Record<string, number>) {
  let windowStart = 0;
  let count = 0;
  return (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
    byVersion[req.httpVersion] = (byVersion[req.httpVersion] ?? 0) + 1;
    if (req.headers.authorization !== `Bearer ${KEY}`) return void res.writeHead(401).end('{}');
    const now = Date.now();
    if (now >= windowStart + 1000) {
      windowStart = now;
      count = 0;
    }
    if (count >= LIMIT)
      return void res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":"slow down"}');
    count++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"agents":[]}');
  };
}

async function h2Server(): Promise<Limited> {
  const byVersion: Record<string, number> = {};
  let sessions = 0;
  const server = createSecureServer({ cert, key, allowHTTP1: true }, limiter(byVersion));
  server.on('session', () => sessions++);
  const l = await listen(server as never, 'https');
  closers.push(() => l.close());
  return Object.assign(l, { byVersion, h2Sessions: () => sessions });
}

async function http1Server(): Promise<Limited> {
  const byVersion: Record<string, number> = {};
  const l = await listen(createHttpsServer({ cert, key }, limiter(byVersion)), 'https');
  closers.push(() => l.close());
  return Object.assign(l, { byVersion, h2Sessions: () => 0 });
}

function client(origin: string, ca?: Buffer) {
  const secrets = new SecretRegistry();
  secrets.add(KEY, 'key');
  const dispatcher = createDispatcher(ca ? { ca } : {});
  closers.push(() => dispatcher.close());
  return new HttpClient({
    origin,
    auth: { header: 'Authorization', scheme: 'Bearer' },
    primaryKey: KEY,
    timeoutMs: 3000,
    budget: new RequestBudget(500),
    secrets,
    dispatcher,
    ...(ca ? { ca } : {}),
  });
}

const sizedBurst = (http: HttpClient) =>
  runBurst({
    http,
    label: 'burst',
    method: 'GET',
    path: '/v1/agents',
    concurrency: 8,
    maxRequests: 100,
    maxDurationMs: 5000,
    sizeFromRoundTrip: () => ({ concurrency: 40, maxRequests: 100 }),
  });

describe.skipIf(!hasOpenssl())('bursts over HTTP/2 (needs the openssl command)', () => {
  it('an https target that speaks HTTP/2 gets the burst as streams on one connection, throttle and all', async () => {
    const s = await h2Server();
    const r = await sizedBurst(client(s.origin, cert));
    expect(r).toMatchObject({ protocol: 'h2', concurrency: 40, connections: 1, pipelining: 40, accepted: LIMIT, stoppedBy: 'refusal' });
    expect(r.errorCount).toBe(0);
    expect(r.firstRefusal?.response.status).toBe(429);
    expect(r.firstRefusal?.response.headers['retry-after']).toBe('1');
    expect(r.firstRefusal?.acceptedBefore).toBe(LIMIT);
    // Every request, the two pilots included, went over HTTP/2: one session for the pilots, one for the burst.
    expect(s.byVersion).toEqual({ '2.0': r.sent });
    expect(s.h2Sessions()).toBe(2);
    expect(s.connections()).toBe(2);
  });

  it('an https target without HTTP/2 gets the burst over HTTP/1.1 as before', async () => {
    const s = await http1Server();
    const r = await sizedBurst(client(s.origin, cert));
    expect(r).toMatchObject({ protocol: 'http/1.1', concurrency: 40, connections: 40, pipelining: 1, accepted: LIMIT });
    expect(s.byVersion).toEqual({ '1.1': r.sent });
  });

  it("the burst's connections trust the run's CA, and only it", async () => {
    const s = await h2Server();
    const r = await sizedBurst(client(s.origin));
    expect(r.accepted).toBe(0);
    expect(r.errors[0]).toMatch(/the TLS certificate of 127\.0\.0\.1:\d+ is self-signed and not trusted/);
  });

  it('rate.limit-triggered proves the limit over HTTP/2 and says so', async () => {
    const s = await h2Server();
    const profile = profileSchema.parse({
      key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: KEY },
      target: { origin: s.origin },
      allowed: ['GET /v1/agents'],
      rateLimit: { limit: LIMIT, windowSeconds: 1, probe: 'GET /v1/agents' },
    });
    const result = await runSuite({
      profiles: [{ file: '(test)', digest: '0', profile, secrets: [KEY] }],
      suite: suiteOfAllChecks(),
      only: ['rate.limit-triggered'],
      secrets: new SecretRegistry(),
      ca: cert.toString('utf8'),
    });
    const c = result.profiles[0]!.checks[0]!;
    expect(c.verdict, c.message).toBe('pass');
    expect(c.measurements).toMatchObject({ protocol: 'HTTP/2', acceptedBeforeThrottle: LIMIT });
    expect(String(c.measurements.concurrencySizing)).toMatch(/as HTTP\/2 streams over 1 connection \(up to \d+ each\)$/);
  });
});
