// Every field a person writes is documented where it is defined: a
// description and (for every field that is not a whole section) an example,
// in the zod schema (`.meta({ description, examples })`), carried into the
// JSON Schemas for editor hover and completion, defaults included. Every
// example is valid for its own field, checked with a real validator.
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { schemaFields, type SchemaField } from '../../src/schema/fields.js';
import { jsonSchemaFor, SCHEMA_KINDS, type SchemaKind } from '../../src/schema/json-schemas.js';

/**
 * Fields left to another test, by pattern per schema kind. None today: the
 * lifecycle adapters' sections (lifecycle.adapter, .http, .command, .manual)
 * are documented in their own schemas like every other field.
 */
const DOCUMENTED_ELSEWHERE: Partial<Record<SchemaKind, RegExp>> = {};

function fieldsOf(kind: SchemaKind): SchemaField[] {
  const skip = DOCUMENTED_ELSEWHERE[kind];
  return schemaFields(jsonSchemaFor(kind)).filter((f) => !skip?.test(f.path));
}

const isSection = (f: SchemaField) => f.type === 'object';

// results.json is written by keyprobe, not by a person: its schema is the contract (src/result.ts), described but without examples.
const WRITTEN_BY_PEOPLE = SCHEMA_KINDS.filter((k) => k !== 'results');

describe.each(WRITTEN_BY_PEOPLE)('the %s schema documents every field', (kind) => {
  const fields = fieldsOf(kind);

  it('has fields to check', () => {
    expect(fields.length).toBeGreaterThan(3);
  });

  it('gives every field a description', () => {
    expect(fields.filter((f) => !f.description?.trim()).map((f) => f.path)).toEqual([]);
  });

  it('gives every field that is not a whole section an example', () => {
    expect(fields.filter((f) => !isSection(f) && !(f.examples && f.examples.length > 0)).map((f) => f.path)).toEqual([]);
  });

  it('has examples that are valid values of their own field, and defaults that are too', () => {
    const ajv = new Ajv({ strict: false, formats: { uri: (s: string) => URL.canParse(s) } });
    const invalid: string[] = [];
    for (const f of fields) {
      const validate = ajv.compile(f.schema);
      for (const example of f.examples ?? []) if (!validate(example)) invalid.push(`${f.path}: example ${JSON.stringify(example)}`);
      if ('default' in f && !validate(f.default)) invalid.push(`${f.path}: default ${JSON.stringify(f.default)}`);
    }
    expect(invalid).toEqual([]);
  });
});

describe('the JSON Schemas carry what the zod schemas say', () => {
  it('a field with a default shows it, with its description and examples (editor hover)', () => {
    const scope = fieldsOf('profile').find((f) => f.path === 'rateLimit.scope')!;
    expect(scope.default).toBe('key');
    expect(scope.examples).toEqual(['client']);
    expect(scope.description).toMatch(/What the platform's rate limiter counts/);
  });

  it('keeps the examples of fields that transform what is written (method, origin, "METHOD /path")', () => {
    const byPath = new Map(fieldsOf('profile').map((f) => [f.path, f]));
    expect(byPath.get('target.origin')?.examples).toContain('https://api.example.com');
    expect(byPath.get('allowed[].method')?.examples).toContain('GET');
    expect(byPath.get('rateLimit.probe')?.examples).toContain('GET /v1/agents');
  });
});
