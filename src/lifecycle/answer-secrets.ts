// What a lifecycle answer may hold that must never be written: a create or
// rotate answer carries a new live secret, and a careless or hostile
// management API may add more (an admin token, a password, a session). This
// module finds every secret-looking value so the adapter can register it with
// the run's SecretRegistry before anything else happens to the answer, and
// says what may be kept of it: the names of its fields, and the values that
// are plainly not secret (an expiry, scopes) for checks to verify.
//
// "Secret-looking" is, in order:
// 1. the value at the path the profile extracts the secret from;
// 2. any value under a credential-like name (secret, token, apiKey,
//    access_token, password, …) unless the name is about the credential
//    rather than the credential itself (tokenName, keyId, secretExpiresAt);
// 3. any long random-looking string (see looksRandom), unless its name says
//    it is an id or a name, or it is a value keyprobe itself sent.
// The heuristic errs towards registering: a false positive only redacts more.

/** Words that make a field name a credential. */
const CREDENTIAL_WORDS = new Set([
  'secret',
  'token',
  'key',
  'apikey',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'credential',
  'credentials',
  'auth',
  'authorization',
  'bearer',
  'cookie',
  'session',
  'signature',
  'private',
  'jwt',
]);

/** A last word that makes a name about a credential, not the credential: tokenName, keyId, secretExpiresAt. */
const DESCRIPTIVE_LAST_WORDS = new Set([
  'id',
  'ids',
  'name',
  'names',
  'type',
  'kind',
  'prefix',
  'suffix',
  'hint',
  'last4',
  'length',
  'count',
  'at',
  'date',
  'time',
  'until',
  'expires',
  'expiry',
  'expiration',
  'created',
  'updated',
  'url',
  'uri',
  'scope',
  'scopes',
  'status',
  'enabled',
  'version',
]);

/** Most values registered from one answer; beyond this the answer is hostile, and its values are dropped from what is kept anyway. */
const MAX_SECRETS_PER_ANSWER = 64;
/** Most field names kept as evidence. */
const MAX_FIELD_NAMES = 60;
/** Deeper JSON than this is not walked for kept fields (it is still searched for secrets). */
const MAX_KEPT_DEPTH = 8;

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** secret, apiKey, access_token, X-Admin-Token, client-secret…; not tokenName, keyId, secretExpiresAt. */
export function isCredentialName(name: string): boolean {
  const w = words(name);
  if (w.length === 0 || DESCRIPTIVE_LAST_WORDS.has(w[w.length - 1]!)) return false;
  return w.some((x) => CREDENTIAL_WORDS.has(x)) || name.toLowerCase().replace(/[^a-z]/g, '') === 'apikey';
}

function isDescriptiveName(name: string): boolean {
  const w = words(name);
  return w.length > 0 && DESCRIPTIVE_LAST_WORDS.has(w[w.length - 1]!);
}

/**
 * Whether a value found under a credential-like name is registered as a
 * secret: a plain word (`"token": "expired"`, `auth: required`) is left out of
 * what is kept but not registered, or every later "expired" in a report would
 * be redacted or, worse, taken for a leak (exit 4).
 */
export function couldBeCredential(v: string): boolean {
  if (v.length < 8 || /\s/.test(v) || v === '[scrubbed]') return false;
  return [/[a-z]/, /[A-Z]/, /[0-9]/].filter((c) => c.test(v)).length >= 2;
}

function bitsPerChar(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A token that looks generated rather than written: at least 20 characters
 * with no whitespace, and either mixing upper case, lower case and digits
 * with at least 3.5 bits of entropy per character, or holding a run of 32+
 * hex digits with at least 3. Slugs, names, dates, versions and UUIDs do not
 * look random; API keys, tokens, JWTs and base64 blobs do. (A short random
 * string that happens to lack a digit is missed, about 3 in 100 at 20
 * characters: the rule backs up the named-field rules, it does not replace them.)
 */
export function looksRandom(token: string): boolean {
  if (token.length < 20 || token.length > 8192 || /\s/.test(token) || token.includes('://') || ISO_DATE.test(token)) return false;
  const mixed = /[A-Z]/.test(token) && /[a-z]/.test(token) && /[0-9]/.test(token);
  if (mixed && bitsPerChar(token) >= 3.5) return true;
  const hex = /[0-9a-f]{32,}|[0-9A-F]{32,}/.exec(token);
  return hex !== null && bitsPerChar(hex[0]) >= 3;
}

/** Random-looking tokens in free text (a command's stdout, an answer that is not JSON). */
export function randomTokens(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s"'`,;<>(){}[\]\\|&?:]+/)
        .map((t) => t.replace(/^[.=-]+|[.-]+$/g, ''))
        .filter(looksRandom),
    ),
  ];
}

