// Platform behaviours: ways real key platforms answer that are less polite
// than the reference target's defaults but are not defects. A platform may
// limit per client address instead of per key, throttle its management API,
// answer 429 faster than 200, or say 403 where RFC 9110 says 401; keyprobe
// must still give the right verdicts there. Unlike a fault, a behaviour makes
// no check fail: with any of them on (and no fault), the prelaunch suite
// passes for a profile that declares the platform truthfully (`declare` says
// how). This module owns their names, values, defaults and validation; the
// code that applies them lives next to what it bends. A new behaviour is one
// entry in SPECS, one field in BehaviourSettings, and the code that applies it.

/** The behaviours that are switched on, with their values. Absent = off. */
export interface BehaviourSettings {
  /** Requests per 1 s window allowed per client address, every request counted. */
  'client-rate-limit'?: number;
  /** Management API calls per 1 s window allowed per client address. */
  'throttled-admin'?: number;
  /** Milliseconds every successful API answer is held back. */
  'slow-success'?: number;
  'missing-key-403'?: boolean;
}

export type BehaviourName = keyof BehaviourSettings;
export type BehaviourValue = boolean | number;

type ValueKind = 'flag' | 'count' | 'milliseconds';

export interface BehaviourDefinition {
  readonly name: BehaviourName;
  readonly takesValue: boolean;
  /** How the value is written on a command line (N, MS). */
  readonly valueName?: string;
  readonly defaultValue?: number;
  readonly description: string;
  /** What a profile must declare to describe the platform truthfully (nothing: it needs no declaration). */
  readonly declare: string;
  /** Where the behaviour is seen in the wild. */
  readonly seenIn: string;
}

interface BehaviourSpec extends BehaviourDefinition {
  readonly kind: ValueKind;
}

const SPECS: readonly BehaviourSpec[] = [
  {
    name: 'client-rate-limit',
    kind: 'count',
    takesValue: true,
    valueName: 'N',
    defaultValue: 20,
    description:
      'One fixed-window rate limiter per client address instead of per key: N requests per 1 s window, counting every request from that address (no key, bad keys, refused and /admin calls included), answered with 429 before authentication. Every API answer carries the RateLimit fields of that limiter. Replaces the per-key limiter.',
    declare: 'rateLimit.scope: client and rateLimit.limit: N',
    seenIn:
      'Directus (RATE_LIMITER: every request consumes a point of its client IP, with Retry-After); nginx limit_req on $binary_remote_addr; express-rate-limit with its default key (the client IP)',
  },
  {
    name: 'throttled-admin',
    kind: 'count',
    takesValue: true,
    valueName: 'N',
    defaultValue: 2,
    description:
      'The management API (/admin) allows N calls per 1 s window per client address and answers 429 with Retry-After beyond that, so disabling, re-enabling, creating and deleting keys can itself be throttled.',
    declare: 'nothing (keyprobe waits out a throttled management call like any other)',
    seenIn:
      'Management APIs behind the same gateway limits as the data plane (Directus counts admin calls in its per-IP limiter; GitHub REST limits apply to key and token management)',
  },
  {
    name: 'slow-success',
    kind: 'milliseconds',
    takesValue: true,
    valueName: 'MS',
    defaultValue: 50,
    description:
      'Every answer that reaches a route (the successful ones) is held back MS milliseconds, while refusals and 429s go out at once: throttled answers overtake accepted ones sent before them.',
    declare: 'nothing',
    seenIn:
      'Gateways that refuse from memory (a limiter or an auth plugin) but proxy accepted calls to a slower upstream: nginx limit_req, Kong rate-limiting',
  },
  {
    name: 'missing-key-403',
    kind: 'flag',
    takesValue: false,
    description:
      'A request with no credential at all gets 403 Forbidden without a WWW-Authenticate challenge, where RFC 9110 §15.5.2 says 401 Unauthorized with one.',
    declare: 'nothing beyond the default rejection.statuses [401, 403] (the check gives an advisory)',
    seenIn: 'AWS API Gateway (403 "Forbidden" for a missing API key); Directus (403 FORBIDDEN for a request without a token)',
  },
];

const SPEC_BY_NAME = new Map<string, BehaviourSpec>(SPECS.map((s) => [s.name, s]));

