// JSON Schemas for the files people write (profiles, suites, audit policies, audit mappings,
// waivers) and the results.json keyprobe writes, generated from
// the zod schemas the loader uses, so the editor and keyprobe can never
// disagree about the format. `io: 'input'` describes what a person writes:
// fields with defaults are optional. Draft-07 because it is the draft editors
// (VS Code, yaml-language-server) support fully.
import { z } from 'zod';
import { mappingSchema } from '../audit/mapping.js';
import { policySchema } from '../audit/policy.js';
import { RULES } from '../audit/rules/index.js';
import { CHECKS } from '../checks/index.js';
import { profileSchema } from '../config/profile-schema.js';
import { suiteSchema } from '../checks/suite.js';
import { waiversFileSchema } from '../governance/waivers.js';
import { runResultSchema } from '../result.js';

export const SCHEMA_KINDS = ['profile', 'suite', 'audit-policy', 'audit-mapping', 'waivers', 'results'] as const;
export type SchemaKind = (typeof SCHEMA_KINDS)[number];

type JsonSchema = Record<string, unknown>;

export function isSchemaKind(kind: string): kind is SchemaKind {
  return (SCHEMA_KINDS as readonly string[]).includes(kind);
}

/** The file a kind's schema is written to, under schemas/ in the package. */
export function schemaFileName(kind: SchemaKind): string {
  return `${kind}.schema.json`;
}

export function jsonSchemaFor(kind: SchemaKind): JsonSchema {
  switch (kind) {
    case 'profile':
      return withHeader(
        toJsonSchema(profileSchema),
        'keyprobe profile',
        'One API key, the system that calls with it, its target, and what the key must and must not be able to do. Secrets only as ${env:NAME} or ${file:path}.',
      );
    case 'suite':
      return withHeader(
        suiteJsonSchema(),
        'keyprobe suite',
        'Which checks to run, with their parameters, and whether each gates the launch.',
      );
    case 'audit-policy':
      return withHeader(
        toJsonSchema(policySchema),
        'keyprobe audit policy',
        'What `keyprobe audit` holds a key inventory to: production and test environments, the rotation period, and per rule its thresholds, severity, gating and whether it runs.',
      );
    case 'audit-mapping':
      return withHeader(
        toJsonSchema(mappingSchema),
        'keyprobe audit mapping',
        "How one platform's inventory (an export or a management API's answer) becomes keyprobe's inventory fields (keyprobe audit --mapping; the presets are such files). Credentials only as ${env:NAME} or ${file:path}.",
      );
    case 'waivers':
      return withHeader(
        waiversJsonSchema(),
        'keyprobe waivers',
        'Findings (keyprobe audit) or check failures (keyprobe run) a team has accepted, each with an owner, a reason and an expiry (--waivers).',
      );
    case 'results':
      // What keyprobe writes (results.json of a run, a merge or an audit), for tools that read it; the RunResult contract of src/result.ts.
      return withHeader(
        withoutReadOnly(toJsonSchema(runResultSchema)),
        'keyprobe results',
        'results.json: what one keyprobe run, merge or audit found. Read back by `keyprobe report`, `keyprobe merge` and `keyprobe diff`.',
      );
  }
}

/** The text written to schemas/<kind>.schema.json: stable, two-space JSON with a final newline. */
export function schemaFileText(kind: SchemaKind): string {
  return `${JSON.stringify(jsonSchemaFor(kind), null, 2)}\n`;
}

/** `${env:NAME}` or `${file:path}`: keyprobe resolves these before validating the field they stand in. */
const REFERENCE_STRING = { type: 'string' as const, pattern: '^\\$\\{(env|file):[^}]+\\}$' };

function toJsonSchema(schema: z.ZodType): JsonSchema {
  return splitTypeUnions(zodJsonSchema(schema));
}

