// The real package: `npm pack` (its prepack builds from a clean dist/) makes a
// tarball with only what runs, which installs into an empty directory from
// the npm registry and whose `npx keyprobe` works there. Slow (an npm install):
// kept in its own file with generous timeouts.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../src/demo/seed.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

interface Exec {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without blocking the event loop (the reference target serves from this process). */
function exec(cmd: string, args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): Promise<Exec> {
  // npm_* variables of an outer `npm test` would steer the inner npm; start clean.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: opts.cwd, env: { ...base, NO_COLOR: '1', ...opts.env }, maxBuffer: 32 * 1024 * 1024, timeout: 240_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const LEFT_OUT = new Set(['node_modules', 'dist', 'dist-bench', 'reports', '.git', 'coverage', 'test-artifacts']);

let tmp: ReturnType<typeof tempDir>;
let packed: { filename: string; files: { path: string }[] };
let app: string;

beforeAll(async () => {
  tmp = tempDir('keyprobe-package-');
  // Pack a copy of the working tree, so the prepack's clean build never touches the dist/ other runs use.
  const stage = join(tmp.dir, 'stage');
  cpSync(PACKAGE_ROOT, stage, {
    recursive: true,
    filter: (src) => !LEFT_OUT.has(src.slice(PACKAGE_ROOT.length).split(/[\\/]/).filter(Boolean)[0] ?? ''),
  });
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
  const pack = await exec('npm', ['pack', '--json', '--pack-destination', tmp.dir], { cwd: stage });
  expect(pack.code, pack.stderr).toBe(0);
  // npm prints the prepack's output before the JSON.
  packed = (JSON.parse(pack.stdout.slice(pack.stdout.indexOf('\n[') + 1)) as (typeof packed)[])[0]!;

  app = join(tmp.dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'keyprobe-install-check', version: '1.0.0', private: true }));
  const install = await exec('npm', ['install', '--no-audit', '--no-fund', join(tmp.dir, packed.filename)], { cwd: app });
  expect(install.code, install.stderr).toBe(0);
}, 300_000);

afterAll(() => tmp?.cleanup());

// The tests share the installed package read-only, each writing a directory of its
// own, and mostly wait on child processes (two whole prelaunch runs among them): they
// run side by side.
describe.concurrent('the npm package', () => {
  it('ships only what runs: the compiled CLI (no maps), suites, profiles, schemas, audit presets, README and LICENSE', () => {
    const paths = packed.files.map((f) => f.path).sort();
    const allowed =
      /^(dist\/.+\.js|profiles\/[^/]+\.yaml|suites\/[^/]+\.yaml|presets\/[^/]+\.yaml|schemas\/[^/]+\.schema\.json|package\.json|README\.md|LICENSE)$/;
    expect(paths.filter((p) => !allowed.test(p))).toEqual([]);
    for (const required of [
      'dist/cli.js',
      'package.json',
      'README.md',
      'LICENSE',
      'profiles/crm-prod-agent-call.yaml',
      'suites/prelaunch.yaml',
      'schemas/profile.schema.json',
      'schemas/suite.schema.json',
      'schemas/audit-policy.schema.json',
      'presets/keyprobe-reference.yaml',
      'presets/github-fine-grained-pats.yaml',
    ]) {
      expect(paths).toContain(required);
    }
    expect(paths.some((p) => p.startsWith('src/') || p.startsWith('test/') || p.endsWith('.map') || p.endsWith('.ts'))).toBe(false);
    expect(paths).not.toContain('dist/schema/generate.js');
    expect(packed.filename).toBe(`${pkg.name}-${pkg.version}.tgz`);
  });

  it('`npx keyprobe --version` prints the package version', async () => {
    const run = await exec('npx', ['--no-install', 'keyprobe', '--version'], { cwd: app });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe(pkg.version);
  }, 60_000);

  it('`npx keyprobe demo` runs the bundled demo to a passing verdict and writes the reports', async () => {
    const run = await exec('npx', ['--no-install', 'keyprobe', 'demo', '--out', 'reports/demo'], { cwd: app });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toContain('Launch verdict: PASS');
    for (const f of ['results.json', 'junit.xml', 'report.html']) expect(existsSync(join(app, 'reports', 'demo', f)), f).toBe(true);
  }, 120_000);

  it('`npx keyprobe run <profile>` runs the shipped profile against a live target', async () => {
    const demo = await startDemo();
    try {
      const profile = 'node_modules/keyprobe/profiles/crm-prod-agent-call.yaml';
      const run = await exec('npx', ['--no-install', 'keyprobe', 'run', profile, '--out', 'reports/run'], { cwd: app, env: demo.env });
      expect(run.code, run.stderr + run.stdout).toBe(0);
      const result = JSON.parse(readFileSync(join(app, 'reports', 'run', 'results.json'), 'utf8')) as {
        verdict: string;
        tool: { version: string };
      };
      expect(result).toMatchObject({ verdict: 'pass', tool: { version: pkg.version } });
      // Its own reports: the demo test's, written meanwhile, hold that demo's keys, not this one's.
      expect(findSecrets(demo.secrets, { dirs: [join(app, 'reports', 'run')], texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual(
        [],
      );
    } finally {
      await demo.target.close();
    }
  }, 120_000);

  it('`npx keyprobe init` writes a profile whose editor schema line points into the installed package, and it validates', async () => {
    const made = await exec(
      'npx',
      [
        '--no-install',
        'keyprobe',
        'init',
        '--system',
        'crm',
        '--environment',
        'prod',
        '--purpose',
        'agent-call',
        '--owner',
        'crm-team@example.com',
        '--origin',
        'https://api.example.com',
        '--allow',
        'GET /v1/agents',
      ],
      { cwd: app },
    );
    expect(made.code, made.stderr).toBe(0);
    const text = readFileSync(join(app, 'profiles', 'crm-prod-agent-call.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../node_modules/keyprobe/schemas/profile.schema.json');
    expect(existsSync(join(app, 'node_modules', 'keyprobe', 'schemas', 'profile.schema.json'))).toBe(true);
    // Valid (no problem in the file); exit 3 names what the prelaunch suite still needs from it.
    const valid = await exec('npx', ['--no-install', 'keyprobe', 'validate', 'profiles/crm-prod-agent-call.yaml'], { cwd: app });
    expect(valid.stderr).not.toMatch(/in the input/);
    expect(valid.code, valid.stderr).toBe(3);
    expect(valid.stderr).toMatch(/rateLimit: rate\.limit-triggered is required by suite prelaunch/);
    const schema = await exec('npx', ['--no-install', 'keyprobe', 'schema', 'suite'], { cwd: app });
    expect(schema.stdout).toBe(readFileSync(join(app, 'node_modules', 'keyprobe', 'schemas', 'suite.schema.json'), 'utf8'));
    expect(readdirSync(join(app, 'node_modules', 'keyprobe')).sort()).toEqual([
      'LICENSE',
      'README.md',
      'dist',
      'package.json',
      'presets',
      'profiles',
      'schemas',
      'suites',
    ]);
  }, 60_000);

  it('`npx keyprobe audit --list-presets` lists the presets shipped in the installed package', async () => {
    const run = await exec('npx', ['--no-install', 'keyprobe', 'audit', '--list-presets'], { cwd: app });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(join(app, 'node_modules', 'keyprobe', 'presets'));
    expect(run.stdout).toMatch(/^ {2}kong-key-auth +Kong Gateway/m);
  }, 60_000);
});
