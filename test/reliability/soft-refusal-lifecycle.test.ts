// Soft refusals beyond auth.valid-key-accepted: a 2xx whose body says
// "refused" (Slack's `200 {"ok":false,"error":"token_revoked"}`). The
// lifecycle checks judged the status alone: a canary soft-refused before its
// disable counted as "works" (so its later 401 passed the check: a false
// pass), and a disabled key soft-refused counted as "still accepted" (a fail
// the target may not deserve). keyprobe cannot tell either way: `error`,
// naming the soft refusal (docs/verdicts.md). The reverse checks still fail a
// 2xx, but now quote the body that reads as a refusal. Also: refusals whose
// body keyprobe cannot decode, which the same watch could not search.
import { createServer, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import {
  adminLifecycle,
  expectNoCrash,
  expectNoSecrets,
  jsonAnswer,
  listenForTest,
  newSecret,
  runDisableCheck,
  runKeyprobe,
  tempDirForTest,
} from './helpers.js';

const json = jsonAnswer;
const SOFT = { ok: false, error: 'token_revoked' };

/** lifecycle.disabled-key-rejected against a canary whose probes `canaryAnswer` answers (runDisableCheck). */
function disableRun(canaryAnswer: (res: ServerResponse, enabled: boolean, n: number) => void) {
  return runDisableCheck({ canaryAnswer, settings: ['maxRevocationWaitMs: 1000', 'stabilityWindowMs: 600'] });
}

describe('soft refusals in the lifecycle checks', () => {
  it('a canary soft-refused before the disable is not taken to work: error naming it, not a pass', async () => {
    const { run, check } = await disableRun((res, enabled) => (enabled ? json(res, 200, SOFT) : json(res, 401, { error: 'unauthorized' })));
    expect(check.verdict, check.message).toBe('error');
    expect(check.message).toMatch(
      /not accepted before the disable \(200 OK with a body that reads as a refusal \("ok": false, "error": "token_revoked"\)\)/,
    );
    expect(run.code).toBe(EXIT.unverified);
  });

  it('a disabled canary soft-refused on every probe is error naming the soft refusal, not "still accepted"', async () => {
    const { run, check } = await disableRun((res, enabled) => (enabled ? json(res, 200, { agents: [] }) : json(res, 200, SOFT)));
    expect(check.verdict, check.message).toBe('error');
    expect(check.message).toMatch(/could not judge: .*answered 200 OK with a body that reads as a refusal \(the first: .*"token_revoked"/);
    expect(check.message).not.toMatch(/still accepted/);
    expect(run.code).toBe(EXIT.unverified);
  });

  it('soft refusals in the stability window after a 401 are no pass (and no flap): error', async () => {
    const { run, check } = await disableRun((res, enabled, n) =>
      enabled ? json(res, 200, { agents: [] }) : n === 0 ? json(res, 401, { error: 'unauthorized' }) : json(res, 200, SOFT),
    );
    expect(check.verdict, check.message).toBe('error');
    expect(check.message).toMatch(
      /could not judge the .* stability window: .* probes of the window then answered 200 OK with a body that reads as a refusal/,
    );
    expect(check.measurements?.softRefusedProbes).toBeGreaterThan(0);
    expect(run.code).toBe(EXIT.unverified);
  });

  it('a re-enabled canary soft-refused is not verified as restored: the cleanup says so', async () => {
    // Works before the disable, refused after it, and answers "refused" in a 200 after the re-enable.
    let reenabled = false;
    const { run, check, state } = await disableRun((res, enabled, n) => {
      if (!enabled) reenabled = true;
      if (enabled && reenabled) return json(res, 200, SOFT);
      return enabled || n > 1000 ? json(res, 200, { agents: [] }) : json(res, 401, { error: 'unauthorized' });
    });
    expect(check.verdict, check.message).toBe('pass');
    expect(state.enabled).toBe(true);
    expect(run.result?.cleanup?.records[0]).toMatchObject({ outcome: 'unverified', action: 'enable' });
    expect(run.result?.cleanup?.records[0]?.detail).toMatch(/200 with a body that reads as a refusal/);
    expect(run.code).not.toBe(EXIT.pass);
  });
});

// Not a soft refusal, but the same watch: a disabled key's refusals in a
// coding keyprobe cannot undo cannot be searched for the key (refusal-judge.ts).
describe('refusals keyprobe cannot decode', () => {
  it('a disabled canary refused with bodies in an unknown coding is error, not a pass: they were not searched', async () => {
    const { run, check } = await disableRun((res, enabled) =>
      enabled
        ? json(res, 200, { agents: [] })
        : void res
            .writeHead(401, { 'content-type': 'application/json', 'content-encoding': 'x-foo' })
            .end(gzipSync('{"error":"disabled"}')),
    );
    expect(check.verdict, check.message).toBe('error');
    expect(check.message).toMatch(
      /could not verify: \d+ of \d+ refusals of the declared canary could not be searched for what they say back \(its body could not be searched .*Content-Encoding: x-foo/,
    );
    expect(run.code).toBe(EXIT.unverified);
  });
});

describe('soft refusals in lifecycle.rotated-key', () => {
  it('a new key soft-refused right after rotation is error naming it (keyprobe cannot tell), not a fail', async () => {
    const tmp = tempDirForTest('keyprobe-soft-rot-');
    const secret = newSecret();
    const admin = newSecret('admin');
    const created = newSecret('created');
    const rotated = newSecret('rotated');
    let oldAlive = true;
    let deleted = false;
    const server = createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      if (req.url?.startsWith('/admin/')) {
        if (auth !== `Bearer ${admin}`) return json(res, 401, { error: 'unauthorized' });
        if (req.method === 'POST' && req.url === '/admin/keys') return json(res, 201, { id: 'key_c1', secret: created });
        if (req.method === 'POST' && req.url === '/admin/keys/key_c1/rotate') {
          oldAlive = false;
          return json(res, 200, { id: 'key_c1', secret: rotated });
        }
        if (req.method === 'DELETE') {
          deleted = true;
          return json(res, 200, {});
        }
        return json(res, 404, { error: 'not found' });
      }
      if (auth === `Bearer ${created}`) return oldAlive ? json(res, 200, { agents: [] }) : json(res, 401, { error: 'unauthorized' });
      // The new key: "refused" in a 200 (a plain 401 once deleted, so the cleanup check sees the delete hold).
      if (auth === `Bearer ${rotated}`)
        return deleted ? json(res, 401, { error: 'unauthorized' }) : json(res, 200, { ok: false, error: 'not_authed' });
      json(res, auth === `Bearer ${secret}` ? 200 : 401, auth === `Bearer ${secret}` ? { agents: [] } : { error: 'unauthorized' });
    });
    const target = await listenForTest(server);
    const lifecycle = adminLifecycle(
      [
        'create: { method: POST, path: /admin/keys, body: { name: "{{name}}" } }',
        'rotate: POST /admin/keys/{{id}}/rotate',
        'delete: DELETE /admin/keys/{{id}}',
      ],
      ['maxRevocationWaitMs: 1000', 'rotationGraceSeconds: 0'],
    );
    const run = await runKeyprobe(
      tmp,
      { origin: target.origin, budget: 1000, extra: lifecycle },
      {
        secret,
        env: { KP_REL_ADMIN: admin },
        checks: ['lifecycle.rotated-key'],
        profileEdit: (y) =>
          y.replace('  owner: crm-platform-team@example.com', '  owner: crm-platform-team@example.com\n  scopes: [agents:read]'),
      },
    );
    expectNoCrash(run);
    expectNoSecrets([secret, admin, created, rotated], run);
    const check = run.checks[0]!;
    expect(check.verdict, check.message).toBe('error');
    expect(check.message).toMatch(
      /the new key: right after rotation it answered 200 OK with a body that reads as a refusal \("ok": false, "error": "not_authed"\)/,
    );
    expect(run.code).toBe(EXIT.unverified);
  });
});

describe('soft refusals in the reverse checks', () => {
  it('a denied resource answered 200 {"ok":false} fails authz, quoting the body that reads as a refusal', async () => {
    const tmp = tempDirForTest('keyprobe-soft-rev-');
    const secret = newSecret();
    const server = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${secret}`) return json(res, 401, { error: 'unauthorized' });
      if (req.url === '/v1/admin') return json(res, 200, { ok: false, error: 'missing_scope' });
      json(res, 200, { agents: [] });
    });
    const target = await listenForTest(server);
    const run = await runKeyprobe(
      tmp,
      { origin: target.origin, denied: ['GET /v1/admin'] },
      { secret, checks: ['authz.unauthorized-resource-denied'] },
    );
    expectNoCrash(run);
    expectNoSecrets([secret], run);
    const check = run.checks[0]!;
    expect(check.verdict, check.message).toBe('fail');
    expect(check.message).toMatch(/its body reads as a refusal: "ok": false, "error": "missing_scope"/);
    expect(run.code).toBe(EXIT.fail);
  });
});
