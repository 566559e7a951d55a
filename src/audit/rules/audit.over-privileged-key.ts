// Least privilege: a key should hold the scopes its purpose needs and no
// more. Wildcards and admin/management scopes turn a leaked key into a
// breach of everything.
import { z } from 'zod';
import { parseKeyName } from '../../rules/naming.js';
import { defineRule, globMatcher, Judgement, NOT_RECORDED } from '../rule.js';

export const DEFAULT_PRIVILEGED_SCOPES = [
  'admin',
  'admin:*',
  '*:admin',
  'root',
  'superuser',
  'management',
  'management:*',
  '*:manage',
  '*:management',
  'keys:write',
  'keys:admin',
];

export default defineRule({
  id: 'audit.over-privileged-key',
  title: 'No key holds more privilege than its purpose needs',
  description:
    "Flags keys with a wildcard scope (*, agents:*), an admin or management scope (privilegedScopes, globs), more than maxScopes scopes, or scopes outside what the policy allows for the key's purpose (the purpose field, or the purpose part of its name).",
  severity: 'high',
  gating: true,
  params: z.strictObject({
    privilegedScopes: z
      .array(z.string().min(1))
      .default(DEFAULT_PRIVILEGED_SCOPES)
      .meta({ description: 'Scopes (globs with *) that mean administrative power.', examples: [['admin', '*:write']] }),
    maxScopes: z
      .number()
      .int()
      .positive()
      .default(10)
      .meta({ description: 'The most scopes one key may hold.', examples: [5] }),
    purposes: z
      .record(
        z.string(),
        z.strictObject({
          scopes: z.array(z.string().min(1)).meta({
            description: 'The scopes (globs with *) a key for this purpose may hold.',
            examples: [['agents:read', 'agents:call']],
          }),
        }),
      )
      .default({})
      .meta({
        description: 'Purpose → the scopes (globs) a key for it may hold.',
        examples: [{ 'agent-call': { scopes: ['agents:read', 'agents:call'] } }],
      }),
  }),
  expected: (p) =>
    `no wildcard or admin scope, at most ${p.maxScopes} scopes${Object.keys(p.purposes).length ? ', only the scopes its purpose allows' : ''}`,
  summary: () => 'keys with more privilege than they need',
  evaluate(inventory, params) {
    const privileged = globMatcher(params.privilegedScopes);
    const allowedFor = new Map(Object.entries(params.purposes).map(([purpose, p]) => [purpose, globMatcher(p.scopes)]));
    const out = new Judgement();
    const recordsScopes = inventory.recorded.has('scopes');
    for (const key of inventory.keys) {
      if (!recordsScopes) {
        out.cannotJudge(key, NOT_RECORDED.scopes);
        continue;
      }
      const reasons: string[] = [];
      const wildcards = key.scopes.filter((s) => s.includes('*'));
      if (wildcards.length) reasons.push(`wildcard scope ${wildcards.join(', ')}`);
      const admin = key.scopes.filter((s) => !s.includes('*') && privileged(s));
      if (admin.length) reasons.push(`admin/management scope ${admin.join(', ')}`);
      if (key.scopes.length > params.maxScopes) reasons.push(`${key.scopes.length} scopes (at most ${params.maxScopes})`);
      const purpose = key.purpose ?? (key.name !== undefined ? purposeOf(key.name) : undefined);
      const allowed = purpose !== undefined ? allowedFor.get(purpose) : undefined;
      if (allowed) {
        const excess = key.scopes.filter((s) => !allowed(s));
        if (excess.length) reasons.push(`${excess.join(', ')} beyond what purpose "${purpose}" allows`);
      }
      if (reasons.length) out.fail(key, reasons.join('; '));
    }
    return out;
  },
});

function purposeOf(name: string): string | undefined {
  const parsed = parseKeyName(name);
  return parsed.ok ? parsed.parts.purpose : undefined;
}
