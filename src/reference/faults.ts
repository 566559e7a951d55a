// Faults: switchable defects that make the reference target misbehave the way
// real key systems have (../../../shared/research.md). Each one is meant to make
// exactly one keyprobe check fail, so keyprobe's own tests can prove that
// check catches it. This module owns their names, values, defaults and
// validation; the code that applies them lives next to the behaviour it bends.
import { ECHO_FORM_NAMES, ECHO_HEADER_NAMES, type EchoForm, type EchoHeader, isEchoForm, isEchoHeader } from './echo-forms.js';

/** The faults that are switched on, with their values. Absent = off. */
export interface FaultSettings {
  'anonymous-access'?: boolean;
  /** Milliseconds between a disable or delete call and the data plane refusing the key. */
  'revocation-delay'?: number;
  /** Fraction (0.05–1) of requests still accepted after a disable. */
  'revocation-flap'?: number;
  /** Path prefix whose scope check is skipped. */
  'scope-bypass'?: string;
  'no-rate-limit'?: boolean;
  'shared-rate-bucket'?: boolean;
  /** Status sent instead of 429 when throttling. */
  'rate-limit-status'?: number;
  'no-retry-after'?: boolean;
  /** Number of leading characters compared. */
  'prefix-match'?: number;
  'case-insensitive-keys'?: boolean;
  'accept-expired'?: boolean;
  'rotation-no-expiry'?: boolean;
  'cross-environment'?: boolean;
  'leaky-denial'?: boolean;
  'key-in-error'?: boolean;
  'server-error-on-bad-key'?: boolean;
  'query-key-accepted'?: boolean;
  /** The form in which 403 bodies echo the presented key (see echo-forms.ts). */
  'key-echo'?: EchoForm;
  /** The header in which 403 answers echo the presented key (see echo-forms.ts). */
  'key-echo-header'?: EchoHeader;
  /** Where the 401 for an unknown key quotes the credential it was sent. */
  'refusal-echo'?: RefusalEchoPlace;
  /** What the 401 for a key of another environment says back (see DEAD_KEY_ECHOES). */
  'foreign-key-echo'?: DeadKeyEcho;
  /** What the 401 for a disabled key says back. */
  'disabled-key-echo'?: DeadKeyEcho;
  /** What the 401 for an expired key says back. */
  'expired-key-echo'?: DeadKeyEcho;
  /** What the 401 for a key rotated out (its grace period over) says back. */
  'rotated-key-echo'?: DeadKeyEcho;
}

/** Where the refusal-echo fault quotes the credential: the JSON error's message, or the WWW-Authenticate challenge. */
const REFUSAL_ECHO_PLACES = ['body', 'header'] as const;
type RefusalEchoPlace = (typeof REFUSAL_ECHO_PLACES)[number];

/**
 * What the 401 for a known key that may not be used (another environment's,
 * disabled, expired, rotated out) says back: the key, as it is, in the body
 * (the JSON error's message) or in the WWW-Authenticate challenge; or, with
 * trace-header, no key but a Java stack trace in an X-Debug-Exception header
 * (a debug filter left on in production).
 */
const DEAD_KEY_ECHOES = ['body', 'header', 'trace-header'] as const;
export type DeadKeyEcho = (typeof DEAD_KEY_ECHOES)[number];

export type FaultName = keyof FaultSettings;
export type FaultValue = boolean | number | string;

type ValueKind =
  | 'flag'
  | 'milliseconds'
  | 'ratio'
  | 'route'
  | 'status'
  | 'length'
  | 'echo-form'
  | 'echo-header'
  | 'echo-place'
  | 'dead-key-echo';

export interface FaultDefinition {
  readonly name: FaultName;
  readonly takesValue: boolean;
  /** How the value is written on a command line (MS, RATIO, ROUTE, STATUS, N). */
  readonly valueName?: string;
  readonly defaultValue?: number | string;
  readonly description: string;
  /** Where the defect was seen in the wild. */
  readonly seenIn: string;
}

interface FaultSpec extends FaultDefinition {
  readonly kind: ValueKind;
}

