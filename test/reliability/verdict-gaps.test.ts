// Verdict gaps a red-team review left open (docs/verdicts.md): servers whose
// answers look right by status but are not, each pointed at the real CLI
// (in-process) over loopback, asserting the verdict, the exit code, no stack
// trace and no secret in any output.
import { createServer } from 'node:http';
import { describe, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { adminLifecycle, expectNoCrash, expectNoSecrets, listenForTest, newSecret, runKeyprobe, tempDirForTest } from './helpers.js';

const AUTH_CHECKS = ['auth.missing-key-rejected', 'auth.invalid-key-rejected', 'auth.near-miss-key-rejected'];

// Every case has a server, keys and a temp dir of its own; the rate and expiry
// cases wait on real windows: five run at once (vitest's maxConcurrency), each
// with its own context's expect and cleanup (test/helpers/running-test.ts).
describe.concurrent('verdict gaps', () => {
  // "Execution after redirect": the handler wrote the resource before the
  // auth decision, so no key and bad keys get 401 *with the data*. Every auth
  // check passed on the status alone.
  it('a 401 that carries the resource the valid key is served fails the auth checks', async (t) => {
    const { expect } = t;
    const tmp = tempDirForTest('keyprobe-gaps-', t);
    const secret = newSecret();
    const canary = newSecret('canary');
    const data = JSON.stringify({ agents: [{ id: 'agt-support', owner: 'crm-platform-team', prompt: 'internal system prompt v7' }] });
    const server = createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      const ok = (auth === `Bearer ${secret}` || auth === `Bearer ${canary}`) && !req.url?.includes('?');
      if (req.method === 'GET' && req.url === '/v1/agents')
        return void res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(data);
      res.writeHead(ok ? 403 : 401, { 'content-type': 'application/json' }).end('{"error":"no"}');
    });
    const target = await listenForTest(server, t);
    const run = await runKeyprobe(tmp, { origin: target.origin }, { secret, otherSecrets: [canary], checks: AUTH_CHECKS });
    expectNoCrash(run);
    expect(run.checks.map((c) => [c.id, c.verdict])).toEqual(AUTH_CHECKS.map((id) => [id, 'fail']));
    for (const c of run.checks) expect(c.message).toMatch(/refused with 401 Unauthorized, but its body holds the resource's data/);
    // Compared with what the key was served earlier in the run (the preflight's GET), not asked for again:
    // a control per check would push the key past its pacing headroom in the first second.
    for (const c of run.checks) expect(c.evidence.map((e) => e.label).filter((l) => l.startsWith('control, valid key'))).toEqual([]);
    expect(run.code).toBe(EXIT.fail);
    expectNoSecrets([secret, canary], run);
  });

  // The same rule must not fire on a generic body: a server that answers `{}`
  // (or a short error) to everyone, and serves `{}` to the key too.
  it('a short body shared by the refusal and the served answer is not data: the auth checks pass', async (t) => {
    const { expect } = t;
    const tmp = tempDirForTest('keyprobe-gaps-', t);
    const secret = newSecret();
    const server = createServer((req, res) => {
      const ok = req.headers.authorization === `Bearer ${secret}` && !req.url?.includes('?');
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end('{"status":"ok"}');
    });
    const target = await listenForTest(server, t);
    const run = await runKeyprobe(tmp, { origin: target.origin }, { secret, checks: AUTH_CHECKS });
    expectNoCrash(run);
    expect(run.checks.map((c) => [c.id, c.verdict])).toEqual(AUTH_CHECKS.map((id) => [id, 'pass']));
    expect(run.code).toBe(EXIT.pass);
  });

  // An expired canary served a little past its expiry, then answered 500 on
  // every probe: no probe was throttled, yet the check said "throttled: could
  // not judge" (as disabled-key did before 8a8b012).
  it('an expired canary answered 500 after its expiry is error, in words that name the 500, not a throttle', async (t) => {
    const { expect } = t;
    const tmp = tempDirForTest('keyprobe-gaps-', t);
    const secret = newSecret();
    const admin = newSecret('admin');
    const canary = newSecret('canary');
    // The key the create makes: not the declared canary (a create that hands back a declared key is refused).
    const created = newSecret('created');
    let expiresAt = Number.POSITIVE_INFINITY;
    let deleted = false;
    const server = createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      const json = (status: number, body: unknown) =>
        void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url?.startsWith('/admin/')) {
        if (auth !== `Bearer ${admin}`) return json(401, { error: 'unauthorized' });
        if (req.method === 'POST' && req.url === '/admin/keys') {
          let raw = '';
          req.on('data', (c) => (raw += c));
          req.on('end', () => {
            expiresAt = Date.now() + Number((JSON.parse(raw) as { expiresInSeconds: number }).expiresInSeconds) * 1000;
            json(201, { id: 'key_c1', secret: created, expiresAt: new Date(expiresAt).toISOString() });
          });
          return;
        }
        if (req.method === 'DELETE') {
          deleted = true;
          return json(200, {});
        }
        return json(404, { error: 'not found' });
      }
      if (auth === `Bearer ${created}` && !deleted) {
        // Served a little past the expiry (a cache), then a server error on every probe.
        if (Date.now() > expiresAt + 300) return json(500, { error: 'internal' });
        return json(200, { agents: [] });
      }
      json(auth === `Bearer ${secret}` ? 200 : 401, auth === `Bearer ${secret}` ? { agents: [] } : { error: 'unauthorized' });
    });
    const target = await listenForTest(server, t);
    const lifecycle = adminLifecycle([
      'create: { method: POST, path: /admin/keys, body: { name: "{{name}}", expiresInSeconds: "{{expiresInSeconds}}" } }',
      'delete: DELETE /admin/keys/{{id}}',
    ]);
    const run = await runKeyprobe(
      tmp,
      { origin: target.origin, budget: 1000, extra: lifecycle },
      {
        secret,
        otherSecrets: [canary],
        env: { KP_REL_ADMIN: admin },
        checks: ['lifecycle.expired-key-rejected'],
        profileEdit: (y) =>
          y.replace('  owner: crm-platform-team@example.com', '  owner: crm-platform-team@example.com\n  scopes: [agents:read]'),
      },
    );
    expectNoCrash(run);
    const check = run.checks[0]!;
    expect(check.verdict, check.message).toBe('error');
    expect(check.message).not.toMatch(/throttled/);
    expect(check.message).toMatch(/answered 500 Internal Server Error/);
    expect(deleted).toBe(true);
    // Refused after its expiry anyway: its delete cannot be verified by probing, and says so: `sent`, never `verified`.
    expect(run.result?.cleanup?.records[0]?.detail).toMatch(/^delete sent; not verifiable by probing: the canary was created to expire/);
    expect(run.result?.cleanup?.records[0]?.outcome).toBe('sent');
    expectNoSecrets([secret, canary, created, admin], run);
  });

  // A second key throttled before keyprobe sent anything with it (another
  // client's traffic, a daily quota spent): after the key's burst it is
  // throttled too, and the check failed the target's per-key limit as shared.
  it('rate.per-key-isolation with a second key throttled before the burst is error, not a shared limit', async (t) => {
    const { expect } = t;
    const tmp = tempDirForTest('keyprobe-gaps-', t);
    const secret = newSecret();
    const canary = newSecret('canary');
    const buckets = new Map<string, { w: number; c: number }>();
    const server = createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      if (auth === `Bearer ${canary}`)
        return void res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":"slow down"}');
      if (auth !== `Bearer ${secret}` || req.url !== '/v1/agents')
        return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      const w = Math.floor(Date.now() / 1000);
      const b = buckets.get(auth) ?? { w, c: 0 };
      if (b.w !== w) Object.assign(b, { w, c: 0 });
      buckets.set(auth, b);
      if (++b.c > 20)
        return void res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":"slow down"}');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"agents":[]}');
    });
    const target = await listenForTest(server, t);
    const rateLimit = ['rateLimit:', '  limit: 20', '  windowSeconds: 1', '  probe: GET /v1/agents'].join('\n');
    const run = await runKeyprobe(
      tmp,
      { origin: target.origin, budget: 1000, extra: rateLimit },
      { secret, otherSecrets: [canary], checks: ['rate.per-key-isolation'] },
    );
    expectNoCrash(run);
    const check = run.checks[0]!;
    expect(check.verdict, check.message).toBe('error');
    expect(check.message).toMatch(/not served before the burst \(429 Too Many Requests, throttled already\)/);
    expect(run.code).toBe(EXIT.unverified);
    expectNoSecrets([secret, canary], run);
  });

  // Contradicting hints. Retry-After is the wait the server asks for, and the
  // IETF draft gives it precedence over RateLimit's t=, so neither is a failure
  // (rate.recovers judges the recovery), but each is an advisory naming both
  // figures: a 1 s limiter whose 429 asks for an hour (before: a silent pass),
  // and a Retry-After of 1 next to t=3600 (an advisory already; kept so).
  it.for([
    ['Retry-After 3600 on a 1 s window', { 'retry-after': '3600' }, /Retry-After 3600 asks for 3600 s, 3600× the declared 1 s window/],
    [
      'Retry-After 1 with RateLimit t=3600',
      { 'retry-after': '1', ratelimit: '"default";r=0;t=3600' },
      /RateLimit t=3600 disagrees with Retry-After 1 \(Retry-After takes precedence\)/,
    ],
  ] as const)('rate.limit-signalled: %s passes with an advisory naming both figures', async ([_name, hints, advisory], t) => {
    const { expect } = t;
    const tmp = tempDirForTest('keyprobe-gaps-', t);
    const secret = newSecret();
    let w = 0;
    let c = 0;
    const server = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${secret}` || req.url !== '/v1/agents')
        return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      const now = Math.floor(Date.now() / 1000);
      if (now !== w) [w, c] = [now, 0];
      if (++c > 20) return void res.writeHead(429, { ...hints, 'content-type': 'application/json' }).end('{"error":"slow down"}');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"agents":[]}');
    });
    const target = await listenForTest(server, t);
    const rateLimit = ['rateLimit:', '  limit: 20', '  windowSeconds: 1', '  probe: GET /v1/agents'].join('\n');
    const run = await runKeyprobe(
      tmp,
      { origin: target.origin, budget: 1000, extra: rateLimit },
      { secret, checks: ['rate.limit-signalled'], signal: AbortSignal.timeout(30_000) },
    );
    expectNoCrash(run);
    const check = run.checks[0]!;
    expect(check.verdict, check.message).toBe('pass');
    expect(check.advisories?.join(' ')).toMatch(advisory);
    expectNoSecrets([secret], run);
  });

  // A management API whose delete answers 200 and does nothing. The created
  // canary was disabled (or expired) first, so the cleanup's probe after the
  // delete was refused anyway, and the delete was reported "refused: … →
  // 401": verified by a probe that proves nothing.
  it('the delete of a disabled created canary is said to be not verifiable by probing, never verified by a refusal', async (t) => {
    const { expect } = t;
    const tmp = tempDirForTest('keyprobe-gaps-', t);
    const secret = newSecret();
    const admin = newSecret('admin');
    const canary = newSecret('canary');
    let canaryEnabled = true;
    let deletes = 0;
    const server = createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      const json = (status: number, body: unknown) =>
        void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url?.startsWith('/admin/')) {
        if (auth !== `Bearer ${admin}`) return json(401, { error: 'unauthorized' });
        if (req.method === 'POST' && req.url === '/admin/keys') return json(201, { id: 'key_c1', secret: canary });
        const m = /^\/admin\/keys\/key_c1\/(disable|enable)$/.exec(req.url);
        if (m) {
          canaryEnabled = m[1] === 'enable';
          return json(200, {});
        }
        if (req.method === 'DELETE') {
          deletes++; // and nothing else: the canary stays
          return json(200, {});
        }
        return json(404, { error: 'not found' });
      }
      const ok = auth === `Bearer ${secret}` || (auth === `Bearer ${canary}` && canaryEnabled);
      json(ok ? 200 : 401, ok ? { agents: [] } : { error: 'unauthorized' });
    });
    const target = await listenForTest(server, t);
    const lifecycle = adminLifecycle(
      [
        'create: { method: POST, path: /admin/keys, body: { name: "{{name}}" } }',
        'disable: POST /admin/keys/{{id}}/disable',
        'enable: POST /admin/keys/{{id}}/enable',
        'delete: DELETE /admin/keys/{{id}}',
      ],
      ['maxRevocationWaitMs: 1500', 'stabilityWindowMs: 200'],
    );
    const run = await runKeyprobe(
      tmp,
      { origin: target.origin, budget: 1000, extra: lifecycle },
      {
        secret,
        otherSecrets: [canary],
        env: { KP_REL_ADMIN: admin },
        checks: ['lifecycle.disabled-key-rejected'],
        profileEdit: (y) =>
          y
            // No declared canary: the check creates one.
            .replace('canary:\n  secret: ${env:KP_REL_CANARY}\n', '')
            .replace('  owner: crm-platform-team@example.com', '  owner: crm-platform-team@example.com\n  scopes: [agents:read]'),
      },
    );
    expectNoCrash(run);
    expect(deletes).toBe(1);
    const records = run.result?.cleanup?.records ?? [];
    expect(records.map((r) => [r.subject, r.action])).toEqual([['created canary', 'delete']]);
    expect(records[0]!.detail).toMatch(/^delete sent; not verifiable by probing: the canary was disabled before the delete/);
    // Its outcome is `sent`, never `verified`; it does not gate (the check passed: exit 0), but the console names it.
    expect(records[0]!.outcome).toBe('sent');
    expect(run.result?.cleanup?.complete).toBe(true);
    expect(run.code).toBe(EXIT.pass);
    expect(run.stdout).toMatch(
      /Cleanup sent, not verifiable by probing: one action was acknowledged, but no probe can tell whether it took effect \(does not gate the launch\):\n {2}delete created canary "keyprobe-canary-[0-9a-f]+" \(id key_c1\) of .* after lifecycle\.disabled-key-rejected: delete sent; not verifiable by probing/,
    );
    expect(run.stdout).not.toMatch(/CLEANUP INCOMPLETE/);
    // The run's notes (HTML report, results.json) say so too.
    expect(run.result?.profiles[0]?.notes.join('\n')).toMatch(/cleanup: delete created canary .*: delete sent; not verifiable by probing/);
    expectNoSecrets([secret, canary, admin], run);
  });
  // A management API whose create "succeeds" by handing back a key that already
  // exists: a get-or-create, a stub, an extract path that reads the caller's
  // own key. keyprobe took it for a canary of its own: the disable check
  // disabled it, and cleanup deleted it — the profile's production key, gone,
  // with PASS printed and the delete "verified" by the refusal it caused.
  it.for([
    ['the profile’s own key', 'own'],
    ['the declared second key', 'second'],
  ] as const)(
    'a create that answers with %s is never acted on as a canary: error, nothing disabled or deleted',
    async ([_what, which], t) => {
      const { expect } = t;
      const tmp = tempDirForTest('keyprobe-gaps-', t);
      const secret = newSecret();
      const second = newSecret('second');
      const admin = newSecret('admin');
      const returned = which === 'own' ? secret : second;
      const actions: string[] = [];
      let off = false;
      let deleted = false;
      const server = createServer((req, res) => {
        const auth = req.headers.authorization ?? '';
        const json = (status: number, body: unknown) =>
          void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        if (req.url?.startsWith('/admin/')) {
          if (auth !== `Bearer ${admin}`) return json(401, { error: 'unauthorized' });
          actions.push(`${req.method} ${req.url}`);
          if (req.method === 'POST' && req.url === '/admin/keys') return json(200, { id: 'key_existing', secret: returned });
          // The existing key really is disabled, enabled and deleted.
          if (req.url === '/admin/keys/key_existing/disable') off = true;
          if (req.url === '/admin/keys/key_existing/enable') off = false;
          if (req.method === 'DELETE') deleted = true;
          return json(200, {});
        }
        const works = (key: string) => auth === `Bearer ${key}` && !(key === returned && (off || deleted));
        const ok = works(secret) || works(second);
        json(ok ? 200 : 401, ok ? { agents: [] } : { error: 'unauthorized' });
      });
      const target = await listenForTest(server, t);
      const lifecycle = adminLifecycle([
        'create: { method: POST, path: /admin/keys, body: { name: "{{name}}" } }',
        'disable: POST /admin/keys/{{id}}/disable',
        'enable: POST /admin/keys/{{id}}/enable',
        'delete: DELETE /admin/keys/{{id}}',
      ]);
      const run = await runKeyprobe(
        tmp,
        { origin: target.origin, budget: 1000, extra: `${lifecycle}\nsecondKey:\n  secret: \${env:KP_REL_SECOND}` },
        {
          secret,
          env: { KP_REL_ADMIN: admin, KP_REL_SECOND: second },
          checks: ['lifecycle.disabled-key-rejected'],
          profileEdit: (y) =>
            y
              // No declared canary: the check creates one.
              .replace('canary:\n  secret: ${env:KP_REL_CANARY}\n', '')
              .replace('  owner: crm-platform-team@example.com', '  owner: crm-platform-team@example.com\n  scopes: [agents:read]'),
        },
      );
      expectNoCrash(run);
      const check = run.checks[0]!;
      expect(check.verdict, check.message).toBe('error');
      expect(check.message).toMatch(/create .*answered with a key this profile already declares/);
      expect(actions).toEqual(['POST /admin/keys']);
      expect(deleted).toBe(false);
      expect(run.result?.cleanup?.records ?? []).toEqual([]);
      expect(run.code).toBe(EXIT.unverified);
      expectNoSecrets([secret, second, admin], run);
    },
  );
});
