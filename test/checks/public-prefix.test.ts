// The public prefix a refusal may quote with a masked key (public-prefix.ts):
// the type/environment markers of real platforms are found; random text,
// a UUID's first group, uppercase starts, and a prefix that would leave less
// than 16 characters of the key are not. Keys made at test time.
import { describe, expect, it } from 'vitest';
import { publicPrefix, revealsPastPublicPrefix } from '../../src/checks/public-prefix.js';
import { base62, randomChars } from '../helpers/random-keys.js';

describe('publicPrefix', () => {
  it('finds the type and environment markers platforms put before the secret', () => {
    for (const prefix of ['kp_prod_', 'sk_live_', 'rk_test_', 'ghp_', 'github_pat_', 'xoxb-', 'sk-proj-', 'sk-ant-api03-', 'glpat-', 'hf_'])
      expect(publicPrefix(`${prefix}${base62(32)}`), prefix).toBe(prefix);
  });

  it('finds none in random characters, before a UUID, or before an uppercase marker', () => {
    expect(publicPrefix(base62(40))).toBe('');
    const hex = (n: number) => randomChars('0123456789abcdef', n);
    // A UUID's first group of hex digits, starting with a letter and holding a digit: random, not a marker.
    expect(publicPrefix(`a1${hex(6)}-${hex(4)}-4${hex(3)}-b${hex(3)}-${hex(12)}`)).toBe('');
    expect(publicPrefix(`AKIA${base62(16)}`)).toBe('');
    expect(publicPrefix(`SK_LIVE_${base62(32)}`)).toBe('');
  });

  it('leaves at least 16 characters of the key and takes at most 16', () => {
    expect(publicPrefix(`kp_${base62(15)}`)).toBe('');
    expect(publicPrefix(`kp_prod_${base62(15)}`)).toBe('kp_');
    expect(publicPrefix(`kp_prod_${base62(16)}`)).toBe('kp_prod_');
    // Each group fits, but together they pass 16 characters: the prefix stops before the group that would.
    expect(publicPrefix(`acme_prod_region_${base62(32)}`)).toBe('acme_prod_');
  });
});

describe('revealsPastPublicPrefix', () => {
  const key = `kp_prod_${base62(32)}`;
  const secret = key.slice('kp_prod_'.length);

  it('counts 12 characters past the prefix, in any form the scanner knows, and not fewer', () => {
    expect(revealsPastPublicPrefix(`invalid key ${key.slice(0, 12)}****${key.slice(-4)}`, key, [])).toBe(false);
    expect(revealsPastPublicPrefix(`invalid key ${secret.slice(0, 11)}`, key, [])).toBe(false);
    expect(revealsPastPublicPrefix(`invalid key ${secret.slice(0, 12)}`, key, [])).toBe(true);
    expect(revealsPastPublicPrefix(Buffer.from(`invalid key ${secret.slice(3, 15)}`).toString('base64'), key, [])).toBe(true);
    expect(revealsPastPublicPrefix([...secret.slice(0, 12)].reverse().join(''), key, [])).toBe(true);
  });

  it("counts 12 characters past the prefix of a near miss, where the key's own runs are shorter", () => {
    // The middle character changed: 12 characters around it are no run of the key's. Changed to another
    // letter, not the same one in the other case: the scanner folds case, so 'A' made 'a' would still be the key
    // (a random key has an 'A' there once in 62 runs).
    const i = 16;
    const nearMiss = `${key.slice(0, i)}${key[i]!.toLowerCase() === 'a' ? 'b' : 'a'}${key.slice(i + 1)}`;
    const around = nearMiss.slice(i - 6, i + 6);
    expect(revealsPastPublicPrefix(around, key, [])).toBe(false);
    expect(revealsPastPublicPrefix(around, key, [nearMiss])).toBe(true);
  });
});
