// Recognises values in an inventory that look like secrets. An export may
// carry a key by accident (a "secret" column, a token pasted into a note);
// the audit must never print it, and it says where it was found.

/** Field names whose values are secrets whatever they look like. */
const SECRET_FIELD = /(secret|token|password|passwd|credential|private|^key$|^apikey$|^api_key$|^api-key$|^keyvalue$|^key_value$)/i;

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
  if (HEX_TOKEN.test(value)) return true;
  if (!/[A-Z]/.test(value) || !/[a-z]/.test(value) || !/[0-9]/.test(value)) return false;
  const segments = value.split(/[-_.]+/).filter(Boolean);
  if (segments.length > 1 && value.length / segments.length < 12) return false;
  return entropy(value) >= 4;
}

/** True when a value in this field should be treated as a secret. */
export function isSecretLike(field: string, value: string): boolean {
  if (value.trim() === '') return false;
  if (SECRET_FIELD.test(field)) return true;
  // Cheap pre-filter: every shape above is at least 16 characters long.
  if (value.length < 16) return false;
  if (SECRET_SHAPES.test(value)) return true;
  return value.length >= 32 && value.split(/\s+/).some(looksRandom);
}
