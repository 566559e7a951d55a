// Recognises values in an inventory that look like secrets. An export may
// carry a key by accident (a "secret" column, a token pasted into a note);
// the audit must never print it, and it says where it was found. Platforms
// also answer with masks in the place of a secret (Directus' "**********",
// Stripe's "sk_live_****4242", "[REDACTED]"): those are not secrets.

/** The last word of a field name that makes it hold a secret, whatever the value looks like. */
const SECRET_WORDS = new Set(['secret', 'token', 'password', 'passwd', 'passphrase', 'credential', 'credentials', 'apikey', 'privatekey']);
/** Words before "key" that make it the key itself (api_key, private_key), not an id or a name (key_id, key_name). */
const KEY_QUALIFIERS = new Set(['api', 'private', 'secret', 'access', 'signing', 'client', 'auth', 'master']);

/** Field names seen, with the answer: an inventory has a handful of field names and hundreds of thousands of values. */
const secretFieldCache = new Map<string, boolean>();

/** `accessToken`, `client_secret`, `api-key`, `Secret` hold secrets; `token_name`, `token_expires_at`, `key_id` do not. */
export function isSecretField(field: string): boolean {
  let known = secretFieldCache.get(field);
  if (known === undefined) {
    known = secretFieldByName(field);
    if (secretFieldCache.size < 10_000) secretFieldCache.set(field, known);
  }
  return known;
}

function secretFieldByName(field: string): boolean {
  const last = field.slice(field.lastIndexOf('.') + 1);
  const words = last
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[\s_-]+/)
    .filter(Boolean);
  const w = words[words.length - 1];
  if (w === undefined) return false;
  if (SECRET_WORDS.has(w)) return true;
  const before = words[words.length - 2];
  if (w === 'key') return before === undefined || KEY_QUALIFIERS.has(before);
  // key_value, secret_value, token_value
  if (w === 'value') return before === 'key' || before === 'secret' || before === 'token';
  return false;
}

/** Words a platform writes in the place of a hidden value. */
const MASK_WORDS =
  /^[\s[\](){}<>*#_-]*(redacted|hidden|masked|filtered|removed|omitted|sensitive|concealed|not shown|withheld)[\s[\](){}<>*#_-]*$/i;
/** Characters masks are made of. */
const MASK_RUN = /[*•●∙·]{3,}|[xX#]{4,}/;

/**
 * A mask or placeholder, not a secret: a mask word ([REDACTED], <hidden>),
 * one character repeated (**********, xxxxxxxx, 0000000000), or a run of
 * mask characters with at most a few visible characters around it
 * (********abcd, sk_live_****4242, XXXX-XXXX-1234).
 */
export function isMask(value: string): boolean {
  const v = value.trim();
  if (v.length < 3) return false;
  if (MASK_WORDS.test(v)) return true;
  if (v.length >= 4 && /^(.)\1+$/s.test(v)) return true;
  if (!MASK_RUN.test(v)) return false;
  // What is left once the mask characters and separators are gone: a prefix and the last few characters at most.
  const visible = v.replace(/[*•●∙·xX#\s_-]/g, '');
  return visible.length <= 16 && visible.length < v.length / 2 + 8;
}

/** Shapes of well-known credentials, in one alternation so each value is scanned once. */
const SECRET_SHAPES = new RegExp(
  [
    String.raw`\bkp_[a-z]+_[A-Za-z0-9]{16,}`, // keyprobe / reference target keys
    String.raw`\b[sr]k_(live|test)_[A-Za-z0-9]{10,}`, // Stripe
    String.raw`\bgh[pousr]_[A-Za-z0-9]{30,}`, // GitHub tokens
    String.raw`\bgithub_pat_[A-Za-z0-9_]{30,}`,
    String.raw`\b(AKIA|ASIA)[0-9A-Z]{16}\b`, // AWS access key ids
    String.raw`\bxox[abposr]-[A-Za-z0-9-]{10,}`, // Slack
    String.raw`\bAIza[0-9A-Za-z_-]{35}`, // Google API keys
    String.raw`\bsk-[A-Za-z0-9_-]{20,}`, // OpenAI-style
    String.raw`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+`, // JWT
    '-----BEGIN [A-Z ]*PRIVATE KEY-----',
  ].join('|'),
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKEN_CHARS = /^[A-Za-z0-9_\-+/=.]{32,}$/;

/** Bits per character; random base62 is about 5.95, English words and ids far less. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const HEX_TOKEN = /^[0-9a-f]{32,}$/i;

/**
 * A long run of token characters that is most likely random: long hex, or
 * upper case, lower case and digits mixed with high entropy. Names made of
 * words (`reporting-staging-invoice-sync-2024`) have short segments between
 * separators and are not taken for secrets.
 */
function looksRandom(value: string): boolean {
  if (!TOKEN_CHARS.test(value) || UUID.test(value)) return false;
  if (HEX_TOKEN.test(value)) return !/^(.)\1+$/.test(value);
  if (!/[A-Z]/.test(value) || !/[a-z]/.test(value) || !/[0-9]/.test(value)) return false;
  const segments = value.split(/[-_.]+/).filter(Boolean);
  if (segments.length > 1 && value.length / segments.length < 12) return false;
  return entropy(value) >= 4;
}

/** A date or date-time: what a field such as `token_expires_at` holds, never a secret. */
const DATE_LIKE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** True when a value in this field should be treated as a secret (and is not a mask of one). */
export function isSecretLike(field: string, value: string): boolean {
  // Masks are checked last: almost every value is no secret at all, and that is cheaper to see.
  return looksSecret(field, value) && !isMask(value);
}

function looksSecret(field: string, value: string): boolean {
  if (value.trim() === '') return false;
  if (isSecretField(field) && !DATE_LIKE.test(value.trim())) return true;
  // Cheap pre-filter: every shape above is at least 16 characters long.
  if (value.length < 16) return false;
  if (SECRET_SHAPES.test(value)) return true;
  return value.length >= 32 && value.split(/\s+/).some(looksRandom);
}
