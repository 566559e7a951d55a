// Bad rows do not stop the audit: they are left out, and this rule lists each
// one with its row, line and field, so an incomplete export cannot pass as a
// clean audit.
import { z } from 'zod';
import type { RowProblem } from '../inventory.js';
import { defineRule, type Finding, type RuleOutput } from '../rule.js';

export default defineRule({
  id: 'audit.inventory-rows-valid',
  title: 'Every inventory row could be audited',
  description:
    'Flags rows left out of the audit because their id is missing or a field they have cannot be read (with row, line and field). Every other rule judged only the valid rows. A field the platform does not record is not a bad row: the rules that need it say which keys they could not judge.',
  severity: 'high',
  gating: true,
  params: z.strictObject({}),
  expected: () => 'every row has an id, and every field it has is well formed',
  summary: () => 'rows left out of the audit (no id, or a malformed field)',
  evaluate(inventory): RuleOutput {
    const byRow = new Map<number, RowProblem[]>();
    for (const p of inventory.problems) {
      const list = byRow.get(p.row);
      if (list) list.push(p);
      else byRow.set(p.row, [p]);
    }
    const findings: Finding[] = [];
    for (const [row, problems] of byRow) {
      const first = problems[0]!;
      const label = first.key ?? `row ${row}`;
      findings.push({
        key: { id: label, row, ...(first.line !== undefined ? { line: first.line } : {}) },
        detail: problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; '),
      });
    }
    return { findings, notVerifiable: [] };
  },
});
