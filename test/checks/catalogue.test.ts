// The check list (src/checks/index.ts) is the single source of the catalogue:
// the bundled prelaunch suite and the README's check table are generated from
// it and fail here when stale (UPDATE_GENERATED=1, `npm run docs:checks`,
// rewrites them); the suite JSON Schema and the practices read it directly;
// every check's params document themselves.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { CHECK_TABLE_END, CHECK_TABLE_START, checkTableMarkdown, prelaunchSuiteText, withCheckTable } from '../../src/checks/catalogue.js';
import { loadSuite } from '../../src/checks/suite.js';
import { BUNDLED_SUITES_DIR, PACKAGE_ROOT } from '../../src/paths.js';
import { jsonSchemaFor } from '../../src/schema/json-schemas.js';

const PRELAUNCH = join(BUNDLED_SUITES_DIR, 'prelaunch.yaml');
const README = join(PACKAGE_ROOT, 'README.md');
const update = Boolean(process.env.UPDATE_GENERATED);

describe('the catalogue is the check list', () => {
  it(update ? 'rewrites suites/prelaunch.yaml' : 'suites/prelaunch.yaml is generated from the check list', () => {
    if (update) writeFileSync(PRELAUNCH, prelaunchSuiteText());
    expect(readFileSync(PRELAUNCH, 'utf8'), 'suites/prelaunch.yaml is stale; run `npm run docs:checks`').toBe(prelaunchSuiteText());
    const suite = loadSuite(PRELAUNCH);
    expect(suite.checks.map((p) => p.check.id)).toEqual(CHECKS.map((c) => c.id));
    expect(suite.checks.filter((p) => p.required).map((p) => p.check.id)).toEqual([
      'auth.valid-key-accepted',
      'authz.unauthorized-resource-denied',
      'lifecycle.disabled-key-rejected',
      'rate.limit-triggered',
    ]);
  });

  it(update ? "rewrites README.md's check table" : "README.md's check table is generated from the check list", () => {
    const table = checkTableMarkdown();
    if (update) {
      const rewritten = withCheckTable(readFileSync(README, 'utf8'), table);
      if (rewritten) writeFileSync(README, rewritten);
    }
    const readme = readFileSync(README, 'utf8');
    const start = readme.indexOf(CHECK_TABLE_START);
    const end = readme.indexOf(CHECK_TABLE_END);
    expect(start, 'README.md has no check-table block').toBeGreaterThanOrEqual(0);
    expect(readme.slice(start, end + CHECK_TABLE_END.length), "README.md's check table is stale; run `npm run docs:checks`").toBe(table);
    for (const c of CHECKS) expect(table).toContain(`| \`${c.id}\` | ${c.title.replace(/\|/g, '\\|')} | ${c.severity} |`);
    expect(table).toContain(
      '| `lifecycle.disabled-key-rejected` | A disabled key is rejected at once, and stays rejected | critical | yes (canary key) |',
    );
    expect(table).toContain('| creates a canary key where it can |');
  });

  it('the suite JSON Schema lists every check id with its params, each param described', () => {
    const text = JSON.stringify(jsonSchemaFor('suite'));
    for (const c of CHECKS) expect(text).toContain(`"const":"${c.id}"`);
    for (const c of CHECKS) {
      const shape = (c.params as unknown as { shape?: Record<string, { meta(): { description?: string } | undefined }> }).shape ?? {};
      for (const [field, schema] of Object.entries(shape)) {
        expect(schema.meta()?.description, `${c.id} params.${field} has a description`).toMatch(/\w{3,}/);
        expect(text).toContain(JSON.stringify(schema.meta()!.description));
      }
    }
  });

  it('every check names its practice; every practice has a check', () => {
    const practices = new Set(CHECKS.map((c) => c.practice));
    expect([...practices].sort()).toEqual([
      'Least privilege',
      'Naming',
      'Per-environment keys',
      'Reverse validation',
      'Rotation and reclamation',
    ]);
  });
});
