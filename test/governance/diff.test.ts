// `keyprobe diff <old> <new>`: what changed between two runs (results.json) or
// two audits (findings.json), printed and written as diff.md and diff.json.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { check, mixed, profileRun, runResult } from '../reporters/sample-results.js';
import { breakingCases, CLEAN } from '../audit/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const AS_OF = '2026-06-01T00:00:00Z';

describe('keyprobe diff on two runs (results.json)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  function write(name: string, result: unknown): string {
    const file = join(tmp.dir, name);
    writeFileSync(file, JSON.stringify(result, null, 1));
    return file;
  }

  it('lists verdicts that changed, keys added and removed, and measurements that moved beyond the threshold', async () => {
    const before = mixed();
    const p = before.profiles[0]!;
    const after = runResult(
      [
        {
          ...p,
          requestsSent: p.requestsSent * 3,
          checks: p.checks.map((c) =>
            c.id === 'auth.missing-key-rejected'
              ? { ...c, verdict: 'pass' as const }
              : c.id === 'lifecycle.disabled-key-rejected'
                ? { ...c, measurements: { revocationLatencyMs: 900, probes: 35 } }
                : c.id === 'rate.limit-triggered'
                  ? { ...c, measurements: { acceptedBeforeThrottle: 104, expectedLimit: 100 } }
                  : c,
          ),
        },
        profileRun('billing-prod-export', [check('auth.valid-key-accepted', 'fail')]),
      ],
      { runId: '20261128T101530Z-def456' },
    );
    const out = join(tmp.dir, 'diff');
    const r = await runCli(['diff', write('old.json', before), write('new.json', after), '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('keyprobe diff: run 20261127T101530Z-abc123 → run 20261128T101530Z-def456');
    expect(r.stdout).toContain('Launch verdict: fail → fail');
    expect(r.stdout).toMatch(/crm-prod-agent-call +auth\.missing-key-rejected +fail → pass/);
    expect(r.stdout).toContain('Keys added (1): billing-prod-export');
    expect(r.stdout).toMatch(/crm-prod-agent-call +lifecycle\.disabled-key-rejected +revocationLatencyMs +375 → 900 \(\+140%\)/);
    // 101 → 104 is 3%: under the default 20% threshold.
    expect(r.stdout).not.toContain('acceptedBeforeThrottle');
    expect(r.stdout).toMatch(/crm-prod-agent-call +requests used +\d+ → \d+ \(\+200%\)/);

    const json = JSON.parse(readFileSync(join(out, 'diff.json'), 'utf8'));
    expect(json).toMatchObject({
      kind: 'run',
      old: { runId: '20261127T101530Z-abc123' },
      new: { runId: '20261128T101530Z-def456' },
      threshold: 20,
      verdicts: [{ subject: 'crm-prod-agent-call', id: 'auth.missing-key-rejected', from: 'fail', to: 'pass' }],
      keys: { added: ['billing-prod-export'], removed: [] },
    });
    expect(json.measurements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          subject: 'crm-prod-agent-call',
          id: 'lifecycle.disabled-key-rejected',
          name: 'revocationLatencyMs',
          from: 375,
          to: 900,
        }),
      ]),
    );
    const md = readFileSync(join(out, 'diff.md'), 'utf8');
    expect(md).toMatch(/^# keyprobe diff/m);
    expect(md).toContain('| crm-prod-agent-call | auth.missing-key-rejected | fail | pass |');

    // A lower threshold shows the small move too.
    const fine = await runCli([
      'diff',
      join(tmp.dir, 'old.json'),
      join(tmp.dir, 'new.json'),
      '--out',
      join(tmp.dir, 'fine'),
      '--threshold',
      '2',
    ]);
    expect(fine.stdout).toMatch(/acceptedBeforeThrottle +101 → 104 \(\+3%\)/);
  });

  it('time measurements must also move by 50 ms: loopback jitter is not drift', async () => {
    const at = (ms: number) =>
      runResult([
        profileRun('crm-prod-agent-call', [
          check('lifecycle.disabled-key-rejected', 'pass', { measurements: { revocationLatencyMs: ms } }),
        ]),
      ]);
    const r = await runCli(['diff', write('a.json', at(10)), write('b.json', at(40)), '--out', join(tmp.dir, 'd')]);
    expect(r.stdout).toContain('Measurements beyond 20%: none');
  });

  it('bad input is exit 2: a missing file, two kinds, not keyprobe output', async () => {
    const run = write('run.json', mixed());
    const missing = await runCli(['diff', run, join(tmp.dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json: file not found');
    const findings = write('f.json', { schemaVersion: 2, runId: 'x', asOf: AS_OF, findings: [], rules: [] });
    const mixedKinds = await runCli(['diff', run, findings]);
    expect(mixedKinds.code).toBe(2);
    expect(mixedKinds.stderr).toContain('compare like with like: the first is a run (results.json), the second an audit (findings.json)');
    const junk = await runCli(['diff', run, write('junk.json', [1, 2])]);
    expect(junk.code).toBe(2);
    expect(junk.stderr).toContain('is neither a findings.json (keyprobe audit) nor a results.json (keyprobe run)');
    expect((await runCli(['diff', run, run, '--threshold', 'lots'])).stderr).toContain('--threshold must be a percentage');
  });
});

describe('keyprobe diff on two audits (findings.json, or their report directories)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('lists new and resolved findings, rule verdicts that changed, keys added and removed', async () => {
    const cases = breakingCases('');
    const row = (rule: string, name: string) => ({ ...cases.find((c) => c.rule === rule)!.row, name });
    const a = await runCli([
      'audit',
      tmp.file('a.json', JSON.stringify([...CLEAN, row('audit.stale-key', 'ledger-prod-sync')])),
      '--as-of',
      AS_OF,
      '--out',
      join(tmp.dir, 'A'),
    ]);
    const b = await runCli([
      'audit',
      tmp.file('b.json', JSON.stringify([...CLEAN.slice(0, 2), row('audit.over-privileged-key', 'ledger-prod-reconcile')])),
      '--as-of',
      AS_OF,
      '--out',
      join(tmp.dir, 'B'),
    ]);
    expect([a.code, b.code]).toEqual([1, 1]);
    const out = join(tmp.dir, 'diff');
    const r = await runCli(['diff', join(tmp.dir, 'A'), join(tmp.dir, 'B'), '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/audit\.stale-key +fail → pass/);
    expect(r.stdout).toMatch(/audit\.over-privileged-key +pass → fail/);
    expect(r.stdout).toContain('New findings (1)');
    expect(r.stdout).toMatch(/audit\.over-privileged-key +ledger-prod-reconcile \(key_o1\): wildcard scope \*/);
    expect(r.stdout).toContain('Resolved findings (1)');
    expect(r.stdout).toContain('Keys added (1): ledger-prod-reconcile (key_o1)');
    expect(r.stdout).toContain('Keys removed (2): reporting-prod-export (key_c3), ledger-prod-sync (key_s1)');
    const json = JSON.parse(readFileSync(join(out, 'diff.json'), 'utf8'));
    expect(json).toMatchObject({
      kind: 'audit',
      findings: { new: [{ rule: 'audit.over-privileged-key', id: 'key_o1' }], resolved: [{ rule: 'audit.stale-key', id: 'key_s1' }] },
    });
    expect(existsSync(join(out, 'diff.md'))).toBe(true);
  });
});
