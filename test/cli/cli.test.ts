// The command line: exit codes, help, version, list, validate, usage errors.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { CHECKS } from '../../src/checks/index.js';
import { BUNDLED_SUITES_DIR, DEMO_PROFILE } from '../../src/paths.js';
import { TOOL } from '../../src/version.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('keyprobe CLI', () => {
  it('--version prints the package version', async () => {
    const run = await runCli(['--version']);
    expect(run).toMatchObject({ code: 0, stdout: `${TOOL.version}\n` });
  });

  it.each(['run', 'validate', 'list', 'demo', 'reference'])('%s --help shows usage with an example', async (cmd) => {
    const run = await runCli([cmd, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: keyprobe ${cmd}`);
    expect(run.stdout).toMatch(/Examples?:\n {2}\$ keyprobe /);
  });

  it('list shows every implemented check with id, title and whether it is destructive', async () => {
    const run = await runCli(['list', '--json']);
    const rows = JSON.parse(run.stdout) as { id: string; title: string; destructive: boolean }[];
    expect(rows.map((r) => r.id)).toEqual(CHECKS.map((c) => c.id));
    for (const r of rows) expect(r.title.length).toBeGreaterThan(5);
    const text = await runCli(['list']);
    for (const c of CHECKS) expect(text.stdout).toContain(c.id);
  });

  it('validate: ok for the bundled profile and suite, exit 2 with located problems for a bad file', async () => {
    const ok = await runCli(['validate', DEMO_PROFILE, join(BUNDLED_SUITES_DIR, 'prelaunch.yaml')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout.match(/^ok {2}/gm)).toHaveLength(2);
    const tmp = tempDir();
    try {
      const bad = tmp.file('bad.yaml', 'key:\n  name: x\n  colour: blue\n');
      const run = await runCli(['validate', bad]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`${bad}:3:3: key.colour: unknown field "colour"`);
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      tmp.cleanup();
    }
  });

  it('validate --resolve names unset variables of the demo profile', async () => {
    const run = await runCli(['validate', '--resolve', DEMO_PROFILE], { env: {} });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('key.secret: environment variable KEYPROBE_DEMO_KEY is not set');
  });

  it('usage errors exit 2: unknown command, unknown option, unknown check in --only, unknown fault', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['run', '--bogus', 'x.yaml'])).code).toBe(2);
    const only = await runCli(['demo', '--only', 'auth.nope']);
    expect(only.code).toBe(2);
    expect(only.stderr).toMatch(/check "auth.nope" is not in suite prelaunch/);
    const fault = await runCli(['demo', '--fault', 'no-such-fault']);
    expect(fault.code).toBe(2);
    expect(fault.stderr).toMatch(/Valid faults: anonymous-access/);
    expect((await runCli(['run', DEMO_PROFILE, '--concurrency', '0'])).code).toBe(2);
  });

  it('run against a dead target ends in error verdicts and exit 3, not a crash', async () => {
    const tmp = tempDir();
    try {
      const profile = tmp.file(
        'p.yaml',
        'key: { name: crm-prod-agent-call, system: crm, environment: prod, purpose: agent-call, secret: "${env:K}" }\ntarget: { origin: "http://127.0.0.1:9", timeoutMs: 2000 }\nallowed: [ GET /v1/agents ]\n',
      );
      const run = await runCli(
        ['run', profile, '--only', 'auth.valid-key-accepted,auth.missing-key-rejected', '--out', join(tmp.dir, 'out')],
        { env: { K: `kp_prod_${'b'.repeat(32)}` } },
      );
      expect(run.code).toBe(3);
      // Preflight says it once; each check is marked not run.
      expect(run.stdout).toMatch(/ERROR http:\/\/127\.0\.0\.1:9 cannot be reached: .*connection refused by 127\.0\.0\.1:9/);
      expect(run.stdout).toMatch(/ERROR auth\.valid-key-accepted — not run: target unreachable/);
      expect(run.stdout).toMatch(/exit 3: nothing failed, but the launch could not be verified/);
    } finally {
      tmp.cleanup();
    }
  });
});
