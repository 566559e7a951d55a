// Platform behaviours: ways real key platforms legitimately differ from the
// reference target's defaults. Some change the key model (keys that select
// their environment, delete as the only off switch, a lagging key cache);
// others answer less politely (a limiter per client address instead of per
// key, a throttled management API, 429s faster than 200s, 403 where RFC 9110
// says 401). Unlike faults they are not defects: with a behaviour on and a
// profile that describes the platform truthfully (`truthfulProfile`; the demo
// writes it with src/demo/declare.ts), every keyprobe check must still pass,
// and each fault must still make exactly its one check fail (test/detection/).
// This module owns their names, values, defaults and validation; the code that
// applies them lives next to what it changes (auth.ts, admin.ts, routes.ts,
// revocation.ts, rate-limit.ts, target.ts). A new behaviour is one entry in
// SPECS, one field in BehaviourSettings, the code that applies it, and its
// declaration in src/demo/declare.ts.

/** The behaviours switched on, with their values. Absent = off. */
export interface BehaviourSettings {
  /** One origin serves several environments; the key decides whose data it sees (Unleash, Stripe sk_test_/sk_live_). */
  'keys-select-environment'?: boolean;
  /** The management API can create and delete keys but has no disable/enable. */
  'delete-only'?: boolean;
  /** Milliseconds between refreshes of the data plane's key cache: a revoked or expired key works until the next refresh. */
  'revocation-cache'?: number;
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
  /** Real platforms that behave this way. */
  readonly seenIn: string;
  /** What a profile must say for keyprobe to judge such a platform correctly ("nothing": it needs no declaration). */
  readonly truthfulProfile: string;
}

interface BehaviourSpec extends BehaviourDefinition {
  readonly kind: ValueKind;
  /** Largest value accepted (counts and milliseconds; the smallest is 1). */
  readonly max?: number;
}

const SPECS: readonly BehaviourSpec[] = [
  {
    name: 'keys-select-environment',
    kind: 'flag',
    takesValue: false,
    description:
      "One origin serves every environment's data and the key decides which: a key of another environment is accepted and served only its own environment's data (list answers carry `environment`; only the target's own environment has agent agt-billing, invoice-extractor).",
    seenIn: 'Unleash (the environment is baked into the API token), Stripe (sk_test_ and sk_live_ on one API host), many SaaS APIs',
    truthfulProfile:
      'environmentIsolation: { selectedBy: key, environmentField: environment, markers: [invoice-extractor], onlyHere: GET /v1/agents/agt-billing }',
  },
  {
    name: 'delete-only',
    kind: 'flag',
    takesValue: false,
    description:
      'The management API has no disable or enable (POST /admin/keys/:id/disable and /enable answer 404): deleting a key is the only way to turn it off.',
    seenIn: 'Unleash API tokens, many "revoke = delete" key systems (GitHub fine-grained tokens, most SaaS API keys)',
    truthfulProfile: 'lifecycle.http without disable and enable (create and delete only)',
  },
  {
    name: 'revocation-cache',
    kind: 'milliseconds',
    takesValue: true,
    valueName: 'MS',
    defaultValue: 60_000,
    max: 3_600_000,
    description:
      "The data plane checks keys against a cache refreshed every MS milliseconds (counted from the target's start): a disabled, deleted or expired key keeps working until the next refresh. New and re-enabled keys work at once.",
    seenIn:
      'Unleash 6 (60 s API token cache: a deleted token works 22–56 s more), Unkey (up to 60 s, unkeyed/unkey#2587), Tyk session cache (~10 s)',
    truthfulProfile: 'lifecycle.revocationBudgetMs at least MS (the platform documents this lag), lifecycle.maxRevocationWaitMs above it',
  },
  {
    name: 'client-rate-limit',
    kind: 'count',
    takesValue: true,
    valueName: 'N',
    defaultValue: 20,
    description:
      'One fixed-window rate limiter per client address instead of per key: N requests per 1 s window, counting every request from that address (no key, bad keys, refused and /admin calls included), answered with 429 before authentication. Every API answer carries the RateLimit fields of that limiter. Replaces the per-key limiter.',
    seenIn:
      'Directus (RATE_LIMITER: every request consumes a point of its client IP, with Retry-After); nginx limit_req on $binary_remote_addr; express-rate-limit with its default key (the client IP)',
    truthfulProfile: 'rateLimit.scope: client and rateLimit.limit: N',
  },
  {
    name: 'throttled-admin',
    kind: 'count',
    takesValue: true,
    valueName: 'N',
    defaultValue: 2,
    description:
      'The management API (/admin) allows N calls per 1 s window per client address and answers 429 with Retry-After beyond that, so disabling, re-enabling, creating and deleting keys can itself be throttled.',
    seenIn:
      'Management APIs behind the same gateway limits as the data plane (Directus counts admin calls in its per-IP limiter; GitHub REST limits apply to key and token management)',
    truthfulProfile: 'nothing (keyprobe waits out a throttled management call like any other)',
  },
  {
    name: 'slow-success',
    kind: 'milliseconds',
    takesValue: true,
    valueName: 'MS',
    defaultValue: 50,
    max: 60_000,
    description:
      'Every answer that reaches a route (the successful ones) is held back MS milliseconds, while refusals and 429s go out at once: throttled answers overtake accepted ones sent before them.',
    seenIn:
      'Gateways that refuse from memory (a limiter or an auth plugin) but proxy accepted calls to a slower upstream: nginx limit_req, Kong rate-limiting',
    truthfulProfile: 'nothing',
  },
  {
    name: 'missing-key-403',
    kind: 'flag',
    takesValue: false,
    description:
      'A request with no credential at all gets 403 Forbidden without a WWW-Authenticate challenge, where RFC 9110 §15.5.2 says 401 Unauthorized with one.',
    seenIn: 'AWS API Gateway (403 "Forbidden" for a missing API key); Directus (403 FORBIDDEN for a request without a token)',
    truthfulProfile: 'nothing beyond rejection.statuses including 403, as the default does (the check gives an advisory)',
  },
];

const SPEC_BY_NAME = new Map<string, BehaviourSpec>(SPECS.map((s) => [s.name, s]));

/** Every behaviour, in a stable order, for listing and validation by the CLI. */
export const BEHAVIOURS: readonly BehaviourDefinition[] = SPECS.map(({ kind: _kind, max: _max, ...definition }) =>
  Object.freeze(definition),
);

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

/** Validates one behaviour's value and returns it in its normal form; `undefined` means its default (for a flag: on). */
export function normalizeBehaviourValue(name: string, raw: unknown): BehaviourValue {
  const spec = specFor(name);
  if (spec.kind === 'flag') {
    if (raw === undefined || raw === true) return true;
    throw new BehaviourError(`Behaviour "${name}" takes no value (got ${JSON.stringify(raw)})`);
  }
  if (raw === undefined || raw === null) return spec.defaultValue!;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  const what = spec.kind === 'count' ? 'a whole number of requests' : 'a whole number of milliseconds';
  const max = spec.max ?? 100_000;
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw new BehaviourError(
      `Bad value ${JSON.stringify(raw)} for behaviour "${name}": expected ${what}, at least 1 and at most ${max} (e.g. ${name}=${spec.defaultValue})`,
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

/** Parses command-line arguments, `NAME` or `NAME=VALUE` each, e.g. `['revocation-cache=1000', 'client-rate-limit=20', 'delete-only']`. */
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
