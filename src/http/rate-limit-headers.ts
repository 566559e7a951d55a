// Parses the ways a server announces a rate limit: Retry-After (RFC 9110
// §10.2.3: seconds or an HTTP-date), the IETF httpapi draft-11 structured
// fields `RateLimit-Policy` and `RateLimit`, the older `RateLimit-Limit/
// -Remaining/-Reset`, and `X-RateLimit-*` including Kong's per-period
// suffixes (`X-RateLimit-Remaining-Minute`). Malformed fields are ignored, as
// the draft requires, but each one is noted so a check can say why.

export interface RetryAfter {
  readonly raw: string;
  /** Seconds from `now` (0 for a date in the past). */
  readonly seconds: number;
  readonly form: 'seconds' | 'http-date';
}

/** One member of `RateLimit-Policy`: `"burst";q=100;w=60`. */
export interface QuotaPolicy {
  readonly name: string;
  /** q: the quota. */
  readonly quota: number;
  /** w: the window in seconds (the draft's default when absent is unspecified, so undefined). */
  readonly windowSeconds?: number;
  /** qu: quota unit, e.g. "requests". */
  readonly unit?: string;
  /** pk: partition key, as its raw byte-sequence text. */
  readonly partitionKey?: string;
}

/** One member of `RateLimit`: `"default";r=50;t=30`. */
export interface QuotaState {
  readonly name: string;
  /** r: remaining quota units. */
  readonly remaining: number;
  /** t: seconds until the quota resets. */
  readonly resetSeconds?: number;
  readonly partitionKey?: string;
}

/** `RateLimit-Limit/-Remaining/-Reset` or `X-RateLimit-*`, one set per period suffix. */
export interface LegacyLimit {
  /** The header family and suffix, e.g. "X-RateLimit-*-Minute". */
  readonly source: string;
  readonly limit?: number;
  readonly remaining?: number;
  readonly resetSeconds?: number;
  /** Known from a Kong period suffix (Second, Minute, Hour, Day, Month, Year). */
  readonly windowSeconds?: number;
}

export interface RateLimitSignals {
  readonly retryAfter?: RetryAfter;
  readonly policies: readonly QuotaPolicy[];
  readonly states: readonly QuotaState[];
  readonly legacy: readonly LegacyLimit[];
  /** Fields (or members) that were present but malformed, and so ignored. */
  readonly ignored: readonly string[];
}

const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
// RFC 9110 §5.6.7: recipients must also accept the obsolete RFC 850 and asctime forms.
const OBSOLETE_DATE =
  /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$|^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** Retry-After: delta-seconds or an HTTP-date; undefined when malformed. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): RetryAfter | undefined {
  if (value === undefined) return undefined;
  const raw = value.trim();
  if (/^\d+$/.test(raw)) return { raw, seconds: Number(raw), form: 'seconds' };
  if (HTTP_DATE.test(raw) || OBSOLETE_DATE.test(raw)) {
    const at = Date.parse(raw);
    if (!Number.isNaN(at)) return { raw, seconds: Math.max(0, (at - now) / 1000), form: 'http-date' };
  }
  return undefined;
}

type BareItem = string | number | boolean;
interface SfMember {
  readonly item: BareItem;
  readonly params: ReadonlyMap<string, BareItem>;
}

/**
 * A small RFC 8941 List parser, enough for the draft's fields: members are
 * strings or tokens with `;key=value` parameters (integers, strings, tokens,
 * byte sequences). A member that does not parse is returned as an error.
 */
export function parseStructuredList(value: string): { members: SfMember[]; errors: string[] } {
  const members: SfMember[] = [];
  const errors: string[] = [];
  for (const raw of splitOutsideQuotes(value, ',')) {
    const text = raw.trim();
    if (text === '') continue;
    const parsed = parseMember(text);
    if (parsed) members.push(parsed);
    else errors.push(text);
  }
  return { members, errors };
}

