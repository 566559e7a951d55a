// Verdict gaps a red-team review left open (docs/verdicts.md): servers whose
// answers look right by status but are not, each pointed at the real CLI
// (in-process) over loopback, asserting the verdict, the exit code, no stack
// trace and no secret in any output.
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { expectNoCrash, expectNoSecrets, listen, newSecret, runKeyprobe, type Listener } from './helpers.js';

let listeners: Listener[] = [];
let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await Promise.all(listeners.map((l) => l.close()));
  listeners = [];
  tmp?.cleanup();
  tmp = undefined;
});

const AUTH_CHECKS = ['auth.missing-key-rejected', 'auth.invalid-key-rejected', 'auth.near-miss-key-rejected'];

describe('verdict gaps', () => {
  // "Execution after redirect": the handler wrote the resource before the
  // auth decision, so no key and bad keys get 401 *with the data*. Every auth
  // check passed on the status alone.
  it('a 401 that carries the resource the valid key is served fails the auth checks', async () => {
    tmp = tempDir('keyprobe-gaps-');
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
    listeners.push(await listen(server));
    const run = await runKeyprobe(tmp, { origin: listeners[0]!.origin }, { secret, otherSecrets: [canary], checks: AUTH_CHECKS });
    expectNoCrash(run);
    expect(run.checks.map((c) => [c.id, c.verdict])).toEqual(AUTH_CHECKS.map((id) => [id, 'fail']));
    for (const c of run.checks) expect(c.message).toMatch(/refused with 401 Unauthorized, but its body holds the resource's data/);
    expect(run.code).toBe(EXIT.fail);
    expectNoSecrets([secret, canary], run);
  });

  // The same rule must not fire on a generic body: a server that answers `{}`
  // (or a short error) to everyone, and serves `{}` to the key too.
  it('a short body shared by the refusal and the served answer is not data: the auth checks pass', async () => {
    tmp = tempDir('keyprobe-gaps-');
    const secret = newSecret();
    const server = createServer((req, res) => {
      const ok = req.headers.authorization === `Bearer ${secret}` && !req.url?.includes('?');
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end('{"status":"ok"}');
    });
    listeners.push(await listen(server));
    const run = await runKeyprobe(tmp, { origin: listeners[0]!.origin }, { secret, checks: AUTH_CHECKS });
    expectNoCrash(run);
    expect(run.checks.map((c) => [c.id, c.verdict])).toEqual(AUTH_CHECKS.map((id) => [id, 'pass']));
    expect(run.code).toBe(EXIT.pass);
  });
});
