// Many profiles for one reference target, made from the bundled demo profile:
// each gets keys of its own (a clone of every key the demo made for this
// target's environment: the key, its canary, its second key…), created now
// and handed over through environment variables, as in CI. Keys of other
// environments stay shared: they are only ever refused.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ROOT, type ReferenceTarget } from './keyprobe.js';

export interface GeneratedProfiles {
  readonly files: string[];
  /** Variables the profiles reference: the demo's shared ones plus NAME_<n> per profile. */
  readonly env: Record<string, string>;
  /** Every secret made, for a leak scan. */
  readonly secrets: string[];
}

const DEMO_PROFILE = join(ROOT, 'profiles', 'crm-prod-agent-call.yaml');

export function generateProfiles(
  target: ReferenceTarget,
  demoEnv: Readonly<Record<string, string>>,
  count: number,
  dir: string,
): GeneratedProfiles {
  const template = parse(readFileSync(DEMO_PROFILE, 'utf8')) as Record<string, unknown>;
  const ownPrefix = `kp_${target.environment}_`;
  const mainId = demoEnv.KEYPROBE_DEMO_KEY_ID;
  const main = mainId ? target.getKey(mainId) : undefined;
  if (!main) throw new Error('the demo seed has no KEYPROBE_DEMO_KEY_ID: cannot clone its key');
  // Secrets of this environment's keys are per profile; so are their ids and the main key's creation time.
  const perProfileSecrets = Object.keys(demoEnv).filter((k) => demoEnv[k]!.startsWith(ownPrefix));
  const env: Record<string, string> = { ...demoEnv };
  const secrets: string[] = [];
  const files: string[] = [];
  for (let n = 0; n < count; n++) {
    const system = `svc${String(n).padStart(3, '0')}`;
    const renamed = new Map<string, string>();
    const names = new Map<string, string>();
    perProfileSecrets.forEach((secretVar, i) => {
      const idVar = `${secretVar}_ID`;
      const original = (demoEnv[idVar] ? target.getKey(demoEnv[idVar]!) : undefined) ?? main;
      const name =
        secretVar === 'KEYPROBE_DEMO_KEY'
          ? `${system}-${target.environment}-${main.name.split('-').slice(2).join('-')}`
          : `${system}${String.fromCharCode(97 + i)}-${original.name.split('-').slice(1).join('-')}`;
      const key = target.createKey({
        name,
        environment: original.environment,
        scopes: [...original.scopes],
        ...(original.owner ? { owner: original.owner } : {}),
        ...(original.expiresAt ? { expiresAt: original.expiresAt } : {}),
        ...(original.rateLimit ? { rateLimit: original.rateLimit } : {}),
      });
      secrets.push(key.secret);
      names.set(original.name, name);
      env[`${secretVar}_${n}`] = key.secret;
      renamed.set(secretVar, `${secretVar}_${n}`);
      if (demoEnv[idVar]) {
        env[`${idVar}_${n}`] = key.id;
        renamed.set(idVar, `${idVar}_${n}`);
      }
      if (secretVar === 'KEYPROBE_DEMO_KEY' && demoEnv.KEYPROBE_DEMO_KEY_CREATED) {
        env[`KEYPROBE_DEMO_KEY_CREATED_${n}`] = key.createdAt;
        renamed.set('KEYPROBE_DEMO_KEY_CREATED', `KEYPROBE_DEMO_KEY_CREATED_${n}`);
      }
    });
    const profile = rewrite(template, (s) => {
      const byRef = s.replace(/\$\{env:([A-Z0-9_]+)\}/g, (whole, v: string) => (renamed.has(v) ? `\${env:${renamed.get(v)}}` : whole));
      return names.get(byRef) ?? byRef;
    }) as { key: Record<string, unknown> };
    profile.key.name = `${system}-${target.environment}-${String(profile.key.purpose)}`;
    profile.key.system = system;
    const file = join(dir, `${profile.key.name}.yaml`);
    writeFileSync(file, stringify(profile));
    files.push(file);
  }
  return { files, env, secrets };
}

/** A deep copy with every string passed through `f`. */
function rewrite(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => rewrite(v, f));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, f)]));
  return value;
}
