// A short secret (4-7 characters, counted whole) whose encoded forms are a
// window (8 characters) or longer: registering `a"b"` (URL-encoded
// `a%22b%22`) once looped forever while indexing its forms, until V8
// aborted. Such secrets reach the registry at run time (a lifecycle answer's
// values of 4 characters or more), so a run would hang, then crash.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecretRegistry, secretForms, WINDOW } from '../../src/secrets.js';

const BUILT_SECRETS = fileURLToPath(new URL('../../dist/secrets.js', import.meta.url));

/** Characters each encoding the redactor knows writes longer: URL (%22, +), form, JSON (\", \u…), HTML/XML names and numbers, non-ASCII bytes. */
const EXPANDING = ['"', "'", '<', '>', '&', '/', '\\', ' ', '%', '+', '~', '!', '(', '*', '\t', 'é', '€', '😀', '='];

describe('short secrets whose encoded forms are longer than a window', () => {
  it('registering `a"b"` ends (the built registry, in a process of its own with a deadline)', () => {
    const script = `import(${JSON.stringify(BUILT_SECRETS)}).then((m) => { const r = new m.SecretRegistry(); r.add('a"b"'); r.add('<<>>x'); process.stdout.write(r.redact('q=a%22b%22') + '\\n'); })`;
    const child = spawnSync(process.execPath, ['--max-old-space-size=64', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(child.stdout).toMatch(/^q=\[secret sha256:[0-9a-f]{8}\]\n$/);
  });

  it('every form of a 4-8 character secret of expanding characters is indexable, and found whole', () => {
    const secret = fc
      .array(fc.oneof(fc.constantFrom(...EXPANDING), fc.constantFrom('a', 'B', '7', '_', '-')), { minLength: 4, maxLength: 8 })
      .map((chars) => chars.join(''));
    fc.assert(
      fc.property(secret, (s) => {
        for (const { text, min } of secretForms(s)) {
          // A run to look up is at least a window long, or the form counts whole (indexing would loop otherwise).
          expect(min >= WINDOW || min >= text.length, `${JSON.stringify(text)} min ${min}`).toBe(true);
        }
        const registry = new SecretRegistry();
        registry.add(s, 'key');
        for (const { text } of secretForms(s)) {
          const redacted = registry.redact(`before ${text} after`);
          expect(redacted, JSON.stringify(text)).not.toContain(text);
          expect(redacted).toContain('[key sha256:');
        }
      }),
      { numRuns: 400 },
    );
  });
});
