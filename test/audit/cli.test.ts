// `keyprobe audit` end to end in-process: exit codes, reports written even
// with bad rows, located errors for bad files, and no secret in any output.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findSecrets } from '../helpers/scan.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { breakingCases, CLEAN, generatedSecret, toCsv } from './fixtures.js';

const AS_OF = '2026-06-01T00:00:00Z';

describe('keyprobe audit (file inventory)', () => {
  let tmp: ReturnType<typeof tempDir>;
  afterEach(() => tmp?.cleanup());

  it('exit 0 for a clean inventory, with JSON, HTML and findings reports', async () => {
    tmp = tempDir();
    const file = tmp.file('keys.json', JSON.stringify({ keys: CLEAN }));
    const out = join(tmp.dir, 'out');
    const r = await runCli(['audit', file, '--as-of', AS_OF, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Audit verdict: PASS');
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.suite.name).toBe('audit');
    expect(results.profiles[0].checks).toHaveLength(11);
    expect(results.profiles[0].checks.every((c: { verdict: string }) => c.verdict === 'pass')).toBe(true);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    const findings = JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8'));
    expect(findings.findings).toEqual([]);
    // The manifest covers the audit's own files; sha256sum -c would accept it.
    const manifest = readFileSync(join(out, 'manifest.sha256'), 'utf8');
    for (const name of ['results.json', 'report.html', 'findings.json'])
      expect(manifest).toMatch(new RegExp(`^[0-9a-f]{64}  ${name.replace('.', '\\.')}$`, 'm'));
    const { verifyManifest } = await import('../../src/reporters/manifest.js');
    expect(await verifyManifest(join(out, 'manifest.sha256'))).toEqual([]);
    expect(findings.inventory.byEnvironment).toEqual({ prod: 2, test: 1 });
  });

  it('exit 1 when a gating rule is broken; the offending key is named in console and reports', async () => {
    tmp = tempDir();
    const stale = breakingCases('')[1]!;
    const file = tmp.file('keys.csv', toCsv([...CLEAN, stale.row]));
    const out = join(tmp.dir, 'out');
    const r = await runCli(['audit', file, '--as-of', AS_OF, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+audit\.stale-key — Enabled keys unused for more than 90 days \(1\): ledger-prod-sync \(key_s1\)/);
    const findings = JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8'));
    expect(findings.findings).toEqual([
      expect.objectContaining({ rule: 'audit.stale-key', id: 'key_s1', row: 4, line: 5, detail: 'last used 2026-01-01, 151 days ago' }),
    ]);
    const junit = join(out, 'junit.xml');
    if (existsSync(junit)) expect(readFileSync(junit, 'utf8')).toContain('ledger-prod-sync (key_s1)');
  });

  it('exit 0 when only an advisory rule is broken', async () => {
    tmp = tempDir();
    const soon = breakingCases('').find((c) => c.rule === 'audit.rotation-due-soon')!;
    const r = await runCli([
      'audit',
      tmp.file('keys.json', JSON.stringify([...CLEAN, soon.row])),
      '--as-of',
      AS_OF,
      '--out',
      join(tmp.dir, 'out'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('FAIL  audit.rotation-due-soon (advisory)');
  });

  it('bad rows: reported with file:line, row and field; the rest is audited and the report still written (exit 1)', async () => {
    tmp = tempDir();
    const rows = [...CLEAN, { id: 'key_bad', name: 'ledger-prod-sync', environment: 'prod', created: '31/12/2025', enabled: true }];
    const file = tmp.file('keys.csv', toCsv(rows));
    const out = join(tmp.dir, 'out');
    const r = await runCli(['audit', 'keys.csv', '--as-of', AS_OF, '--out', out], { cwd: tmp.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('1 bad row was left out of the audit');
    expect(r.stderr).toContain('keys.csv:5: row 4: created: expected a date like 2026-03-31 or an ISO 8601 date-time, found "31/12/2025"');
    expect(r.stdout).toMatch(
      /FAIL\s+audit\.inventory-rows-valid — Rows left out of the audit \(no id, or a malformed field\) \(1\): key_bad/,
    );
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const others = results.profiles[0].checks.filter((c: { id: string }) => c.id !== 'audit.inventory-rows-valid');
    expect(others.every((c: { verdict: string }) => c.verdict === 'pass')).toBe(true);
    expect(existsSync(file)).toBe(true);
  });

  it('exit 2 with file and line for an inventory that cannot be read at all, and for a bad policy', async () => {
    tmp = tempDir();
    const missing = await runCli(['audit', join(tmp.dir, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.csv: file not found');

    const policy = tmp.file(
      'policy.yaml',
      'rules:\n  audit.stale-key:\n    unusedDayz: 30\n  audit.expiry-policy:\n    maxLifetimeDays: -1\n',
    );
    const inv = tmp.file('keys.json', JSON.stringify(CLEAN));
    const r = await runCli(['audit', inv, '--policy', policy]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('policy.yaml:3:5: rules.audit.stale-key.unusedDayz: unknown field "unusedDayz"; did you mean "unusedDays"?');
    expect(r.stderr).toMatch(/policy\.yaml:5:\d+: rules\.audit\.expiry-policy\.maxLifetimeDays: /);
    expect(r.stdout).toBe('');
  });

  it('exit 2 for bad usage', async () => {
    expect((await runCli(['audit'])).code).toBe(2);
    expect((await runCli(['audit', 'a.csv', '--demo'])).stderr).toContain('give exactly one inventory');
    expect((await runCli(['audit', 'a.csv', '--as-of', 'soon'])).stderr).toContain('--as-of must be a date');
    expect((await runCli(['audit', 'a.csv', '--fail-on', 'new'])).stderr).toContain('--fail-on new needs --baseline');
    expect((await runCli(['audit', 'a.csv', '--fail-on', 'some'])).stderr).toContain('--fail-on must be new or any, got "some"');
  });

  it('the policy changes thresholds, severity and gating, and can switch a rule off', async () => {
    tmp = tempDir();
    const stale = breakingCases('')[1]!;
    const inv = tmp.file('keys.json', JSON.stringify([...CLEAN, stale.row]));
    const lenient = tmp.file('lenient.yaml', 'rules:\n  audit.stale-key: { unusedDays: 200 }\n');
    expect((await runCli(['audit', inv, '--as-of', AS_OF, '--policy', lenient, '--out', join(tmp.dir, 'a')])).code).toBe(0);
    const advisory = tmp.file('advisory.yaml', 'rules:\n  audit.stale-key: { gating: false, severity: info }\n');
    const r = await runCli(['audit', inv, '--as-of', AS_OF, '--policy', advisory, '--out', join(tmp.dir, 'b')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('FAIL  audit.stale-key (advisory)');
    const off = tmp.file('off.yaml', 'rules:\n  audit.stale-key: { enabled: false }\n');
    const o = await runCli(['audit', inv, '--as-of', AS_OF, '--policy', off, '--out', join(tmp.dir, 'c')]);
    expect(o.code).toBe(0);
    expect(o.stdout).toContain('SKIP  audit.stale-key — switched off in the audit policy');
  });

  it('a secret in the inventory is flagged (exit 1) and appears in no output, console or file', async () => {
    tmp = tempDir();
    const secret = generatedSecret();
    const rows = [
      ...CLEAN,
      { ...CLEAN[0]!, id: 'key_leak', name: 'ledger-prod-sync', notes: secret },
      { ...CLEAN[0]!, id: 'key_leak2', name: 'ledger-prod-sync-2', created: 'bad', notes: secret },
    ];
    const out = join(tmp.dir, 'out');
    for (const [name, text] of [
      ['keys.json', JSON.stringify(rows)],
      ['keys.csv', toCsv(rows).replace(',notes\n', ',secret\n')],
    ] as const) {
      const r = await runCli(['audit', tmp.file(name, text), '--as-of', AS_OF, '--out', out, '--verbose']);
      expect(r.code, name).toBe(1);
      expect(r.stdout).toMatch(
        /FAIL\s+audit\.secret-in-inventory — Secret-like values in the inventory \(redacted; rotate those keys\) \(2\): key_leak, key_leak2/,
      );
      expect(findSecrets([secret], { dirs: [out], texts: { stdout: r.stdout, stderr: r.stderr } }), name).toEqual([]);
      expect(readdirSync(out).sort()).toEqual(expect.arrayContaining(['findings.json', 'report.html', 'results.json']));
    }
  });
});

describe('the output scan (the one publish pipeline)', () => {
  it('a known secret in a form the redactor misses reaches no file: the file is stubbed, the manifest verifies, exit 4', async () => {
    const tmp = tempDir();
    try {
      const secret = generatedSecret();
      // The secret sits in `notes` (registered and redacted); a second key is *named* with most of it in
      // lower case, which the redactor does not replace and the leak scanner finds.
      const lowered = `svc ${secret.slice(8).toLowerCase()}`;
      const rows = [...CLEAN, { ...CLEAN[0]!, id: 'key_leak', notes: secret }, { ...CLEAN[0]!, id: 'key_low', name: lowered }];
      const out = join(tmp.dir, 'out');
      const r = await runCli(['audit', tmp.file('keys.json', JSON.stringify(rows)), '--as-of', AS_OF, '--out', out]);
      expect(r.stderr).toContain('a secret was found in');
      expect(r.code).toBe(4);
      const files = readdirSync(out).sort();
      expect(files).toEqual(expect.arrayContaining(['findings.json', 'manifest.sha256', 'report.html', 'results.json']));
      const stubbed = files.filter((f) => readFileSync(join(out, f), 'utf8').includes('keyprobe withheld'));
      expect(stubbed.length).toBeGreaterThan(0);
      expect(r.stderr).toContain(stubbed[0]);
      const { verifyManifest } = await import('../../src/reporters/manifest.js');
      expect(await verifyManifest(join(out, 'manifest.sha256'))).toEqual([]);
      for (const s of [secret, lowered])
        expect(findSecrets([s], { dirs: [out], texts: { stdout: r.stdout, stderr: r.stderr } })).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });
});
