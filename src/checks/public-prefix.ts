// A key's public prefix, and whether a text reveals a key past it.
//
// Platforms that quote a rejected key mask it, and the mask keeps the key's
// type marker: OpenAI "sk-abc1****wxyz", Stripe "sk_live_...wxyz", GitHub the
// last 4. The leak scanner counts any run of 12 characters of a key, marker
// included, so "kp_prod_8f3a****wxyz" holds "kp_prod_8f3a": 12 characters of
// the key, yet only 4 of them secret. For the verdict on what a refusal says
// back (refusal-echo.ts), a partial echo counts only when it reveals at least
// as much of the key *past* its public prefix as the scanner counts anywhere
// (12 characters of a key of 16 or more). The publish scan of reports is not
// this rule: a report withholds any 12-character run, prefix or not.
//
// The prefix is the leading run of groups, each a lowercase letter then up to
// 9 lowercase letters or digits, each ended by `_` or `-` (kp_prod_, sk_live_,
// rk_test_, ghp_, github_pat_, xoxb-, sk-proj-, sk-ant-api03-, glpat-, hf_),
// as long as the groups total at most 16 characters and leave at least 16 of
// the key. Why that is safe: such a marker is public by design (documented,
// the same for every key of its type): it tells the type, not the key. What
// lies past it is at least 16 characters and is searched in every form the
// scanner knows (encodings, escapes, case, reversed), with the same
// 12-character threshold. A group of hex digits with a digit in it (the first
// group of a UUID-shaped key, "8f3a1b2c-") is random, never a marker, and
// ends the prefix; a key with no such prefix (40 random characters, AKIA…,
// uppercase or base64 starts) has none and is judged as strictly as before.
// Residual: a random key that happens to start with a lowercase group and a
// `-` or `_` (base64url, ~3% of keys) has that group, at most 16 characters,
// taken for a prefix; an echo must then run that much longer to count.
import { LeakScanner } from '../leaks/scanner.js';

/** The longest a public prefix may be, and the least of the key it must leave. */
const PREFIX_MAX = 16;
const SECRET_MIN = 16;

/** One group of a marker, with the separator that ends it. */
const MARKER_GROUP = /^([a-z][a-z0-9]{0,9})[_-]/;

/** The key's public type/environment prefix ("kp_prod_", "sk-proj-"), or '' where it has none (see the top of this file). */
export function publicPrefix(key: string): string {
  let prefix = '';
  for (;;) {
    const m = MARKER_GROUP.exec(key.slice(prefix.length));
    if (!m) return prefix;
    const [withSeparator, group] = m as unknown as [string, string];
    // Hex digits with a digit among them are random, not a word: a UUID's group, not a marker.
    if (/^[0-9a-f]+$/.test(group) && /[0-9]/.test(group)) return prefix;
    const longer = prefix + withSeparator;
    if (longer.length > PREFIX_MAX || key.length - longer.length < SECRET_MIN) return prefix;
    prefix = longer;
  }
}

/**
 * Whether the text holds enough of the key, or of one of its near misses,
 * past the key's public prefix to count, in any form the leak scanner knows.
 * A near miss is one edit from the key past its prefix, so the key's prefix is
 * cut from it too (its case-flipped twin "KP_PROD_…" has the same public
 * prefix, in other letter case). Built on each call: it is asked only of a
 * text that already holds part of a key (rare), never of every answer.
 */
export function revealsPastPublicPrefix(text: string, key: string, nearMisses: readonly string[]): boolean {
  const cut = publicPrefix(key).length;
  const scanner = new LeakScanner();
  for (const secret of [key, ...nearMisses]) scanner.add(secret.slice(cut));
  return scanner.leaks(text);
}