function splitOutsideQuotes(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' && text[i - 1] !== '\\') quoted = !quoted;
    if (c === sep && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

const TOKEN = /^[A-Za-z*][A-Za-z0-9:/!#$%&'*+\-.^_`|~]*$/;
const KEY = /^[a-z*][a-z0-9_\-.*]*$/;

function parseBareItem(text: string): BareItem | undefined {
  if (/^-?\d{1,15}$/.test(text)) return Number(text);
  if (/^-?\d{1,12}\.\d{1,3}$/.test(text)) return Number(text);
  if (/^"(?:[^"\\]|\\["\\])*"$/.test(text)) return text.slice(1, -1).replace(/\\(["\\])/g, '$1');
  if (/^:[A-Za-z0-9+/=]*:$/.test(text)) return text;
  if (text === '?1') return true;
  if (text === '?0') return false;
  if (TOKEN.test(text)) return text;
  return undefined;
}

function parseMember(text: string): SfMember | undefined {
  const [head = '', ...paramTexts] = splitOutsideQuotes(text, ';');
  const item = parseBareItem(head.trim());
  if (item === undefined) return undefined;
  const params = new Map<string, BareItem>();
  for (const p of paramTexts) {
    const eq = p.indexOf('=');
    const key = (eq === -1 ? p : p.slice(0, eq)).trim();
    if (!KEY.test(key)) return undefined;
    const value = eq === -1 ? true : parseBareItem(p.slice(eq + 1).trim());
    if (value === undefined) return undefined;
    params.set(key, value);
  }
  return { item, params };
}

const nonNegativeInt = (v: BareItem | undefined): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;

/** `RateLimit-Policy` (draft-11): members need an integer q; w is optional. */
export function parseRateLimitPolicy(value: string): { policies: QuotaPolicy[]; ignored: string[] } {
  const { members, errors } = parseStructuredList(value);
  const policies: QuotaPolicy[] = [];
  const ignored = errors.map((e) => `RateLimit-Policy member "${e}" is not a structured-field item`);
  for (const m of members) {
    const quota = nonNegativeInt(m.params.get('q'));
    const w = m.params.get('w');
    const windowSeconds = nonNegativeInt(w);
    if (typeof m.item !== 'string' || quota === undefined || (w !== undefined && windowSeconds === undefined)) {
      ignored.push(`RateLimit-Policy member ${String(m.item)} has no valid q (or a bad w)`);
      continue;
    }
    const qu = m.params.get('qu');
    const pk = m.params.get('pk');
    policies.push({
      name: m.item,
      quota,
      ...(windowSeconds !== undefined ? { windowSeconds } : {}),
      ...(typeof qu === 'string' ? { unit: qu } : {}),
      ...(typeof pk === 'string' ? { partitionKey: pk } : {}),
    });
  }
  return { policies, ignored };
}

/** `RateLimit` (draft-11): members need an integer r; t is optional. */
export function parseRateLimit(value: string): { states: QuotaState[]; ignored: string[] } {
  const { members, errors } = parseStructuredList(value);
  const states: QuotaState[] = [];
  const ignored = errors.map((e) => `RateLimit member "${e}" is not a structured-field item`);
  for (const m of members) {
    const remaining = nonNegativeInt(m.params.get('r'));
    const t = m.params.get('t');
    const resetSeconds = nonNegativeInt(t);
    if (typeof m.item !== 'string' || remaining === undefined || (t !== undefined && resetSeconds === undefined)) {
      ignored.push(`RateLimit member ${String(m.item)} has no valid r (or a bad t)`);
      continue;
    }
    const pk = m.params.get('pk');
    states.push({
      name: m.item,
      remaining,
      ...(resetSeconds !== undefined ? { resetSeconds } : {}),
      ...(typeof pk === 'string' ? { partitionKey: pk } : {}),
    });
  }
  return { states, ignored };
}

/** Kong's period suffixes. */
export const PERIOD_SECONDS: Readonly<Record<string, number>> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86_400,
  month: 2_592_000,
  year: 31_536_000,
};

const LEGACY = /^(x-ratelimit|ratelimit)-(limit|remaining|reset)(?:-(second|minute|hour|day|month|year))?$/;
/** A reset above this is an epoch timestamp (GitHub's X-RateLimit-Reset), not a number of seconds. */
const EPOCH_THRESHOLD = 1_000_000_000;

function leadingInt(value: string): number | undefined {
  // Older drafts allowed `RateLimit-Limit: 100, 100;w=60`: the first number is the limit.
  const m = /^\s*(\d+)\s*(?:[,;]|$)/.exec(value);
  return m ? Number(m[1]) : undefined;
}

/** Every rate-limit signal in a response's headers (names lower-case, as HttpResponse has them). */
export function parseRateLimitHeaders(headers: Readonly<Record<string, string>>, now = Date.now()): RateLimitSignals {
  const ignored: string[] = [];
  const rawRetryAfter = headers['retry-after'];
  const retryAfter = parseRetryAfter(rawRetryAfter, now);
  if (rawRetryAfter !== undefined && !retryAfter)
    ignored.push(`Retry-After "${rawRetryAfter}" is neither a number of seconds nor an HTTP-date`);

  let policies: QuotaPolicy[] = [];
  let states: QuotaState[] = [];
  if (headers['ratelimit-policy'] !== undefined) {
    const p = parseRateLimitPolicy(headers['ratelimit-policy']);
    policies = p.policies;
    ignored.push(...p.ignored);
  }
  if (headers['ratelimit'] !== undefined) {
    const s = parseRateLimit(headers['ratelimit']);
    states = s.states;
    ignored.push(...s.ignored);
  }

  const groups = new Map<string, { limit?: number; remaining?: number; resetSeconds?: number; windowSeconds?: number }>();
  for (const [name, value] of Object.entries(headers)) {
    const m = LEGACY.exec(name);
    if (!m) continue;
    const [, family = '', field = '', period] = m;
    const source = `${family === 'ratelimit' ? 'RateLimit' : 'X-RateLimit'}-*${period ? `-${period[0]!.toUpperCase()}${period.slice(1)}` : ''}`;
    const n = leadingInt(value);
    if (n === undefined) {
      ignored.push(`${name} "${value}" is not a number`);
      continue;
    }
    const group = groups.get(source) ?? (period ? { windowSeconds: PERIOD_SECONDS[period] } : {});
    if (field === 'limit') group.limit = n;
    else if (field === 'remaining') group.remaining = n;
    else group.resetSeconds = n > EPOCH_THRESHOLD ? Math.max(0, n - now / 1000) : n;
    groups.set(source, group);
  }
  const legacy = [...groups].map(([source, g]) => ({ source, ...g }));

  return { ...(retryAfter ? { retryAfter } : {}), policies, states, legacy, ignored };
}

/** True when the response announces any rate-limit signal at all. */
export function hasAnySignal(s: RateLimitSignals): boolean {
  return s.retryAfter !== undefined || s.policies.length > 0 || s.states.length > 0 || s.legacy.length > 0;
}

/** Seconds to wait before calls should succeed again: Retry-After first (the draft gives it precedence), then RateLimit t, then a legacy reset. */
export function secondsUntilReset(s: RateLimitSignals): { seconds: number; from: string } | undefined {
  if (s.retryAfter) return { seconds: s.retryAfter.seconds, from: `Retry-After: ${s.retryAfter.raw}` };
  const t = s.states.find((st) => st.resetSeconds !== undefined);
  if (t) return { seconds: t.resetSeconds!, from: `RateLimit t=${t.resetSeconds}` };
  const l = s.legacy.find((g) => g.resetSeconds !== undefined);
  if (l) return { seconds: l.resetSeconds!, from: `${l.source} reset ${Math.round(l.resetSeconds!)}` };
  return undefined;
}
