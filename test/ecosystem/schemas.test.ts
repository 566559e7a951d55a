// The JSON Schemas: generated from the zod schemas, committed in schemas/,
// shipped, and accepting every bundled file — checked with a real validator.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { mappingSchema } from '../../src/audit/mapping.js';
import { policySchema } from '../../src/audit/policy.js';
import { waiversFileSchema } from '../../src/governance/waivers.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { SCHEMA_KINDS, jsonSchemaFor, schemaFileName, schemaFileText, type SchemaKind } from '../../src/schema/json-schemas.js';
import { runCli } from '../helpers/cli.js';

const schemasDir = join(PACKAGE_ROOT, 'schemas');

function validator(kind: SchemaKind) {
  // strict: an unknown keyword in what we generate is a bug, not something to ignore.
  const ajv = new Ajv({ allErrors: true, strict: true, formats: { uri: (s: string) => URL.canParse(s) } });
  return ajv.compile(JSON.parse(readFileSync(join(schemasDir, schemaFileName(kind)), 'utf8')) as object);
}

function bundled(dir: string): string[] {
  return readdirSync(join(PACKAGE_ROOT, dir))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(PACKAGE_ROOT, dir, f));
}

describe('JSON Schemas', () => {
  it.each(SCHEMA_KINDS)('schemas/%s.schema.json is what the zod schema generates (run `npm run schemas` if this fails)', (kind) => {
    expect(readFileSync(join(schemasDir, schemaFileName(kind)), 'utf8')).toBe(schemaFileText(kind));
  });

  it('has one committed file per kind and nothing else', () => {
    expect(readdirSync(schemasDir).sort()).toEqual(SCHEMA_KINDS.map(schemaFileName).sort());
  });

  it('describes the input a person writes: fields with defaults are optional', () => {
    const profile = jsonSchemaFor('profile') as { required: string[]; properties: Record<string, { required?: string[] }> };
    expect(profile.required.sort()).toEqual(['allowed', 'key', 'target']);
    expect(profile.properties.target?.required).toEqual(['origin']);
  });

  it.each(bundled('profiles'))('bundled profile %s validates and points at the profile schema', (file) => {
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/profile.schema.json');
    const validate = validator('profile');
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each(bundled('suites'))('bundled suite %s validates and points at the suite schema', (file) => {
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/suite.schema.json');
    expect(resolve(dirname(file), '../schemas/suite.schema.json')).toBe(join(schemasDir, 'suite.schema.json'));
    const validate = validator('suite');
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects what keyprobe rejects: an unknown field, a missing section, a bad method shorthand', () => {
    const validate = validator('profile');
    const ok = {
      key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: '${env:K}' },
      target: { origin: 'https://api.example.com' },
      allowed: ['GET /v1/agents'],
    };
    expect(validate(ok), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...ok, target: { origin: 'https://api.example.com', timeout: 5 } })).toBe(false);
    expect(validate({ key: ok.key, target: ok.target })).toBe(false);
    expect(validate({ ...ok, allowed: ['/v1/agents'] })).toBe(false);
    expect(validate({ ...ok, allowed: [] })).toBe(false);
  });

  it('knows the check catalogue: check ids complete, unknown ids and bad params are refused', () => {
    const validate = validator('suite');
    expect(
      validate({ name: 's', checks: ['auth.missing-key-rejected', { id: 'auth.missing-key-rejected', gating: false }] }),
      JSON.stringify(validate.errors),
    ).toBe(true);
    expect(validate({ name: 's', checks: ['auth.no-such-check'] })).toBe(false);
    expect(validate({ name: 's', checks: [{ id: 'auth.missing-key-rejected', params: { statuses: [200] } }] })).toBe(false);
    expect(
      validate({ name: 's', checks: [{ id: 'auth.missing-key-rejected', params: { statuses: [401, 403] } }] }),
      JSON.stringify(validate.errors),
    ).toBe(true);
  });

  it('accepts the audit policies the audit loader accepts, and refuses what it refuses', () => {
    const validate = validator('audit-policy');
    const policies: unknown[] = [{}, { rotationPeriodDays: 90, environments: { production: ['prod'], test: ['dev', 'staging'] } }];
    for (const p of policies) {
      expect(policySchema.safeParse(p).success).toBe(true);
      expect(validate(p), JSON.stringify(validate.errors)).toBe(true);
    }
    const bad = { rotationPeriodDays: -1, unknownField: true };
    expect(policySchema.safeParse(bad).success).toBe(false);
    expect(validate(bad)).toBe(false);
  });

  it.each(bundled('presets'))('bundled audit preset %s validates and points at the audit-mapping schema', (file) => {
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/audit-mapping.schema.json');
    const validate = validator('audit-mapping');
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
    expect(mappingSchema.safeParse(parse(text)).success).toBe(true);
  });

  it('accepts the mappings and waivers the loaders accept, and refuses what they refuse', () => {
    const mapping = validator('audit-mapping');
    const okMapping = {
      items: 'data',
      pagination: { type: 'offset', limit: 50 },
      fields: { id: 'Key ID', environment: { const: 'prod' }, enabled: { path: 'Status', values: { active: true, suspended: false } } },
    };
    expect(mappingSchema.safeParse(okMapping).success).toBe(true);
    expect(mapping(okMapping), JSON.stringify(mapping.errors)).toBe(true);
    for (const bad of [{ fields: { nmae: 'x' } }, { pagination: { type: 'pages' } }, { fields: { id: { path: 'a', colour: 'b' } } }]) {
      expect(mappingSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
      expect(mapping(bad), JSON.stringify(bad)).toBe(false);
    }
    const waivers = validator('waivers');
    const okWaivers = { waivers: [{ rule: 'audit.stale-key', key: 'k1', owner: 'o', reason: 'r', expires: '2026-09-30' }] };
    expect(waiversFileSchema.safeParse(okWaivers).success).toBe(true);
    expect(waivers(okWaivers), JSON.stringify(waivers.errors)).toBe(true);
    for (const bad of [
      { waivers: [{ rule: 'audit.stale-key', owner: 'o', reason: 'r' }] },
      { waivers: [{ rule: 'audit.stale-key', owner: 'o', reason: 'r', expires: 'next year' }] },
      { waivers: [{ rule: 'audit.stale-key', owner: 'o', reason: 'r', expires: '2026-09-30', until: 'x' }] },
    ]) {
      expect(waiversFileSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
      expect(waivers(bad), JSON.stringify(bad)).toBe(false);
    }
    // The editor schema also knows the rule and check ids.
    expect(waivers({ waivers: [{ rule: 'audit.no-such-rule', owner: 'o', reason: 'r', expires: '2026-09-30' }] })).toBe(false);
  });

  it('`keyprobe schema <kind>` prints the committed schema; an unknown kind is a usage error', async () => {
    for (const kind of SCHEMA_KINDS) {
      const run = await runCli(['schema', kind]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(readFileSync(join(schemasDir, schemaFileName(kind)), 'utf8'));
    }
    const bad = await runCli(['schema', 'profiles']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown schema "profiles"; choose one of: profile, suite, audit-policy, audit-mapping, waivers, results');
  });
});
