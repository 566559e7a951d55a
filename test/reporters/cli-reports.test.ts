// End to end through the CLI against the reference target: the report set a
// run writes, reports/latest, the manifest checked by the real sha256sum,
// `keyprobe report` rendering the same files again, the secret scan, and a
// missing browser for --pdf.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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

  beforeAll(() => {
    tmp = tempDir();
  });
  afterAll(() => tmp.cleanup());
  // A fresh target per test: runs in quick succession against one target would
  // spend the key's rate limit (20 per second) and meet 429s on its allowed resources.
  beforeEach(async () => {
    demo = await startDemo();
  });
  afterEach(async () => {
    await demo.target.close();
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
    // Printed by the console reporter, as after a run: where the reports are, what was rendered, the summary.
    expect(rendered.stdout).toContain(`Reports: ${again}\n`);
    expect(rendered.stdout).toMatch(/^Rendered run \S+: results\.json, junit\.xml, report\.html, manifest\.sha256$/m);
    expect(rendered.stdout).toMatch(/^Launch verdict: PASS — exit 0/m);
    for (const f of ['results.json', 'junit.xml', 'report.html'])
      expect(readFileSync(join(again, f), 'utf8')).toBe(readFileSync(join(first, f), 'utf8'));
    expect(spawnSync('sha256sum', ['-c', 'manifest.sha256'], { cwd: again }).status).toBe(0);

    // In place, from the directory.
    expect((await runCli(['report', first], { cwd: tmp.dir })).code).toBe(0);
    expect(spawnSync('sha256sum', ['-c', 'manifest.sha256'], { cwd: first }).status).toBe(0);
  });

  it("`keyprobe report` exits with the run's code, recomputed from its checks", async () => {
    const failing = join(tmp.dir, 'failing');
    const result = JSON.parse(readFileSync(join(tmp.dir, 'first', 'results.json'), 'utf8'));
    result.profiles[0].checks[0].verdict = 'fail';
    result.verdict = 'fail';
    result.exitCode = 1;
    const file = tmp.file('failing.json', JSON.stringify(result));
    const run = await runCli(['report', file, '--out', failing], { cwd: tmp.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('Launch verdict: FAIL — exit 1');
    expect(readFileSync(join(failing, 'junit.xml'), 'utf8')).toContain('<failure ');
  });

  it('`keyprobe report` does not trust an edited verdict: PASS over failing gating checks renders FAIL, with a warning', async () => {
    const out = join(tmp.dir, 'edited');
    const result = JSON.parse(readFileSync(join(tmp.dir, 'first', 'results.json'), 'utf8'));
    for (const c of result.profiles[0].checks) c.verdict = 'fail';
    // The stored verdict claims a pass.
    result.verdict = 'pass';
    result.exitCode = 0;
    const file = tmp.file('edited.json', JSON.stringify(result));
    const run = await runCli(['report', file, '--out', out], { cwd: tmp.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'keyprobe: the stored verdict (PASS, exit 0) disagrees with the checks and cleanups in edited.json (FAIL, exit 1); the reports show FAIL',
    );
    expect(run.stdout).toContain('Launch verdict: FAIL — exit 1');
    expect(run.stdout).not.toContain('Launch verdict: PASS');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).not.toMatch(/Ready to launch[^<]*PASS/i);
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toMatch(/name="launch\.verdict" value="fail"/);

    // An edit the other way (FAIL over passing checks) is corrected too.
    const passing = JSON.parse(readFileSync(join(tmp.dir, 'first', 'results.json'), 'utf8'));
    passing.verdict = 'fail';
    passing.exitCode = 1;
    const back = await runCli(['report', tmp.file('edited-fail.json', JSON.stringify(passing)), '--out', join(tmp.dir, 'back')], {
      cwd: tmp.dir,
    });
    expect(back.code).toBe(0);
    expect(back.stderr).toContain('disagrees with the checks');
  });

  it('`keyprobe report` does not drop a stored cleanup that left a key changed: PASS over it renders NOT VERIFIED', async () => {
    const result = JSON.parse(readFileSync(join(tmp.dir, 'first', 'results.json'), 'utf8'));
    // Every check passed, but a re-enable did not hold; the stored verdict was edited to say PASS.
    result.cleanup = {
      complete: false,
      records: [
        {
          profile: 'crm-prod-agent-call',
          check: 'lifecycle.disabled-key-rejected',
          key: 'crm-prod-agent-call-canary',
          keyId: 'key_7f3a9c',
          subject: 'declared canary',
          action: 'enable',
          outcome: 'failed',
          detail: 'the management API answered 429 Too Many Requests on all 4 tries',
          leftState: 'disabled',
          restore: "curl -sS -i -X POST 'http://127.0.0.1:1/admin/keys/key_7f3a9c/enable'",
        },
      ],
    };
    result.verdict = 'pass';
    result.exitCode = 0;
    const run = await runCli(['report', tmp.file('cleanup.json', JSON.stringify(result)), '--out', join(tmp.dir, 'cleanup')], {
      cwd: tmp.dir,
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('(PASS, exit 0) disagrees with the checks and cleanups in cleanup.json (ERROR, exit 3)');
    expect(run.stdout).toContain('Launch verdict: NOT VERIFIED — exit 3');
    expect(run.stdout).toMatch(/CLEANUP INCOMPLETE/);
  });

  it('`keyprobe report` refuses a bad results file with exit 2 and says why', async () => {
    const good = JSON.parse(readFileSync(join(tmp.dir, 'first', 'results.json'), 'utf8'));
    const cases: [string, string, RegExp][] = [
      ['not-json.json', '{ nope', /not-json\.json: is not JSON/],
      ['array.json', '[]', /expected a results\.json object/],
      [
        'v99.json',
        JSON.stringify({ ...good, schemaVersion: 99 }),
        /schemaVersion: this keyprobe renders results of schema version 3, the file has 99/,
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
    const key = demo.env.KEYPROBE_DEMO_KEY!;
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
