// One way to register secrets: a few named entry points, each listed in the
// header of src/secrets.ts. A new place that calls SecretRegistry.add is a new
// way a secret can be known late (after it was sent or recorded) or twice
// under a misleading label; this test fails until it is listed here and there.
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tsFiles } from './ts-files.js';

const SRC = resolve(PACKAGE_ROOT, 'src');

/** The files that register secrets, and the entry point each one is (src/secrets.ts's header). */
const REGISTRATION_SITES: Readonly<Record<string, string>> = {
  'runner/run.ts': "the profile's secrets, before any request",
  'runner/shard-worker.ts': "a worker thread's profile secrets",
  'lifecycle/adapter-base.ts': 'registerSecret: what a lifecycle action meets',
  'http/client.ts': "the request signer's signature",
  'checks/auth.invalid-key-rejected.ts': 'credentials the check derives from the key',
  'checks/auth.near-miss-key-rejected.ts': 'credentials the check derives from the key',
  'audit/audit.ts': 'secret-like values in the inventory',
  'cli/commands/audit.ts': "the inventory API's credential and the audit demo's keys",
  'cli/commands/demo.ts': "the reference target's keys and admin token",
};

/**
 * A call that adds to the registry: `secrets.add(` (ctx.secrets, this.options.secrets, …). A file that collects
 * found values in a `const secrets = new Set` of its own (audit/inventory.ts, lifecycle/answer-secrets.ts) hands
 * them to an entry point and is not a site.
 */
const REGISTERS = /\bsecrets\.add\(/;

/** Files that call secrets.add( on a registry (not on a `const secrets = new Set` of their own). */
function registeringFiles(): string[] {
  return tsFiles(SRC)
    .filter((file) => {
      const text = readFileSync(file, 'utf8');
      return REGISTERS.test(text) && !/\bconst secrets = new Set\b/.test(text);
    })
    .map((file) => relative(SRC, file).split('\\').join('/'))
    .sort();
}

describe('secret registration', () => {
  it('happens only at the named entry points', () => {
    expect(registeringFiles(), 'a new registration site: route it through an entry point, or list it here and in src/secrets.ts').toEqual(
      Object.keys(REGISTRATION_SITES).sort(),
    );
  });

  it('is documented in src/secrets.ts for every entry point', () => {
    const header = readFileSync(join(SRC, 'secrets.ts'), 'utf8').split('\nimport ')[0]!;
    for (const file of Object.keys(REGISTRATION_SITES)) {
      const named = file.startsWith('checks/auth.') ? 'checks/auth.*' : file;
      expect(header, `src/secrets.ts names ${named}`).toContain(named);
    }
  });
});
