// The README's examples are real: the annotated profile and the suite it shows validate.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CHECKS } from '../../src/checks/index.js';
import { checkProfileFile } from '../../src/config/load-profile.js';
import { loadSuite } from '../../src/checks/suite.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { applyWalkthroughEdit, walkthroughKeyprobeCommands, walkthroughShellLines } from './walkthrough.js';

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

  describe('"Your first real profile"', () => {
    it('uses keyprobe as a project that installed it would: npm install --save-dev, then npx keyprobe init, validate, run', () => {
      const lines = walkthroughShellLines();
      expect(lines).toContain('npm install --save-dev keyprobe');
      expect(walkthroughKeyprobeCommands().map((c) => c[0])).toEqual(['init', 'validate', 'run']);
      // The keys it names are the ones the recipe's setup.sh writes to keys.env.
      const setup = readFileSync(join(PACKAGE_ROOT, 'docs', 'recipes', 'nginx', 'setup.sh'), 'utf8');
      const init = walkthroughKeyprobeCommands()[0]!.join(' ');
      for (const name of init.match(/NGINX_[A-Z_]+/g)!) expect(setup).toContain(`new_key ${name} `);
    });

    it('its init command and edit make a profile that validates, with every check of the prelaunch suite able to run', async () => {
      const tmp = tempDir();
      try {
        const [init, validate] = walkthroughKeyprobeCommands();
        const made = await runCli(init!, { cwd: tmp.dir });
        expect(made.code, made.stderr).toBe(0);
        const file = join(tmp.dir, 'my-profile.yaml');
        writeFileSync(file, applyWalkthroughEdit(readFileSync(file, 'utf8')));
        const env = {
          PATH: process.env.PATH,
          NGINX_KEY: `gw_${'a'.repeat(32)}`,
          NGINX_SECOND_KEY: `gw_${'b'.repeat(32)}`,
          NGINX_STAGING_KEY: `gw_${'c'.repeat(32)}`,
        };
        const run = await runCli(validate!, { cwd: tmp.dir, env });
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toContain('ok  my-profile.yaml — suite prelaunch: 18 checks will run');
        expect(run.stdout).not.toContain('unresolved');
        expect((parse(readFileSync(file, 'utf8')) as { key: { scopes: string[] } }).key.scopes).toEqual(['agents:read', 'agents:call']);
      } finally {
        tmp.cleanup();
      }
    });
  });
});
