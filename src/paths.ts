import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

/** The installed package's root (src/ and dist/ both sit one level below it). */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const BUNDLED_SUITES_DIR = join(PACKAGE_ROOT, 'suites');
export const BUNDLED_PROFILES_DIR = join(PACKAGE_ROOT, 'profiles');
export const DEMO_PROFILE = join(BUNDLED_PROFILES_DIR, 'crm-prod-agent-call.yaml');

/** `--suite prelaunch` names a bundled suite; anything with a slash or .yaml is a path. */
export function resolveSuitePath(nameOrPath: string, cwd: string): string {
  if (/[\\/]|\.ya?ml$/.test(nameOrPath)) return resolve(cwd, nameOrPath);
  const bundled = join(BUNDLED_SUITES_DIR, `${nameOrPath}.yaml`);
  return existsSync(bundled) ? bundled : resolve(cwd, nameOrPath);
}
