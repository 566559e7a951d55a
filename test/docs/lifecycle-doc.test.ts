// docs/lifecycle.md stays true: each of its YAML examples is a lifecycle
// section keyprobe accepts, and its tables name every placeholder and every
// variable a command gets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkProfileFile } from '../../src/config/load-profile.js';
import { COMMAND_VARIABLES } from '../../src/lifecycle/command.js';
import { LIFECYCLE_PLACEHOLDERS } from '../../src/lifecycle/http.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tempDir } from '../helpers/tmp.js';

const doc = readFileSync(join(PACKAGE_ROOT, 'docs', 'lifecycle.md'), 'utf8');
const examples = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

const PROFILE_HEAD = [
  'key: { name: crm-prod-agent-call, system: crm, environment: prod, purpose: agent-call, secret: "${env:K}", scopes: [a] }',
  'target: { origin: "https://api.example.com" }',
  'allowed: [GET /v1/agents]',
  '',
].join('\n');

describe('docs/lifecycle.md', () => {
  it('has examples, and each is a valid lifecycle section', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
    const tmp = tempDir();
    try {
      const env = {
        K: `kp_prod_${'r'.repeat(32)}`,
        ADMIN_TOKEN: `adm_${'a'.repeat(32)}`,
        UNLEASH_ADMIN_TOKEN: `*:*.${'u'.repeat(40)}`,
        ADMIN_SIGNING_KEY: `sk_${'s'.repeat(40)}`,
        AWS_SECRET_ACCESS_KEY: `wJalrXUtnFEMI/K7MDENG+bPxRfiCY${'E'.repeat(10)}`,
      };
      examples.forEach((example, i) => {
        expect(example.startsWith('lifecycle:'), `example ${i + 1}`).toBe(true);
        const file = tmp.file(`p${i}.yaml`, PROFILE_HEAD + example);
        expect(checkProfileFile(file, env).problems, `example ${i + 1}`).toEqual([]);
      });
    } finally {
      tmp.cleanup();
    }
  });

  it('lists every placeholder and every variable a command gets', () => {
    for (const p of LIFECYCLE_PLACEHOLDERS) expect(doc).toContain(`| \`{{${p}}}\` |`);
    for (const v of Object.keys(COMMAND_VARIABLES)) expect(doc).toContain(`| \`${v}\` |`);
  });
});
