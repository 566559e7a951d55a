// The CI recipes in docs/ci/: valid YAML with the structure docs/ci.md
// promises (keyprobe's exit code is the gate; JUnit and HTML are published
// even when it closes), and the keyprobe commands in them, run here against
// the reference target, do what the recipe expects of them.
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDemo } from '../../src/demo/seed.js';
import { DEMO_PROFILE, PACKAGE_ROOT } from '../../src/paths.js';
import type { RunResult } from '../../src/result.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

type Step = {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
  'continue-on-error'?: unknown;
};
type GithubJob = {
  steps: Step[];
  needs?: string | string[];
  strategy?: { matrix?: Record<string, string[]> };
  'continue-on-error'?: unknown;
};
type Github = { on: unknown; jobs: Record<string, GithubJob> };
type GitlabJob = { script: string[]; allow_failure?: unknown; artifacts: { when: string; paths: string[]; reports: { junit: string } } };

const CI_DIR = join(PACKAGE_ROOT, 'docs', 'ci');
const doc = readFileSync(join(PACKAGE_ROOT, 'docs', 'ci.md'), 'utf8');
const load = <T>(name: string) => parse(readFileSync(join(CI_DIR, name), 'utf8')) as T;

/** The keyprobe invocations in a shell line: `npx keyprobe run a b --out d || true` → ['run', 'a', 'b', '--out', 'd']. */
function keyprobeArgs(line: string): string[] | undefined {
  const command = line.split(/\s+(?:\|\||&&)\s+|\s+#/)[0]!.trim();
  const words = command.split(/\s+/);
  const at = words.indexOf('keyprobe');
  return at < 0 ? undefined : words.slice(at + 1);
}

function optionValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

const withMatrix = (text: string, profile: string) => text.replaceAll('${{ matrix.profile }}', profile);
const stepsRunning = (steps: Step[], sub: string) => steps.filter((s) => s.run && keyprobeArgs(s.run)?.[0] === sub);
const isAfterFailure = (cond: string | undefined) => cond !== undefined && /!cancelled\(\)|always\(\)/.test(cond);

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('keyprobe-ci-');
  mkdirSync(join(tmp.dir, 'profiles'));
  copyFileSync(DEMO_PROFILE, join(tmp.dir, 'profiles', 'crm-prod-agent-call.yaml'));
});
afterEach(() => tmp.cleanup());

/** Runs one keyprobe command from a recipe in the temp checkout, against a fresh reference target. */
async function runAgainstReference(args: string[], keyFor: (env: Record<string, string>) => string = (env) => env.KEYPROBE_KEY!) {
  const demo = await startDemo();
  try {
    const env = { PATH: process.env.PATH, ...demo.env, KEYPROBE_KEY: keyFor(demo.env) };
    const run = await runCli(args, { env, cwd: tmp.dir });
    return { ...run, secrets: demo.secrets };
  } finally {
    await demo.target.close();
  }
}

