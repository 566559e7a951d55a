// The README's examples are real: the annotated profile and the suite it shows validate.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { checkProfileFile } from '../../src/config/load-profile.js';
import { loadSuite } from '../../src/config/suite.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';

const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');

function yamlBlockAfter(heading: string): string {
  const section = readme.slice(readme.indexOf(heading));
  const match = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error(`no yaml block after ${heading}`);
  return match[1]!;
}

describe('README', () => {
  it('shows both commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });

  it('lists every check with its title', () => {
    for (const c of CHECKS) expect(readme).toContain(`| \`${c.id}\` | ${c.title} |`);
  });

  it('the annotated profile example is a valid profile', () => {
    const tmp = tempDir();
    try {
      const file = tmp.file('p.yaml', yamlBlockAfter('## The profile'));
      expect(checkProfileFile(file).problems).toEqual([]);
      const env = {
        CRM_PROD_KEY: `kp_prod_${'r'.repeat(32)}`,
        CRM_TEST_KEY: `kp_test_${'s'.repeat(32)}`,
        CRM_PROD_CANARY_KEY: `kp_prod_${'c'.repeat(32)}`,
        CRM_ADMIN_TOKEN: 'a'.repeat(32),
      };
      expect(checkProfileFile(file, env).problems).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });

  it('the annotated profile meets every requirement of the prelaunch suite (`keyprobe validate` exit 0)', async () => {
    const tmp = tempDir();
    try {
      const run = await runCli(['validate', '--suite', 'prelaunch', tmp.file('p.yaml', yamlBlockAfter('## The profile'))]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).not.toMatch(/REQUIRED/);
    } finally {
      tmp.cleanup();
    }
  });

  it('the suite example is a valid suite', () => {
    const tmp = tempDir();
    try {
      expect(loadSuite(tmp.file('s.yaml', yamlBlockAfter('## Suites'))).checks).toHaveLength(2);
    } finally {
      tmp.cleanup();
    }
  });
});
