// The HTTP client's safety guarantees, over real loopback HTTP: the key only
// goes to the profile's origin; redirects are never followed (a second
// listener that records every header never sees the key, nor anything at
// all); the budget is enforced and counted; evidence carries chosen headers
// and a curl line with ${KEY}, and no secret in any form.
import { createHash, randomBytes } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetExceededError, CheckError, InterruptedError } from '../../src/errors.js';
import { createDispatcher, HttpClient, RequestBudget } from '../../src/http/client.js';
import { fingerprint, SecretRegistry } from '../../src/secrets.js';
import { loadSuite } from '../../src/checks/suite.js';
import { runSuite } from '../../src/runner/run.js';
import { PRELAUNCH_SUITE } from '../detection/run-case.js';
import { findSecrets } from '../helpers/scan.js';
import { loadedProfile } from '../runner/profiles.js';
import { json, startServer, type TestServer } from './servers.js';

const KEY = `kp_prod_${randomBytes(24).toString('base64url').replace(/[-_]/g, 'Q')}`;
const CANARY = `kp_prod_${randomBytes(24).toString('hex')}`;

let other: TestServer;
let target: TestServer;

beforeAll(async () => {
  // The other origin: records every request (startServer does) and answers 200 to anything.
  other = await startServer((_req, res) => json(res, 200, { stolen: true }));
  target = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/redirect-away') return json(res, 302, {}, { location: `${other.origin}/steal` });
    if (url.pathname === '/redirect-307') return json(res, 307, {}, { location: `${other.origin}/steal` });
    if (url.pathname === '/redirect-here') return json(res, 302, {}, { location: '/echo' });
    // Echoes the credential back in every form a careless server might: as is, base64 and sha256.
    const auth = String(req.headers.authorization ?? '');
    const presented = auth.replace(/^Bearer /, '');
    return json(
      res,
      200,
      {
        presented,
        b64: Buffer.from(presented).toString('base64'),
        sha: createHash('sha256').update(presented).digest('hex'),
        query: url.search,
      },
      {
        'x-request-id': 'req-1',
        'set-cookie': 'session=abc',
        'www-authenticate': 'Bearer realm="t"',
      },
    );
  });
});

afterAll(async () => {
  await Promise.all([other.close(), target.close()]);
});

function client(budget = new RequestBudget(100), secrets = registry()) {
  return new HttpClient({
    origin: target.origin,
    auth: { header: 'Authorization', scheme: 'Bearer' },
    primaryKey: KEY,
    timeoutMs: 3000,
    budget,
    secrets,
    dispatcher: createDispatcher(),
  });
}

function registry(): SecretRegistry {
  const s = new SecretRegistry();
  s.add(KEY, 'key');
  s.add(CANARY, 'canary');
  return s;
}

describe('HttpClient origin lock', () => {
  it('refuses any path that would leave the origin, before spending budget or sending anything', async () => {
    const budget = new RequestBudget(10);
    const http = client(budget);
    const otherHost = new URL(other.origin).host;
    for (const path of [`//${otherHost}/x`, `/\\${otherHost}/x`, `${other.origin}/x`, 'relative/path']) {
      await expect(http.send({ label: 'escape', method: 'GET', path })).rejects.toBeInstanceOf(CheckError);
    }
    expect(budget.spent).toBe(0);
    expect(other.received).toHaveLength(0);
  });
});

describe('HttpClient redirects', () => {
  it('returns a redirect to another origin as is and never follows it, with or without credentials', async () => {
    const before = other.received.length;
    const http = client();
    const r302 = await http.send({ label: 'redirect', method: 'GET', path: '/redirect-away' });
    const r307 = await http.send({ label: 'redirect 307', method: 'POST', path: '/redirect-307', body: { a: 1 } });
    const canary = await http.send({
      label: 'canary',
      method: 'GET',
      path: '/redirect-away',
      credential: { kind: 'query', name: 'api_key', value: CANARY },
    });
    expect([r302.status, r307.status, canary.status]).toEqual([302, 307, 302]);
    expect(r302.headers.location).toBe(`${other.origin}/steal`);
    expect(other.received.length).toBe(before);
    // Nothing the other listener ever received carries a secret.
    expect(findSecrets([KEY, CANARY], { texts: { other: JSON.stringify(other.received) } })).toEqual([]);
    // The Location header is kept as evidence.
    expect(http.evidence().exchanges[0]!.responseHeaders.location).toBe(`${other.origin}/steal`);
  });

  it('does not follow a same-origin redirect either (one request, one exchange)', async () => {
    const before = target.received.length;
    const http = client();
    const res = await http.send({ label: 'redirect here', method: 'GET', path: '/redirect-here' });
    expect(res.status).toBe(302);
    expect(target.received.length).toBe(before + 1);
  });
});