const SPECS: readonly FaultSpec[] = [
  {
    name: 'anonymous-access',
    kind: 'flag',
    takesValue: false,
    description:
      'A request with no Authorization header at all is served as if authorised (all scopes). An empty "Bearer " header is still refused.',
    seenIn: 'Auth plugins left off a route or "anonymous" consumers (Kong key-auth `anonymous`, gateways with auth disabled on one route)',
  },
  {
    name: 'revocation-delay',
    kind: 'milliseconds',
    takesValue: true,
    valueName: 'MS',
    defaultValue: 2000,
    description: 'A disable or a delete takes effect on the data plane only MS milliseconds after the call.',
    seenIn: 'Unkey cache up to 60 s (unkeyed/unkey#2587), Tyk session cache ~10 s (tyk#2083, #2293), AWS ~10 s, Kong multi-node ~5 s',
  },
  {
    name: 'revocation-flap',
    kind: 'ratio',
    takesValue: true,
    valueName: 'RATIO',
    defaultValue: 0.3,
    description:
      'After a disable (or a delete) the key is still accepted on a fraction RATIO of requests: 10 simulated nodes served round-robin, round(RATIO*10) of them with a stale cache. The first request after the revocation is refused.',
    seenIn: 'Kong `local` caches on multi-node gateways; RATIO=1 is Kong#3836 (revocation never takes effect)',
  },
  {
    name: 'scope-bypass',
    kind: 'route',
    takesValue: true,
    valueName: 'ROUTE',
    defaultValue: '/v1/resources',
    description: 'The scope check is skipped for paths starting with ROUTE: any valid key reaches them.',
    seenIn: 'Stale or missing permission checks per route (directus#5597, #19323; an ACL plugin not attached to one route)',
  },
  {
    name: 'no-rate-limit',
    kind: 'flag',
    takesValue: false,
    description: 'No rate limiting at all (and no RateLimit fields).',
    seenIn: 'Limiter failing open when its store errors (Kong rate-limiting `fault_tolerant`)',
  },
  {
    name: 'shared-rate-bucket',
    kind: 'flag',
    takesValue: false,
    description: 'One rate-limit bucket per client IP instead of per key, so every key from one client shares it.',
    seenIn: 'Directus rate limiter keyed by client IP',
  },
  {
    name: 'rate-limit-status',
    kind: 'status',
    takesValue: true,
    valueName: 'STATUS',
    defaultValue: 503,
    description: 'Throttled requests get STATUS (any 4xx/5xx) instead of 429.',
    seenIn: 'APISIX limit-count default rejected_code 503; Tyk quota 403',
  },
  {
    name: 'no-retry-after',
    kind: 'flag',
    takesValue: false,
    description: '429 without Retry-After (RateLimit and RateLimit-Policy are still sent).',
    seenIn: 'Tyk quota answers without Retry-After; many hand-written limiters',
  },
  {
    name: 'prefix-match',
    kind: 'length',
    takesValue: true,
    valueName: 'N',
    defaultValue: 16,
    description: 'Only the first N characters of the presented credential and of the stored secret are compared.',
    seenIn: "Truncating hashes and lookups by key prefix (bcrypt's 72-byte truncation, Okta 2024 advisory; prefix-indexed key tables)",
  },
  {
    name: 'case-insensitive-keys',
    kind: 'flag',
    takesValue: false,
    description: 'Credentials are compared case-insensitively.',
    seenIn: 'Keys stored in case-insensitive columns (MySQL *_ci collations) or lower-cased on the way in',
  },
  {
    name: 'accept-expired',
    kind: 'flag',
    takesValue: false,
    description: 'Keys past their expiresAt are still accepted.',
    seenIn: 'Kong key-auth ttl ignored in DB-less/hybrid mode',
  },
  {
    name: 'rotation-no-expiry',
    kind: 'flag',
    takesValue: false,
    description: 'After a rotation the old secret stays valid forever; the grace period is ignored.',
    seenIn: 'Kong#5705 (old key still valid after rotation, DB-less)',
  },
  {
    name: 'cross-environment',
    kind: 'flag',
    takesValue: false,
    description: 'Keys of other environments are accepted by this target.',
    seenIn: 'Test keys accepted in production where keys carry no environment marker (cf. Stripe sk_test_/sk_live_)',
  },
  {
    name: 'leaky-denial',
    kind: 'flag',
    takesValue: false,
    description:
      "403 bodies carry the denied resource's data (e.g. res-internal-ledger), an internal table name (key_scopes) and a stack trace.",
    seenIn: 'unstructured-api #578, dataverse #4954 (internal details in error bodies)',
  },
  {
    name: 'key-in-error',
    kind: 'flag',
    takesValue: false,
    description: '403 bodies echo the presented key and its sha256 hex.',
    seenIn: 'LiteLLM #39757 (key hash echoed in error bodies)',
  },
  {
    name: 'server-error-on-bad-key',
    kind: 'flag',
    takesValue: false,
    description:
      'A credential not shaped like a key (random text, "!!!", empty, another scheme) crashes the parser: 500 with a stack trace. Key-shaped unknown keys still get 401.',
    seenIn: 'aibrix #671, gravitee #424 (5xx for a bad or foreign key)',
  },
  {
    name: 'query-key-accepted',
    kind: 'flag',
    takesValue: false,
    description: 'A key sent as ?api_key= is accepted when there is no Authorization header.',
    seenIn: 'Gateways accepting keys in the query string by default (Kong key-auth key_in_query, APISIX key-auth query)',
  },
  {
    name: 'key-echo',
    kind: 'echo-form',
    takesValue: true,
    valueName: 'FORM',
    defaultValue: 'split',
    description: `403 bodies (plain text) echo the presented key in FORM: ${ECHO_FORM_NAMES.join(', ')}. None of them holds the key as is.`,
    seenIn:
      'Error pages and debug dumps that quote the Authorization header (base64 of user:key), URL-encode or JSON-escape it, or log it broken over lines (LiteLLM #39757 echoed a key hash)',
  },
  {
    name: 'key-echo-header',
    kind: 'echo-header',
    takesValue: true,
    valueName: 'HEADER',
    defaultValue: 'www-authenticate',
    description: `403 answers echo the presented key, as it is, in HEADER: ${ECHO_HEADER_NAMES.join(', ')}. The body is the usual JSON error.`,
    seenIn:
      'Challenges that name the rejected credential (RFC 6750 error_description), debug headers left on in production, cookies that remember the last key',
  },
  {
    name: 'refusal-echo',
    kind: 'echo-place',
    takesValue: true,
    valueName: 'PLACE',
    defaultValue: 'body',
    description:
      'The 401 for a credential that opens no key quotes it back, as it is, in PLACE: body (the JSON error\'s message: "The API key kp_… is not valid.") or header (WWW-Authenticate error_description). A near miss of a key is quoted back with all but one character of the key. Other 401s (no credential, another scheme, a disabled, expired or rotated key) do not quote.',
    seenIn:
      'Error bodies and challenges that quote the rejected key ("invalid key kp_…"; LiteLLM #39757 echoed a key hash), which end up in gateway logs, client error trackers and support tickets',
  },
  deadKeyEcho('foreign-key-echo', 'a key of another environment', 'Errors that name the rejected credential'),
  deadKeyEcho('disabled-key-echo', 'a disabled key', 'Errors that name the revoked credential ("key kp_… is disabled")'),
  deadKeyEcho('expired-key-echo', 'an expired key', 'Errors that name the expired credential ("key kp_… has expired")'),
  deadKeyEcho('rotated-key-echo', 'a key rotated out (its grace period over)', 'Errors that name the retired credential'),
];

