// The redactor's and the scanner's compact indexes (issue #15: a thousand
// profiles' secrets held in typed arrays, their forms written again when a
// search needs them, the scanner's index shared with the leak scan's worker
// thread). What they find must not depend on how they are held: pairs under
// one hash come back in the order they were added, across growth; a registry
// of more secrets than its remembered form texts still redacts every form of
// every secret; a scanner made from a shared one finds what the original did
// when it shared, whatever the original learns after.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeakScanner } from '../../src/leaks/scanner.js';
import { WindowIndex } from '../../src/leaks/window-index.js';
import { SecretRegistry, secretForms } from '../../src/secrets.js';
import { ECHO_FORMS } from './forms.js';
import { BASE62, base62, randomCharsWith } from '../helpers/random-keys.js';

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
    const tail = base62(20);
    const secrets = Array.from({ length: 400 }, (_, i) => `kp_prod_${i.toString(36).padStart(4, '0')}${tail}`);
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
    const key = `kp_prod_${randomCharsWith(BASE62, 23, /[a-z]/)}`;
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

describe('a scanner made from a shared one (the leak scan worker thread’s)', () => {
  const key = `kp_prod_${base62(23)}`;
  const later = `kp_prod_${base62(23)}`;
  const texts = (s: string) => ECHO_FORMS.map((form) => `a "${form.make(s)}" b`);

  it('finds what the scanner that shared finds, in every form', () => {
    const scanner = new LeakScanner();
    scanner.add(key, 'key');
    scanner.add(`kp_prod_${base62(24)}`, 'canary');
    const copy = LeakScanner.fromShared(scanner.shared());
    for (const text of texts(key)) expect(copy.find(text), text).toEqual(scanner.find(text));
  });

  it('finds what it did when it was shared, though the scanner that shared learns secrets after (and grows its index)', () => {
    const scanner = new LeakScanner();
    scanner.add(key, 'key');
    const copy = LeakScanner.fromShared(scanner.shared());
    const before = texts(key).map((t) => copy.find(t));
    // Enough secrets to grow the index past its first arrays, some sharing windows with the key.
    for (let i = 0; i < 3000; i++) scanner.add(`${key.slice(0, 20)}${i.toString(36).padStart(6, '0')}x${i}`, 'near-miss');
    scanner.add(later, 'later');
    expect(texts(key).map((t) => copy.find(t))).toEqual(before);
    for (const text of texts(later)) expect(copy.find(text), text).toEqual([]);
    expect(texts(later).every((t) => scanner.find(t).length > 0)).toBe(true);
    expect(() => copy.add(later, 'later')).toThrow(/cannot learn a secret/);
  });

  it('an index read from a snapshot sees the pairs added before it, none after', () => {
    const index = new WindowIndex();
    index.add(7, 1, 0);
    const snapshot = WindowIndex.fromSnapshot(index.snapshot());
    index.add(7, 2, 0);
    index.add(8, 3, 0);
    expect(listed(snapshot, 7)).toEqual([[1, 0]]);
    expect(snapshot.first(8)).toBe(-1);
    expect(listed(index, 7)).toEqual([
      [1, 0],
      [2, 0],
    ]);
  });
});
