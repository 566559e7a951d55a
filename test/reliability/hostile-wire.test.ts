// Hostile servers at the wire level: what the status line, the content coding
// and the framing of an answer can hide from the checks, or make keyprobe
// misreport. Each case points the real CLI at a loopback server of its own.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { expectNoCrash, expectNoSecrets, listenForTest, newSecret, runKeyprobe, tempDirForTest } from './helpers.js';

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
