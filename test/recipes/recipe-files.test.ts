// Every recipe's files hold together without a gateway: its profile
// validates (as written, and with every ${env:…} its setup.sh writes set),
// its scripts parse, and they never put a key on a command line. The
// gateways themselves are run by nginx.test.ts and haproxy.test.ts; the
// Directus recipe is a recorded run (its README says so).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkProfileFile } from '../../src/config/load-profile.js';
import { RECIPES_DIR } from './gateway.js';

const RECIPES = readdirSync(RECIPES_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

describe('recipe files', () => {
  it('there are the nginx, HAProxy and Directus recipes, each listed in docs/recipes/README.md', () => {
    expect(RECIPES.sort()).toEqual(['directus', 'haproxy', 'nginx']);
    const index = readFileSync(join(RECIPES_DIR, 'README.md'), 'utf8');
    for (const r of RECIPES) expect(index).toContain(`](${r}/README.md)`);
  });

  for (const recipe of RECIPES) {
    describe(recipe, () => {
      const dir = join(RECIPES_DIR, recipe);
      const profile = join(dir, 'profile.yaml');
      const text = readFileSync(profile, 'utf8');

      it('its profile validates, as written and with every variable it names set', () => {
        expect(checkProfileFile(profile).problems).toEqual([]);
        const names = [...new Set([...text.matchAll(/\$\{env:([A-Z0-9_]+)\}/g)].map((m) => m[1]!))];
        const env = Object.fromEntries(names.map((n, i) => [n, `fake-value-for-validation-${i}-0000000000`]));
        expect(checkProfileFile(profile, env).problems).toEqual([]);
        // setup.sh writes each variable the profile reads.
        const setup = readFileSync(join(dir, 'setup.sh'), 'utf8');
        for (const n of names) {
          const variable = n.replace(/_ID$/, ''); // setup.sh writes <VAR> and <VAR>_ID together
          const short = variable.replace(/^(NGINX|HAPROXY|DIRECTUS)_/, ''); // Directus's loop names them KEY, CANARY_KEY, …
          expect(setup.includes(variable) || new RegExp(`(^|[^A-Z_])${short}([^A-Z_]|$)`, 'm').test(setup), n).toBe(true);
        }
      });

      it('its scripts parse, and pass no secret on a command line', () => {
        for (const script of ['keys.sh', 'setup.sh']) {
          execFileSync('bash', ['-n', join(dir, script)]);
          const source = readFileSync(join(dir, script), 'utf8');
          // curl gets request bodies on stdin and credentials from a header file, never as --data "<key>".
          expect(source).not.toMatch(/curl[^\n]*(--data|-d) "\$/);
          expect(source).not.toMatch(/-H "Authorization: Bearer \$/);
        }
      });
    });
  }
});
