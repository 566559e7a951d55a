// End to end through the CLI against the reference target: the report set a
// run writes, reports/latest, the manifest checked by the real sha256sum,
// `keyprobe report` rendering the same files again, the secret scan, and a
// missing browser for --pdf.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../src/demo/seed.js';
import { DEMO_PROFILE } from '../../src/paths.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

const ONLY = ['--only', 'auth.valid-key-accepted', '--only', 'auth.missing-key-rejected'];

describe('the reports a run writes', () => {
  let demo: Demo;
  let tmp: ReturnType<typeof tempDir>;
  const env = () => ({ ...demo.env, PATH: process.env.PATH });

  beforeAll(async () => {
    demo = await startDemo();
    tmp = tempDir();
  });
  afterAll(async () => {
    await demo.target.close();
    tmp.cleanup();
  });

  it('writes results.json, junit.xml, report.html and a manifest sha256sum accepts; reports/latest points at them', async () => {
    const run = await runCli(['run', DEMO_PROFILE, ...ONLY, '--operator', 'qa-alice'], { env: env(), cwd: tmp.dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/crm-prod-agent-call\s+2\s+0\s+0\s+0\s+\d+\/1000/);
    expect(run.stdout).toContain('Launch verdict: PASS — exit 0: every gating check passed');

    const latest = join(tmp.dir, 'reports', 'latest');
    expect(lstatSync(latest).isSymbolicLink()).toBe(true);
    const runDir = join(tmp.dir, 'reports', readlinkSync(latest));
    expect(run.stdout).toContain(`Reports: ${runDir}`);
    expect(readdirSync(runDir).sort()).toEqual(['junit.xml', 'manifest.sha256', 'report.html', 'results.json']);

    const manifest = readFileSync(join(runDir, 'manifest.sha256'), 'utf8');
    expect(
      manifest
        .trim()
        .split('\n')
        .map((l) => l.split('  ')[1]),
    ).toEqual(['junit.xml', 'report.html', 'results.json']);
    expect(execFileSync('sha256sum', ['-c', 'manifest.sha256'], { cwd: runDir, encoding: 'utf8' })).toBe(
      'junit.xml: OK\nreport.html: OK\nresults.json: OK\n',
    );
    // And it notices a change.
    writeFileSync(join(runDir, 'junit.xml'), `${readFileSync(join(runDir, 'junit.xml'), 'utf8').replace('PASS', 'FAIL')} `);
    expect(spawnSync('sha256sum', ['-c', 'manifest.sha256'], { cwd: runDir }).status).not.toBe(0);

    expect(findSecrets(demo.secrets, { dirs: [join(tmp.dir, 'reports')], texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual([]);
  });

  it('honours --out; reports/latest follows runs under ./reports and ignores runs sent elsewhere', async () => {
    const inside = join(tmp.dir, 'reports', 'crm');
    expect((await runCli(['run', DEMO_PROFILE, ...ONLY, '--out', inside], { env: env(), cwd: tmp.dir })).code).toBe(0);
    expect(readlinkSync(join(tmp.dir, 'reports', 'latest'))).toBe('crm');
    const out = join(tmp.dir, 'elsewhere', 'crm');
    const run = await runCli(['run', DEMO_PROFILE, ...ONLY, '--out', out], { env: env(), cwd: tmp.dir });
    expect(run.code).toBe(0);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(readlinkSync(join(tmp.dir, 'reports', 'latest'))).toBe('crm');
    expect(existsSync(join(tmp.dir, 'elsewhere', 'latest'))).toBe(false);
  });

  it('`keyprobe report` renders the same junit.xml and report.html from results.json, with a valid manifest', async () => {
    const first = join(tmp.dir, 'first');
    expect((await runCli(['run', DEMO_PROFILE, ...ONLY, '--out', first, '--quiet'], { env: env(), cwd: tmp.dir })).code).toBe(0);
    const again = join(tmp.dir, 'again');
    const rendered = await runCli(['report', join(first, 'results.json'), '--out', again], { cwd: tmp.dir });
    expect(rendered.stderr).toBe('');
    expect(rendered.code).toBe(0);
    expect(rendered.stdout).toContain(`into ${again}: results.json, junit.xml, report.html, manifest.sha256`);
    for (const f of ['results.json', 'junit.xml', 'report.html'])
      expect(readFileSync(join(again, f), 'utf8')).toBe(readFileSync(join(first, f), 'utf8'));
    expect(spawnSync('sha256sum', ['-c', 'manifest.sha256'], { cwd: again }).status).toBe(0);

    // In place, from the directory.
    expect((await runCli(['report', first], { cwd: tmp.dir })).code).toBe(0);
    expect(spawnSync('sha256sum', ['-c', 'manifest.sha256'], { cwd: first }).status).toBe(0);
  });

  it("`keyprobe report` exits with the stored run's code", async () => {
    const failing = join(tmp.dir, 'failing');
    const result = JSON.parse(readFileSync(join(tmp.dir, 'first', 'results.json'), 'utf8'));
    result.profiles[0].checks[0].verdict = 'fail';
    result.verdict = 'fail';
    result.exitCode = 1;
    const file = tmp.file('failing.json', JSON.stringify(result));
    const run = await runCli(['report', file, '--out', failing], { cwd: tmp.dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Launch verdict: FAIL — exit 1');
    expect(readFileSync(join(failing, 'junit.xml'), 'utf8')).toContain('<failure ');
  });

  it('`keyprobe report` refuses a bad results file with exit 2 and says why', async () => {
    const good = JSON.parse(readFileSync(join(tmp.dir, 'first', 'results.json'), 'utf8'));
    const cases: [string, string, RegExp][] = [
      ['not-json.json', '{ nope', /not-json\.json: is not JSON/],
      ['array.json', '[]', /expected a results\.json object/],
      [
        'v99.json',
        JSON.stringify({ ...good, schemaVersion: 99 }),
        /schemaVersion: this keyprobe renders results of schema version 1, the file has 99/,
      ],
      ['no-version.json', JSON.stringify({ runId: 'x' }), /schemaVersion: .*the file has none/],
      [
        'bad-check.json',
        JSON.stringify({ ...good, profiles: [{ ...good.profiles[0], checks: [{ ...good.profiles[0].checks[0], verdict: 'maybe' }] }] }),
        /profiles\[0\]\.checks\[0\]\.verdict/,
      ],
    ];
    for (const [name, text, message] of cases) {
      const run = await runCli(['report', tmp.file(name, text), '--out', join(tmp.dir, 'never')], { cwd: tmp.dir });
      expect(run.code, name).toBe(2);
      expect(run.stderr, name).toMatch(message);
      expect(run.stderr, name).not.toMatch(/\n\s+at /);
    }
    const missing = await runCli(['report', join(tmp.dir, 'missing.json')], { cwd: tmp.dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing\.json: cannot be read \(ENOENT\)/);
    expect(existsSync(join(tmp.dir, 'never'))).toBe(false);
  });

  it('a secret planted in the reports is found: exit 4, the files are named, the secret is not shown', async () => {
    const key = demo.env.KEYPROBE_KEY!;
    const out = join(tmp.dir, 'leaky');
    // The operator name ends up in every report; here it is the key itself.
    const run = await runCli(['run', DEMO_PROFILE, '--only', 'auth.missing-key-rejected', '--out', out, '--operator', key], {
      env: env(),
      cwd: tmp.dir,
    });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/a secret was found in: .*results\.json.*junit\.xml.*report\.html/);
    expect(run.stderr).not.toContain('manifest.sha256');
    expect(run.stdout).toContain('exit 4: a secret was found in an output file');
    expect(findSecrets(demo.secrets, { texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual([]);
  });

  it('--pdf without a Chromium says so plainly and exits 3 (the run is not fully on record); the other reports are written', async () => {
    const out = join(tmp.dir, 'nopdf');
    const run = await runCli(['run', DEMO_PROFILE, ...ONLY, '--out', out, '--pdf'], {
      env: { ...env(), KEYPROBE_CHROMIUM: join(tmp.dir, 'no-such-chromium') },
      cwd: tmp.dir,
    });
    // Every check passed, but a report the operator asked for is missing: never exit 0 without it.
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('keyprobe: exit 3 because the pdf report could not be written');
    expect(run.stderr).toContain(
      `keyprobe: the pdf report could not be written: no Chromium at ${join(tmp.dir, 'no-such-chromium')}, so report.pdf was not written`,
    );
    expect(run.stderr).toContain('apt-get install chromium');
    expect(readdirSync(out).sort()).toEqual(['junit.xml', 'manifest.sha256', 'report.html', 'results.json']);
    expect(spawnSync('sha256sum', ['-c', 'manifest.sha256'], { cwd: out }).status).toBe(0);
  });
});