/** A union of plain types (`type: [string, number, boolean]`) as anyOf: every validator reads it, strict Ajv too. */
function splitTypeUnions(node: unknown): JsonSchema {
  if (Array.isArray(node)) return node.map(splitTypeUnions) as unknown as JsonSchema;
  if (!node || typeof node !== 'object') return node as JsonSchema;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) out[k] = splitTypeUnions(v);
  if (Array.isArray(out.type)) {
    const types = out.type as string[];
    delete out.type;
    out.anyOf = types.map((t) => ({ type: t }));
  }
  return out;
}

function zodJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-7',
    // A date also accepted as a JS Date (YAML timestamps) has no JSON form; its string form stays.
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      // zod leaves out the examples of a field that transforms its input (a method, an origin, a
      // "METHOD /path" shorthand); ours are written as a person writes them, so they belong here.
      const examples = z.globalRegistry.get(zodSchema as unknown as z.ZodType)?.examples;
      if (examples !== undefined && !('examples' in jsonSchema)) (jsonSchema as Record<string, unknown>).examples = examples;
      // A formatted string (a URL) may be written as a reference, as `keyprobe validate` allows.
      if (jsonSchema.type === 'string' && typeof jsonSchema.format === 'string') {
        const original = { ...jsonSchema };
        for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Record<string, unknown>)[key];
        jsonSchema.anyOf = [original, REFERENCE_STRING];
      }
    },
  }) as JsonSchema;
}

function withHeader(schema: JsonSchema, title: string, description: string): JsonSchema {
  const { $schema, ...rest } = schema;
  return { $schema, title, description, ...rest };
}

/**
 * The suite schema, plus what only the check catalogue knows: the valid check
 * ids (for completion, each with its description) and each check's params.
 */
function suiteJsonSchema(): JsonSchema {
  const schema = toJsonSchema(suiteSchema);
  const checks = (schema.properties as Record<string, JsonSchema> | undefined)?.checks;
  const entry = checks?.items as JsonSchema | undefined;
  const [shortForm, longForm] = (entry?.anyOf as JsonSchema[] | undefined) ?? [];
  const longProps = longForm?.properties as Record<string, JsonSchema> | undefined;
  if (!checks || !entry || !shortForm || shortForm.type !== 'string' || !longProps?.id || !longProps.params) {
    // The suite format changed shape; this generator must be taught the new one.
    throw new Error('suite schema: expected checks[] to be "id" or { id, gating, params }');
  }
  const ids = { anyOf: CHECKS.map((c) => ({ const: c.id, title: c.title, description: c.description })) };
  entry.anyOf = [
    { ...ids, description: 'A check id: run it with default params, gating the launch.' },
    {
      ...longForm,
      properties: { ...longProps, id: { ...longProps.id, ...ids } },
      // Each check's own parameters, chosen by its id.
      allOf: CHECKS.map((c) => ({
        if: { properties: { id: { const: c.id } }, required: ['id'] },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
        then: { properties: { params: stripDialect(toJsonSchema(c.params)) } },
      })),
    },
  ];
  return schema;
}

/** The waivers schema, plus the valid rule and check ids (for completion, each with its title). */
function waiversJsonSchema(): JsonSchema {
  const schema = toJsonSchema(waiversFileSchema);
  const item = ((schema.properties as Record<string, JsonSchema> | undefined)?.waivers?.items ?? {}) as JsonSchema;
  const props = item.properties as Record<string, JsonSchema> | undefined;
  if (!props?.rule || !props.check) throw new Error('waivers schema: expected waivers[] with rule and check');
  props.rule = { ...props.rule, anyOf: RULES.map((r) => ({ const: r.id, title: r.title })) };
  props.check = { ...props.check, anyOf: CHECKS.map((c) => ({ const: c.id, title: c.title })) };
  return schema;
}

/** The contract's `.readonly()` is for TypeScript (reporters must not mutate a result); in JSON Schema it would only be noise. */
function withoutReadOnly(node: unknown): JsonSchema {
  if (Array.isArray(node)) return node.map(withoutReadOnly) as unknown as JsonSchema;
  if (!node || typeof node !== 'object') return node as JsonSchema;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) if (k !== 'readOnly') out[k] = withoutReadOnly(v);
  return out;
}

function stripDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}
