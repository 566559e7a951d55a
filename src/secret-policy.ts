// How long a secret must be, and how much of one is "enough to matter". The
// redactor (secrets.ts), the leak scanner (leaks/scanner.ts) and the profile
// loader share these numbers and nothing else: each finds secrets its own way.

/** Secrets shorter than this are refused in a profile unless it sets `key.acceptShortSecrets`. */
export const SAFE_MIN_SECRET_LENGTH = 16;

/** Even an accepted short secret must be at least this long: shorter ones cannot be told apart from ordinary text. */
export const SHORT_SECRET_FLOOR = 8;

/** A run of this many consecutive characters of a secret counts as the secret leaking (when the secret is long enough). */
export const FRAGMENT_CHARS = 12;

/** Secrets the run learns from a platform (a created canary…) shorter than this are not searched for at all. */
export const UNSEARCHABLE_BELOW = 4;

/**
 * The shortest run of a secret's characters that counts as a leak: 12, or 75%
 * of the secret when that is shorter, but never below SHORT_SECRET_FLOOR (and
 * the whole secret when it is shorter than that). "All but the last character"
 * of any secret of 9 characters or more is always long enough.
 */
export function leakFragmentLength(secretLength: number): number {
  if (secretLength <= SHORT_SECRET_FLOOR) return secretLength;
  return Math.max(SHORT_SECRET_FLOOR, Math.min(FRAGMENT_CHARS, Math.ceil(secretLength * 0.75)));
}

/**
 * Why a secret a profile resolved cannot be used, or undefined. Short secrets
 * need the profile's explicit consent; a word (letters of one case only, or
 * digits only) is refused even then, because keyprobe's own text and any
 * answer could hold it by chance: it would be redacted out of keyprobe's own
 * words and every run would end in a false exit 4.
 */
export function shortSecretProblem(secret: string, acceptShort: boolean): string | undefined {
  const n = [...secret].length;
  if (n >= SAFE_MIN_SECRET_LENGTH) return undefined;
  if (!acceptShort)
    return `resolves to a secret of ${n} characters, shorter than ${SAFE_MIN_SECRET_LENGTH}: keyprobe cannot reliably keep so short a secret out of its reports. If the platform really issues keys this short, set key.acceptShortSecrets: true`;
  if (n < SHORT_SECRET_FLOOR)
    return `resolves to a secret of ${n} characters; even with key.acceptShortSecrets a secret needs at least ${SHORT_SECRET_FLOOR}`;
  if (/^([a-z]+|[A-Z]+|[0-9]+)$/.test(secret))
    return `resolves to a short secret that is a plain word or number (letters of one case only, or digits only): it cannot be told apart from ordinary text, so keyprobe refuses it even with key.acceptShortSecrets`;
  return undefined;
}
