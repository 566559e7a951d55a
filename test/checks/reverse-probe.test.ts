// The derive-and-judge primitive of the reverse checks, over loopback: each
// derived request is sent through the check's one HTTP client and judged —
// refused, served, a server error (asked again with the valid key: an outage
// is an `error`, never a failure), the wrong refusal — with one finding per
// failure carrying the answer that proved it and its profile path. A
// throttled answer is never judged: one that stays throttled is an error.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveAndJudge, type ReverseRequest, reverseOutcome } from '../../src/checks/reverse-probe.js';
import { json, startServer, type TestServer } from '../http/servers.js';
import { checkContext } from './check-context.js';

const KEY = `kp_prod_${randomBytes(16).toString('hex')}`;
let server: TestServer;
/** When true, the valid key gets 500 too on /ok: the target is down. */
let down = false;

beforeAll(async () => {
  server = await startServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const withKey = req.headers.authorization === `Bearer ${KEY}`;
    if (path === '/ok') return json(res, down ? 500 : withKey ? 200 : 401, {});
    if (path === '/refuse') return json(res, 401, {}, { 'www-authenticate': 'Bearer' });
    if (path === '/serve') return json(res, 200, { data: 'ledger' });
    if (path === '/crash') return json(res, 500, {});
    if (path === '/not-found') return json(res, 404, {});
    // Throttled for ever: never an answer about the key.
    if (path === '/throttled') return json(res, 429, {}, { 'retry-after': '0' });
    return json(res, 404, {});
  });
});
afterAll(() => server.close());

const context = () => checkContext(server.origin, KEY);

const bad = { kind: 'header', name: 'Authorization', value: 'Bearer not-a-key' } as const;
const request = (path: string, i: number): ReverseRequest => ({
  name: `GET ${path}`,
  resource: { method: 'GET', path },
  credential: bad,
  refusal: [401, 403],
  path: ['denied', i],
});

describe('deriveAndJudge', () => {
  it('judges each answer: refused passes; served, a server error and the wrong refusal fail, each with its finding', async () => {
    down = false;
    const paths = ['/refuse', '/serve', '/crash', '/not-found'];
    const probe = await deriveAndJudge(
      context(),
      paths.map((p, i) => request(p, i)),
    );
    expect(probe.judged.map((j) => j.answer)).toEqual(['refused', 'served', 'server error', 'wrong refusal']);
    expect(probe.failures).toEqual([
      'GET /serve → 200 OK: the credential was accepted',
      'GET /crash → 500 Internal Server Error: a server error instead of a refusal',
      'GET /not-found → 404 Not Found, expected one of 401, 403',
    ]);
    expect(probe.errors).toEqual([]);
    expect(probe.findings.map((f) => [f.path, f.response?.status])).toEqual([
      [['denied', 1], 200],
      [['denied', 2], 500],
      [['denied', 3], 404],
    ]);
    const outcome = reverseOutcome(probe, { expected: 'refusals', failed: (f) => `not refused: ${f}`, passed: 'all refused' });
    expect(outcome.verdict).toBe('fail');
    expect(outcome.findings).toHaveLength(3);
  });

  it('a server error when the valid key fails too is an outage: error, never a failure', async () => {
    down = true;
    try {
      const probe = await deriveAndJudge(context(), [request('/crash', 0)]);
      expect(probe.failures).toEqual([]);
      expect(probe.errors).toEqual([
        'GET /crash: GET /ok answered 500 Internal Server Error, and 500 Internal Server Error with the valid key too: the target is failing, so a refusal could not be told from an outage',
      ]);
      expect(reverseOutcome(probe, { expected: '', failed: (f) => f, passed: '' }).verdict).toBe('error');
    } finally {
      down = false;
    }
  });

  it('a throttled answer is never judged: one that stays throttled is an error, and the requests after it are still judged', async () => {
    const ctx = context();
    const probe = await deriveAndJudge(ctx, [request('/throttled', 0), request('/refuse', 1)]);
    expect(probe.judged.map((j) => j.answer)).toEqual(['refused']);
    expect(probe.failures).toEqual([]);
    expect(probe.errors).toHaveLength(1);
    expect(probe.errors[0]).toMatch(/^GET \/throttled: throttled: could not judge: GET \/throttled answered 429 Too Many Requests/);
    expect(server.received.filter((r) => r.url === '/throttled').length).toBe(2);
    const outcome = reverseOutcome(probe, { expected: '', failed: (f) => f, passed: '' });
    expect(outcome.verdict).toBe('error');
    expect(outcome.message).toMatch(/^could not verify: GET \/throttled: throttled: could not judge/);
  });

  it('a refusal may be a rule: "anything but 2xx" (a key in the URL query), with an advisory for a 5xx', async () => {
    const notServed = (status: number) => status < 200 || status > 299;
    const probe = await deriveAndJudge(
      context(),
      ['/crash', '/serve'].map((p, i) => ({ ...request(p, i), refusal: notServed })),
      { outage: false, advise: (r, res) => (res.status >= 500 ? `${r.name}: a server error, not a clean refusal` : undefined) },
    );
    expect(probe.judged.map((j) => j.answer)).toEqual(['refused', 'served']);
    expect(probe.failures).toEqual(['GET /serve → 200 OK: not refused']);
    expect(probe.advisories).toEqual(['GET /crash: a server error, not a clean refusal']);
  });

  it('stopAtError sends nothing after a request that could not be judged', async () => {
    const before = server.received.length;
    const probe = await deriveAndJudge(context(), [request('/throttled', 0), request('/refuse', 1)], { stopAtError: true });
    expect(probe.judged).toEqual([]);
    expect(server.received.slice(before).map((r) => r.url)).toEqual(['/throttled', '/throttled']);
  });
});
