// A "soft refusal": a 2xx whose body says the request was refused. Slack
// answers a key that lacks a scope `200 {"ok":false,"error":"missing_scope"}`,
// GraphQL servers `200 {"data":null,"errors":[{"message":"Forbidden"}]}`. The
// positive check judged the status alone and passed: "the key reaches every
// resource it should" for a key that reaches none of them. Each case points
// the real CLI at a loopback server that refuses one allowed resource softly.
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { expectNoCrash, expectNoSecrets, listenForTest, newSecret, runKeyprobe, tempDirForTest } from './helpers.js';

/** A target that serves GET /v1/agents to the key, and answers GET /v1/calls with `body` (200). */
async function runAgainst(body: unknown) {
  const tmp = tempDirForTest('keyprobe-soft-');
  const secret = newSecret();
  const server = createServer((req, res) => {
    const json = (status: number, b: unknown) => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(b));
    if (req.headers.authorization !== `Bearer ${secret}`) return json(401, { error: 'unauthorized' });
    if (req.url === '/v1/calls') return json(200, body);
    json(200, { agents: [] });
  });
  const target = await listenForTest(server);
  const run = await runKeyprobe(
    tmp,
    { origin: target.origin, allowed: ['GET /v1/agents', 'GET /v1/calls'] },
    { secret, checks: ['auth.valid-key-accepted'] },
  );
  expectNoCrash(run);
  expectNoSecrets([secret], run);
  return run;
}

describe('a 2xx whose body says the key was refused', () => {
  it.each([
    ['Slack style (ok: false)', { ok: false, error: 'missing_scope' }, /"ok": false/],
    ['GraphQL style (errors, no data)', { data: null, errors: [{ message: 'Forbidden' }] }, /"errors"/],
    ['an error and nothing else', { error: 'invalid api key' }, /"error"/],
    ['success: false', { success: false, message: 'Unauthorized' }, /"success": false/],
  ])('%s: auth.valid-key-accepted is not a pass (error, exit 3), and says why', async (_name, body, named) => {
    const run = await runAgainst(body);
    const check = run.checks[0]!;
    expect(check.verdict, check.message).toBe('error');
    expect(check.message).toMatch(/says "refused".*GET \/v1\/calls answered 200 OK, but its body reads as a refusal/);
    expect(check.message).toMatch(named);
    expect(run.code).toBe(EXIT.unverified);
  });

  it.each([
    ['data beside a null error', { agents: [], error: null }],
    ['ok: true', { ok: true, channels: [] }],
    ['GraphQL partial data with errors', { data: { calls: [] }, errors: [{ message: 'one field failed' }] }],
    ['a resource whose own state is an error', { id: 'job-1', status: 'failed', error: 'timeout' }],
    ['an empty errors list', { errors: [] }],
    ['a JSON array', [{ error: 'x' }]],
  ])('%s: served, a pass', async (_name, body) => {
    const run = await runAgainst(body);
    expect(run.checks[0]?.verdict, run.checks[0]?.message).toBe('pass');
    expect(run.code).toBe(EXIT.pass);
  });
});