export interface AnswerSearch {
  /** Every secret-looking value, to register before anything else happens to the answer. */
  readonly secrets: readonly string[];
  /** Dotted names of every field (array elements as `name[]`): the only evidence kept of a create or rotate answer. */
  readonly fieldNames: readonly string[];
  /** The answer with every secret-looking value left out, for checks to verify (an expiry, scopes). */
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface SearchOptions {
  /** Dotted paths the profile extracts the new secret from. */
  readonly secretPaths?: readonly string[];
  /** The dotted path of the id: not registered for looking random (an id is shown in reports), unless it is also the secret. */
  readonly idPath?: string;
  /** Values keyprobe itself sent (the key's name and id): never taken for secrets. */
  readonly known?: readonly string[];
}

/** Deeper than this, paths are not tracked (values are still searched): a hostile answer cannot make them grow without bound. */
const MAX_PATH_DEPTH = 32;

/** Searches a parsed JSON answer. Iterative, so a deeply nested hostile answer cannot overflow the stack. */
export function searchJson(answer: unknown, opts: SearchOptions = {}): AnswerSearch {
  const secretPaths = new Set(opts.secretPaths ?? []);
  const known = new Set(opts.known ?? []);
  const secrets = new Set<string>();
  const add = (v: string) => {
    if (v && secrets.size < MAX_SECRETS_PER_ANSWER) secrets.add(v);
  };

  const stack: { value: unknown; path: string; name: string; depth: number }[] = [{ value: answer, path: '', name: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, name, depth } = stack.pop()!;
    const child = (seg: string) => (depth < MAX_PATH_DEPTH ? join(path, seg) : '…');
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) stack.push({ value: v, path: child(String(i)), name, depth: depth + 1 });
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        for (const t of randomTokens(k)) add(t); // a field name can be a secret too
        stack.push({ value: v, path: child(k), name: k, depth: depth + 1 });
      }
    } else if (typeof value === 'string') {
      if (secretPaths.has(path)) add(value);
      else if (leafIsSecret(value, path, name, opts.idPath, known)) {
        // "Bearer abc…": the credential alone shows up elsewhere too.
        for (const v of new Set([value, value.trim().split(/\s+/).pop() ?? ''])) if (couldBeCredential(v)) add(v);
      } else if (!isDescriptiveName(name) && path !== opts.idPath && !known.has(value)) {
        for (const t of randomTokens(value)) add(t);
      }
    }
  }
  const isSecret = (v: string) => secrets.has(v) || randomTokens(v).some((t) => secrets.has(t));
  const fields = keep(answer, '', '', isSecret, secretPaths, 0);
  const fieldNames = fieldNamesOf(answer);
  return {
    secrets: [...secrets],
    fieldNames:
      fieldNames.length > MAX_FIELD_NAMES
        ? [...fieldNames.slice(0, MAX_FIELD_NAMES), `… ${fieldNames.length - MAX_FIELD_NAMES} more`]
        : fieldNames,
    fields: fields !== null && typeof fields === 'object' && !Array.isArray(fields) ? (fields as Record<string, unknown>) : {},
  };
}

/** Dotted names of the leaves, in document order, arrays as `name[]`, each once. */
function fieldNamesOf(answer: unknown): string[] {
  const names = new Set<string>();
  const visit = (v: unknown, display: string, depth: number) => {
    if (depth > MAX_PATH_DEPTH || names.size > MAX_FIELD_NAMES * 4) return;
    if (Array.isArray(v)) for (const x of v) visit(x, `${display}[]`, depth + 1);
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(x, join(display, k), depth + 1);
    else if (display) names.add(display);
  };
  visit(answer, '', 0);
  return [...names];
}

function leafIsSecret(value: string, path: string, name: string, idPath: string | undefined, known: ReadonlySet<string>): boolean {
  if (known.has(value) || (path === idPath && !isCredentialName(name))) return false;
  return isCredentialName(name);
}

function keep(
  value: unknown,
  path: string,
  name: string,
  isSecret: (v: string) => boolean,
  secretPaths: ReadonlySet<string>,
  depth: number,
): unknown {
  if (depth > MAX_KEPT_DEPTH) return undefined;
  if (Array.isArray(value))
    return value.map((v, i) => keep(v, join(path, String(i)), name, isSecret, secretPaths, depth + 1)).filter((v) => v !== undefined);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (isSecret(k)) continue;
      const kept = keep(v, join(path, k), k, isSecret, secretPaths, depth + 1);
      if (kept !== undefined) out[k] = kept;
    }
    return out;
  }
  if (typeof value === 'string' && (secretPaths.has(path) || isCredentialName(name) || isSecret(value))) return undefined;
  return value;
}

function join(path: string, seg: string): string {
  return path ? `${path}.${seg}` : seg;
}

/** The JSON values printed in free text: the whole text, or any line that parses as a JSON object. */
export function jsonInText(text: string): unknown[] {
  const found: unknown[] = [];
  const tryParse = (t: string) => {
    try {
      const v = JSON.parse(t) as unknown;
      if (v !== null && typeof v === 'object') found.push(v);
    } catch {
      // not JSON
    }
  };
  const whole = text.trim();
  if (whole.startsWith('{') || whole.startsWith('[')) tryParse(whole);
  if (found.length === 0) for (const line of whole.split('\n')) if (line.trim().startsWith('{')) tryParse(line.trim());
  return found;
}
