// Baselines and waivers on `keyprobe audit`: each finding is new, persisting
// or resolved against an earlier findings.json; --fail-on decides what gates;
// a waiver accepts a finding (or a whole rule) until it expires, and the
// reports say who, why and until when. Real files, the real CLI.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { breakingCases, CLEAN } from '../audit/fixtures.js';

const AS_OF = '2026-06-01T00:00:00Z';
const cases = breakingCases('');
// Each offending key under a name of its own, so no two of them also break the naming rule as duplicates.
const NAMES: Record<string, string> = {
  'audit.unclaimed-key': 'ledger-prod-audit',
  'audit.over-privileged-key': 'ledger-prod-reconcile',
  'audit.expiry-policy': 'ledger-prod-export',
};
const rowFor = (rule: string) => {
  const row = cases.find((c) => c.rule === rule)!.row;
  return NAMES[rule] ? { ...row, name: NAMES[rule] } : row;
};

interface Item {
  rule: string;
  id: string;
  status?: string;
  gates?: boolean;
  waiver?: { owner: string; reason: string; expires: string };
  expiredWaiver?: { owner: string };
}

describe('keyprobe audit --baseline / --fail-on', () => {
  let tmp: ReturnType<typeof tempDir>;
  let baseline: string;
  beforeEach(async () => {
    tmp = tempDir();
    // Last week: a stale key and an unclaimed one.
    const before = tmp.file('before.json', JSON.stringify([...CLEAN, rowFor('audit.stale-key'), rowFor('audit.unclaimed-key')]));
    const r = await runCli(['audit', before, '--as-of', AS_OF, '--out', join(tmp.dir, 'before')]);
    expect(r.code).toBe(1);
    baseline = join(tmp.dir, 'before', 'findings.json');
  });
  afterEach(() => tmp.cleanup());

  const audit = (rows: unknown[], ...args: string[]) => {
    const out = join(tmp.dir, `out-${Math.random().toString(36).slice(2)}`);
    return runCli([
      'audit',
      tmp.file(`now-${Math.random().toString(36).slice(2)}.json`, JSON.stringify(rows)),
      '--as-of',
      AS_OF,
      '--out',
      out,
      ...args,
    ]).then((r) => ({ ...r, out, doc: JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8')) }));
  };

  it('marks each finding new or persisting, lists what was resolved and which keys came and went', async () => {
    // This week: the stale key persists, the unclaimed one got an owner (resolved), a wildcard key is new.
    const now = [...CLEAN.slice(0, 2), rowFor('audit.stale-key'), rowFor('audit.over-privileged-key')];
    const r = await audit(now, '--baseline', baseline);
    expect(r.stderr).toBe('');
    const byRule = Object.fromEntries((r.doc.findings as Item[]).map((f) => [f.rule, f]));
    expect(byRule['audit.stale-key']).toMatchObject({ id: 'key_s1', status: 'persisting', gates: true });
    expect(byRule['audit.over-privileged-key']).toMatchObject({ id: 'key_o1', status: 'new', gates: true });
    expect(r.doc.resolved).toEqual([expect.objectContaining({ kind: 'finding', rule: 'audit.unclaimed-key', id: 'key_u1' })]);
    expect(r.doc.governance.baseline).toMatchObject({ runId: expect.any(String), keysAdded: ['ledger-prod-reconcile (key_o1)'] });
    expect(r.doc.governance.baseline.keysRemoved).toEqual(['reporting-prod-export (key_c3)', 'ledger-prod-audit (key_u1)']);
    expect(r.stdout).toContain('1 new, 1 persisting, 1 resolved; keys: 1 added, 2 removed');
    // --fail-on any (the default): the persisting finding still gates.
    expect(r.code).toBe(1);
    const html = readFileSync(join(r.out, 'report.html'), 'utf8');
    expect(html).toContain('Since the baseline');
    expect(html).toMatch(/<td class="num">1<\/td><td class="num">0<\/td><td class="num trend-down">−1<\/td>/);
    expect(html).toContain('<span class="status new">new</span>');
    expect(html).toContain('<span class="status persisting">persisting</span>');
  });

  it('--fail-on new: persisting findings do not gate (exit 0), a new one does (exit 1)', async () => {
    const persisting = await audit(
      [...CLEAN, rowFor('audit.stale-key'), rowFor('audit.unclaimed-key')],
      '--baseline',
      baseline,
      '--fail-on',
      'new',
    );
    expect(persisting.code).toBe(0);
    expect(persisting.stdout).toMatch(/FAIL\s+audit\.stale-key \(accepted\) — /);
    expect(persisting.stdout).toContain('Gating on new findings only (--fail-on new): 2 accepted');
    expect(persisting.stdout).toContain('Audit verdict: PASS — exit 0');
    const results = JSON.parse(readFileSync(join(persisting.out, 'results.json'), 'utf8'));
    const stale = results.profiles[0].checks.find((c: { id: string }) => c.id === 'audit.stale-key');
    // The rule still failed — the report does not hide it — but it no longer gates, and says why.
    expect(stale).toMatchObject({ verdict: 'fail', gating: false, measurements: { new: 0, persisting: 1 } });
    expect(stale.advisories).toContain('not gating: all 1 accepted (1 persisting from the baseline)');

    const fresh = await audit(
      [...CLEAN, rowFor('audit.stale-key'), rowFor('audit.expiry-policy')],
      '--baseline',
      baseline,
      '--fail-on',
      'new',
    );
    expect(fresh.code).toBe(1);
    expect(fresh.stdout).toMatch(/FAIL\s+audit\.expiry-policy — /);
  });

  it('a rule switched off this time does not turn its old findings into "resolved"', async () => {
    const off = tmp.file('off.yaml', 'rules:\n  audit.stale-key: { enabled: false }\n');
    const r = await audit([...CLEAN, rowFor('audit.stale-key'), rowFor('audit.unclaimed-key')], '--baseline', baseline, '--policy', off);
    expect(r.doc.resolved).toEqual([]);
    expect(r.stdout).toContain('0 new, 1 persisting, 0 resolved');
  });

  it('a baseline that is not a findings.json is exit 2, naming the file', async () => {
    const bad = tmp.file('bad.json', '{"hello": 1}');
    const r = await runCli(['audit', tmp.file('k.json', JSON.stringify(CLEAN)), '--baseline', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.json: is neither a findings.json (keyprobe audit) nor a results.json (keyprobe run)');
    const missing = await runCli(['audit', tmp.file('k2.json', JSON.stringify(CLEAN)), '--baseline', join(tmp.dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json: file not found');
  });

  it('the report directory of the earlier audit works as a baseline too', async () => {
    const r = await audit([...CLEAN, rowFor('audit.stale-key')], '--baseline', join(tmp.dir, 'before'));
    expect(r.stderr).toBe('');
    expect((r.doc.findings as Item[])[0]).toMatchObject({ rule: 'audit.stale-key', status: 'persisting' });
  });
});

describe('keyprobe audit --waivers', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  const rows = [...CLEAN, rowFor('audit.stale-key'), rowFor('audit.unclaimed-key')];
  const run = (waivers: string, ...args: string[]) => {
    const out = join(tmp.dir, `out-${Math.random().toString(36).slice(2)}`);
    return runCli([
      'audit',
      tmp.file('keys.json', JSON.stringify(rows)),
      '--as-of',
      AS_OF,
      '--out',
      out,
      '--waivers',
      tmp.file('waivers.yaml', waivers),
      ...args,
    ]).then((r) => ({ ...r, out }));
  };

  const WAIVERS = [
    'waivers:',
    '  - rule: audit.stale-key',
    '    key: key_s1',
    '    owner: ledger-team@example.com',
    '    reason: "batch job runs quarterly; SEC-412"',
    '    expires: 2026-09-30',
    '  - rule: audit.unclaimed-key',
    '    owner: security@example.com',
    '    reason: owners being assigned in SEC-400',
    '    expires: 2026-06-30T00:00:00Z',
    '',
  ].join('\n');

  it('a waived finding does not gate, and every report says who waived it, why and until when', async () => {
    const r = await run(WAIVERS);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/FAIL\s+audit\.stale-key \(accepted\) — /);
    expect(r.stdout).toContain('Waivers (');
    expect(r.stdout).toContain('2 findings waived');
    const doc = JSON.parse(readFileSync(join(r.out, 'findings.json'), 'utf8'));
    const stale = (doc.findings as Item[]).find((f) => f.rule === 'audit.stale-key')!;
    expect(stale).toMatchObject({
      gates: false,
      waiver: { owner: 'ledger-team@example.com', reason: 'batch job runs quarterly; SEC-412', expires: '2026-09-30' },
    });
    const results = JSON.parse(readFileSync(join(r.out, 'results.json'), 'utf8'));
    const check = results.profiles[0].checks.find((c: { id: string }) => c.id === 'audit.stale-key');
    expect(check.observed).toContain('[waived by ledger-team@example.com until 2026-09-30: batch job runs quarterly; SEC-412]');
    const html = readFileSync(join(r.out, 'report.html'), 'utf8');
    expect(html).toContain('waived by ledger-team@example.com until 2026-09-30: batch job runs quarterly; SEC-412');
    const junit = readFileSync(join(r.out, 'junit.xml'), 'utf8');
    expect(junit).toContain('waived by ledger-team@example.com until 2026-09-30');
  });

  it('an expired waiver stops waiving and says so (exit 1)', async () => {
    const r = await run(WAIVERS, '--as-of', '2026-10-01T00:00:00Z');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/waiver audit\.stale-key for key_s1 \(.*waivers\.yaml:2\) expired 2026-09-30: it no longer waives/);
    const doc = JSON.parse(readFileSync(join(r.out, 'findings.json'), 'utf8'));
    // By October the other keys are stale too; key_s1 is the one its expired waiver covered.
    const stale = (doc.findings as Item[]).find((f) => f.rule === 'audit.stale-key' && f.id === 'key_s1')!;
    expect(stale).toMatchObject({ gates: true, expiredWaiver: { owner: 'ledger-team@example.com' } });
    expect(stale.waiver).toBeUndefined();
  });

  it('a date waives through that whole day; a date-time up to that instant', async () => {
    expect((await run(WAIVERS, '--as-of', '2026-06-29T23:59:59Z')).code).toBe(0);
    // The unclaimed waiver ends at 2026-06-30T00:00:00Z exactly.
    const after = await run(WAIVERS, '--as-of', '2026-06-30T00:00:00Z');
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/FAIL\s+audit\.unclaimed-key — /);
  });

  it('a waiver that matches nothing is reported, so stale entries get cleaned up', async () => {
    const r = await run(
      `${WAIVERS}  - rule: audit.key-naming\n    key: key_gone\n    owner: x@example.com\n    reason: old\n    expires: 2027-01-01\n`,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/waiver audit\.key-naming for key_gone \(.*waivers\.yaml:11\) matched nothing/);
  });

  it('a bad waivers file is exit 2 with every problem located', async () => {
    const bad = [
      'waivers:',
      '  - rule: audit.stale-keys', // 2: unknown rule
      '    owner: a@example.com',
      '    reason: r',
      '    expires: 2026-09-31', // 5: no such day
      '  - check: auth.missing-key-rejected', // 6: neither… fine; missing owner
      '    reason: r',
      '    expires: 2026-09-30',
      '  - rule: audit.stale-key',
      '    check: auth.missing-key-rejected', // both
      '    owner: o',
      '    reason: r',
      '    expires: 2026-09-30',
      '    until: 2027-01-01', // 14: unknown field
      '',
    ].join('\n');
    const r = await run(bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/waivers\.yaml:5:14: waivers\[0\]\.expires: expected a date like 2026-09-30/);
    expect(r.stderr).toMatch(/waivers\.yaml:6:5: waivers\[1\]\.owner: required field is missing/);
    expect(r.stderr).toMatch(/waivers\.yaml:9:5: waivers\[2\]: give either "rule" \(an audit rule\) or "check"/);
    expect(r.stderr).toMatch(/waivers\.yaml:14:5: waivers\[2\]\.until: unknown field "until"/);
    // Ids are checked once the file's shape is right.
    const unknown = await run('waivers:\n  - rule: audit.stale-keys\n    owner: a\n    reason: r\n    expires: 2026-09-30\n');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /waivers\.yaml:2:11: waivers\[0\]\.rule: unknown audit rule "audit\.stale-keys"; did you mean "audit\.stale-key"\?/,
    );
  });
});
