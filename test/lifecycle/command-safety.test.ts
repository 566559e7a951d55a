// The command adapter runs shell commands a profile names, so it is opt-in
// (--allow-commands, or KEYPROBE_ALLOW_COMMANDS=1 on the operator's side), and
// a command gets a minimal environment: PATH, HOME, the KEYPROBE_* variables
// of its action and the variables the profile lists, never keyprobe's whole
// environment. Its output is kept only when it fails, scrubbed of
// credentials, and a create's printed key is registered whatever its exit.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLifecycleAdapter } from '../../src/lifecycle/index.js';
import type { ActionRecord } from '../../src/lifecycle/types.js';
import type { RunResult } from '../../src/result.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';
import { canariesLeft, clientFor, disabledKeys, fixture, runChecks, SCOPES, startTarget, type Fixture } from './helpers.js';

/** The secret the create command prints: made at test time, nothing shaped like a key is committed. */
const CREATED_SECRET = `kp_prod_${randomBytes(16).toString('base64url')}`;

/** Environment variables a shell adds by itself; not passed by keyprobe. */
const SHELL_OWN = new Set(['PWD', 'OLDPWD', 'SHLVL', '_']);

function adapterFor(f: Fixture, env: NodeJS.ProcessEnv, allowCommands = true) {
  const { http, secrets } = clientFor(f);
  const records: ActionRecord[] = [];
  const signal = new AbortController().signal;
  const adapter = createLifecycleAdapter({ profile: f.profile, http, secrets, signal, interactive: false, env, records, allowCommands })!;
  return { adapter, secrets, records };
}

function dumpedEnv(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && !SHELL_OWN.has(line.slice(0, eq))) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

