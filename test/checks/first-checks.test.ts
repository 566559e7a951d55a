// The first two checks, end to end over loopback against the reference target.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startReferenceTarget, type ReferenceTarget } from '../../src/reference/index.js';
import type { RunResult } from '../../src/result.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

let target: ReferenceTarget | undefined;
let tmp: ReturnType<typeof tempDir>;
afterEach(async () => {
  await target?.close();
  target = undefined;
  tmp?.cleanup();
});

const FIRST = 'auth.valid-key-accepted,auth.missing-key-rejected';

function resultsIn(dir: string): RunResult {
  return JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResult;
}

describe('auth.valid-key-accepted and auth.missing-key-rejected', () => {
  it('pass against the healthy reference target (demo)', async () => {
    tmp = tempDir();
    const run = await runCli(['demo', '--only', FIRST, '--out', tmp.dir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = resultsIn(tmp.dir);
    expect(result.profiles[0]!.checks.map((c) => [c.id, c.verdict])).toEqual([
      ['auth.valid-key-accepted', 'pass'],
      ['auth.missing-key-rejected', 'pass'],
    ]);
    const evidence = result.profiles[0]!.checks[0]!.evidence;
    expect(evidence.map((e) => e.status)).toEqual([200, 200, 201]);
    expect(evidence[0]!.curl).toContain('authorization: Bearer ${KEY}');
    expect(run.stdout).toMatch(/Launch verdict: PASS/);
  });

  it('auth.missing-key-rejected fails when the target serves anonymous calls', async () => {
    tmp = tempDir();
    const run = await runCli(['demo', '--fault', 'anonymous-access', '--only', FIRST, '--out', tmp.dir]);
    expect(run.code).toBe(1);
    const checks = resultsIn(tmp.dir).profiles[0]!.checks;
    expect(checks.find((c) => c.id === 'auth.missing-key-rejected')).toMatchObject({
      verdict: 'fail',
      message: expect.stringMatching(/GET \/v1\/agents answered 200 OK — the resource is served without any key/),
    });
    expect(checks.find((c) => c.id === 'auth.valid-key-accepted')!.verdict).toBe('pass');
  });

  it('auth.valid-key-accepted fails when the key lacks a scope the profile expects, naming the refusal', async () => {
    target = await startReferenceTarget({ environment: 'prod' });
    const key = target.createKey({ name: 'crm-prod-agent-call', environment: 'prod', scopes: ['agents:read'], owner: 'crm' });
    tmp = tempDir();
    const profile = tmp.file(
      'p.yaml',
      `key:
  name: crm-prod-agent-call
  system: crm
  environment: prod
  purpose: agent-call
  secret: \${env:K}
target:
  origin: ${target.origin}
allowed:
  - GET /v1/agents
  - { method: POST, path: /v1/agents/agt-support/calls, expect: 201 }
`,
    );
    const out = join(tmp.dir, 'out');
    const run = await runCli(['run', profile, '--only', FIRST, '--out', out], { env: { K: key.secret } });
    expect(run.code).toBe(1);
    const valid = resultsIn(out).profiles[0]!.checks.find((c) => c.id === 'auth.valid-key-accepted')!;
    expect(valid.verdict).toBe('fail');
    expect(valid.message).toContain('POST /v1/agents/agt-support/calls answered 403 Forbidden (the key was refused), expected 201 Created');
    expect(findSecrets([key.secret], { dirs: [tmp.dir], texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual([]);
  });

  it('a missing WWW-Authenticate is advisory, not a failure', async () => {
    // The reference target always sends it, so check the advisory path through a target that omits it.
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      res.statusCode = req.headers.authorization ? 200 : 401;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    tmp = tempDir();
    const profile = tmp.file(
      'p.yaml',
      `key: { name: crm-prod-agent-call, system: crm, environment: prod, purpose: agent-call, secret: "\${env:K}" }\ntarget: { origin: "http://127.0.0.1:${port}" }\nallowed: [ GET /x ]\n`,
    );
    try {
      const run = await runCli(['run', profile, '--only', 'auth.missing-key-rejected', '--out', tmp.dir], {
        env: { K: `kp_prod_${'a'.repeat(32)}` },
      });
      expect(run.code).toBe(0);
      const check = resultsIn(tmp.dir).profiles[0]!.checks[0]!;
      expect(check.verdict).toBe('pass');
      expect(check.advisories).toEqual(['401 without a WWW-Authenticate header (RFC 9110 §15.5.2 requires one)']);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
