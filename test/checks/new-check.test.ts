// CONTRIBUTING.md promises that a new check is one file plus one line in
// src/checks/index.ts (an import and its place in the list): the prelaunch
// suite, the README table, the suite JSON Schema (its id, its params with
// their descriptions), `keyprobe list` and `keyprobe validate` (its declared
// preconditions) pick it up with no other edit. This test keeps the promise
// honest: in a copy of the built package it adds a throwaway check file and
// the line, and looks at every one of those places.
// (A new reporter: test/reporters/new-reporter.test.ts does the same with
// REPORTERS; a new lifecycle adapter: test/lifecycle/registry.test.ts holds
// every kind in ADAPTERS to its schema section, factory and init skeleton.)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';

// Inside the package, so the copy resolves zod and the rest from its node_modules.
const COPY = join(PACKAGE_ROOT, 'test-artifacts', `new-check-${process.pid}`);
const ID = 'auth.throwaway-rejected';

const CHECK_FILE = `
import { z } from 'zod';
import { defineCheck } from './check.js';
import { denied } from './requirements.js';
export default defineCheck({
  id: '${ID}',
  title: 'A throwaway property holds',
  description: 'Exists only in a test, to prove where a new check shows up.',
  severity: 'high',
  practice: 'Reverse validation',
  required: true,
  destructive: false,
  phase: 'request',
  params: z.strictObject({
    tries: z.number().int().positive().default(2).meta({ description: 'How many throwaway tries to make.', examples: [3] }),
  }),
  requires: [denied],
  async run(ctx) {
    return { verdict: 'pass', message: 'denied has ' + ctx.profile.denied.length + ' resources' };
  },
});
`;

/** What the copy generates: the prelaunch suite, the README table, the suite JSON Schema. */
let generated: { suite: string; table: string; schema: string };

beforeAll(() => {
  rmSync(COPY, { recursive: true, force: true });
  mkdirSync(COPY, { recursive: true });
  cpSync(join(PACKAGE_ROOT, 'dist'), join(COPY, 'dist'), { recursive: true });
  cpSync(join(PACKAGE_ROOT, 'package.json'), join(COPY, 'package.json'));
  // The one file…
  writeFileSync(join(COPY, 'dist', 'checks', `${ID}.js`), CHECK_FILE);
  // …and the one line (an import, and the entry in the list: after auth.key-in-query-rejected).
  const index = join(COPY, 'dist', 'checks', 'index.js');
  const before = readFileSync(index, 'utf8');
  const after = before
    .replace(/^/, `import throwaway from './${ID}.js';\n`)
    .replace(/(\n\s*authKeyInQueryRejected,)/, '$1\n    throwaway,');
  expect(after).not.toBe(before);
  writeFileSync(index, after);
  // Read in a plain node process: the copy is the package as it would ship.
  const script = `
    const c = await import(${JSON.stringify(join(COPY, 'dist', 'checks', 'catalogue.js'))});
    const s = await import(${JSON.stringify(join(COPY, 'dist', 'schema', 'json-schemas.js'))});
    process.stdout.write(JSON.stringify({ suite: c.prelaunchSuiteText(), table: c.checkTableMarkdown(), schema: s.schemaFileText('suite') }));`;
  generated = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
});
afterAll(() => rmSync(COPY, { recursive: true, force: true }));

describe('a new check is one file plus one line in src/checks/index.ts', () => {
  it('the prelaunch suite lists it in catalogue order, with its required mark', () => {
    const suite = generated.suite;
    expect(suite).toContain(
      `  - id: auth.key-in-query-rejected\n  - id: ${ID}\n    required: true\n  - id: authz.unauthorized-resource-denied`,
    );
  });

  it('the README check table has its row', () => {
    expect(generated.table).toContain(`| \`${ID}\` | A throwaway property holds | high |  |`);
  });

  it('the suite JSON Schema knows its id and its params, described', () => {
    expect(generated.schema).toContain(`"const": "${ID}"`);
    expect(generated.schema).toContain('"description": "How many throwaway tries to make."');
  });

  it('keyprobe list names it, and keyprobe validate applies its declared preconditions', () => {
    const cli = join(COPY, 'dist', 'cli.js');
    expect(execFileSync(process.execPath, [cli, 'list'], { encoding: 'utf8' })).toContain(ID);
    const suite = join(COPY, 'suite.yaml');
    writeFileSync(suite, generated.suite);
    const profile = join(COPY, 'profile.yaml');
    writeFileSync(
      profile,
      [
        'key: { name: crm-prod-agent-call, system: crm, environment: prod, purpose: agent-call, secret: "${env:THROWAWAY_KEY}" }',
        'target: { origin: "http://127.0.0.1:9" }',
        'allowed: ["GET /v1/agents"]',
        '',
      ].join('\n'),
    );
    let out = '';
    try {
      execFileSync(process.execPath, [cli, 'validate', '--suite', suite, profile], {
        encoding: 'utf8',
        stdio: 'pipe',
        env: { ...process.env, THROWAWAY_KEY: `kp_prod_${randomBytes(16).toString('hex')}` },
      });
    } catch (err) {
      const e = err as { stdout: string; stderr: string; status: number };
      out = e.stdout + e.stderr;
      // Required checks that cannot run: not verified.
      expect(e.status).toBe(3);
    }
    expect(out).toContain(`denied: ${ID} is required by suite`);
    expect(out).toContain(`REQUIRED  ${ID} — cannot run: the profile lists no denied resources (denied: [...])`);
  });
});
