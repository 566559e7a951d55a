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

/** A value of the right shape for the field a variable fills: an origin, a date, else a key-like text. */
function fakeValue(name: string, i: number): string {
  if (/_(URL|ORIGIN|TARGET)$/.test(name)) return 'http://127.0.0.1:4242';
  if (/_(EXPIRES|CREATED)$/.test(name)) return '2027-03-31';
  return `fake-value-for-validation-${i}-0000000000`;
}

/** Recipes set up by setup.sh with a keys.sh lifecycle script; the others use their own scripts (their README says how). */
const SHELL_SCRIPTED = new Set(['nginx', 'haproxy', 'directus']);

describe('recipe files', () => {
  it('there are the nginx, HAProxy, Directus and Unleash recipes, each listed in docs/recipes/README.md', () => {
    expect(RECIPES.sort()).toEqual(['directus', 'haproxy', 'nginx', 'unleash']);
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
        const env = Object.fromEntries(names.map((n, i) => [n, fakeValue(n, i)]));
        expect(checkProfileFile(profile, env).problems).toEqual([]);
        if (!SHELL_SCRIPTED.has(recipe)) return;
        // setup.sh writes each variable the profile reads.
        const setup = readFileSync(join(dir, 'setup.sh'), 'utf8');
        for (const n of names) {
          const variable = n.replace(/_ID$/, ''); // setup.sh writes <VAR> and <VAR>_ID together
          const short = variable.replace(/^(NGINX|HAPROXY|DIRECTUS)_/, ''); // Directus's loop names them KEY, CANARY_KEY, …
          expect(setup.includes(variable) || new RegExp(`(^|[^A-Z_])${short}([^A-Z_]|$)`, 'm').test(setup), n).toBe(true);
        }
      });

      it('its scripts parse, and pass no secret on a command line', () => {
        if (!SHELL_SCRIPTED.has(recipe)) {
          // Node scripts (Unleash): they parse, and read every secret from the environment the profile hands them.
          for (const script of readdirSync(dir).filter((f) => f.endsWith('.mjs'))) {
            execFileSync(process.execPath, ['--check', join(dir, script)]);
            expect(readFileSync(join(dir, script), 'utf8')).not.toMatch(/process\.argv/);
          }
          return;
        }
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
