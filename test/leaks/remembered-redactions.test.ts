// redact() remembers its answers. A run adds secrets all along (near misses,
// canaries, rotated keys), and every add once forgot every answer, though
// most texts cannot hold the new secret: an answer now outlives an add that
// cannot change it, and only such an add.
import { describe, expect, it, vi } from 'vitest';
import { fingerprint, SecretRegistry } from '../../src/secrets.js';
import { base62, randomChars } from '../helpers/random-keys.js';

const KEY = `kp_prod_${base62(32)}`;
const tag = (label: string, secret: string) => `[${label} ${fingerprint(secret)}]`;
const flipCase = (text: string) => [...text].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');

/** How many times the registry worked a text out rather than answering from memory. */
function countWorkedOut(registry: SecretRegistry): { readonly count: number } {
  const spy = vi.spyOn(registry as unknown as { replaceForms: (text: string) => unknown }, 'replaceForms');
  return {
    get count() {
      return spy.mock.calls.length;
    },
  };
}

describe('remembered redactions across an add', () => {
  it('an answer survives the add of a secret that cannot occur in its text', () => {
    const registry = new SecretRegistry();
    registry.add(KEY, 'key');
    const texts = [
      `Bearer ${KEY}`,
      '{"error":"invalid key","detail":"the key presented is not known"}',
      `/v1/agents?key=${encodeURIComponent(KEY)}`,
    ];
    const first = texts.map((t) => registry.redact(t));
    const worked = countWorkedOut(registry);
    registry.add(`kp_prod_${base62(32)}`, 'canary');
    expect(texts.map((t) => registry.redact(t))).toEqual(first);
    expect(worked.count).toBe(0);
  });

  it('an answer is worked out again when the new secret occurs in its text, and names it', () => {
    const registry = new SecretRegistry();
    registry.add(KEY, 'key');
    const flipped = flipCase(KEY);
    // Before the near miss is registered, its text folds to the key's forms.
    expect(registry.redact(`Bearer ${flipped}`)).toBe(`Bearer ${tag('key', KEY)}`);
    const unrelated = registry.redact(`Bearer ${KEY}`);
    const worked = countWorkedOut(registry);
    registry.add(flipped, 'near-miss');
    expect(registry.redact(`Bearer ${flipped}`)).toBe(`Bearer ${tag('near-miss', flipped)}`);
    expect(worked.count).toBeGreaterThan(0);
    const before = worked.count;
    // The key's own header holds the near miss's windows folded: it is checked again, and its answer does not change.
    expect(registry.redact(`Bearer ${KEY}`)).toBe(unrelated);
    expect(worked.count).toBe(before + 1);
  });

  it('an encoded form of the new secret in a remembered text is found (base64 inside Basic, URL-encoded, spelled out)', () => {
    const registry = new SecretRegistry();
    registry.add(KEY, 'key');
    const later = `sk_live_${randomChars('0123456789abcdef', 28)}`;
    const texts = [
      `Basic ${Buffer.from(`user:${later}`).toString('base64')}`,
      `/v1/agents?key=${encodeURIComponent(later)}&x=1`,
      `echo ${[...later].join(' ')} done`,
      `line one\n  ${later.slice(0, 12)}\n  ${later.slice(12)}`,
    ];
    const before = texts.map((t) => registry.redact(t));
    expect(before).toEqual(texts);
    registry.add(later, 'rotated');
    for (const t of texts) expect(registry.redact(t)).toContain(tag('rotated', later));
  });

  it('a large mixed workload redacts as a registry that never remembered anything does', () => {
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const chars = (alphabet: string, n: number) =>
      Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const shapes = [
      () => `kp_prod_${chars(B62, 32)}`,
      () => Array.from({ length: 5 }, () => chars('ABCDEFGHJKLMNPQRSTUVWXYZ23456789', 4)).join('-'),
      () => chars('0123456789abcdef', 40),
      () => chars(`${B62}+/`, 30),
    ];
    const textsOf = (k: string) => [
      `Bearer ${k}`,
      `/v1/agents?api_key=${encodeURIComponent(k)}`,
      `{"error":"invalid key","key":"${k}"}`,
      `Basic ${Buffer.from(`user:${k}`).toString('base64')}`,
      `echo ${[...k].join(' ')} done`,
      Buffer.from(k).toString('hex'),
      `{"got":"${flipCase(k)}"}`,
      `the key ${k.slice(0, 12)} was cut`,
      `line one\n  ${k.slice(0, 10)}\n  ${k.slice(10)}`,
      `Date: 2026-11-30 request ${chars(B62, 10)}`,
    ];
    const registry = new SecretRegistry();
    const added: [string, string][] = [];
    const add = (secret: string, label: string) => {
      registry.add(secret, label);
      added.push([secret, label]);
    };
    const texts: string[] = [];
    /** Each text asked, its answer, and how many secrets were registered then. */
    const asked: { text: string; answer: string; secrets: number }[] = [];
    const worked = countWorkedOut(registry);
    for (let profile = 0; profile < 60; profile++) {
      const key = shapes[profile % shapes.length]!();
      add(key, 'key');
      texts.push(...textsOf(key));
      for (let round = 0; round < 3; round++) {
        if (round === 1) add(flipCase(key), 'near-miss');
        if (round === 2) add(shapes[(profile + 1) % shapes.length]!(), 'canary');
        for (let i = 0; i < 40; i++) {
          const text = texts[texts.length - 1 - Math.floor(random() * Math.min(texts.length, 40))]!;
          asked.push({ text, answer: registry.redact(text), secrets: added.length });
        }
      }
    }
    // Most answers came from memory…
    expect(worked.count).toBeLessThan(asked.length / 2);
    // …and each is what a registry holding the same secrets gives, one that was never asked before they were all added.
    const bySecrets = new Map<number, typeof asked>();
    for (const a of asked) bySecrets.set(a.secrets, [...(bySecrets.get(a.secrets) ?? []), a]);
    for (const [secrets, group] of bySecrets) {
      const fresh = new SecretRegistry();
      for (const [secret, label] of added.slice(0, secrets)) fresh.add(secret, label);
      for (const { text, answer } of group) expect(fresh.redact(text)).toBe(answer);
    }
    expect(bySecrets.size).toBe(180);
  });
});
