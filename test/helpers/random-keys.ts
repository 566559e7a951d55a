// Keys made at test time: nothing shaped like a real key is committed, and a
// test that passes with one key passes with any other of the same shape.
import { randomBytes } from 'node:crypto';

export const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `n` random characters of `alphabet`. */
export function randomChars(alphabet: string, n: number): string {
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** `n` random base62 characters. */
export const base62 = (n: number): string => randomChars(BASE62, n);

/** `n` random characters of `alphabet` with at least one of `mustHave` (a key whose case-flip differs, say). */
export function randomCharsWith(alphabet: string, n: number, mustHave: RegExp): string {
  for (;;) {
    const text = randomChars(alphabet, n);
    if (mustHave.test(text)) return text;
  }
}
