// Proves the safety invariant: no secret in anything a run produced.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { secretForms } from '../../src/secrets.js';

/** Every file below `dir` (recursively) and every given text that holds any form of any secret. */
export function findSecrets(secrets: readonly string[], opts: { dirs?: string[]; texts?: Record<string, string> }): string[] {
  const hits: string[] = [];
  const forms = secrets.flatMap((s) => secretForms(s));
  const check = (name: string, text: string) => {
    if (forms.some((f) => text.includes(f))) hits.push(name);
  };
  for (const [name, text] of Object.entries(opts.texts ?? {})) check(name, text);
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else check(p, readFileSync(p, 'latin1'));
    }
  };
  for (const d of opts.dirs ?? []) walk(d);
  return hits;
}
