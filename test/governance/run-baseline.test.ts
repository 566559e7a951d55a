// Baselines and waivers on `keyprobe run`: a nightly run against production
// gates on regressions only. Against the reference target on loopback, with
// the fault that makes auth.missing-key-rejected fail (anonymous-access)
// switched on and off between runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../src/demo/seed.js';
import { DEMO_PROFILE } from '../../src/paths.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

// Only checks that never use the key: runs in quick succession must not meet the key's own rate limit.
const ONLY = ['--only', 'auth.missing-key-rejected'];

describe('keyprobe run --baseline / --waivers / --fail-on', () => {
  let demo: Demo;
  let tmp: ReturnType<typeof tempDir>;
  let failing: string;
  let passing: string;
  const env = () => ({ ...demo.env, PATH: process.env.PATH });
  const run = (name: string, ...args: string[]) => {
    const out = join(tmp.dir, name);
    return runCli(['run', DEMO_PROFILE, ...ONLY, '--out', out, ...args], { env: env(), cwd: tmp.dir }).then((r) => ({
      ...r,
      out,
      result: JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')),
    }));
  };

  beforeAll(async () => {
    demo = await startDemo();
    tmp = tempDir();
    const ok = await run('passing');
    expect(ok.code).toBe(0);
    passing = join(ok.out, 'results.json');
    demo.target.setFault('anonymous-access');
    const bad = await run('failing');
    expect(bad.code).toBe(1);
    failing = join(bad.out, 'results.json');
  });
  afterAll(async () => {
    await demo.target.close();
    tmp.cleanup();
  });

  it('a failure the baseline already had does not gate with --fail-on new, and the verdict says why', async () => {
    demo.target.setFault('anonymous-access');
    const r = await run('persisting', '--baseline', failing, '--fail-on', 'new');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const check = r.result.profiles[0].checks.find((c: { id: string }) => c.id === 'auth.missing-key-rejected');
    // Still reported as the failure it is; it just does not gate this run.
    expect(check).toMatchObject({ verdict: 'fail', gating: false });
    expect(check.advisories.join('\n')).toContain('accepted, not gating this run: persisting since the baseline');
    expect(r.result.acceptance).toMatchObject({
      failOn: 'new',
      baseline: { runId: expect.any(String) },
      accepted: [{ key: 'crm-prod-agent-call', check: 'auth.missing-key-rejected', verdict: 'fail' }],
      new: [],
    });
    expect(r.stdout).toContain('Governance (--fail-on new):');
    expect(r.stdout).toContain('accepted auth.missing-key-rejected on crm-prod-agent-call (fail): persisting since the baseline');
    expect(r.stdout).toContain('The verdict leaves out 1 accepted failure (see "Governance" above)');
    expect(r.result.verdict).toBe('pass');
    expect(findSecrets(demo.secrets, { dirs: [r.out], texts: { stdout: r.stdout, stderr: r.stderr } })).toEqual([]);
  });

  it('the same failure is new against a passing baseline: it gates (exit 1) even with --fail-on new', async () => {
    demo.target.setFault('anonymous-access');
    const r = await run('regression', '--baseline', passing, '--fail-on', 'new');
    expect(r.code).toBe(1);
    expect(r.result.acceptance.new).toEqual([{ key: 'crm-prod-agent-call', check: 'auth.missing-key-rejected', verdict: 'fail' }]);
    const check = r.result.profiles[0].checks.find((c: { id: string }) => c.id === 'auth.missing-key-rejected');
    expect(check.gating).toBe(true);
    expect(check.advisories.join('\n')).toContain('new since the baseline run');
  });

  it('a fixed failure is listed as resolved', async () => {
    demo.target.clearFault('anonymous-access');
    const r = await run('fixed', '--baseline', failing);
    expect(r.code).toBe(0);
    expect(r.result.acceptance.resolved).toEqual([{ key: 'crm-prod-agent-call', check: 'auth.missing-key-rejected', was: 'fail' }]);
    expect(r.stdout).toMatch(/against the baseline run \S+: 0 new, 1 resolved \(auth\.missing-key-rejected on crm-prod-agent-call\)/);
  });

  it('a check this run left out is not "resolved": it was not looked at', async () => {
    demo.target.clearFault('anonymous-access');
    const r = await runCli(
      ['run', DEMO_PROFILE, '--only', 'auth.invalid-key-rejected', '--out', join(tmp.dir, 'partial'), '--baseline', failing],
      {
        env: env(),
        cwd: tmp.dir,
      },
    );
    expect(r.code).toBe(0);
    const result = JSON.parse(readFileSync(join(tmp.dir, 'partial', 'results.json'), 'utf8'));
    expect(result.acceptance.resolved).toEqual([]);
  });

  it('a waiver accepts a failing check until it expires; an expired one gates again and says so', async () => {
    demo.target.setFault('anonymous-access');
    const waiver = (expires: string) =>
      tmp.file(
        `w-${expires}.yaml`,
        `waivers:\n  - check: auth.missing-key-rejected\n    key: crm-prod-agent-call\n    owner: platform-team@example.com\n    reason: gateway fix in PLAT-77\n    expires: ${expires}\n`,
      );
    const live = await run('waived', '--waivers', waiver('2999-01-01'));
    expect(live.code, live.stdout).toBe(0);
    expect(live.stdout).toContain(
      'accepted auth.missing-key-rejected on crm-prod-agent-call (fail): waived by platform-team@example.com until 2999-01-01: gateway fix in PLAT-77',
    );
    const html = readFileSync(join(live.out, 'report.html'), 'utf8');
    expect(html).toContain('waived by platform-team@example.com until 2999-01-01: gateway fix in PLAT-77');
    const expired = await run('expired', '--waivers', waiver('2020-01-01'));
    expect(expired.code).toBe(1);
    expect(expired.stdout).toMatch(
      /waiver auth\.missing-key-rejected for crm-prod-agent-call \(.*:2\) expired 2020-01-01: it no longer waives/,
    );
  });

  it('bad governance input is exit 2 before any request', async () => {
    const before = demo.target.stats().requests;
    const noBaseline = await runCli(['run', DEMO_PROFILE, '--fail-on', 'new'], { env: env(), cwd: tmp.dir });
    expect(noBaseline.code).toBe(2);
    expect(noBaseline.stderr).toContain('--fail-on new needs --baseline');
    const bad = await runCli(
      [
        'run',
        DEMO_PROFILE,
        '--waivers',
        tmp.file('bad.yaml', 'waivers:\n  - check: auth.nope\n    owner: o\n    reason: r\n    expires: 2030-01-01\n'),
      ],
      {
        env: env(),
        cwd: tmp.dir,
      },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml:2:12: waivers\[0\]\.check: unknown check "auth\.nope"/);
    const audit = await runCli(
      ['run', DEMO_PROFILE, '--baseline', tmp.file('f.json', JSON.stringify({ schemaVersion: 2, runId: 'x', findings: [] }))],
      {
        env: env(),
        cwd: tmp.dir,
      },
    );
    expect(audit.code).toBe(2);
    expect(audit.stderr).toContain('is the findings.json of an audit; a run baseline is the results.json of an earlier run');
    expect(demo.target.stats().requests).toBe(before);
  });
});
