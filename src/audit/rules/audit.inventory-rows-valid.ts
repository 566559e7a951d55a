// Bad rows do not stop the audit: they are left out, and this rule lists each
// one with its row, line and field, so an incomplete export cannot pass as a
// clean audit.
import { z } from 'zod';
import type { RowProblem } from '../inventory.js';
import { defineRule, type Finding } from '../rule.js';

export default defineRule({
  id: 'audit.inventory-rows-valid',
  title: 'Every inventory row could be audited',
  description:
    'Flags rows left out of the audit because a field is missing or malformed (with row, line and field). Every other rule judged only the valid rows.',
  severity: 'high',
  gating: true,
  params: z.strictObject({}),
  expected: () => 'every row has a valid id, name, environment and created date, and well-formed optional fields',
  summary: () => 'rows left out of the audit (missing or malformed fields)',
  evaluate(inventory) {
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
        key: { id: label, name: label, row, ...(first.line !== undefined ? { line: first.line } : {}) },
        detail: problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; '),
      });
    }
    return findings;
  },
});
