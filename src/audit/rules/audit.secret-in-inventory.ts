// An inventory is a list of keys, not of secrets: a secret in it (a "secret"
// column, a token pasted into a note) has leaked to everyone who reads the
// export. The value is redacted everywhere; this rule says where it was.
import { z } from 'zod';
import { defineRule, type Finding, type RuleOutput } from '../rule.js';

export default defineRule({
  id: 'audit.secret-in-inventory',
  title: 'The inventory holds no secret',
  description:
    'Flags every field whose value looks like a secret (a field named secret/token/password…, or a value shaped like a known key or a long random token). Masks and placeholders (****, ********abcd, [REDACTED], one character repeated) are not secrets. The value is never shown: only its fingerprint.',
  severity: 'critical',
  gating: true,
  params: z.strictObject({}),
  expected: () => 'no secret value anywhere in the inventory',
  summary: () => 'secret-like values in the inventory (redacted; rotate those keys)',
  evaluate(inventory): RuleOutput {
    const findings = inventory.secretHits.map<Finding>((hit) => ({
      key: {
        id: hit.key ?? `row ${hit.row}`,
        row: hit.row,
        ...(hit.line !== undefined ? { line: hit.line } : {}),
      },
      detail: `field "${hit.field}" holds a secret-like value (${hit.fingerprint}), redacted`,
      aspect: hit.field,
    }));
    return { findings, notVerifiable: [] };
  },
});
