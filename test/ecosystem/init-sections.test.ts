// `keyprobe init` writes the whole profile: every optional section is there,
// filled in when chosen (by flag or answer) and commented out otherwise, with
// a line naming the checks it turns on. What it writes validates as written
// and after uncommenting any section (removing the "# " in front of its
// lines, as an editor does), and each "turns on" line tells the truth: the
// checks it names skip without the section and run with it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findCheck } from '../../src/checks/index.js';
import { skipMessage } from '../../src/checks/requirements.js';
import { loadProfile } from '../../src/config/load-profile.js';
import { profileSchema } from '../../src/config/profile-schema.js';
import { main } from '../../src/cli/main.js';
import { LIFECYCLE_KINDS, type Section, TURNS_ON } from '../../src/init/scaffold.js';
import { startDemo } from '../../src/demo/seed.js';
import type { RunResult } from '../../src/result.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

const FLAGS = [
  '--system',
  'crm',
  '--environment',
  'prod',
  '--purpose',
  'agent-call',
  '--owner',
  'crm-platform-team@example.com',
  '--origin',
  'https://api.example.com',
  '--allow',
  'GET /v1/agents',
];

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('keyprobe-init-sections-');
});
afterEach(() => tmp.cleanup());

async function init(args: string[]): Promise<{ code: number; stdout: string; stderr: string; file: string; text: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['init', ...args, '--out', 'p.yaml', '--force'], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { PATH: process.env.PATH, NO_COLOR: '1' },
    cwd: tmp.dir,
  });
  const file = join(tmp.dir, 'p.yaml');
  return { code, stdout, stderr, file, text: code === 0 ? readFileSync(file, 'utf8') : '' };
}

