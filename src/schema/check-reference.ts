// What a person needs to know about each check, read from the check itself:
// its description, practice, params (from its params schema) and what makes
// it skip (from its own `unmet` rules). `keyprobe list --verbose`,
// `keyprobe list <check-id>` and docs/profile.md all render this one list.
import { z } from 'zod';
import type { AnyCheck } from '../checks/check.js';
import { CHECKS } from '../checks/index.js';
import { profileSchema, type ProfileInput } from '../config/profile-schema.js';
import { schemaFields, type JsonSchema } from './fields.js';

interface ParamReference {
  readonly name: string;
  readonly type: string;
  readonly default?: unknown;
  readonly description?: string;
}

interface SkipRule {
  /** What the profile lacks, in the check's own words. */
  readonly message: string;
  /** The field to add or fix. */
  readonly field: string;
}

export interface CheckReference {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly severity: string;
  readonly destructive: boolean;
  readonly phase: string;
  /** The key practice its evidence counts for in the report. */
  readonly practice: string;
  readonly params: readonly ParamReference[];
  /** Every reason it skips, over a range of profiles from the bare minimum to nearly complete. */
  readonly skipsWhen: readonly SkipRule[];
}

export function checkReferences(): CheckReference[] {
  return CHECKS.map(checkReference);
}

export function checkReference(check: AnyCheck): CheckReference {
  return {
    id: check.id,
    title: check.title,
    description: check.description,
    severity: check.severity,
    destructive: check.destructive,
    phase: check.phase,
    practice: check.practice,
    params: paramsOf(check),
    skipsWhen: skipRules(check),
  };
}

function paramsOf(check: AnyCheck): ParamReference[] {
  const schema = z.toJSONSchema(check.params, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as JsonSchema;
  return schemaFields(schema)
    .filter((f) => !f.path.includes('.') && !f.path.includes('['))
    .map((f) => ({
      name: f.path,
      type: f.type,
      ...('default' in f ? { default: f.default } : {}),
      ...(f.description ? { description: f.description } : {}),
    }));
}

const BASE: ProfileInput = {
  key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: 'x'.repeat(32) },
  target: { origin: 'https://api.example.com' },
  allowed: ['GET /v1/agents'],
};
const http = (actions: Record<string, string>) => ({ adapter: 'http' as const, http: actions });

/**
 * Profiles from the bare minimum towards complete, each lacking something a
 * check may need. The words come from the checks' `unmet`; these profiles
 * only make each rule speak. A rule that none of them triggers is not
 * listed, so a new kind of requirement wants a profile here (the docs test
 * asks that every check with requirements names at least one).
 */
const PROFILE_SHAPES: readonly ProfileInput[] = [
  BASE,
  { ...BASE, target: { origin: 'https://api.example.com', auth: { query: 'api_key' } } },
  { ...BASE, rateLimit: { limit: 20, probe: 'GET /v1/agents', scope: 'client' } },
  { ...BASE, lifecycle: { adapter: 'manual' } },
  { ...BASE, lifecycle: { ...http({ disable: 'POST /keys/{{id}}/disable' }), actOnOwnKey: true } },
  { ...BASE, canary: { secret: 'y'.repeat(32) }, lifecycle: http({ disable: 'POST /keys/{{id}}/disable' }) },
  { ...BASE, lifecycle: http({ create: 'POST /keys', delete: 'DELETE /keys/{{id}}' }) },
  { ...BASE, allowed: [{ method: 'GET', path: '/v1/agents', scope: 'agents:read' }] },
];

function skipRules(check: AnyCheck): SkipRule[] {
  if (!check.unmet) return [];
  // One rule per field and leading words: the same rule explained for another adapter (in parentheses) is said once.
  const seen = new Map<string, SkipRule>();
  for (const shape of PROFILE_SHAPES) {
    for (const u of check.unmet(profileSchema.parse(shape))) {
      const field = fieldName(u.path);
      const key = `${field}\0${u.message.split(' (')[0]}`;
      if (!seen.has(key)) seen.set(key, { message: u.message, field });
    }
  }
  return [...seen.values()];
}

function fieldName(path: readonly (string | number)[]): string {
  return path.map((p) => (typeof p === 'number' ? '[]' : p)).join('.');
}