describe('the command adapter is opt-in', () => {
  it('without --allow-commands nothing runs, and the check says which flag it needs', async () => {
    const target = await startTarget();
    const tmp = tempDir('keyprobe-optin-');
    try {
      const marker = `${tmp.dir}/ran`;
      const f = fixture(target, {
        lifecycle: { adapter: 'command', command: { create: `touch ${marker}`, disable: `touch ${marker}`, delete: `touch ${marker}` } },
      });
      const result = await runChecks(f, ['lifecycle.disabled-key-rejected']);
      const c = result.profiles[0]!.checks[0]!;
      expect(['skip', 'error']).toContain(c.verdict);
      expect(c.message).toMatch(/--allow-commands/);
      expect(c.message).toMatch(/KEYPROBE_ALLOW_COMMANDS=1/);
      expect(existsSync(marker)).toBe(false);

      const direct = adapterFor(f, { PATH: process.env.PATH }, false);
      expect(direct.adapter.can('disable')).toBe(true); // declared, but not allowed to run
      const r = await direct.adapter.disable({ name: 'k', id: 'key_1' });
      expect(r).toMatchObject({ outcome: 'skipped' });
      expect(r.outcome === 'skipped' && r.reason).toMatch(/--allow-commands/);
      expect(existsSync(marker)).toBe(false);
    } finally {
      tmp.cleanup();
    }
  });

  it('keyprobe run --allow-commands (or KEYPROBE_ALLOW_COMMANDS=1) runs them; keyprobe validate says they need it', async () => {
    const target = await startTarget();
    const key = target.createKey({ name: 'crm-prod-agent-call', scopes: SCOPES });
    const canary = target.createKey({ name: 'crm-prod-agent-call-canary', scopes: SCOPES });
    const tmp = tempDir('keyprobe-optin-');
    try {
      const admin = (path: string) =>
        `node -e "fetch(process.env.KEYPROBE_TARGET+'/admin/keys/'+process.env.KEYPROBE_KEY_ID+'${path}',{method:'POST',headers:{authorization:'Bearer '+process.env.ADMIN_TOKEN}}).then(r=>process.exit(r.ok?0:1))"`;
      const profile = tmp.file(
        'profile.yaml',
        JSON.stringify({
          key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: '${env:KP_KEY}' },
          target: { origin: target.origin },
          allowed: ['GET /v1/agents'],
          canary: { secret: '${env:KP_CANARY}', id: canary.id, name: 'crm-prod-agent-call-canary' },
          lifecycle: {
            adapter: 'command',
            stabilityWindowMs: 300,
            command: { env: ['ADMIN_TOKEN'], disable: admin('/disable'), enable: admin('/enable') },
          },
        }),
      );
      const env = { PATH: process.env.PATH, KP_KEY: key.secret, KP_CANARY: canary.secret, ADMIN_TOKEN: target.adminToken };
      const only = ['--only', 'lifecycle.disabled-key-rejected'];
      // Without the flag the check is skipped, as a manual step is without --interactive (a suite that requires it then cannot pass).
      const refused = await runCli(['run', profile, ...only, '--out', `${tmp.dir}/a`, '--verbose'], { env });
      expect(refused.stdout).toMatch(/SKIP\s+lifecycle\.disabled-key-rejected/);
      expect(refused.stdout).toMatch(/--allow-commands/);
      expect(disabledKeys(target)).toEqual([]);
      const allowed = await runCli(['run', profile, ...only, '--out', `${tmp.dir}/b`, '--allow-commands'], { env });
      expect(allowed.stdout).toMatch(/PASS\s+lifecycle\.disabled-key-rejected/);
      expect(allowed.code).toBe(0);
      const byEnv = await runCli(['run', profile, ...only, '--out', `${tmp.dir}/c`], { env: { ...env, KEYPROBE_ALLOW_COMMANDS: '1' } });
      expect(byEnv.code).toBe(0);
      const validated = await runCli(['validate', profile], { env });
      // Exit 3: the profile has no rateLimit or denied resources for prelaunch's required checks; the command
      // adapter itself meets the disable check's requirements (it runs with the flag, which validate names).
      expect(validated.code, validated.stderr).toBe(3);
      expect(validated.stdout).toMatch(/run {7}lifecycle\.disabled-key-rejected \(required\)/);
      expect(validated.stdout).toMatch(/runs shell commands.*--allow-commands/);
      const results = JSON.parse(readFileSync(`${tmp.dir}/b/results.json`, 'utf8')) as RunResult;
      // A command that succeeded keeps no output.
      expect(results.profiles[0]!.checks[0]!.lifecycleActions!.every((a) => a.output === undefined)).toBe(true);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('a command gets a minimal environment', () => {
  it('only PATH, HOME, its KEYPROBE_* variables and the variables the profile lists; never the profile key nor an inherited key id', async () => {
    const target = await startTarget();
    const tmp = tempDir('keyprobe-env-');
    try {
      const dump = (name: string) => `env > ${tmp.dir}/${name}.env`;
      const f = fixture(target, {
        lifecycle: {
          adapter: 'command',
          command: {
            env: ['ADMIN_TOKEN'],
            disable: dump('disable'),
            create: `${dump('create')}; echo '{"id":"key_new","secret":"${CREATED_SECRET}"}'`,
          },
        },
      });
      // keyprobe's own environment, as a CI job or a sourced demo env file leaves it.
      const env = {
        PATH: process.env.PATH,
        HOME: '/home/ci',
        ADMIN_TOKEN: 'adm-token-listed-by-the-profile',
        KEYPROBE_KEY: f.key.secret,
        KEYPROBE_KEY_ID: 'key_production_do_not_touch',
        AWS_SECRET_ACCESS_KEY: 'not-for-the-command',
      };
      const { adapter } = adapterFor(f, env);
      expect((await adapter.disable({ name: 'keyprobe-canary-x', id: 'key_canary' })).outcome).toBe('done');
      expect(dumpedEnv(`${tmp.dir}/disable.env`)).toEqual({
        PATH: process.env.PATH,
        HOME: '/home/ci',
        ADMIN_TOKEN: 'adm-token-listed-by-the-profile',
        KEYPROBE_ACTION: 'disable',
        KEYPROBE_TARGET: target.origin,
        KEYPROBE_KEY_NAME: 'keyprobe-canary-x',
        KEYPROBE_KEY_ID: 'key_canary',
      });
      const created = await adapter.create({
        name: 'keyprobe-canary-y',
        scopes: SCOPES,
        environment: 'prod',
        owner: 'crm@example.com',
        expiresInSeconds: 60,
      });
      expect(created.outcome).toBe('done');
      const createEnv = dumpedEnv(`${tmp.dir}/create.env`);
      // A create is about a new key: no key id at all, least of all the inherited production one.
      expect(createEnv.KEYPROBE_KEY_ID).toBeUndefined();
      expect(Object.keys(createEnv).sort()).toEqual(
        [
          'ADMIN_TOKEN',
          'HOME',
          'KEYPROBE_ACTION',
          'KEYPROBE_EXPIRES_AT',
          'KEYPROBE_EXPIRES_AT_EPOCH_MS',
          'KEYPROBE_EXPIRES_AT_EPOCH_SECONDS',
          'KEYPROBE_EXPIRES_IN_SECONDS',
          'KEYPROBE_KEY_ENVIRONMENT',
          'KEYPROBE_KEY_NAME',
          'KEYPROBE_KEY_OWNER',
          'KEYPROBE_KEY_SCOPES',
          'KEYPROBE_TARGET',
          'PATH',
        ].sort(),
      );
      expect(createEnv.KEYPROBE_KEY_SCOPES).toBe('agents:read agents:call');
      expect(Date.parse(createEnv.KEYPROBE_EXPIRES_AT!) - Date.now()).toBeGreaterThan(50_000);
    } finally {
      tmp.cleanup();
    }
  });

  it('PATH and HOME are handed on but never taken for secrets, however random their folder names look', async () => {
    // A temp HOME (mkdtemp) or a tool cache on PATH looks random; registering
    // it made every report that names a file below it a "leak" (exit 4).
    const target = await startTarget();
    const f = fixture(target, { lifecycle: { adapter: 'command', command: { env: ['ADMIN_TOKEN'], disable: 'true' } } });
    const home = '/tmp/keyprobe-recipe-haproxy-G42LhK';
    const path = `/opt/hostedtoolcache/node/20.19.4/x64/bin:${process.env.PATH}`;
    const { adapter, secrets } = adapterFor(f, { PATH: path, HOME: home, ADMIN_TOKEN: 'adm_9f8e7d6c5b4a39281706f5e4d3c2b1a0' });
    expect((await adapter.disable({ name: 'keyprobe-canary-x', id: 'key_canary' })).outcome).toBe('done');
    expect(secrets.has(home)).toBe(false);
    expect(secrets.has(path)).toBe(false);
    expect(secrets.has('adm_9f8e7d6c5b4a39281706f5e4d3c2b1a0')).toBe(true); // a listed variable still is
  });

  it('the profile cannot list a variable keyprobe sets for the action', async () => {
    const { profileSchema } = await import('../../src/config/profile-schema.js');
    const bad = profileSchema.safeParse({
      key: { name: 'a-b-c', system: 'a', environment: 'prod', purpose: 'c', secret: 's' },
      target: { origin: 'http://127.0.0.1:1' },
      allowed: ['GET /x'],
      lifecycle: { adapter: 'command', command: { env: ['KEYPROBE_KEY_ID', 'lower-case bad'], disable: 'true' } },
    });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.message).join('\n')).toMatch(/KEYPROBE_KEY_ID is set by keyprobe/);
    expect(bad.error!.issues.map((i) => i.message).join('\n')).toMatch(/not an environment variable name/);
  });
});

describe('command output is kept only on failure, scrubbed, and a printed key is registered whatever the exit', () => {
  const TOKEN = 'adm_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
  const noisy = [
    `echo '> POST /admin/keys/x/disable HTTP/1.1' >&2`,
    `echo '> Authorization: Bearer ${TOKEN}' >&2`,
    `echo '> Cookie: session=s3ss10nS3cr3tV4lu3xyz' >&2`,
    `echo '< Set-Cookie: sid=an0th3rS3ss10nV4lu3; Path=/' >&2`,
    `echo 'retrying with token=${TOKEN}&password=hunter2hunter2' >&2`,
  ].join('; ');

  it('a failing command keeps its output with credentials scrubbed; a succeeding one keeps none', async () => {
    const target = await startTarget();
    const f = fixture(target, { lifecycle: { adapter: 'command', command: { disable: `${noisy}; exit 1`, enable: `${noisy}; exit 0` } } });
    const { adapter, records, secrets } = adapterFor(f, { PATH: process.env.PATH });
    const failed = await adapter.disable({ name: 'k', id: 'key_x' });
    expect(failed.outcome).toBe('failed');
    const output = records[0]!.output!;
    expect(output).toMatch(/POST \/admin\/keys\/x\/disable/);
    expect(output).toMatch(/Authorization: \[scrubbed\]/);
    expect(output).toMatch(/Cookie: \[scrubbed\]/);
    expect(output).toMatch(/Set-Cookie: \[scrubbed\]/);
    expect(output).toMatch(/token=\[scrubbed\]&password=\[scrubbed\]/);
    // Still scanned: what was scrubbed is now a known secret, redacted wherever else it shows up.
    expect(secrets.has(TOKEN)).toBe(true);
    const everything = JSON.stringify(records) + (failed.outcome === 'failed' ? failed.reason : '');
    expect(findSecrets([TOKEN, 's3ss10nS3cr3tV4lu3xyz', 'an0th3rS3ss10nV4lu3', 'hunter2hunter2'], { texts: { everything } })).toEqual([]);

    const ok = await adapter.enable({ name: 'k', id: 'key_x' });
    expect(ok.outcome).toBe('done');
    expect(records[1]!.output).toBeUndefined();
  });

  for (const [what, tail, timeoutMs] of [
    ['exits 1 after printing the new key', 'exit 1', 10_000],
    ['times out after printing the new key', 'sleep 5', 1500],
  ] as const) {
    it(`a create command that ${what}: the key is registered, its id kept, and the canary deleted`, async () => {
      const target = await startTarget();
      const tmp = tempDir('keyprobe-create-');
      try {
        // Makes a real key on the target and prints it; the shell line then fails.
        const script = tmp.file(
          'create.mjs',
          `const r = await fetch(process.env.KEYPROBE_TARGET + '/admin/keys', { method: 'POST', headers: { authorization: 'Bearer ' + process.env.ADMIN_TOKEN, 'content-type': 'application/json' }, body: JSON.stringify({ name: process.env.KEYPROBE_KEY_NAME, scopes: process.env.KEYPROBE_KEY_SCOPES.split(' ') }) });
const k = await r.json();
(await import('node:fs')).writeFileSync(${JSON.stringify(`${tmp.dir}/made.secret`)}, k.secret); // for the test's scan only
console.log(JSON.stringify({ id: k.id, secret: k.secret, expiresAt: k.expiresAt }));
console.error('created ' + k.secret);`,
        );
        const del = `node -e "fetch(process.env.KEYPROBE_TARGET+'/admin/keys/'+process.env.KEYPROBE_KEY_ID,{method:'DELETE',headers:{authorization:'Bearer '+process.env.ADMIN_TOKEN}}).then(r=>process.exit(r.ok?0:1))"`;
        const f = fixture(target, {
          lifecycle: {
            adapter: 'command',
            stabilityWindowMs: 300,
            command: {
              env: ['ADMIN_TOKEN'],
              timeoutMs,
              create: `node ${JSON.stringify(script)}; ${tail}`,
              disable: 'true',
              delete: del,
            },
          },
        });
        const result = await runChecks(f, ['lifecycle.disabled-key-rejected'], {
          env: { PATH: process.env.PATH, ADMIN_TOKEN: target.adminToken },
          allowCommands: true,
        });
        const c = result.profiles[0]!.checks[0]!;
        expect(c.verdict).toBe('error');
        expect(c.message).toMatch(/could not create a canary key/);
        expect(c.lifecycleActions!.map((a) => `${a.action}:${a.outcome}`)).toEqual(['create:failed', 'delete:done']);
        expect(canariesLeft(target)).toEqual([]);
        const create = c.lifecycleActions![0]!;
        expect(create.output).toMatch(/JSON fields: id, secret, expiresAt/);
        expect(create.output).toMatch(/created \[canary sha256:[0-9a-f]{8}\]/);
        // Nothing of the run (what results.json and every report are made from) holds the key it printed.
        const made = readFileSync(`${tmp.dir}/made.secret`, 'utf8');
        expect(made).toMatch(/^kp_prod_/);
        expect(findSecrets([made, target.adminToken], { texts: { result: JSON.stringify(result) } })).toEqual([]);
      } finally {
        tmp.cleanup();
      }
    });
  }

  it('a disable command that exits 75 (EX_TEMPFAIL) is tried again; a create that does is not', async () => {
    const target = await startTarget();
    const tmp = tempDir('keyprobe-tempfail-');
    try {
      const counter = `${tmp.dir}/count`;
      const once = `if [ -e ${counter} ]; then exit 0; else touch ${counter}; exit 75; fi`;
      const f = fixture(target, {
        lifecycle: { adapter: 'command', command: { disable: once, create: `echo x >> ${tmp.dir}/creates; exit 75` } },
      });
      const { adapter, records } = adapterFor(f, { PATH: process.env.PATH });
      const r = await adapter.disable({ name: 'k', id: 'key_x' });
      expect(r.outcome, r.outcome === 'failed' ? r.reason : '').toBe('done');
      expect(records[0]!.attempts?.map((a) => a.exitCode)).toEqual([75, 0]);
      const c = await adapter.create({ name: 'c', scopes: SCOPES, environment: 'prod' });
      expect(c.outcome).toBe('failed');
      expect(readFileSync(`${tmp.dir}/creates`, 'utf8')).toBe('x\n');
    } finally {
      tmp.cleanup();
    }
  });
});
