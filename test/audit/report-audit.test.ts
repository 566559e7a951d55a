// `keyprobe report` on an audit's results.json renders the audit again as an
// audit (its report.html, from findings.json), keeps findings.json in the
// manifest, and exits with the audit's exit code — instead of overwriting the
// audit's report with a launch report of a "key" called key-inventory.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { breakingCases, CLEAN } from './fixtures.js';

const AS_OF = '2026-06-01T00:00:00Z';

describe('keyprobe report on an audit', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  async function audit(...args: string[]) {
    const stale = breakingCases('').find((c) => c.rule === 'audit.stale-key')!.row;
    const out = join(tmp.dir, 'audit');
    const r = await runCli(['audit', tmp.file('keys.json', JSON.stringify([...CLEAN, stale])), '--as-of', AS_OF, '--out', out, ...args]);
    expect(r.code).toBe(1);
    return out;
  }

  it('re-renders report.html as the audit report, with findings.json kept in a manifest sha256sum accepts', async () => {
    const out = await audit();
    const before = readFileSync(join(out, 'report.html'), 'utf8');
    rmSync(join(out, 'report.html'));
    rmSync(join(out, 'junit.xml'));
    const r = await runCli(['report', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Rendered audit');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Key inventory audit: FAIL');
    expect(html).not.toContain('Do not launch');
    expect(html).toContain('ledger-prod-sync');
    // The same report as the audit wrote, but for the moment it was rendered.
    expect(html.replace(/Run<\/th><td>[^<]*/, '')).toBe(before.replace(/Run<\/th><td>[^<]*/, ''));
    const manifest = readFileSync(join(out, 'manifest.sha256'), 'utf8');
    expect(manifest).toMatch(/^[0-9a-f]{64} {2}findings\.json$/m);
    expect(manifest).toMatch(/^[0-9a-f]{64} {2}report\.html$/m);
    expect(manifest).toMatch(/^[0-9a-f]{64} {2}results\.json$/m);
    expect(manifest).toMatch(/^[0-9a-f]{64} {2}junit\.xml$/m);
    expect(execFileSync('sha256sum', ['-c', 'manifest.sha256'], { cwd: out, encoding: 'utf8' })).toContain('findings.json: OK');
  });

  it('renders into another directory with --out, copying results.json and findings.json there', async () => {
    const out = await audit(
      '--waivers',
      tmp.file('w.yaml', 'waivers:\n  - rule: audit.key-naming\n    owner: o@example.com\n    reason: r\n    expires: 2020-01-01\n'),
    );
    const other = join(tmp.dir, 'again');
    const r = await runCli(['report', join(out, 'results.json'), '--out', other]);
    expect(r.code).toBe(1);
    const html = readFileSync(join(other, 'report.html'), 'utf8');
    expect(html).toContain('Key inventory audit: FAIL');
    expect(html).toContain('Waivers to review');
    expect(execFileSync('sha256sum', ['-c', 'manifest.sha256'], { cwd: other, encoding: 'utf8' })).toBe(
      'findings.json: OK\njunit.xml: OK\nreport.html: OK\nresults.json: OK\n',
    );
  });

  it('without its findings.json, an audit is not rendered as a launch report: exit 2, nothing overwritten', async () => {
    const out = await audit();
    rmSync(join(out, 'findings.json'));
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const r = await runCli(['report', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is the results.json of an audit; its findings.json is needed beside it to render the audit report');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toBe(html);
    writeFileSync(join(out, 'findings.json'), '{"schemaVersion": 2}');
    const bad = await runCli(['report', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('findings.json: is not a findings.json written by keyprobe audit');
  });
});
