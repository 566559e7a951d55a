// Each rule on an inventory that breaks it exactly once (and nothing else),
// and all rules on one that breaks none.
import { describe, expect, it } from 'vitest';
import { runAudit } from '../../src/audit/audit.js';
import { defaultPolicy } from '../../src/audit/policy.js';
import { RULES } from '../../src/audit/rules/index.js';
import { breakingCases, CLEAN, generatedSecret, inventoryOf, NOW } from './fixtures.js';

const audit = (rows: Parameters<typeof inventoryOf>[0]) =>
  runAudit({ inventory: inventoryOf(rows), policy: defaultPolicy(), now: NOW, operator: 'test' });

describe('audit rules', () => {
  it('a clean inventory breaks no rule and the audit passes', () => {
    const report = audit(CLEAN);
    for (const o of report.outcomes) expect({ id: o.id, findings: o.findings }).toEqual({ id: o.id, findings: [] });
    expect(report.result.verdict).toBe('pass');
    expect(report.result.exitCode).toBe(0);
    expect(report.inventory.keys).toBe(3);
  });

  const secret = generatedSecret();
  const cases = breakingCases(secret);

  it('has one breaking case per rule', () => {
    expect(cases.map((c) => c.rule).sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  for (const c of cases) {
    it(`${c.rule}: broken exactly once, by the one offending key, and no other rule is`, () => {
      const report = audit([...CLEAN, c.row]);
      const broken = report.outcomes.filter((o) => o.findings.length > 0);
      expect(broken.map((o) => o.id)).toEqual([c.rule]);
      expect(broken[0]!.findings).toHaveLength(1);
      const check = report.result.profiles[0]!.checks.find((x) => x.id === c.rule)!;
      expect(check.verdict).toBe('fail');
      expect(check.message).toContain(c.names);
      expect(check.observed).toContain(c.names);
      // The rotation warning is advisory: it alone does not fail the audit.
      expect(report.result.exitCode).toBe(c.rule === 'audit.rotation-due-soon' ? 0 : 1);
      expect(JSON.stringify(report)).not.toContain(secret);
    });
  }

  it('names every offending key, capped in the message but all in the findings', () => {
    const rows = Array.from({ length: 25 }, (_, i) => ({ ...CLEAN[0]!, id: `key_z${i}`, name: `crm-prod-agent-call-${i}`, owner: '' }));
    const report = audit(rows);
    const check = report.result.profiles[0]!.checks.find((x) => x.id === 'audit.unclaimed-key')!;
    expect(check.message).toMatch(/^Keys without an owner \(25\): crm-prod-agent-call-0 \(key_z0\), .* and 15 more$/);
    expect(check.observed!.split('\n')).toHaveLength(25);
    expect(report.outcomes.find((o) => o.id === 'audit.unclaimed-key')!.findings).toHaveLength(25);
  });
});

describe('rule details', () => {
  const findingsOf = (rows: Parameters<typeof inventoryOf>[0], rule: string) =>
    audit(rows)
      .outcomes.find((o) => o.id === rule)!
      .findings.map((f) => f.detail);

  it('naming: generic parts, env part disagreeing with the environment, and duplicates (case-insensitive)', () => {
    const k = CLEAN[0]!;
    expect(findingsOf([{ ...k, name: 'crm-prod-key' }], 'audit.key-naming')).toEqual(['purpose part "key" is generic']);
    expect(findingsOf([{ ...k, name: 'crm-staging-agent-call' }], 'audit.key-naming')).toEqual([
      'env part "staging" disagrees with the recorded environment "prod"',
    ]);
    expect(findingsOf([{ ...k, name: 'crm_prod_agent' }], 'audit.key-naming')[0]).toContain('not lower-case words joined by hyphens');
    expect(findingsOf([k, { ...k, id: 'key_dup', name: 'CRM-prod-agent-call' }], 'audit.key-naming')[0]).toContain(
      'same name as crm-prod-agent-call (key_a1, row 1)',
    );
    // production and prod are one environment.
    expect(findingsOf([{ ...k, environment: 'production' }], 'audit.key-naming')).toEqual([]);
  });

  it("test key in production: by prefix, and by the name's env part", () => {
    const k = CLEAN[0]!;
    expect(findingsOf([{ ...k, prefix: 'kp_test_' }], 'audit.test-key-in-production')).toEqual([
      'test by prefix "kp_test_", but production by environment "prod" and name "crm-prod-agent-call" and seen calling prod',
    ]);
    // A test key that stays in test is fine.
    expect(findingsOf([CLEAN[1]!], 'audit.test-key-in-production')).toEqual([]);
  });

  it('over-privileged: admin scopes, too many scopes, scopes beyond the purpose', () => {
    const k = CLEAN[0]!;
    expect(findingsOf([{ ...k, scopes: ['agents:read', 'resources:admin'] }], 'audit.over-privileged-key')).toEqual([
      'admin/management scope resources:admin',
    ]);
    expect(findingsOf([{ ...k, scopes: Array.from({ length: 11 }, (_, i) => `s${i}:read`) }], 'audit.over-privileged-key')).toEqual([
      '11 scopes (at most 10)',
    ]);
  });

  it('expiry: beyond the maximum lifetime', () => {
    expect(findingsOf([{ ...CLEAN[0]!, expires: '2027-06-01' }], 'audit.expiry-policy')).toEqual(['lives 457 days (at most 365)']);
  });

  it('revoked in use: a key used after its expiry, and a disabled key used after disabledAt', () => {
    const k = CLEAN[0]!;
    expect(findingsOf([{ ...k, expires: '2026-05-01', lastUsed: '2026-05-20T00:00:00Z' }], 'audit.revoked-key-in-use')).toEqual([
      'used 2026-05-20, after it expired on 2026-05-01',
    ]);
    expect(findingsOf([{ ...CLEAN[2]!, lastUsed: '2026-03-01T00:00:00Z' }], 'audit.revoked-key-in-use')).toEqual([
      'used 2026-03-01T00:00:00.000Z, after it was disabled on 2026-02-01',
    ]);
  });

  it('stale: a never-used key counts from its creation (in an inventory that records use)', () => {
    const { lastUsed: _unused, ...neverUsed } = CLEAN[0]!;
    expect(findingsOf([{ ...neverUsed, created: '2026-01-01', expires: '2026-12-01' }, CLEAN[1]!], 'audit.stale-key')).toEqual([
      'never used; created 2026-01-01, 151 days ago',
    ]);
  });
});
