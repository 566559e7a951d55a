// docs/profile.md is generated (npm run schemas) and never stale: it is what
// the generator writes today, and it covers every profile field, every
// check's params and skip rules, every lifecycle placeholder and command
// variable, and the limiter shapes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { COMMAND_VARIABLES } from '../../src/lifecycle/command.js';
import { LIFECYCLE_PLACEHOLDERS } from '../../src/lifecycle/http.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { checkReferences } from '../../src/schema/check-reference.js';
import { schemaFields } from '../../src/schema/fields.js';
import { jsonSchemaFor } from '../../src/schema/json-schemas.js';
import { PROFILE_DOC, profileDocText } from '../../src/schema/profile-doc.js';

const doc = readFileSync(join(PACKAGE_ROOT, PROFILE_DOC), 'utf8');

describe('docs/profile.md', () => {
  it('is what the schemas and the check catalogue generate (run `npm run schemas` if this fails)', () => {
    expect(doc).toBe(profileDocText());
  });

  it('has a section for every top-level profile field and names every field under it (or where its fields are listed)', () => {
    const fields = schemaFields(jsonSchemaFor('profile'));
    for (const f of fields.filter((f) => !f.path.includes('.') && !f.path.includes('['))) expect(doc, f.path).toContain(`## \`${f.path}\``);
    const missing = fields.filter((f) => {
      const top = f.path.split(/[.[]/)[0]!;
      const rest = f.path.slice(top.length).replace(/^\./, '');
      if (!rest) return false;
      // A repeated structure lists its fields once; the repeat points there.
      const listedVia = fields.some((g) => f.path.startsWith(`${g.path}.`) && doc.includes(`\`${g.path.slice(top.length + 1)}\` |`));
      return !doc.includes(`| \`${rest}\``) && !listedVia;
    });
    expect(missing.map((f) => f.path)).toEqual([]);
  });

  it('gives each field its default and examples as the schema holds them', () => {
    expect(doc).toMatch(
      /\| `scope` \| "key" \\\| "client" \\\| "global" \| `"key"` \| `"client"` \| What the platform's rate limiter counts/,
    );
    expect(doc).toMatch(/\| `auth.scheme` \| string \| `"Bearer"` \| `"Bearer"`, `"Token"`, `""` \|/);
    // A placeholder in prose is text, not an HTML tag that would vanish.
    expect(doc).toContain('&lt;system>-&lt;environment>-&lt;purpose>');
  });

  it("covers every check: its params with type and default, and every reason it skips in the check's own words", () => {
    for (const c of checkReferences()) {
      expect(doc, c.id).toContain(`### \`${c.id}\``);
      const section = doc.slice(doc.indexOf(`### \`${c.id}\``)).split('\n### ')[0]!;
      for (const p of c.params) expect(section, `${c.id}.${p.name}`).toContain(`| \`${p.name}\` | ${p.type.replace(/\|/g, '\\|')} |`);
      for (const s of c.skipsWhen) expect(section, `${c.id}: ${s.message}`).toContain(`- \`${s.field}\`: ${s.message}`);
      if (c.skipsWhen.length === 0) expect(section).toContain('Never skips');
    }
    expect(checkReferences()).toHaveLength(CHECKS.length);
    // Every check that can skip is made to say why by at least one profile shape.
    for (const check of CHECKS.filter((c) => c.requires.length > 0))
      expect(checkReferences().find((r) => r.id === check.id)!.skipsWhen.length, check.id).toBeGreaterThan(0);
  });

  it('names every lifecycle placeholder and every variable a command gets, and links the adapter guide', () => {
    for (const p of LIFECYCLE_PLACEHOLDERS) expect(doc).toContain(`\`{{${p}}}\``);
    for (const v of Object.keys(COMMAND_VARIABLES)) expect(doc).toContain(`\`${v}\``);
    expect(doc).toContain('[docs/lifecycle.md](lifecycle.md)');
  });

  it('says how to declare fixed and sliding windows, a token bucket with a burst, and per-key or per-address limiters', () => {
    const limiters = doc.slice(doc.indexOf('## Declaring real limiter shapes')).split('\n## ')[0]!;
    for (const words of [
      'fixed window',
      'sliding window',
      'token bucket',
      'burst=20 nodelay',
      'scope: key',
      'scope: client',
      'scope: global',
    ])
      expect(limiters).toContain(words);
    expect(limiters).toMatch(/what keyprobe proves \| what it cannot prove/);
  });
});