/** A value for every ${env:NAME} the text names, as an operator would export them. */
function envFor(text: string): Record<string, string> {
  const names = [...new Set([...text.matchAll(/\$\{env:([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))];
  return Object.fromEntries(names.map((n, i) => [n, `fake-value-for-validation-${i}-0000000000`]));
}

/**
 * Validated as written (references unresolved) and with every reference set
 * (--resolve): no problem in the file. Exit 3 is still valid: `validate` then
 * names only what the prelaunch suite requires and the profile does not yet
 * declare (a scaffold is not complete until its rate limit and a key to
 * disable are filled in). Returns those requirements, as "field: check".
 */
async function expectValid(text: string): Promise<string[]> {
  const file = tmp.file('check.yaml', text);
  const needs: string[][] = [];
  for (const run of [
    await runCli(['validate', file]),
    await runCli(['validate', '--resolve', file], { env: { PATH: process.env.PATH, ...envFor(text) } }),
  ]) {
    expect(run.stderr).not.toMatch(/in the input/);
    expect([0, 3], run.stderr).toContain(run.code);
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('  '));
    const found = lines.map((l) => /: ([\w.]+): ([\w.-]+) is required by suite prelaunch and cannot run/.exec(l)?.slice(1).join(': '));
    expect(
      found.every((f) => f !== undefined),
      run.stderr,
    ).toBe(true);
    expect(found.length > 0).toBe(run.code === 3);
    needs.push(found as string[]);
  }
  // Resolving references changes no requirement.
  expect(needs[1]).toEqual(needs[0]);
  return needs[0]!;
}

/**
 * Removes the "# " that comments out the section `name` (a top-level field,
 * or a field of key/target): its first line `<indent># name:` and the lines
 * under it that are indented deeper behind the same `<indent># `.
 */
function uncomment(text: string, name: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^( *)# ${name}:`).test(l));
  if (start < 0) throw new Error(`no commented-out ${name} section`);
  const indent = /^( *)/.exec(lines[start]!)![1]!;
  const deeper = new RegExp(`^${indent}#   `);
  let end = start + 1;
  while (end < lines.length && deeper.test(lines[end]!)) end++;
  for (let i = start; i < end; i++) lines[i] = indent + lines[i]!.slice(indent.length + 2);
  return lines.join('\n');
}

function profileOf(text: string) {
  const file = tmp.file('loaded.yaml', text);
  return loadProfile(file, { PATH: process.env.PATH, ...envFor(text) }).profile;
}

/** Why the check would skip for this profile (its unmet requirements, as the runner words them), or undefined when it runs. */
function skips(text: string, checkId: string): string | undefined {
  const unmet = findCheck(checkId)!.unmet?.(profileOf(text)) ?? [];
  return unmet.length > 0 ? skipMessage(unmet) : undefined;
}

describe('keyprobe init writes every section', () => {
  it('from flags alone: each optional section of the profile format is there, commented out, with the checks it turns on', async () => {
    const run = await init(FLAGS);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const text = run.text;
    // Every top-level field of the profile format appears, in use or commented out.
    for (const field of Object.keys(profileSchema.shape)) expect(text).toMatch(new RegExp(`^(# )?${field}:`, 'm'));
    for (const field of [
      'rateLimit',
      'lifecycle',
      'canary',
      'secondKey',
      'expiredKey',
      'otherEnvironments',
      'denied',
      'denial',
      'rejection',
      'governance',
    ])
      expect(text).toMatch(new RegExp(`^# ${field}:`, 'm'));
    for (const field of ['expires', 'scopes', 'id', 'environment', 'introspection', 'timeoutMs', 'budget'])
      expect(text).toMatch(new RegExp(`^  # ${field}:`, 'm'));
    // One "turns on" line per section, naming exactly the checks of TURNS_ON.
    for (const [section, on] of Object.entries(TURNS_ON)) {
      const line = text.split('\n').find((l) => l.includes(`turns on: ${on.checks.join(', ')}`));
      expect(line, section).toBeDefined();
    }
    expect(run.stdout).toContain(
      'Commented out, each turning on more checks once filled in: rateLimit, otherEnvironments, canary, secondKey, expiredKey, lifecycle.',
    );
    // What the launch exists to prove is still to be filled in, and validate says where.
    expect(await expectValid(text)).toEqual([
      'denied: authz.unauthorized-resource-denied',
      'lifecycle: lifecycle.disabled-key-rejected',
      'rateLimit: rate.limit-triggered',
    ]);
  });

  it('validates after uncommenting any one section, and after uncommenting all of them', async () => {
    const { text } = await init(FLAGS);
    const sections = [
      'expires',
      'scopes',
      'id',
      'environment',
      'introspection',
      'timeoutMs',
      'budget',
      'denied',
      'denial',
      'rejection',
      'rateLimit',
      'otherEnvironments',
      'canary',
      'secondKey',
      'expiredKey',
      'lifecycle',
      'governance',
    ];
    let all = text;
    for (const section of sections) {
      const one = uncomment(text, section);
      expect(one, section).not.toBe(text);
      await expectValid(one);
      all = uncomment(all, section);
    }
    // Every section uncommented: what is left is the canary's id (a TODO line of its own), which the
    // lifecycle adapter disables and re-enables it by; validate points right at it.
    expect(await expectValid(all)).toEqual(['canary.id: lifecycle.disabled-key-rejected']);
    expect(await expectValid(uncomment(all, 'id'))).toEqual([]);
    const p = parse(all) as Record<string, unknown>;
    for (const field of [
      'denied',
      'denial',
      'rejection',
      'rateLimit',
      'otherEnvironments',
      'canary',
      'secondKey',
      'expiredKey',
      'lifecycle',
      'governance',
    ])
      expect(p[field], field).toBeDefined();
  });

  it('each "turns on" line is true: its checks skip without the section and run with it', async () => {
    const { text } = await init(FLAGS);
    const yamlName: Record<Section, string> = {
      scopes: 'scopes',
      introspection: 'introspection',
      denied: 'denied',
      rateLimit: 'rateLimit',
      otherEnvironments: 'otherEnvironments',
      canary: 'canary',
      secondKey: 'secondKey',
      expiredKey: 'expiredKey',
      lifecycle: 'lifecycle',
    };
    for (const [section, on] of Object.entries(TURNS_ON) as [Section, (typeof TURNS_ON)[Section]][]) {
      let withSection = text;
      for (const extra of 'with' in on ? on.with : []) withSection = uncomment(withSection, yamlName[extra as Section]);
      const before = withSection;
      withSection = uncomment(withSection, yamlName[section]);
      for (const id of on.checks) {
        expect(skips(before, id), `${id} should skip before ${section} is uncommented`).toBeDefined();
        expect(skips(withSection, id), `${id} should run once ${section} is uncommented`).toBeUndefined();
      }
    }
  });

  for (const kind of LIFECYCLE_KINDS) {
    it(`--lifecycle ${kind} writes that adapter's skeleton, in use, and it validates`, async () => {
      const run = await init([...FLAGS, '--lifecycle', kind]);
      expect(run.code).toBe(0);
      const p = parse(run.text) as { lifecycle: Record<string, unknown> };
      expect(p.lifecycle.adapter).toBe(kind);
      expect(p.lifecycle[kind]).toBeDefined();
      expect(run.text).not.toMatch(/^# lifecycle:/m);
      await expectValid(run.text);
      if (kind === 'command') expect(run.stdout).toContain('keyprobe run p.yaml --allow-commands');
      if (kind === 'manual') expect(run.stdout).toContain('keyprobe run p.yaml --interactive');
    });
  }

  it('fills in what the flags choose: placement, rate limit, canary, second, expired and other-environment keys', async () => {
    const run = await init([
      ...FLAGS,
      '--auth-header',
      'X-API-Key',
      '--rate-limit',
      '21/1s',
      '--rate-probe',
      'GET /v1/agents/agt-support',
      '--canary-env',
      'CRM_CANARY',
      '--second-key-env',
      'BILLING_KEY',
      '--expired-key-env',
      'CRM_EXPIRED',
      '--other-env',
      'staging=CRM_STAGING',
      '--other-env',
      'test=CRM_TEST',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const p = parse(run.text) as Record<string, unknown>;
    expect(p.target).toMatchObject({ auth: { header: 'X-API-Key', scheme: '' } });
    expect(p.rateLimit).toEqual({ limit: 21, windowSeconds: 1, probe: 'GET /v1/agents/agt-support' });
    expect(p.canary).toEqual({ secret: '${env:CRM_CANARY}' });
    expect(p.secondKey).toEqual({ secret: '${env:BILLING_KEY}' });
    expect(p.expiredKey).toEqual({ secret: '${env:CRM_EXPIRED}' });
    expect(p.otherEnvironments).toEqual([
      { environment: 'staging', secret: '${env:CRM_STAGING}' },
      { environment: 'test', secret: '${env:CRM_TEST}' },
    ]);
    expect(run.stdout).toContain('Commented out, each turning on more checks once filled in: lifecycle.');
    for (const v of ['CRM_PROD_AGENT_CALL_KEY', 'CRM_CANARY', 'BILLING_KEY', 'CRM_EXPIRED', 'CRM_STAGING', 'CRM_TEST'])
      expect(run.stdout).toContain(`export ${v}=…`);
    await expectValid(run.text);
  });

  it('writes a bare Authorization header, a query key, and Bearer by default', async () => {
    const bare = await init([...FLAGS, '--auth-header', 'Authorization', '--auth-scheme', '']);
    expect((parse(bare.text) as { target: unknown }).target).toMatchObject({ auth: { header: 'Authorization', scheme: '' } });
    const query = await init([...FLAGS, '--auth-query', 'api_key']);
    expect((parse(query.text) as { target: unknown }).target).toMatchObject({ auth: { query: 'api_key' } });
    expect(query.text).toContain('the key in the URL query as ?api_key=<key>');
    const plain = await init(FLAGS);
    expect((parse(plain.text) as { target: unknown }).target).toMatchObject({ auth: { header: 'Authorization', scheme: 'Bearer' } });
    for (const r of [bare, query, plain]) await expectValid(r.text);
  });

  it('refuses bad optional flags, all at once, with exit 2 and no stack trace', async () => {
    const run = await init([
      ...FLAGS,
      '--auth-header',
      'X-API-Key',
      '--auth-query',
      'key',
      '--rate-limit',
      'fast',
      '--lifecycle',
      'ssh',
      '--canary-env',
      'my-canary',
      '--other-env',
      'prod=CRM_PROD_OTHER',
      '--rate-probe',
      '/v1/agents',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--auth-query and --auth-header/--auth-scheme do not mix');
    expect(run.stderr).toContain('--rate-limit: "fast" is not a rate limit like 20/1s');
    expect(run.stderr).toContain('--lifecycle: "ssh" is not a lifecycle adapter; use http, command, manual');
    expect(run.stderr).toContain('--canary-env: "my-canary" is not an environment variable name');
    expect(run.stderr).toContain('--other-env: "prod=CRM_PROD_OTHER": prod is this key\'s own environment');
    expect(run.stderr).toContain('--rate-probe: "/v1/agents": expected "METHOD /path"');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const host = await init([...FLAGS, '--auth-header', 'Host']);
    expect(host.code).toBe(2);
    expect(host.stderr).toContain('--auth-header: Host cannot carry a key');
  });

  it('what init fills in reaches the checks it names, against the reference target', async () => {
    const run = await init([
      ...FLAGS.map((f) => (f === 'https://api.example.com' ? '${env:KEYPROBE_DEMO_TARGET}' : f)),
      '--key-env',
      'KEYPROBE_DEMO_KEY',
      '--canary-env',
      'KEYPROBE_DEMO_CANARY_KEY',
      '--other-env',
      'test=KEYPROBE_DEMO_FOREIGN_KEY',
      '--deny',
      'POST /v1/agents',
    ]);
    expect(run.code).toBe(0);
    const only = [
      'auth.valid-key-accepted',
      'auth.key-in-query-rejected',
      'env.foreign-environment-key-rejected',
      'authz.unauthorized-resource-denied',
    ];
    const demo = await startDemo();
    try {
      const out = join(tmp.dir, 'reports');
      const result = await runCli(['run', run.file, '--only', only.join(','), '--out', out], {
        env: { PATH: process.env.PATH, ...demo.env },
      });
      expect(result.stderr).toBe('');
      const verdicts = Object.fromEntries(
        (JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult).profiles[0]!.checks.map((c) => [c.id, c.verdict]),
      );
      expect(verdicts).toEqual(Object.fromEntries(only.map((id) => [id, 'pass'])));
      expect(result.code).toBe(0);
      expect(findSecrets(demo.secrets, { dirs: [tmp.dir], texts: { stdout: result.stdout, stderr: result.stderr } })).toEqual([]);
    } finally {
      await demo.target.close();
    }
  });
});
