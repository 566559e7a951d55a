// Platform behaviours: ways real key systems legitimately differ from the
// reference target's defaults. Unlike faults they are not defects: with a
// behaviour on and a profile that describes it truthfully, every keyprobe
// check must still pass, and each fault must still make exactly its one check
// fail (test/detection/). This module owns their names, values and
// validation; the code that applies them lives next to what it changes
// (auth.ts, admin.ts, routes.ts, revocation.ts).

/** The behaviours switched on, with their values. Absent = off. */
export interface BehaviourSettings {
  /** One origin serves several environments; the key decides whose data it sees (Unleash, Stripe sk_test_/sk_live_). */
  'keys-select-environment'?: boolean;
  /** The management API can create and delete keys but has no disable/enable. */
  'delete-only'?: boolean;
  /** Milliseconds between refreshes of the data plane's key cache: a revoked or expired key works until the next refresh. */
  'revocation-cache'?: number;
}

export type BehaviourName = keyof BehaviourSettings;
export type BehaviourValue = boolean | number;

type ValueKind = 'flag' | 'milliseconds';

export interface BehaviourDefinition {
  readonly name: BehaviourName;
  readonly takesValue: boolean;
  /** How the value is written on a command line (MS). */
  readonly valueName?: string;
  readonly defaultValue?: number;
  readonly description: string;
  /** Real platforms that behave this way. */
  readonly seenIn: string;
  /** What a profile must say for keyprobe to judge such a platform correctly. */
  readonly truthfulProfile: string;
}

interface BehaviourSpec extends BehaviourDefinition {
  readonly kind: ValueKind;
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
    description:
      "The data plane checks keys against a cache refreshed every MS milliseconds (counted from the target's start): a disabled, deleted or expired key keeps working until the next refresh. New and re-enabled keys work at once.",
    seenIn:
      'Unleash 6 (60 s API token cache: a deleted token works 22–56 s more), Unkey (up to 60 s, unkeyed/unkey#2587), Tyk session cache (~10 s)',
    truthfulProfile: 'lifecycle.revocationBudgetMs at least MS (the platform documents this lag), lifecycle.maxRevocationWaitMs above it',
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

/** Validates one behaviour's value and returns it in its normal form; `undefined` means its default (for a flag: on). */
export function normalizeBehaviourValue(name: string, raw: unknown): BehaviourValue {
  const spec = specFor(name);
  if (spec.kind === 'flag') {
    if (raw === undefined || raw === true) return true;
    throw new BehaviourError(`Behaviour "${name}" takes no value (got ${JSON.stringify(raw)})`);
  }
  if (raw === undefined || raw === null) return spec.defaultValue!;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new BehaviourError(
      `Bad value ${JSON.stringify(raw)} for behaviour "${name}": expected a whole number of milliseconds, at least 1 (e.g. ${name}=${spec.defaultValue})`,
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

/** Parses command-line arguments, `NAME` or `NAME=VALUE` each, e.g. `['revocation-cache=1000', 'delete-only']`. */
export function parseBehaviourArgs(args: readonly string[]): BehaviourSettings {
  const out: Record<string, BehaviourValue> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const name = (eq === -1 ? arg : arg.slice(0, eq)).trim();
    const value = eq === -1 ? undefined : arg.slice(eq + 1).trim();
    if (value === '') throw new BehaviourError(`Behaviour "${name}" needs a value after "=", or drop "=" for the default`);
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