describe('docs/ci/github-actions.yml', () => {
  const wf = load<Github>('github-actions.yml');
  const steps = wf.jobs.keyprobe!.steps;

  it('runs keyprobe as the gate and publishes JUnit and HTML even when the gate closes', () => {
    expect(wf.on).toBeDefined();
    const [gate] = stepsRunning(steps, 'run');
    expect(gate, 'a step runs `keyprobe run`').toBeDefined();
    const args = keyprobeArgs(gate!.run!)!;
    const out = optionValue(args, '--out')!;
    expect(out).toBe('reports/keyprobe');
    // The exit code is the gate: nothing swallows it.
    expect(gate!.run).not.toMatch(/\|\||;\s*exit 0/);
    expect(gate!['continue-on-error']).toBeUndefined();
    expect(wf.jobs.keyprobe!['continue-on-error']).toBeUndefined();
    // The key only from the secret store.
    expect(gate!.env?.KEYPROBE_KEY).toMatch(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/);
    const after = steps.slice(steps.indexOf(gate!) + 1);
    const junit = after.find((s) => s.with && 'report_paths' in s.with);
    expect(junit?.with?.report_paths).toBe(`${out}/junit.xml`);
    expect(isAfterFailure(junit?.if)).toBe(true);
    const upload = after.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(String(upload?.with?.path).replace(/\/$/, '')).toBe(out);
    expect(isAfterFailure(upload?.if)).toBe(true);
    expect(doc).toContain(gate!.run!);
  });

  it('its keyprobe command, run against the reference target, passes and writes the files it publishes', async () => {
    const args = keyprobeArgs(stepsRunning(steps, 'run')[0]!.run!)!;
    const run = await runAgainstReference(args);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = join(tmp.dir, optionValue(args, '--out')!);
    for (const f of ['junit.xml', 'report.html', 'results.json']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(findSecrets(run.secrets, { dirs: [out], texts: { stdout: run.stdout } })).toEqual([]);
  });

  it('closes the gate (non-zero exit) when the key misbehaves', async () => {
    const args = keyprobeArgs(stepsRunning(steps, 'run')[0]!.run!)!;
    const demo = await startDemo(['anonymous-access']);
    try {
      const run = await runCli(args, { env: { PATH: process.env.PATH, ...demo.env }, cwd: tmp.dir });
      expect(run.code).toBe(1);
      expect(existsSync(join(tmp.dir, optionValue(args, '--out')!, 'junit.xml'))).toBe(true);
    } finally {
      await demo.target.close();
    }
  });
});

describe('docs/ci/gitlab-ci.yml', () => {
  const ci = load<Record<string, GitlabJob>>('gitlab-ci.yml');
  const job = ci.keyprobe!;

  it('runs keyprobe as the gate and publishes JUnit and the report directory always', () => {
    const lines = job.script.filter((l) => keyprobeArgs(l)?.[0] === 'run');
    expect(lines).toHaveLength(1);
    const args = keyprobeArgs(lines[0]!)!;
    const out = optionValue(args, '--out')!;
    expect(lines[0]).not.toMatch(/\|\|/);
    expect(job.allow_failure).toBeUndefined();
    expect(job.artifacts.when).toBe('always');
    expect(job.artifacts.reports.junit).toBe(`${out}/junit.xml`);
    expect(job.artifacts.paths).toContain(`${out}/`);
    expect(doc).toContain(lines[0]!);
  });

  it('its keyprobe command, run against the reference target, passes and writes what it publishes', async () => {
    const args = keyprobeArgs(job.script.find((l) => keyprobeArgs(l)?.[0] === 'run')!)!;
    const run = await runAgainstReference(args);
    expect(run.code).toBe(0);
    expect(existsSync(join(tmp.dir, job.artifacts.reports.junit))).toBe(true);
    expect(existsSync(join(tmp.dir, optionValue(args, '--out')!, 'report.html'))).toBe(true);
  });
});

describe('docs/ci/github-actions-sharded.yml', () => {
  const wf = load<Github>('github-actions-sharded.yml');
  const shard = wf.jobs.shard!;
  const merge = wf.jobs.merge!;

  it('runs one shard per profile that always reports, and a merge job that is the gate', () => {
    const profiles = shard.strategy?.matrix?.profile ?? [];
    expect(profiles.length).toBeGreaterThan(1);
    const [shardRun] = stepsRunning(shard.steps, 'run');
    expect(shardRun!.run).toMatch(/\|\| true$/); // the merge job decides
    const upload = shard.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    const shardOut = optionValue(keyprobeArgs(withMatrix(shardRun!.run!, 'P'))!, '--out');
    expect(shardOut).toBe('shards/P');
    expect(withMatrix(String(upload?.with?.path), 'P')).toBe(`${shardOut}/results.json`);
    expect(merge.needs).toBe('shard');
    const [mergeRun] = stepsRunning(merge.steps, 'merge');
    expect(mergeRun!.run).not.toMatch(/\|\|/);
    const out = optionValue(keyprobeArgs(mergeRun!.run!)!, '--out');
    const junit = merge.steps.find((s) => s.with && 'report_paths' in s.with);
    expect(junit?.with?.report_paths).toBe(`${out}/junit.xml`);
    expect(doc).toContain(mergeRun!.run!);
  });

  it('its commands, run as the matrix would, shard and merge into one passing report', async () => {
    const profiles = shard.strategy!.matrix!.profile!;
    // The second profile of the matrix, scaffolded the way a team would: with `keyprobe init`.
    const made = await runCli(
      [
        'init',
        '--system',
        'billing',
        '--environment',
        'prod',
        '--purpose',
        'agent-call',
        '--owner',
        'billing-team@example.com',
        '--origin',
        '${env:KEYPROBE_TARGET}',
        '--key-env',
        'KEYPROBE_KEY',
        '--expires',
        '${env:KEYPROBE_KEY_EXPIRES}',
        '--allow',
        'GET /v1/agents',
        '--deny',
        'GET /v1/workflows',
      ],
      { cwd: tmp.dir },
    );
    expect(made.code, made.stderr).toBe(0);
    expect(profiles).toEqual(['crm-prod-agent-call', 'billing-prod-agent-call']);
    // …and completed the way `keyprobe validate` asks for: the prelaunch suite requires a
    // rate limit and a key to disable (here a declared spare, re-enabled through the management API).
    appendFileSync(
      join(tmp.dir, 'profiles', 'billing-prod-agent-call.yaml'),
      [
        'rateLimit: { limit: 20, windowSeconds: 1, probe: GET /v1/agents }',
        'canary: { secret: "${env:KEYPROBE_CANARY_KEY}", id: "${env:KEYPROBE_CANARY_KEY_ID}", name: billing-prod-agent-call-canary }',
        'lifecycle:',
        '  adapter: http',
        '  http:',
        '    credential: { secret: "${env:KEYPROBE_ADMIN_TOKEN}" }',
        '    disable: POST /admin/keys/{{id}}/disable',
        '    enable: POST /admin/keys/{{id}}/enable',
        '',
      ].join('\n'),
    );
    const validated = await runCli(['validate', join(tmp.dir, 'profiles', 'billing-prod-agent-call.yaml')], { cwd: tmp.dir });
    expect(validated.code, validated.stderr).toBe(0);

    const shardLine = stepsRunning(shard.steps, 'run')[0]!.run!;
    const secrets: string[] = [];
    for (const profile of profiles) {
      const args = keyprobeArgs(withMatrix(shardLine, profile))!;
      // Each shard gets its own key, as the workflow's secrets[...] lookup does.
      const run = await runAgainstReference(args, (env) => (profile.startsWith('billing') ? env.KEYPROBE_SECOND_KEY! : env.KEYPROBE_KEY!));
      secrets.push(...run.secrets);
      expect(run.code, `${profile}: ${run.stderr}${run.stdout}`).toBe(0);
    }
    const mergeArgs = keyprobeArgs(stepsRunning(merge.steps, 'merge')[0]!.run!)!;
    // The shell would expand the glob.
    const expanded = mergeArgs.flatMap((a) =>
      a === 'shards/*/results.json' ? readdirSync(join(tmp.dir, 'shards')).map((d) => `shards/${d}/results.json`) : [a],
    );
    expect(expanded.length).toBe(mergeArgs.length + 1);
    const merged = await runCli(expanded, { cwd: tmp.dir });
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);
    const out = join(tmp.dir, optionValue(mergeArgs, '--out')!);
    const result = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;
    expect(result.profiles.map((p) => p.profile.keyName).sort()).toEqual(['billing-prod-agent-call', 'crm-prod-agent-call']);
    for (const f of ['junit.xml', 'report.html']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(findSecrets(secrets, { dirs: [tmp.dir] })).toEqual([]);
  });
});
