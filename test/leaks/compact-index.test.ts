// The redactor's and the scanner's compact indexes (issue #15: a thousand
// profiles' secrets held in typed arrays, their forms written again when a
// search needs them). What they find must not depend on how they are held:
// pairs under one hash come back in the order they were added, across
// growth, and a registry of more secrets than its remembered form texts
// still redacts every form of every secret.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WindowIndex } from '../../src/leaks/window-index.js';
import { SecretRegistry, secretForms } from '../../src/secrets.js';

/** What the index holds under `hash`, in its order. */
function listed(index: WindowIndex, hash: number): [number, number][] {
  const out: [number, number][] = [];
  for (let e = index.first(hash); e >= 0; e = index.next(e)) out.push([index.item(e), index.offset(e)]);
  return out;
}

describe('WindowIndex', () => {
  it('gives back every pair under its hash, in the order added, through growth and colliding slots', () => {
    fc.assert(
      fc.property(
        // Few distinct hashes (lists of several pairs) and many (the table grows), negative ones included.
        fc.array(fc.tuple(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer()), fc.nat(), fc.nat({ max: 1 << 20 })), {
          maxLength: 5000,
        }),
        (pairs) => {
          const index = new WindowIndex();
          const expected = new Map<number, [number, number][]>();
          for (const [hash, item, offset] of pairs) {
            index.add(hash, item, offset);
            expected.set(hash, [...(expected.get(hash) ?? []), [item, offset]]);
          }
          expect(index.size).toBe(pairs.length);
          for (const [hash, list] of expected) expect(listed(index, hash)).toEqual(list);
          expect(index.first(12345678)).toBe(expected.has(12345678) ? 0 : -1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('finds nothing in an empty index', () => {
    expect(new WindowIndex().first(0)).toBe(-1);
  });
});

describe('a registry of more secrets than it remembers form texts for', () => {
  it('redacts every form of every secret, the first added and the last', () => {
    const registry = new SecretRegistry();
    // 400 secrets of ~30 forms: 12,000 forms, more than the form texts remembered at once (8,192).
    const secrets = Array.from({ length: 400 }, (_, i) => `kp_prod_${i.toString(36).padStart(4, '0')}Qx7Lm2Rt9Vz4Np8Kc3Wd`);
    for (const s of secrets) registry.add(s, 'key');
    for (const s of [secrets[0]!, secrets[199]!, secrets[399]!, secrets[0]!]) {
      for (const { text } of secretForms(s)) {
        const redacted = registry.redact(`before ${text} after`);
        expect(redacted, JSON.stringify(text)).not.toContain(text);
        expect(redacted).toMatch(/^before \[key sha256:[0-9a-f]{8}\] after$/);
      }
    }
  });
});

describe('letter case, kept for the forms written again', () => {
  it('names the secret that matches letter for letter, as is and reversed, whichever was added first', () => {
    const key = 'kp_prod_Qx7Lm2Rt9Vz4Np8Kc3WdHj6';
    const flipped = [...key].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
    const registry = new SecretRegistry();
    registry.add(flipped, 'near-miss');
    registry.add(key, 'key');
    const reversed = (s: string) => [...s].reverse().join('');
    expect(registry.redact(`a ${key} b`)).toMatch(/^a \[key sha256:[0-9a-f]{8}\] b$/);
    expect(registry.redact(`a ${reversed(key)} b`)).toMatch(/^a \[key sha256:[0-9a-f]{8}\] b$/);
    expect(registry.redact(`a ${flipped} b`)).toMatch(/^a \[near-miss sha256:[0-9a-f]{8}\] b$/);
    expect(registry.redact(`a ${reversed(flipped)} b`)).toMatch(/^a \[near-miss sha256:[0-9a-f]{8}\] b$/);
  });
});