/** Every behaviour, in a stable order, for listing and validation by the CLI. */
export const BEHAVIOURS: readonly BehaviourDefinition[] = SPECS.map(({ kind: _kind, ...definition }) => Object.freeze(definition));

export const BEHAVIOUR_NAMES: readonly BehaviourName[] = SPECS.map((s) => s.name);

/** A behaviour name or value that is not valid; the message says what would be. */
export class BehaviourError extends Error {
  override readonly name = 'BehaviourError';
}

export function isBehaviourName(name: string): name is BehaviourName {
  return SPEC_BY_NAME.has(name);
}

function usage(spec: BehaviourSpec): string {
  return spec.takesValue ? `${spec.name}=${spec.valueName}` : spec.name;
}

function specFor(name: string): BehaviourSpec {
  const spec = SPEC_BY_NAME.get(name);
  if (!spec) throw new BehaviourError(`Unknown behaviour "${name}". Valid behaviours: ${SPECS.map(usage).join(', ')}`);
  return spec;
}

/** Validates one behaviour's value and returns it in its normal form; `undefined` means the default (and for a flag, "on"). */
export function normalizeBehaviourValue(name: string, raw: unknown): BehaviourValue {
  const spec = specFor(name);
  if (spec.kind === 'flag') {
    if (raw === undefined || raw === true) return true;
    throw new BehaviourError(`Behaviour "${name}" takes no value (got ${JSON.stringify(raw)})`);
  }
  if (raw === undefined || raw === null) return spec.defaultValue!;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  const [min, max, what] =
    spec.kind === 'count' ? [1, 100_000, 'a whole number of requests'] : [1, 60_000, 'a whole number of milliseconds'];
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new BehaviourError(
      `Bad value ${JSON.stringify(raw)} for behaviour "${name}": expected ${what} from ${min} to ${max} (e.g. ${name}=${spec.defaultValue})`,
    );
  return n;
}

/** Validates a whole settings object (e.g. start options); flags set to false are dropped. */
export function normalizeBehaviourSettings(settings: BehaviourSettings | Record<string, unknown>): BehaviourSettings {
  const out: Record<string, BehaviourValue> = {};
  for (const [name, raw] of Object.entries(settings)) {
    if (raw === false || raw === undefined) {
      specFor(name);
      continue;
    }
    out[name] = normalizeBehaviourValue(name, raw);
  }
  return out as BehaviourSettings;
}

/** Parses command-line arguments, `NAME` or `NAME=VALUE` each, e.g. `['client-rate-limit=20', 'missing-key-403']`. */
export function parseBehaviourArgs(args: readonly string[]): BehaviourSettings {
  const out: Record<string, BehaviourValue> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const name = (eq === -1 ? arg : arg.slice(0, eq)).trim();
    const spec = specFor(name);
    if (eq === -1) {
      out[name] = normalizeBehaviourValue(name, undefined);
      continue;
    }
    const value = arg.slice(eq + 1).trim();
    if (value === '')
      throw new BehaviourError(
        spec.takesValue
          ? `Behaviour "${name}" needs a value after "=" (e.g. ${name}=${spec.defaultValue}), or drop "=" for the default`
          : `Behaviour "${name}" takes no value (got "${arg}")`,
      );
    out[name] = normalizeBehaviourValue(name, value);
  }
  return out as BehaviourSettings;
}

/** The behaviours switched on in one running target; changed at start and at run time. */
export class ActiveBehaviours {
  private settings: BehaviourSettings;

  constructor(initial: BehaviourSettings = {}) {
    this.settings = normalizeBehaviourSettings(initial);
  }

  get<N extends BehaviourName>(name: N): BehaviourSettings[N] {
    return this.settings[name];
  }

  has(name: BehaviourName): boolean {
    return this.settings[name] !== undefined;
  }

  set(name: string, value?: unknown): void {
    this.settings = { ...this.settings, [name]: normalizeBehaviourValue(name, value) };
  }

  clear(name?: string): void {
    if (name === undefined) {
      this.settings = {};
      return;
    }
    specFor(name);
    const { [name as BehaviourName]: _removed, ...rest } = this.settings;
    this.settings = rest;
  }

  snapshot(): BehaviourSettings {
    return { ...this.settings };
  }
}
