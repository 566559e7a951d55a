// SecretRegistry.shellPieces finds the secrets in a reproduce line by their
// endings, in one pass, so a run of a thousand profiles (thousands of
// secrets) does not search every line once per secret. It must split every
// text exactly as the plain search it replaced: each secret searched for in
// turn, longest first, the profile's key first among equals.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UNSEARCHABLE_BELOW } from '../../src/secret-policy.js';
import { SecretRegistry, type ShellPiece } from '../../src/secrets.js';

/** The plain search shellPieces did before (src/secrets.ts at 7310dd0), over the registry's public face. */
function plainShellPieces(reg: SecretRegistry, shellForms: Map<string, string>, text: string, primaryKey: string): ShellPiece[] {
  const found: { at: number; length: number; expr: string }[] = [];
  const candidates = [...new Set([primaryKey, ...reg.all()])].flatMap((secret) => {
    const expr = secret === primaryKey ? '${KEY}' : (shellForms.get(secret) ?? `\${${reg.shellVariable(secret, primaryKey)}}`);
    return secret.length >= UNSEARCHABLE_BELOW ? [{ form: secret, expr }] : [];
  });
  candidates.sort((a, b) => b.form.length - a.form.length);
  const taken = (at: number, length: number) => found.some((f) => at < f.at + f.length && f.at < at + length);
  for (const { form, expr } of candidates)
    for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + form.length))
      if (!taken(at, form.length)) found.push({ at, length: form.length, expr });
  found.sort((a, b) => a.at - b.at);
  const pieces: ShellPiece[] = [];
  let from = 0;
  for (const f of found) {
    if (f.at > from) pieces.push({ literal: reg.redact(text.slice(from, f.at)) });
    pieces.push({ expr: f.expr });
    from = f.at + f.length;
  }
  if (from < text.length) pieces.push({ literal: reg.redact(text.slice(from)) });
  return pieces;
}

describe('SecretRegistry.shellPieces', () => {
  it('splits any text as the plain search does: near misses holding the key, repeats, overlaps, short and unregistered keys', () => {
    // A small alphabet so that secrets share endings, contain one another and overlap in the text.
    const piece = fc.string({ unit: fc.constantFrom('a', 'b', 'k', 'p', '_', 'x', '1'), minLength: 2, maxLength: 14 });
    fc.assert(
      fc.property(
        fc.array(piece, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        piece,
        fc.boolean(),
        fc.nat(),
        (secrets, picks, filler, registerKey, derived) => {
          const reg = new SecretRegistry();
          const shellForms = new Map<string, string>();
          const key = secrets[0]!;
          const text = picks.map((p) => `${secrets[p % secrets.length]}${p % 3 === 0 ? filler : ''}`).join(p0(picks));
          // Split after every registration too: what shellPieces remembers of a text must follow each new secret and shell form.
          const splitsAsPlain = () => expect(reg.shellPieces(text, key)).toEqual(plainShellPieces(reg, shellForms, text, key));
          splitsAsPlain();
          if (registerKey) reg.add(key, 'key');
          secrets.slice(1).forEach((s, i) => {
            const shell = i === derived % secrets.length ? `\${KEY}${i}` : undefined;
            reg.add(s, 'canary', shell ? { shell } : {});
            if (shell && s) shellForms.set(s, shell);
            splitsAsPlain();
          });
          // A secret registered again with another shell form is written with that one.
          const again = secrets[1 + (derived % Math.max(1, secrets.length - 1))];
          if (again && again !== key) {
            reg.add(again, 'canary', { shell: '${KEY}again' });
            shellForms.set(again, '${KEY}again');
          }
          splitsAsPlain();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('finds one profile’s key among thousands of registered secrets', () => {
    const reg = new SecretRegistry();
    const keys = Array.from({ length: 2000 }, (_, i) => `kp_prod_${i.toString(36).padStart(6, '0')}${'q'.repeat(i % 5)}`);
    for (const k of keys) reg.add(k, 'key');
    const line = `curl -H "authorization: Bearer ${keys[1234]}" "http://127.0.0.1/v1/agents?near=${keys[1234]}x&other=${keys[17]}"`;
    const pieces = reg.shellPieces(line, keys[1234]!);
    expect(pieces.filter((p) => 'expr' in p).map((p) => (p as { expr: string }).expr)).toEqual([
      '${KEY}',
      '${KEY}',
      `\${${reg.shellVariable(keys[17]!, keys[1234]!)}}`,
    ]);
    expect(pieces).toEqual(plainShellPieces(reg, new Map(), line, keys[1234]!));
  });
});

/** A separator between the picked secrets: none for some texts, so they run into one another. */
function p0(picks: readonly number[]): string {
  return picks.length % 2 === 0 ? '' : ' ';
}
