// The CI recipes in docs/ci/: valid YAML with the structure docs/ci.md and
// docs/security.md promise, and their shell steps actually run. Each step
// that calls keyprobe is executed here with bash, as the CI would (same
// shell flags, the step's environment with ${{ … }} filled in, `npx`
// standing for the built CLI), against the reference target. What a recipe
// promises is checked by running it:
// - the production key is only in a job that pull requests cannot run, and
//   the origins it may reach are pinned by the workflow, not the profile;
// - the exit code is the gate; reports are published after a closed gate,
//   but never after exit 4 (a secret reached an output);
// - a shard that leaked or had a bad profile stops the merge.
import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../src/demo/seed.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import type { RunResult } from '../../src/result.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

type Step = {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
};
type GithubJob = {
  steps: Step[];
  if?: string;
  needs?: string | string[];
  environment?: string;
  env?: Record<string, string>;
  strategy?: { matrix?: Record<string, string[]> };
  'continue-on-error'?: unknown;
};
type Github = { on: Record<string, unknown>; jobs: Record<string, GithubJob> };
type GitlabJob = {
  script: string[];
  rules?: { if: string }[];
  variables?: Record<string, string>;
  allow_failure?: unknown;
  artifacts?: { when: string; paths: string[]; reports: { junit: string } };
};

const CI_DIR = join(PACKAGE_ROOT, 'docs', 'ci');
const CLI = join(PACKAGE_ROOT, 'dist', 'cli.js');
const doc = readFileSync(join(PACKAGE_ROOT, 'docs', 'ci.md'), 'utf8');
const security = readFileSync(join(PACKAGE_ROOT, 'docs', 'security.md'), 'utf8');
const load = <T>(name: string) => parse(readFileSync(join(CI_DIR, name), 'utf8')) as T;

/** The first keyprobe invocation in a script: `npx keyprobe run a --out d || x` → ['run', 'a', '--out', 'd']. */
function keyprobeArgs(script: string): string[] | undefined {
  const line = script.split('\n').find((l) => /\bkeyprobe\b/.test(l) && !l.trim().startsWith('#'));
  if (!line) return undefined;
  const words = line
    .split(/\s+(?:\|\||&&)\s+|\s+#/)[0]!
    .trim()
    .split(/\s+/);
  const at = words.indexOf('keyprobe');
  return at < 0 ? undefined : words.slice(at + 1);
}
const optionValue = (args: readonly string[], name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const stepsRunning = (steps: Step[], sub: string) => steps.filter((s) => s.run && keyprobeArgs(s.run)?.[0] === sub);
/** The line of a script that calls keyprobe, as docs/ci.md must show it. */
const keyprobeLine = (script: string) =>
  script
    .split('\n')
    .find((l) => /npx keyprobe /.test(l))!
    .trim();

/** Fills in ${{ … }} from a table; an expression the table does not know fails the test (the recipe changed). */
function github(text: string, table: Record<string, string>): string {
  return text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => {
    if (!(expr in table)) throw new Error(`no value for \${{ ${expr} }} in this test`);
    return table[expr]!;
  });
}

/** Evaluates a step's `if:` of the form `!cancelled() && steps.ID.outputs.NAME != 'v' && …` (the forms the recipes use). */
function runsAfter(cond: string | undefined, outputs: Record<string, string>): boolean {
  if (cond === undefined) return false; // default `success()`: not after a failed step
  return cond
    .replace(/^\$\{\{\s*|\s*\}\}$/g, '')
    .split('&&')
    .every((term) => {
      const t = term.trim();
      if (t === '!cancelled()') return true;
      const m = /^steps\.[\w-]+\.outputs\.([\w-]+) (==|!=) '([^']*)'$/.exec(t);
      if (!m) throw new Error(`cannot evaluate "${t}"`);
      return (outputs[m[1]!] ?? '') === m[3] ? m[2] === '==' : m[2] === '!=';
    });
}