/** A fault that makes the 401 for one kind of dead key say too much (DEAD_KEY_ECHOES). */
function deadKeyEcho(name: FaultName, whose: string, seen: string): FaultSpec {
  return {
    name,
    kind: 'dead-key-echo',
    takesValue: true,
    valueName: 'WHAT',
    defaultValue: 'body',
    description: `The 401 for ${whose} says too much, by WHAT: body (its JSON error quotes the key, as it is), header (the WWW-Authenticate error_description quotes it) or trace-header (an X-Debug-Exception header carries a Java stack trace, without the key). Every other refusal is as usual.`,
    seenIn: `${seen}, which end up in gateway logs and error trackers (LiteLLM #39757); debug headers left on in production (Symfony X-Debug-Exception, Spring debug filters)`,
  };
}

const SPEC_BY_NAME = new Map<string, FaultSpec>(SPECS.map((s) => [s.name, s]));

/** Every fault, in a stable order, for listing and validation by the CLI. */
export const FAULTS: readonly FaultDefinition[] = SPECS.map(({ kind: _kind, ...definition }) => Object.freeze(definition));

export const FAULT_NAMES: readonly FaultName[] = SPECS.map((s) => s.name);

/** A fault name or value that is not valid; the message says what would be. */
export class FaultError extends Error {
  override readonly name = 'FaultError';
}

export function isFaultName(name: string): name is FaultName {
  return SPEC_BY_NAME.has(name);
}

function usage(spec: FaultSpec): string {
  return spec.takesValue ? `${spec.name}=${spec.valueName}` : spec.name;
}

function specFor(name: string): FaultSpec {
  const spec = SPEC_BY_NAME.get(name);
  if (!spec) {
    throw new FaultError(`Unknown fault "${name}". Valid faults: ${SPECS.map(usage).join(', ')}`);
  }
  return spec;
}

function badValue(spec: FaultSpec, raw: unknown, expected: string): FaultError {
  return new FaultError(
    `Bad value ${JSON.stringify(raw)} for fault "${spec.name}": expected ${expected} (e.g. ${spec.name}=${spec.defaultValue})`,
  );
}

/** Numbers arrive as numbers (options, JSON) or as strings (command line). */
function toNumber(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$/.test(raw)) return Number(raw);
  return Number.NaN;
}

/**
 * Validates one fault's value and returns it in its normal form. `undefined`
 * means "the default" (and for a flag, "on").
 */
