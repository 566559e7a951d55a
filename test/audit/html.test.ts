// The audit's report.html: self-contained, escaped, with the inventory's
// health at a glance, a severity-sortable findings table and one section per rule.
import { describe, expect, it } from 'vitest';
import { runAudit } from '../../src/audit/audit.js';
import { defaultPolicy, policySchema } from '../../src/audit/policy.js';
import { RULES } from '../../src/audit/rules/index.js';
import { renderAuditHtml } from '../../src/reporters/audit-html.js';
import { anchorId } from '../../src/reporters/escape.js';
import { z } from 'zod';
import { breakingCases, CLEAN, inventoryOf, NOW } from './fixtures.js';

describe('audit report.html', () => {
  const rows = [
    ...CLEAN,
    ...breakingCases('')
      .filter((c) => c.rule !== 'audit.secret-in-inventory')
      .map((c) => c.row),
    { ...CLEAN[0]!, id: 'key_h', name: '<img src=x onerror=alert(1)>', owner: '<b>evil</b>' },
  ];
  const report = runAudit({ inventory: inventoryOf(rows), policy: defaultPolicy(), now: NOW, operator: 'test' });
  const html = renderAuditHtml(report);

  it('loads nothing from the network and escapes every value', () => {
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<b>evil</b>');
  });

  it('shows counts by environment and owner, findings by severity, and a sortable findings table', () => {
    expect(html).toMatch(/<h3>Keys by environment<\/h3><table class="counts">.*<tr><td>prod<\/td><td class="num">11<\/td>/s);
    expect(html).toContain('<h3>Keys by owner</h3>');
    expect(html).toContain('ledger-team@example.com');
    expect(html).toMatch(/<div class="value">1<\/div><div class="label">rows left out<\/div>/);
    expect(html).toContain('<table class="findings sortable">');
    expect(html).toContain('data-sort="rank"');
    expect(html).toContain("addEventListener('click'");
    // Most severe first: the critical test-key finding precedes the low naming ones.
    const body = html.slice(html.indexOf('<table class="findings sortable">'));
    expect(body.indexOf('audit.test-key-in-production')).toBeLessThan(body.indexOf('audit.key-naming'));
  });

  it('has one section per rule', () => {
    for (const rule of RULES) expect(html).toContain(`id="${anchorId(rule.id)}"`);
  });
});

describe('audit policy schema', () => {
  it('can be turned into a JSON Schema (for `keyprobe schema audit-policy`) that lists every rule', () => {
    const schema = z.toJSONSchema(policySchema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as unknown as {
      properties: { rules: { properties: Record<string, unknown> } };
    };
    expect(Object.keys(schema.properties.rules.properties).sort()).toEqual(RULES.map((r) => r.id).sort());
  });
});