let tmp: ReturnType<typeof tempDir>;
let bin: string;
beforeEach(() => {
  tmp = tempDir('keyprobe-ci-');
  mkdirSync(join(tmp.dir, 'profiles'));
  // `npx keyprobe …` is the built CLI; with FAKE_KEYPROBE_EXIT it only writes a junit.xml into --out and exits with that code.
  bin = join(tmp.dir, '.bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'npx'),
    `#!/bin/sh
[ "$1" = keyprobe ] || { echo "npx $1: not available in this test" >&2; exit 127; }
shift
if [ -n "$FAKE_KEYPROBE_EXIT" ]; then
  out=
  while [ $# -gt 0 ]; do [ "$1" = --out ] && out=$2; shift; done
  [ -n "$out" ] && mkdir -p "$out" && echo '<testsuites/>' > "$out/junit.xml"
  exit "$FAKE_KEYPROBE_EXIT"
fi
exec '${process.execPath}' '${CLI}' "$@"
`,
  );
  chmodSync(join(bin, 'npx'), 0o755);
});
afterEach(() => tmp.cleanup());

/** Runs a shell script as GitHub Actions (`bash --noprofile --norc -eo pipefail`) and GitLab CI do, in the temp checkout. */
function sh(script: string, env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
      cwd: tmp.dir,
      env: { PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The variables a profile reads its spare canary (and its id) and the management API's token from. */
interface CanaryEnv {
  readonly canary: string;
  readonly canaryId: string;
  readonly admin: string;
}
const CRM_CANARY: CanaryEnv = {
  canary: 'CRM_PROD_AGENT_CALL_CANARY_KEY',
  canaryId: 'CRM_PROD_AGENT_CALL_CANARY_KEY_ID',
  admin: 'CRM_ADMIN_TOKEN',
};

/**
 * A team's profile, scaffolded as docs/ci.md suggests: `keyprobe init`, the
 * key by reference, then completed the way `keyprobe validate` asks for: the
 * prelaunch suite requires a rate limit and a key to disable (here a declared
 * spare, re-enabled through the management API). It validates with exit 0.
 */
async function scaffold(system: string, keyEnv: string, expires: string, env: CanaryEnv = CRM_CANARY): Promise<void> {
  const made = await runCli(
    [
      'init',
      ...['--system', system, '--environment', 'prod', '--purpose', 'agent-call', '--owner', `${system}-team@example.com`],
      ...['--origin', '${env:KEYPROBE_TARGET}', '--key-env', keyEnv, '--expires', expires],
      ...['--allow', 'GET /v1/agents', '--deny', 'GET /v1/workflows'],
    ],
    { cwd: tmp.dir },
  );
  expect(made.code, made.stderr).toBe(0);
  const file = join(tmp.dir, 'profiles', `${system}-prod-agent-call.yaml`);
  appendFileSync(
    file,
    [
      '',
      'rateLimit: { limit: 20, windowSeconds: 1, probe: GET /v1/agents }',
      `canary: { secret: "\${env:${env.canary}}", id: "\${env:${env.canaryId}}", name: ${system}-prod-agent-call-canary }`,
      'lifecycle:',
      '  adapter: http',
      '  http:',
      `    credential: { secret: "\${env:${env.admin}}" }`,
      '    disable: POST /admin/keys/{{id}}/disable',
      '    enable: POST /admin/keys/{{id}}/enable',
      // A recipe is proven by its commands, exit codes and artifacts, not by how long a disabled key stays
      // refused: a 500 ms stability window (2 s by default) makes each whole-suite run 1.5 s shorter.
      '  stabilityWindowMs: 500',
      '',
    ].join('\n'),
  );
  const validated = await runCli(['validate', file], { cwd: tmp.dir });
  expect(validated.code, validated.stderr).toBe(0);
}

describe('docs/ci/github-actions.yml', () => {
  const wf = load<Github>('github-actions.yml');
  const gateJob = wf.jobs.keyprobe!;
  const gate = gateJob.steps.find((s) => s.id === 'gate')!;
  const publishing = gateJob.steps.slice(gateJob.steps.indexOf(gate) + 1);
  const table = (demo: Demo) => ({
    'vars.KEYPROBE_TARGET': demo.target.origin,
    'secrets.CRM_PROD_AGENT_CALL_KEY': demo.env.KEYPROBE_DEMO_KEY,
    'vars.CRM_PROD_AGENT_CALL_KEY_EXPIRES': demo.env.KEYPROBE_DEMO_KEY_EXPIRES,
    'secrets.CRM_PROD_AGENT_CALL_CANARY_KEY': demo.env.KEYPROBE_DEMO_CANARY_KEY,
    'vars.CRM_PROD_AGENT_CALL_CANARY_KEY_ID': demo.env.KEYPROBE_DEMO_CANARY_KEY_ID,
    'secrets.CRM_ADMIN_TOKEN': demo.env.KEYPROBE_DEMO_ADMIN_TOKEN,
  });
  /** The gate step's environment as the runner would give it: the job's env, then the step's. */
  const gateEnv = (demo: Demo, outputFile: string) => ({
    ...Object.fromEntries(Object.entries({ ...gateJob.env, ...gate.env }).map(([k, v]) => [k, github(v, table(demo))])),
    GITHUB_OUTPUT: outputFile,
  });
  const outputsOf = (file: string) =>
    Object.fromEntries([...readFileSync(file, 'utf8').matchAll(/^([\w-]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));

  it('keeps the production key out of pull requests: those only validate; the gate runs on main, in a protected environment', () => {
    expect(Object.keys(wf.on)).toContain('pull_request');
    expect(Object.keys(wf.on)).not.toContain('pull_request_target');
    for (const [name, job] of Object.entries(wf.jobs)) {
      const usesSecrets = JSON.stringify(job).includes('secrets.');
      if (!usesSecrets) continue;
      expect(job.if, name).toMatch(/github\.event_name != 'pull_request'/);
      expect(job.if, name).toMatch(/github\.ref == 'refs\/heads\/main'/);
      expect(job.environment, name).toBe('production');
    }
    expect(JSON.stringify(wf.jobs.validate)).not.toContain('secrets.');
    expect(stepsRunning(wf.jobs.validate!.steps, 'validate')).toHaveLength(1);
    // The workflow, not the profile, says where the key may go.
    expect(gateJob.env?.KEYPROBE_ALLOWED_ORIGINS).toMatch(/^\$\{\{ vars\.[A-Z_]+ \}\}$/);
    expect(gate.env?.CRM_PROD_AGENT_CALL_KEY).toMatch(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/);
    expect(gateJob['continue-on-error']).toBeUndefined();
    expect(doc).toContain(keyprobeLine(gate.run!));
  });

  it('publishes JUnit and the report folder after a closed gate, never after exit 4', () => {
    const out = optionValue(keyprobeArgs(gate.run!)!, '--out')!;
    const junit = publishing.find((s) => s.with && 'report_paths' in s.with);
    const upload = publishing.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(junit?.with?.report_paths).toBe(`${out}/junit.xml`);
    expect(String(upload?.with?.path).replace(/\/$/, '')).toBe(out);
    for (const step of [junit!, upload!]) {
      for (const code of ['0', '1', '2', '3']) expect(runsAfter(step.if, { 'exit-code': code }), `${step.name} after ${code}`).toBe(true);
      expect(runsAfter(step.if, { 'exit-code': '4' }), `${step.name} after 4`).toBe(false);
      expect(runsAfter(step.if, {}), `${step.name} when the gate never ran`).toBe(false);
    }
    expect(security).toMatch(/exit 4/);
  });

  it('validate, with no secret in the environment, passes for a sound profile', async () => {
    await scaffold('crm', 'CRM_PROD_AGENT_CALL_KEY', '${env:CRM_PROD_AGENT_CALL_KEY_EXPIRES}');
    const r = await sh(stepsRunning(wf.jobs.validate!.steps, 'validate')[0]!.run!, {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ok  profiles/crm-prod-agent-call.yaml');
  });

  it('its gate step, run against the reference target, passes, records its exit code and writes what it publishes', async () => {
    await scaffold('crm', 'CRM_PROD_AGENT_CALL_KEY', '${env:CRM_PROD_AGENT_CALL_KEY_EXPIRES}');
    const demo = await startDemo();
    try {
      const output = join(tmp.dir, 'github-output');
      const r = await sh(gate.run!, gateEnv(demo, output));
      expect(r.stderr).toBe('');
      expect(r.code, r.stdout).toBe(0);
      expect(outputsOf(output)).toEqual({ 'exit-code': '0' });
      expect(r.stdout).not.toMatch(/origins were not restricted/);
      const out = join(tmp.dir, optionValue(keyprobeArgs(gate.run!)!, '--out')!);
      for (const f of ['junit.xml', 'report.html', 'results.json']) expect(existsSync(join(out, f)), f).toBe(true);
      expect(findSecrets(demo.secrets, { dirs: [out], texts: { stdout: r.stdout } })).toEqual([]);
    } finally {
      await demo.target.close();
    }
  });

  it('closes the gate (exit 1, recorded) when the key misbehaves', async () => {
    await scaffold('crm', 'CRM_PROD_AGENT_CALL_KEY', '${env:CRM_PROD_AGENT_CALL_KEY_EXPIRES}');
    const demo = await startDemo(['anonymous-access']);
    try {
      const output = join(tmp.dir, 'github-output');
      const r = await sh(gate.run!, gateEnv(demo, output));
      expect(r.code).toBe(1);
      expect(outputsOf(output)).toEqual({ 'exit-code': '1' });
      expect(existsSync(join(tmp.dir, 'reports', 'keyprobe', 'junit.xml'))).toBe(true);
    } finally {
      await demo.target.close();
    }
  });

  it('refuses a profile that names an origin the workflow did not pin, before any request', async () => {
    let requests = 0;
    const elsewhere = createServer((_req, res) => {
      requests++;
      res.end('{}');
    });
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', () => r()));
    const demo = await startDemo();
    try {
      await scaffold('crm', 'CRM_PROD_AGENT_CALL_KEY', '${env:CRM_PROD_AGENT_CALL_KEY_EXPIRES}');
      // A pull request edits the profile to send the key elsewhere.
      const file = join(tmp.dir, 'profiles', 'crm-prod-agent-call.yaml');
      const port = (elsewhere.address() as { port: number }).port;
      writeFileSync(file, readFileSync(file, 'utf8').replace('${env:KEYPROBE_TARGET}', `http://127.0.0.1:${port}`));
      const output = join(tmp.dir, 'github-output');
      const r = await sh(gate.run!, gateEnv(demo, output));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`target.origin: http://127.0.0.1:${port} is not an allowed origin`);
      expect(requests).toBe(0);
    } finally {
      await demo.target.close();
      await new Promise<void>((r) => elsewhere.close(() => r()));
    }
  });

  it('passes exit 4 on to the job and records it, so nothing is published', async () => {
    const output = join(tmp.dir, 'github-output');
    const r = await sh(gate.run!, { FAKE_KEYPROBE_EXIT: '4', GITHUB_OUTPUT: output });
    expect(r.code).toBe(4);
    expect(outputsOf(output)).toEqual({ 'exit-code': '4' });
    for (const step of publishing) expect(runsAfter(step.if, outputsOf(output)), step.name).toBe(false);
  });
});

describe('docs/ci/gitlab-ci.yml', () => {
  const ci = load<Record<string, GitlabJob>>('gitlab-ci.yml');
  const job = ci.keyprobe!;
  const gateLine = job.script.find((l) => keyprobeArgs(l)?.[0] === 'run')!;
  /** The job's script after `npm ci`, with the CI/CD variables and the job's own variables (GitLab expands $NAME in them). */
  const script = () => job.script.filter((l) => !l.startsWith('npm ci')).join('\n');
  const variables = (ciVars: Record<string, string>) => ({
    ...ciVars,
    ...Object.fromEntries(
      Object.entries(job.variables ?? {}).map(([k, v]) => [k, v.replace(/\$(\w+)/g, (_, n: string) => ciVars[n] ?? '')]),
    ),
  });

  it('the production key only on the default branch; merge requests validate; origins pinned by the pipeline', () => {
    expect(job.rules).toEqual([{ if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' }]);
    expect(job.variables?.KEYPROBE_ALLOWED_ORIGINS).toBe('$KEYPROBE_TARGET');
    const validate = ci['keyprobe-validate']!;
    expect(validate.rules?.map((r) => r.if)).toContain('$CI_PIPELINE_SOURCE == "merge_request_event"');
    expect(validate.script.some((l) => keyprobeArgs(l)?.[0] === 'validate')).toBe(true);
    const out = optionValue(keyprobeArgs(gateLine)!, '--out')!;
    expect(job.allow_failure).toBeUndefined();
    expect(job.artifacts?.when).toBe('always');
    expect(job.artifacts?.reports.junit).toBe(`${out}/junit.xml`);
    expect(job.artifacts?.paths).toContain(`${out}/`);
    expect(doc).toContain(gateLine);
  });

  it('its script, run against the reference target, passes and leaves the reports for the artifacts', async () => {
    await scaffold('crm', 'CRM_PROD_AGENT_CALL_KEY', '${env:CRM_PROD_AGENT_CALL_KEY_EXPIRES}');
    const demo = await startDemo();
    try {
      const r = await sh(
        script(),
        variables({
          KEYPROBE_TARGET: demo.target.origin,
          CRM_PROD_AGENT_CALL_KEY: demo.env.KEYPROBE_DEMO_KEY,
          CRM_PROD_AGENT_CALL_KEY_EXPIRES: demo.env.KEYPROBE_DEMO_KEY_EXPIRES,
          CRM_PROD_AGENT_CALL_CANARY_KEY: demo.env.KEYPROBE_DEMO_CANARY_KEY,
          CRM_PROD_AGENT_CALL_CANARY_KEY_ID: demo.env.KEYPROBE_DEMO_CANARY_KEY_ID,
          CRM_ADMIN_TOKEN: demo.env.KEYPROBE_DEMO_ADMIN_TOKEN,
        }),
      );
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(tmp.dir, job.artifacts!.reports.junit))).toBe(true);
      expect(existsSync(join(tmp.dir, 'reports', 'keyprobe', 'report.html'))).toBe(true);
    } finally {
      await demo.target.close();
    }
  });

  it('fails the job with keyprobe’s exit code; keeps the reports after 1, removes them after 4', async () => {
    const reports = join(tmp.dir, 'reports', 'keyprobe');
    const failed = await sh(script(), { FAKE_KEYPROBE_EXIT: '1' });
    expect(failed.code).toBe(1);
    expect(existsSync(join(reports, 'junit.xml'))).toBe(true);
    const leaked = await sh(script(), { FAKE_KEYPROBE_EXIT: '4' });
    expect(leaked.code).toBe(4);
    expect(existsSync(reports)).toBe(false);
  });
});

describe('docs/ci/github-actions-sharded.yml', () => {
  const wf = load<Github>('github-actions-sharded.yml');
  const shard = wf.jobs.shard!;
  const merge = wf.jobs.merge!;
  const shardStep = stepsRunning(shard.steps, 'run')[0]!;
  const table = (profile: string, key: string, origin: string, demo?: Demo) => ({
    'matrix.profile': profile,
    'vars.KEYPROBE_TARGET': origin,
    "secrets[format('KEY_{0}', matrix.profile)]": key,
    "secrets[format('CANARY_KEY_{0}', matrix.profile)]": demo?.env.KEYPROBE_DEMO_CANARY_KEY ?? '',
    "vars[format('CANARY_KEY_ID_{0}', matrix.profile)]": demo?.env.KEYPROBE_DEMO_CANARY_KEY_ID ?? '',
    'secrets.ADMIN_TOKEN': demo?.env.KEYPROBE_DEMO_ADMIN_TOKEN ?? '',
  });

  it('shards hold the keys in a protected environment with origins pinned; a failed shard stops the merge, which is the gate', () => {
    expect(shard.strategy?.matrix?.profile?.length).toBeGreaterThan(1);
    expect(shard.environment).toBe('production');
    expect(shard.if).toMatch(/refs\/heads\/main/);
    expect(shard.env?.KEYPROBE_ALLOWED_ORIGINS).toMatch(/^\$\{\{ vars\.[A-Z_]+ \}\}$/);
    const upload = shard.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    // Uploaded only when the shard step succeeded (a verdict), not after a bad profile or a leak.
    expect(upload.if).toBeUndefined();
    const shardOut = optionValue(keyprobeArgs(github(shardStep.run!, table('P', '', '')))!, '--out');
    expect(shardOut).toBe('shards/P');
    expect(github(String(upload.with?.path), table('P', '', ''))).toBe(`${shardOut}/results.json`);
    expect(merge.needs).toBe('shard');
    // No `if: !cancelled()` on the merge job: it must not run over a shard that failed.
    expect(merge.if).toBeUndefined();
    const [mergeRun] = stepsRunning(merge.steps, 'merge');
    expect(mergeRun!.run).not.toMatch(/\|\|/);
    const out = optionValue(keyprobeArgs(mergeRun!.run!)!, '--out');
    const junit = merge.steps.find((s) => s.with && 'report_paths' in s.with);
    expect(junit?.with?.report_paths).toBe(`${out}/junit.xml`);
    expect(doc).toContain(mergeRun!.run!);
  });

  it('a shard succeeds on a verdict (0, 1, 3) and fails on a bad profile (2) or a leak (4)', async () => {
    const run = github(shardStep.run!, table('crm-prod-agent-call', '', ''));
    for (const [code, expected] of [
      ['1', 0],
      ['3', 0],
      ['2', 2],
      ['4', 4],
    ] as const) {
      const r = await sh(run, { FAKE_KEYPROBE_EXIT: code });
      expect(r.code, `keyprobe exit ${code}`).toBe(expected);
    }
  });

  it('its commands, run as the matrix would, shard and merge into one passing report', async () => {
    const profiles = shard.strategy!.matrix!.profile!;
    expect(profiles).toEqual(['crm-prod-agent-call', 'billing-prod-agent-call']);
    const shardEnv: CanaryEnv = { canary: 'CANARY_KEY', canaryId: 'CANARY_KEY_ID', admin: 'ADMIN_TOKEN' };
    for (const system of ['crm', 'billing']) await scaffold(system, 'KEYPROBE_KEY', '2027-03-31', shardEnv);
    const secrets: string[] = [];
    // The shards run side by side, as the matrix's jobs do, each against a target of its own.
    const shardRun = async (profile: string) => {
      const demo = await startDemo();
      try {
        // Each shard gets its own key, as the workflow's secrets[...] lookup does.
        const key = profile.startsWith('billing') ? demo.env.KEYPROBE_DEMO_SECOND_KEY : demo.env.KEYPROBE_DEMO_KEY;
        const env = Object.fromEntries(
          Object.entries({ ...shard.env, ...shardStep.env }).map(([k, v]) => [k, github(v, table(profile, key, demo.target.origin, demo))]),
        );
        const r = await sh(github(shardStep.run!, table(profile, key, demo.target.origin, demo)), env);
        secrets.push(...demo.secrets);
        expect(r.code, `${profile}: ${r.stderr}${r.stdout}`).toBe(0);
        const result = JSON.parse(readFileSync(join(tmp.dir, 'shards', profile, 'results.json'), 'utf8')) as RunResult;
        expect(result.exitCode, `${profile}: ${r.stdout}`).toBe(0);
      } finally {
        await demo.target.close();
      }
    };
    await Promise.all(profiles.map(shardRun));
    const mergeRun = stepsRunning(merge.steps, 'merge')[0]!.run!;
    const merged = await sh(mergeRun, {});
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);
    expect(readdirSync(join(tmp.dir, 'shards')).sort()).toEqual([...profiles].sort());
    const out = join(tmp.dir, optionValue(keyprobeArgs(mergeRun)!, '--out')!);
    const result = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;
    expect(result.profiles.map((p) => p.profile.keyName).sort()).toEqual(['billing-prod-agent-call', 'crm-prod-agent-call']);
    for (const f of ['junit.xml', 'report.html']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(findSecrets(secrets, { dirs: [join(tmp.dir, 'shards'), join(tmp.dir, 'reports')] })).toEqual([]);
    // Two whole prelaunch runs (~10 s of protocol waits each) side by side, and a merge: a hang detector, not a speed test.
  }, 90_000);
});