export function normalizeFaultValue(name: string, raw: unknown): FaultValue {
  const spec = specFor(name);
  if (spec.kind === 'flag') {
    if (raw === undefined || raw === true) return true;
    throw new FaultError(`Fault "${name}" takes no value (got ${JSON.stringify(raw)})`);
  }
  if (raw === undefined || raw === null) return spec.defaultValue as FaultValue;
  switch (spec.kind) {
    case 'milliseconds': {
      const n = toNumber(raw);
      if (!Number.isSafeInteger(n) || n < 1) throw badValue(spec, raw, 'a whole number of milliseconds, at least 1');
      return n;
    }
    case 'ratio': {
      const n = toNumber(raw);
      // Below 0.05 no simulated node would be stale: the fault would do nothing.
      if (!Number.isFinite(n) || n < 0.05 || n > 1) throw badValue(spec, raw, 'a ratio between 0.05 and 1');
      return n;
    }
    case 'status': {
      const n = toNumber(raw);
      if (!Number.isInteger(n) || n < 400 || n > 599) throw badValue(spec, raw, 'an HTTP status from 400 to 599');
      return n;
    }
    case 'length': {
      const n = toNumber(raw);
      if (!Number.isInteger(n) || n < 1 || n > 256) throw badValue(spec, raw, 'a number of characters from 1 to 256');
      return n;
    }
    case 'echo-form': {
      if (typeof raw !== 'string' || !isEchoForm(raw)) throw badValue(spec, raw, `one of ${ECHO_FORM_NAMES.join(', ')}`);
      return raw;
    }
    case 'echo-header': {
      if (typeof raw !== 'string' || !isEchoHeader(raw)) throw badValue(spec, raw, `one of ${ECHO_HEADER_NAMES.join(', ')}`);
      return raw;
    }
    case 'echo-place': {
      if (typeof raw !== 'string' || !(REFUSAL_ECHO_PLACES as readonly string[]).includes(raw))
        throw badValue(spec, raw, `one of ${REFUSAL_ECHO_PLACES.join(', ')}`);
      return raw;
    }
    case 'dead-key-echo': {
      if (typeof raw !== 'string' || !(DEAD_KEY_ECHOES as readonly string[]).includes(raw))
        throw badValue(spec, raw, `one of ${DEAD_KEY_ECHOES.join(', ')}`);
      return raw;
    }
    case 'route': {
      if (typeof raw !== 'string' || !raw.startsWith('/')) throw badValue(spec, raw, 'a path prefix starting with "/"');
      return raw;
    }
  }
}

/** Validates a whole settings object (e.g. start options); flags set to false are dropped. */
export function normalizeFaultSettings(settings: FaultSettings | Record<string, unknown>): FaultSettings {
  const out: Record<string, FaultValue> = {};
  for (const [name, raw] of Object.entries(settings)) {
    if (raw === false || raw === undefined) {
      specFor(name);
      continue;
    }
    out[name] = normalizeFaultValue(name, raw);
  }
  return out as FaultSettings;
}

/**
 * Parses command-line fault arguments, `NAME` or `NAME=VALUE` each, e.g.
 * `['revocation-delay=300', 'no-rate-limit']`. Throws a FaultError naming the
 * valid faults for an unknown name, or the expected form for a bad value.
 */
export function parseFaultArgs(args: string[]): FaultSettings {
  const out: Record<string, FaultValue> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const name = (eq === -1 ? arg : arg.slice(0, eq)).trim();
    const spec = specFor(name);
    if (eq === -1) {
      out[name] = normalizeFaultValue(name, undefined);
      continue;
    }
    const value = arg.slice(eq + 1).trim();
    if (value === '') {
      throw new FaultError(
        spec.takesValue
          ? `Fault "${name}" needs a value after "=" (e.g. ${name}=${spec.defaultValue}), or drop "=" for the default`
          : `Fault "${name}" takes no value (got "${arg}")`,
      );
    }
    out[name] = normalizeFaultValue(name, value);
  }
  return out as FaultSettings;
}

/** The faults switched on in one running target; changed at start and at run time. */
export class ActiveFaults {
  private settings: FaultSettings;

  constructor(initial: FaultSettings = {}) {
    this.settings = normalizeFaultSettings(initial);
  }

  get<N extends FaultName>(name: N): FaultSettings[N] {
    return this.settings[name];
  }

  has(name: FaultName): boolean {
    return this.settings[name] !== undefined;
  }

  set(name: string, value?: unknown): void {
    const normal = normalizeFaultValue(name, value);
    this.settings = { ...this.settings, [name]: normal };
  }

  clear(name?: string): void {
    if (name === undefined) {
      this.settings = {};
      return;
    }
    specFor(name);
    const { [name as FaultName]: _removed, ...rest } = this.settings;
    this.settings = rest;
  }

  snapshot(): FaultSettings {
    return { ...this.settings };
  }
}
