// `keyprobe init`: from flags, interactively (answers on an injected stream),
// and from an OpenAPI document — and what it writes passes `keyprobe validate`
// and runs green against the reference target.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findCheck } from '../../src/checks/index.js';
import { main } from '../../src/cli/main.js';
import { startDemo } from '../../src/demo/seed.js';
import { keyNameProblems } from '../../src/rules/naming.js';
import type { RunResult } from '../../src/result.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

const OPENAPI = join(import.meta.dirname, 'fixtures', 'agent-platform.openapi.yaml');
const FLAGS = ['--system', 'crm', '--environment', 'prod', '--purpose', 'agent-call', '--owner', 'crm-platform-team@example.com'];

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('keyprobe-init-');
});
afterEach(() => tmp.cleanup());

/**
 * What init writes is a valid profile (no problem in the file), and `validate`
 * then names what the prelaunch suite still needs from it — init cannot know
 * the key's rate limit or how to disable it — instead of calling it ready (exit 3).
 */
async function expectValidProfile(
  file: string,
  needs: readonly string[] = ['rateLimit: rate.limit-triggered', 'lifecycle: lifecycle.disabled-key-rejected'],
): Promise<void> {
  const validate = await runCli(['validate', file]);
  expect(validate.stderr).not.toMatch(/in the input/);
  expect(validate.code, validate.stderr).toBe(3);
  for (const need of needs) expect(validate.stderr).toContain(`${need} is required by suite prelaunch`);
}

/** Runs the CLI in-process with `answers` (one per line) on stdin, as a person typing them would. */
async function init(args: string[], answers?: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(['init', ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { PATH: process.env.PATH, NO_COLOR: '1' },
    cwd: tmp.dir,
    stdin: answers ? Readable.from(answers.map((a) => `${a}\n`)) : undefined,
  });
  return { code, stdout, stderr };
}

function profileAt(file: string) {
  return parse(readFileSync(file, 'utf8')) as {
    key: Record<string, unknown>;
    target: { origin: string; auth?: unknown };
    rateLimit?: unknown;
    lifecycle?: { adapter: string };
    canary?: unknown;
    secondKey?: unknown;
    otherEnvironments?: unknown;
    allowed: { method: string; path: string; expect?: unknown; scope?: string; body?: unknown }[];
    denied?: { method: string; path: string }[];
  };
}

