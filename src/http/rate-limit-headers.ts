// Parses the ways a server announces a rate limit: Retry-After (RFC 9110
// §10.2.3: seconds or an HTTP-date), the IETF httpapi draft-11 structured
// fields `RateLimit-Policy` and `RateLimit`, the older `RateLimit-Limit/
// -Remaining/-Reset`, and `X-RateLimit-*` including Kong's per-period
// suffixes (`X-RateLimit-Remaining-Minute`). Malformed fields are ignored, as
// the draft requires, but each one is noted so a check can say why.

export interface RetryAfter {
  readonly raw: string;
  /** Seconds to wait from the answer (0 for a date in the past). */
  readonly seconds: number;
  readonly form: 'seconds' | 'http-date';
  /**
   * For an HTTP-date, the clock it was read against: the response's own Date
   * (RFC 9110 §10.2.3), or keyprobe's clock when the answer has no valid Date.
   */
  readonly clock?: 'response-date' | 'keyprobe-clock';
  /** For an HTTP-date before that clock's reading by more than it can be trusted to the second: how many seconds. */
  readonly pastSeconds?: number;
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
  /** The values of a repeated Retry-After, each one valid alone (the answer then has no usable Retry-After). */
  readonly repeatedRetryAfter?: readonly string[];
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

/** An HTTP-date (any of RFC 9110's three forms) as epoch milliseconds; undefined when it is not one. */
function parseHttpDate(value: string | undefined): number | undefined {
  const text = value?.trim() ?? '';
  if (!HTTP_DATE.test(text) && !OBSOLETE_DATE.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : at;
}

/**
 * How far before its clock's reading a date-form Retry-After may be and still
 * mean "now". Against the response's Date, one second: both are whole seconds,
 * and a server that stamps Date a moment after choosing the retry time can
 * cross a second between them. Against keyprobe's own clock (no Date on the
 * answer), a minute: the two hosts' clocks may disagree, and without Date
 * keyprobe cannot tell a skewed clock from a retry time already past.
 */
export const PAST_TOLERANCE_SECONDS = { 'response-date': 1, 'keyprobe-clock': 60 } as const;

/**
 * Retry-After: delta-seconds or an HTTP-date; undefined when malformed. A date
 * is relative to the response's `Date` (RFC 9110 §10.2.3) when `responseDate`
 * is a valid HTTP-date, else to `now`: a CI runner's clock minutes off the
 * gateway's must not move the wait.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now(), responseDate?: string): RetryAfter | undefined {
  if (value === undefined) return undefined;
  const raw = value.trim();
  if (/^\d+$/.test(raw)) return { raw, seconds: Number(raw), form: 'seconds' };
  const at = parseHttpDate(raw);
  if (at === undefined) return undefined;
  const dated = parseHttpDate(responseDate);
  const clock = dated !== undefined ? 'response-date' : 'keyprobe-clock';
  const delta = (at - (dated ?? now)) / 1000;
  const past = -delta > PAST_TOLERANCE_SECONDS[clock];
  return { raw, seconds: Math.max(0, delta), form: 'http-date', clock, ...(past ? { pastSeconds: Math.round(-delta) } : {}) };
}

/** Longer than any honest Retry-After value (an IMF-fixdate is 29 characters, a day 5 digits). */
const LONGEST_REPEATED_VALUE = 64;

/**
 * The values of a Retry-After sent more than once, which keyprobe receives
 * joined with ", " (flattenHeaders): each part must be valid alone. An
 * HTTP-date holds a comma itself ("Mon, 30 Nov…"), so parts are found by
 * taking, from the left, the shortest run up to a comma that is a valid value.
 * Undefined when the text is not two or more valid values.
 */
export function splitRepeatedRetryAfter(value: string): string[] | undefined {
  const parts: string[] = [];
  let rest = value.trim();
  while (rest !== '') {
    let found = false;
    for (let comma = rest.indexOf(','); ; comma = rest.indexOf(',', comma + 1)) {
      const end = comma === -1 ? rest.length : comma;
      // No valid value is this long (an HTTP-date is 29 characters): a header of commas costs one pass, not n².
      if (end > LONGEST_REPEATED_VALUE) return undefined;
      const part = rest.slice(0, end).trim();
      if (parseRetryAfter(part) !== undefined) {
        parts.push(part);
        rest = comma === -1 ? '' : rest.slice(comma + 1).trim();
        found = true;
        break;
      }
      if (comma === -1) break;
    }
    if (!found) return undefined;
  }
  return parts.length >= 2 ? parts : undefined;
}

/** "two Retry-After fields (120, 120)": words for a repeated Retry-After. */
export function repeatedRetryAfterWords(values: readonly string[]): string {
  const count = values.length === 2 ? 'two' : String(values.length);
  return `${count} Retry-After fields (${values.join(', ')})`;
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
  const retryAfter = parseRetryAfter(rawRetryAfter, now, headers['date']);
  // RFC 9110 §5.3: a singleton field sent twice may be handled as an error; which one would a client obey?
  const repeatedRetryAfter = rawRetryAfter !== undefined && !retryAfter ? splitRepeatedRetryAfter(rawRetryAfter) : undefined;
  if (repeatedRetryAfter) ignored.push(`${repeatedRetryAfterWords(repeatedRetryAfter)}, which a client cannot choose between`);
  else if (rawRetryAfter !== undefined && !retryAfter)
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
    // An epoch reset (GitHub's X-RateLimit-Reset) is a moment on the server's clock: read against the
    // response's Date where it has one, as a date-form Retry-After is, so a skewed runner's clock cannot move the wait.
    else group.resetSeconds = n > EPOCH_THRESHOLD ? Math.max(0, n - (parseHttpDate(headers['date']) ?? now) / 1000) : n;
    groups.set(source, group);
  }
  const legacy = [...groups].map(([source, g]) => ({ source, ...g }));

  return {
    ...(retryAfter ? { retryAfter } : {}),
    ...(repeatedRetryAfter ? { repeatedRetryAfter } : {}),
    policies,
    states,
    legacy,
    ignored,
  };
}

/**
 * The answer says "come back later" in a Retry-After, usable or not: a wait,
 * a retry time already past, or the field sent twice (RFC 9110 §5.3: which
 * one would a client obey?). A 503 with any of these is a deliberate
 * throttle, not an outage; how long to wait is secondsUntilReset's question.
 */
export function saysRetryAfter(s: RateLimitSignals): boolean {
  return s.retryAfter !== undefined || s.repeatedRetryAfter !== undefined;
}

/** Seconds a Retry-After asks to wait, or undefined where it names no usable wait (absent, repeated, or a time already past). */
export function retryAfterWaitSeconds(s: RateLimitSignals): number | undefined {
  return s.retryAfter && s.retryAfter.pastSeconds === undefined ? s.retryAfter.seconds : undefined;
}

/** True when the response announces any rate-limit signal at all. */
export function hasAnySignal(s: RateLimitSignals): boolean {
  return s.retryAfter !== undefined || s.policies.length > 0 || s.states.length > 0 || s.legacy.length > 0;
}

/** Seconds to wait before calls should succeed again: Retry-After first (the draft gives it precedence), then RateLimit t, then a legacy reset. */
export function secondsUntilReset(s: RateLimitSignals): { seconds: number; from: string } | undefined {
  // A retry time already past announces no wait (waiting "0" would only meet the same throttle): the other signals decide.
  const retryAfter = retryAfterWaitSeconds(s);
  if (retryAfter !== undefined) return { seconds: retryAfter, from: `Retry-After: ${s.retryAfter!.raw}` };
  const t = s.states.find((st) => st.resetSeconds !== undefined);
  if (t) return { seconds: t.resetSeconds!, from: `RateLimit t=${t.resetSeconds}` };
  const l = s.legacy.find((g) => g.resetSeconds !== undefined);
  if (l) return { seconds: l.resetSeconds!, from: `${l.source} reset ${Math.round(l.resetSeconds!)}` };
  return undefined;
}

/** The clock a date-form Retry-After was read against, in words. */
export function retryAfterClockWords(r: RetryAfter): string {
  return r.clock === 'response-date' ? "the response's Date" : "keyprobe's clock (the answer has no valid Date)";
}

/** Where a date-form Retry-After falls: "3 s after the response's Date", "3600 s before keyprobe's clock (…)". */
export function retryAfterDateWords(r: RetryAfter): string {
  const when = r.pastSeconds !== undefined ? `${r.pastSeconds} s before` : `${Math.round(r.seconds)} s after`;
  return `${when} ${retryAfterClockWords(r)}`;
}

/** What a Retry-After asks for, in words that read right for both forms: "1 s", or "<date> (3 s after the response's Date)". */
export function retryAfterWords(r: RetryAfter): string {
  return r.form === 'seconds' ? `${r.raw} s` : `${r.raw} (${retryAfterDateWords(r)})`;
}