describe('HttpClient request budget', () => {
  it('is counted across clients that share it and enforced before sending', async () => {
    const budget = new RequestBudget(3);
    const a = client(budget);
    const b = a.fork();
    const before = target.received.length;
    await a.send({ label: '1', method: 'GET', path: '/echo' });
    await b.send({ label: '2', method: 'GET', path: '/echo' });
    await a.send({ label: '3', method: 'GET', path: '/echo' });
    const fourth = b.send({ label: '4', method: 'GET', path: '/echo' });
    await expect(fourth).rejects.toBeInstanceOf(BudgetExceededError);
    await expect(fourth).rejects.toThrow(/request budget of 3 requests/);
    expect(budget.spent).toBe(3);
    expect(budget.remaining).toBe(0);
    expect(target.received.length - before).toBe(3);
  });
});

describe('HttpClient evidence', () => {
  it('keeps every response header, a curl line with ${KEY}, and no secret in any form', async () => {
    const http = client();
    await http.send({ label: `echo with ${KEY}`, method: 'POST', path: '/echo?x=1', body: { note: KEY } });
    await http.send({
      label: 'canary in query',
      method: 'GET',
      path: '/echo',
      credential: { kind: 'query', name: 'api_key', value: CANARY },
    });
    const [keyed, query] = http.evidence().exchanges;
    const fp = fingerprint(KEY);

    expect(keyed!.requestHeaders.authorization).toBe(`Bearer [key ${fp}]`);
    expect(keyed!.requestHeaders['content-type']).toBe('application/json');
    expect(keyed!.responseHeaders).toMatchObject({
      'content-type': 'application/json',
      'x-request-id': 'req-1',
      'www-authenticate': 'Bearer realm="t"',
    });
    // Every header is kept; one that may carry a session credential keeps its name only.
    expect(keyed!.responseHeaders['set-cookie']).toBe('[withheld]');
    expect(keyed!.responseHeaders.date).toMatch(/GMT$/);
    expect(keyed!.label).toBe(`echo with [key ${fp}]`);
    expect(keyed!.curl).toContain('-H "authorization: Bearer ${KEY}"');
    expect(keyed!.curl).toContain(`-X POST "${target.origin}/echo?x=1"`);
    expect(keyed!.curl).toContain('--data "{\\"note\\":\\"${KEY}\\"}"');
    // The server echoed the key as is, base64 and sha256: all redacted to the fingerprint.
    expect(keyed!.bodyExcerpt).toContain(`[key ${fp}]`);
    expect(keyed!.status).toBe(200);

    // Any other secret shows only as its fingerprint in the path, and as a variable named after it in the curl line.
    expect(query!.path).toBe(`/echo?api_key=[canary ${fingerprint(CANARY)}]`);
    expect(query!.path).not.toContain(CANARY);
    expect(query!.curl).toContain(`?api_key=\${CANARY_${fingerprint(CANARY).slice(7)}}"`);
    expect(query!.curl).not.toContain('${KEY}');

    expect(findSecrets([KEY, CANARY], { texts: { evidence: JSON.stringify(http.evidence()) } })).toEqual([]);
  });

  it('records a network failure as evidence and throws a CheckError that names no secret', async () => {
    const dead = await startServer((_req, res) => void res.destroy());
    const http = new HttpClient({
      origin: dead.origin,
      auth: { header: 'Authorization', scheme: 'Bearer' },
      primaryKey: KEY,
      timeoutMs: 2000,
      budget: new RequestBudget(5),
      secrets: registry(),
      dispatcher: createDispatcher(),
    });
    await dead.close();
    const err = await http.send({ label: 'dead', method: 'GET', path: `/x?k=${KEY}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckError);
    expect(String((err as Error).message)).toMatch(/connection refused/);
    expect(findSecrets([KEY], { texts: { err: String((err as Error).message), evidence: JSON.stringify(http.evidence()) } })).toEqual([]);
    expect(http.evidence().exchanges[0]!.error).toMatch(/connection refused/);
  });
});

describe('a whole run against a target that redirects everything elsewhere', () => {
  it('never reaches the other origin, whatever the checks send', async () => {
    const redirector = await startServer((req, res) => json(res, 307, {}, { location: `${other.origin}${req.url ?? '/'}` }));
    try {
      const before = other.received.length;
      const profile = loadedProfile({
        key: {
          name: 'crm-prod-agent-call',
          system: 'crm',
          environment: 'prod',
          purpose: 'agent-call',
          secret: KEY,
          scopes: ['agents:read'],
        },
        target: { origin: redirector.origin, introspection: { path: '/v1/keys/self' } },
        allowed: [{ method: 'GET', path: '/v1/agents', scope: 'agents:read' }],
        denied: ['POST /v1/agents'],
        canary: { secret: CANARY },
        otherEnvironments: [{ environment: 'test', secret: `kp_test_${randomBytes(16).toString('hex')}` }],
      });
      const suite = loadSuite(PRELAUNCH_SUITE);
      const run = await runSuite({
        profiles: [profile],
        suite,
        only: suite.checks.filter((p) => p.check.phase === 'request').map((p) => p.check.id),
      });
      expect(redirector.received.length).toBeGreaterThan(10);
      expect(other.received.length).toBe(before);
      // The redirect is never mistaken for success: the positive check fails on it.
      expect(run.profiles[0]!.checks.find((c) => c.id === 'auth.valid-key-accepted')!.verdict).toBe('fail');
      expect(findSecrets([KEY, CANARY], { texts: { run: JSON.stringify(run) } })).toEqual([]);
    } finally {
      await redirector.close();
    }
  });
});

describe('HttpClient: what an answer reads as', () => {
  let answers: TestServer;
  beforeAll(async () => {
    answers = await startServer((req, res) => {
      if (req.url === '/early-hints') {
        res.writeEarlyHints({ link: '</style.css>; rel=preload' });
        return json(res, 200, { ok: true });
      }
      if (req.url === '/repeated') {
        res.setHeader('x-tag', ['a', 'b']);
        return json(res, 200, {});
      }
      if (req.url === '/big') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(5000));
      // Headers, then a body that never ends.
      if (req.url === '/stall') return void res.writeHead(200, { 'content-type': 'application/json' }).write('{"a":');
      // No answer at all.
    });
  });
  afterAll(() => answers.close());

  const on = (opts: { bodyCap?: number; timeoutMs?: number; signal?: AbortSignal } = {}) =>
    new HttpClient({
      origin: answers.origin,
      auth: { header: 'Authorization', scheme: 'Bearer' },
      primaryKey: KEY,
      timeoutMs: opts.timeoutMs ?? 3000,
      budget: new RequestBudget(100),
      secrets: registry(),
      dispatcher: createDispatcher(),
      ...(opts.bodyCap !== undefined ? { bodyCap: opts.bodyCap } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });

  it('a 1xx before the answer is not the answer; a repeated header is one value joined by commas', async () => {
    const http = on();
    expect((await http.send({ label: 'hints', method: 'GET', path: '/early-hints' })).status).toBe(200);
    expect((await http.send({ label: 'repeated', method: 'GET', path: '/repeated' })).headers['x-tag']).toBe('a, b');
  });

  it('keeps a body up to the cap, says it was cut, and the next request still goes through', async () => {
    const http = on({ bodyCap: 1000 });
    const res = await http.send({ label: 'big', method: 'GET', path: '/big' });
    expect(res.body).toBe('x'.repeat(1000));
    expect(res.bodyTruncated).toBe(true);
    expect((await http.send({ label: 'again', method: 'GET', path: '/early-hints' })).status).toBe(200);
  });

  it('a body that stops after its headers times out in words that say so; no headers at all, in other words', async () => {
    const http = on({ timeoutMs: 300 });
    await expect(http.send({ label: 'stall', method: 'GET', path: '/stall' })).rejects.toThrow(
      /sent its headers but did not finish the body within 300 ms/,
    );
    await expect(http.send({ label: 'silent', method: 'GET', path: '/silent' })).rejects.toThrow(
      /sent no complete response headers within 300 ms/,
    );
  });

  it('an interruption while waiting for the answer ends the request at once as interrupted', async () => {
    const run = new AbortController();
    const http = on({ timeoutMs: 10_000, signal: run.signal });
    const t0 = performance.now();
    const sent = http.send({ label: 'silent', method: 'GET', path: '/silent' });
    setTimeout(() => run.abort('SIGINT'), 50);
    await expect(sent).rejects.toThrow(InterruptedError);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('an interruption ends every request in flight on its signal, after others have come and gone; another signal’s go on', async () => {
    const run = new AbortController();
    const other = new AbortController();
    const http = on({ timeoutMs: 10_000, signal: run.signal });
    const elsewhere = on({ timeoutMs: 1500, signal: other.signal });
    for (let i = 0; i < 3; i++) expect((await http.send({ label: 'before', method: 'GET', path: '/early-hints' })).status).toBe(200);
    const t0 = performance.now();
    const sent = [
      http.send({ label: 'silent', method: 'GET', path: '/silent' }),
      http.fork().send({ label: 'silent', method: 'GET', path: '/silent' }),
      http.fork().send({ label: 'silent', method: 'GET', path: '/silent' }),
    ];
    const untouched = elsewhere.send({ label: 'silent', method: 'GET', path: '/silent' });
    setTimeout(() => run.abort('SIGINT'), 50);
    for (const s of sent) await expect(s).rejects.toThrow(InterruptedError);
    expect(performance.now() - t0).toBeLessThan(1000);
    // The request on the other signal was not interrupted: it ran into its own deadline.
    await expect(untouched).rejects.toThrow(/sent no complete response headers within 1500 ms/);
  });

  it('leaves no abort listener on its signal once no request waits on it, so Node lets a timeout signal go', async () => {
    // Node holds an AbortSignal.timeout that has an 'abort' listener (and all the listener holds) until its timer
    // fires: a cleanup's 10 s signal, kept by the client's listener, held its client for 10 s after the cleanup.
    const signal = AbortSignal.timeout(60_000);
    const http = on({ signal });
    const answers = await Promise.all([
      http.send({ label: 'one', method: 'GET', path: '/early-hints' }),
      http.fork().send({ label: 'two', method: 'GET', path: '/early-hints' }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    // And the next request on it listens again: an interruption still ends it.
    const run = new AbortController();
    const interruptible = on({ timeoutMs: 10_000, signal: run.signal });
    expect((await interruptible.send({ label: 'before', method: 'GET', path: '/early-hints' })).status).toBe(200);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
    const silent = interruptible.send({ label: 'silent', method: 'GET', path: '/silent' });
    setTimeout(() => run.abort('SIGINT'), 50);
    await expect(silent).rejects.toThrow(InterruptedError);
  });
});

/** A raw TCP server that answers every request 200 with keep-alive and keeps each connection's bytes, and whether the client closed it. */
async function keepAliveServer() {
  const connections: { bytes: string; answered: number; closedByClient: boolean }[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    const conn = { bytes: '', answered: 0, closedByClient: false };
    connections.push(conn);
    sockets.add(socket);
    socket.on('data', (chunk) => {
      conn.bytes += chunk.toString('latin1');
      // One answer per request head received (no bodies are sent here).
      const heads = conn.bytes.split('\r\n\r\n').length - 1;
      for (; conn.answered < heads; conn.answered++)
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\n{}');
    });
    socket.on('end', () => {
      conn.closedByClient = true;
      socket.end();
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('HttpClient: a fresh connection', () => {
  it('each freshConnection request asks to close, goes on a connection of its own and the client closes it, even when the server would keep it; the others share one', async () => {
    const server = await keepAliveServer();
    try {
      const http = new HttpClient({
        origin: server.origin,
        auth: { header: 'Authorization', scheme: 'Bearer' },
        primaryKey: KEY,
        timeoutMs: 3000,
        budget: new RequestBudget(100),
        secrets: registry(),
        dispatcher: createDispatcher(),
      });
      const limit = Error.stackTraceLimit;
      for (let i = 0; i < 4; i++)
        expect((await http.send({ label: 'fresh', method: 'GET', path: `/fresh/${i}`, freshConnection: true })).status).toBe(200);
      for (let i = 0; i < 3; i++) {
        // undici hands a connection back to its pool a moment after the answer: a request sent at once would open another.
        await new Promise((resolve) => setTimeout(resolve, 10));
        expect((await http.send({ label: 'reused', method: 'GET', path: `/reused/${i}` })).status).toBe(200);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      const heads = server.connections.map((c) => c.bytes.split('\r\n\r\n').filter(Boolean));
      expect(heads.map((h) => h.length)).toEqual([1, 1, 1, 1, 3]);
      for (const [i, conn] of server.connections.slice(0, 4).entries()) {
        expect(conn.bytes).toMatch(new RegExp(`^GET /fresh/${i} HTTP/1\\.1\r\n`));
        expect(conn.bytes.match(/^connection: .*$/gim)).toEqual(['connection: close']);
        expect(conn.closedByClient).toBe(true);
      }
      expect(server.connections[4]!.bytes.match(/^connection: .*$/gim)).toEqual([
        'connection: keep-alive',
        'connection: keep-alive',
        'connection: keep-alive',
      ]);
      expect(server.connections[4]!.closedByClient).toBe(false);
      // Whatever the client does to close a connection cheaply, errors made afterwards still carry their stack traces.
      expect(Error.stackTraceLimit).toBe(limit);
      expect(new Error('later').stack).toMatch(/\n\s+at /);
      await http.dispatcher.close();
    } finally {
      await server.close();
    }
  });
});