describe('keyprobe init from flags', () => {
  it('writes a valid profile, with the key only as ${env:…} and the name by the convention', async () => {
    const run = await init([
      ...FLAGS,
      '--origin',
      'https://api.example.com',
      '--allow',
      'GET /v1/agents',
      '--allow',
      'post /v1/agents/agt-support/calls',
      '--deny',
      'DELETE /v1/resources/res-ledger',
      '--expires',
      '2027-03-31',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const file = join(tmp.dir, 'profiles', 'crm-prod-agent-call.yaml');
    expect(run.stdout).toContain('Wrote profiles/crm-prod-agent-call.yaml: key crm-prod-agent-call, 2 allowed and 1 denied resource(s).');
    expect(run.stdout).toContain('export CRM_PROD_AGENT_CALL_KEY=');

    const p = profileAt(file);
    expect(p.key).toMatchObject({
      name: 'crm-prod-agent-call',
      system: 'crm',
      environment: 'prod',
      purpose: 'agent-call',
      owner: 'crm-platform-team@example.com',
      expires: '2027-03-31',
      secret: '${env:CRM_PROD_AGENT_CALL_KEY}',
    });
    expect(keyNameProblems(p.key.name as string, p.key as Record<string, string>)).toEqual([]);
    expect(p.target.origin).toBe('https://api.example.com');
    expect(p.allowed).toEqual([
      { method: 'GET', path: '/v1/agents' },
      { method: 'POST', path: '/v1/agents/agt-support/calls' },
    ]);
    expect(p.denied).toEqual([{ method: 'DELETE', path: '/v1/resources/res-ledger' }]);

    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=.*schemas\/profile\.schema\.json$/);
    await expectValidProfile(file);
  });

  it('refuses generic or malformed name parts, bad origins and bad requests, all at once, with exit 2', async () => {
    const run = await init([
      '--system',
      'api',
      '--environment',
      'prod',
      '--purpose',
      'test',
      '--owner',
      'x',
      '--origin',
      'https://api.example.com/v1',
      '--allow',
      '/v1/agents',
      '--key-env',
      'MY-KEY',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--system: system "api" is generic');
    expect(run.stderr).toContain('--purpose: purpose "test" is generic');
    expect(run.stderr).toContain('--origin: expected an origin like https://api.example.com');
    expect(run.stderr).toContain('--allow: "/v1/agents": expected "METHOD /path"');
    expect(run.stderr).toContain('--key-env: "MY-KEY" is not an environment variable name');
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const env = await init([
      '--system',
      'crm',
      '--environment',
      'Production',
      '--purpose',
      'Agent_Call',
      '--owner',
      'x',
      '--origin',
      'https://api.example.com',
      '--allow',
      'GET /v1/agents',
    ]);
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('"Production" is not an environment the naming rule knows');
    expect(env.stderr).toContain('purpose "Agent_Call" must be lowercase letters and digits');
  });

  it('does not overwrite an existing file without --force', async () => {
    const args = [...FLAGS, '--origin', 'https://api.example.com', '--allow', 'GET /v1/agents', '--out', 'p.yaml'];
    expect((await init(args)).code).toBe(0);
    const again = await init(args);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('p.yaml already exists; choose another --out or pass --force');
    expect((await init([...args, '--force'])).code).toBe(0);
  });

  it('without a terminal, names the flags still missing', async () => {
    const run = await init(['--system', 'crm']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no terminal to ask on; pass --environment, --purpose, --owner, --origin, --allow');
  });
});

describe('keyprobe init interactively', () => {
  it('asks for each value, re-asks after a bad answer, and takes defaults on an empty line', async () => {
    const answers = [
      'api', // generic: refused, asked again
      'billing',
      'prod',
      'invoice-sync',
      'billing-team@example.com',
      'api.example.com', // not an origin: asked again
      'https://billing.example.com',
      '', // key env: the default
      'header X-Api-Key Bearer extra', // not a placement: asked again
      'header X-Api-Key',
      'GET /v1/invoices, GET /v1/invoices/inv-1',
      'DELETE /v1/invoices/inv-1',
      '100/minute',
      'command',
      'BILLING_CANARY_KEY',
      '', // no second key
      'staging=BILLING_STAGING_KEY',
    ];
    const run = await init([], answers);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('System that calls with the key (e.g. crm): ');
    expect(run.stdout).toContain('system "api" is generic');
    expect(run.stdout).toContain('Environment variable that will hold the key [BILLING_PROD_INVOICE_SYNC_KEY]: ');
    expect(run.stdout).toContain('How the key is sent: "header NAME [SCHEME]" or "query NAME" [header Authorization Bearer]: ');
    expect(run.stdout).toContain('answer "header NAME [SCHEME]"');
    expect(run.stdout).toContain('Rate limit of the key, e.g. 20/1s or 100/min (empty: none): ');
    const p = profileAt(join(tmp.dir, 'profiles', 'billing-prod-invoice-sync.yaml'));
    expect(p.target).toMatchObject({ auth: { header: 'X-Api-Key', scheme: '' } });
    expect(p.rateLimit).toEqual({ limit: 100, windowSeconds: 60, probe: 'GET /v1/invoices' });
    expect(p.lifecycle?.adapter).toBe('command');
    expect(p.canary).toEqual({ secret: '${env:BILLING_CANARY_KEY}' });
    expect(p.secondKey).toBeUndefined();
    expect(p.otherEnvironments).toEqual([{ environment: 'staging', secret: '${env:BILLING_STAGING_KEY}' }]);
    expect(p.key).toMatchObject({
      name: 'billing-prod-invoice-sync',
      owner: 'billing-team@example.com',
      secret: '${env:BILLING_PROD_INVOICE_SYNC_KEY}',
    });
    expect(p.target.origin).toBe('https://billing.example.com');
    expect(p.allowed.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/invoices', 'GET /v1/invoices/inv-1']);
    expect(p.denied?.map((r) => `${r.method} ${r.path}`)).toEqual(['DELETE /v1/invoices/inv-1']);
    // Rate limit, adapter and canary were answered: what is left is the canary's id, to disable it by.
    await expectValidProfile(join(tmp.dir, 'profiles', 'billing-prod-invoice-sync.yaml'), ['canary.id: lifecycle.disabled-key-rejected']);
  });

  it('only asks for what the flags did not give', async () => {
    const run = await init(
      [...FLAGS, '--allow', 'GET /v1/agents', '--auth-header', 'X-API-Key', '--rate-limit', '5/s', '--lifecycle', 'http'],
      ['https://api.example.com', 'CRM_KEY', '', '', ''],
    );
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('System that calls');
    expect(run.stdout).not.toContain('How the key is sent');
    expect(run.stdout).not.toContain('Rate limit');
    expect(run.stdout).not.toContain('Lifecycle adapter');
    expect(run.stdout).toContain('Variable holding a spare canary key with the same scopes (empty: none): ');
    expect(profileAt(join(tmp.dir, 'profiles', 'crm-prod-agent-call.yaml')).key.secret).toBe('${env:CRM_KEY}');
  });

  it('stops with exit 2 when the input ends before every question is answered', async () => {
    const run = await init([], ['crm', 'prod']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('input ended before "Purpose (e.g. agent-call)" was answered');
  });
});

describe('keyprobe init --from-openapi', () => {
  const OPENAPI_FLAGS = [
    ...FLAGS,
    '--from-openapi',
    OPENAPI,
    '--key-env',
    'KEYPROBE_DEMO_KEY',
    '--origin',
    '${env:KEYPROBE_DEMO_TARGET}',
    '--expires',
    '2027-03-31',
  ];

  it('proposes the operations the chosen scopes reach as allowed and the others as denied', async () => {
    const run = await init([...OPENAPI_FLAGS, '--scopes', 'agents:read,agents:call']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Left out 1 public operation(s) (no security): GET /healthz');
    const file = join(tmp.dir, 'profiles', 'crm-prod-agent-call.yaml');
    const p = profileAt(file);
    expect(p.key.scopes).toEqual(['agents:read', 'agents:call']);
    expect(p.allowed).toEqual([
      { method: 'GET', path: '/v1/keys/self', expect: 200 },
      { method: 'GET', path: '/v1/agents', expect: 200, scope: 'agents:read' },
      { method: 'GET', path: '/v1/agents/agt-support', expect: 200, scope: 'agents:read' }, // example from a $ref'd parameter
      { method: 'POST', path: '/v1/agents/agt-support/calls', expect: 201, body: { input: 'ping' }, scope: 'agents:call' },
    ]);
    expect(p.denied?.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/agents',
      'GET /v1/workflows',
      'GET /v1/workflows/wf-nightly/runs', // from the parameter's enum
      'POST /v1/workflows/wf-nightly/runs',
      'GET /v1/resources',
      'POST /v1/resources',
      'DELETE /v1/resources/{resourceId}', // no example: left for a person
    ]);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# createAgent · needs agents:write');
    expect(text).toContain('TODO: replace {resourceId} with a real id');
    await expectValidProfile(file);
  });

  it('reads the same document as JSON and proposes the same', async () => {
    const json = tmp.file('openapi.json', JSON.stringify(parse(readFileSync(OPENAPI, 'utf8'))));
    const fromYaml = await init([...OPENAPI_FLAGS, '--scopes', 'workflows:read', '--out', 'a.yaml']);
    const fromJson = await init([...OPENAPI_FLAGS.map((a) => (a === OPENAPI ? json : a)), '--scopes', 'workflows:read', '--out', 'b.yaml']);
    expect([fromYaml.code, fromJson.code]).toEqual([0, 0]);
    const a = profileAt(join(tmp.dir, 'a.yaml'));
    expect(a.allowed.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/keys/self',
      'GET /v1/workflows',
      'GET /v1/workflows/wf-nightly/runs',
    ]);
    expect(profileAt(join(tmp.dir, 'b.yaml'))).toEqual(a);
  });

  it('asks which scopes to grant, listing those in the document', async () => {
    const run = await init([...OPENAPI_FLAGS], ['', 'agents:raed', 'agents:read', '', '', '', '', '']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Scopes in Agent Platform API:');
    expect(run.stdout).toContain('  agents:read (2 operation(s))');
    expect(run.stdout).toContain('not in the document: agents:raed');
    expect(profileAt(join(tmp.dir, 'profiles', 'crm-prod-agent-call.yaml')).key.scopes).toEqual(['agents:read']);
  });

  it('with no scope chosen, asks for operations by method and path instead', async () => {
    const run = await init([...OPENAPI_FLAGS], ['', '', 'GET /v1/agents*', 'POST /v1/agents', '', '', '', '', '']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Scopes granted to this key, comma-separated (empty: choose operations by method and path): ');
    expect(run.stdout).toContain('Agent Platform API has 11 operation(s) that need a key, e.g.:');
    const p = profileAt(join(tmp.dir, 'profiles', 'crm-prod-agent-call.yaml'));
    expect(p.key.scopes).toBeUndefined();
    expect(p.allowed.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/agents', 'GET /v1/agents/agt-support']);
    expect(p.denied?.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/agents']);
  });

  it('refuses an unknown scope, Swagger 2 and a file that is not YAML, with exit 2', async () => {
    const typo = await init([...OPENAPI_FLAGS, '--scopes', 'agents:raed']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('--scopes: "agents:raed" is not a scope of the OpenAPI document; did you mean "agents:read"?');
    const swagger = await init([...FLAGS, '--from-openapi', tmp.file('s.json', '{"swagger":"2.0","paths":{}}'), '--scopes', 'x']);
    expect(swagger.code).toBe(2);
    expect(swagger.stderr).toContain('only OpenAPI 3.x is read, found Swagger 2.0');
    const broken = await init([...FLAGS, '--from-openapi', tmp.file('b.yaml', 'openapi: 3.0.0\npaths: {get: [}\n'), '--scopes', 'x']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('not valid JSON or YAML');
  });

  it('writes a profile that runs green against the reference target (allowed reached, denied refused)', async () => {
    const made = await init([...OPENAPI_FLAGS, '--scopes', 'agents:read,agents:call']);
    expect(made.code).toBe(0);
    const file = join(tmp.dir, 'profiles', 'crm-prod-agent-call.yaml');
    // The one resource a person must fill in: use a real id, as the TODO asks.
    writeFileSync(file, readFileSync(file, 'utf8').replace('/v1/resources/{resourceId}', '/v1/resources/res-ledger'));
    const only = ['auth.valid-key-accepted', 'authz.unauthorized-resource-denied'].filter((id) => findCheck(id));
    const demo = await startDemo();
    try {
      const out = join(tmp.dir, 'reports');
      const run = await runCli(['run', file, '--only', only.join(','), '--out', out], { env: { PATH: process.env.PATH, ...demo.env } });
      expect(run.stderr).toBe('');
      const result = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;
      const verdicts = Object.fromEntries(result.profiles[0]!.checks.map((c) => [c.id, c.verdict]));
      expect(verdicts).toEqual(Object.fromEntries(only.map((id) => [id, 'pass'])));
      expect(run.code).toBe(0);
      expect(findSecrets(demo.secrets, { dirs: [tmp.dir], texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual([]);
    } finally {
      await demo.target.close();
    }
  });
});
