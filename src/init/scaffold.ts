// Writes a new profile from a person's answers: every section of the profile
// format is present, the chosen ones filled in and the others commented out
// with example values, each with one line saying which checks it turns on.
// Uncommenting a section (removing the "# " in front of its lines) gives a
// profile that still validates. Secrets go in only as ${env:NAME} references.
import { stringify } from 'yaml';
import { ADAPTER_KINDS, type AdapterKind } from '../lifecycle/adapters.js';
import { type AuthPlacement, describeAuth } from './auth-placement.js';
import type { ProposedResource } from './openapi.js';

/** The registry's kinds: a new adapter kind does not compile until it has a skeleton here (LIFECYCLE_SKELETONS). */
export type LifecycleKind = AdapterKind;
export const LIFECYCLE_KINDS: readonly LifecycleKind[] = ADAPTER_KINDS;

export interface RateLimitAnswer {
  readonly limit: number;
  readonly windowSeconds: number;
  /** "GET /v1/agents": the call the rate checks burst. */
  readonly probe: string;
}

export interface OtherEnvironmentKey {
  readonly environment: string;
  /** The environment variable that holds that key. */
  readonly keyEnv: string;
}

export interface ProfileAnswers {
  readonly system: string;
  readonly environment: string;
  readonly purpose: string;
  readonly owner: string;
  /** An origin (https://api.example.com) or a reference (${env:API_ORIGIN}). */
  readonly origin: string;
  /** The environment variable that will hold the key. */
  readonly keyEnv: string;
  readonly expires?: string;
  /** Scopes the key is granted, when known. */
  readonly scopes?: readonly string[];
  readonly auth: AuthPlacement;
  /** Where target.auth came from, e.g. "the document's scheme ApiKeyAuth". */
  readonly authSource?: string;
  readonly allowed: readonly ProposedResource[];
  readonly denied: readonly ProposedResource[];
  readonly rateLimit?: RateLimitAnswer;
  readonly lifecycle?: LifecycleKind;
  /** Environment variables holding the other keys a profile may declare. */
  readonly canaryEnv?: string;
  readonly secondKeyEnv?: string;
  readonly expiredKeyEnv?: string;
  readonly otherEnvironments?: readonly OtherEnvironmentKey[];
  /** Things a person should know, for the header comment. */
  readonly notes?: readonly string[];
  /** Where the proposal came from, for the header comment, e.g. "openapi.yaml (Agent Platform API)". */
  readonly source?: string;
  /** The `$schema` path for editors, relative to the profile file. */
  readonly schemaPath?: string;
}

/**
 * The sections init writes and the checks each turns on: `checks` run once
 * the section is there (with the `with` sections too); `note` says more.
 * test/ecosystem/init-sections.test.ts holds this to the checks' skip rules.
 */
export const TURNS_ON = {
  scopes: { checks: ['privilege.least-privilege'], note: 'it compares them with allowed[].scope' },
  introspection: { checks: ['privilege.least-privilege'], note: 'the granted scopes and environment as the platform reports them' },
  denied: { checks: ['authz.unauthorized-resource-denied'] },
  rateLimit: {
    checks: ['rate.limit-triggered', 'rate.limit-signalled', 'rate.recovers'],
    note: 'rate.per-key-isolation too with secondKey, canary, or a lifecycle adapter that can create keys',
  },
  otherEnvironments: { checks: ['env.foreign-environment-key-rejected'] },
  canary: {
    checks: ['auth.key-in-query-rejected'],
    note: 'lifecycle.disabled-key-rejected disables it instead of creating a canary',
  },
  secondKey: { checks: ['rate.per-key-isolation'], with: ['rateLimit'] },
  expiredKey: { checks: ['lifecycle.expired-key-rejected'], note: 'without a lifecycle adapter to create an expiring canary' },
  // A canary is created with the key's scopes, so the lifecycle checks need them declared.
  lifecycle: {
    checks: ['lifecycle.disabled-key-rejected', 'lifecycle.rotated-key', 'lifecycle.expired-key-rejected'],
    with: ['scopes'],
  },
} as const satisfies Record<string, { checks: readonly string[]; with?: readonly string[]; note?: string }>;

export type Section = keyof typeof TURNS_ON;

/** "turns on: a, b (with rateLimit); note" */
function turnsOn(section: Section): string {
  const t: { checks: readonly string[]; with?: readonly string[]; note?: string } = TURNS_ON[section];
  return `turns on: ${t.checks.join(', ')}${t.with ? ` (with ${t.with.join(', ')})` : ''}${t.note ? `; ${t.note}` : ''}`;
}

const scalar = (v: unknown): string => stringify(v, { lineWidth: 0 }).trimEnd();
const flow = (v: unknown): string => stringify(v, { collectionStyle: 'flow', flowCollectionPadding: true, lineWidth: 0 }).trimEnd();
const ref = (name: string) => `\${env:${name}}`;

/**
 * A section's lines as they are, or commented out as an editor does it: "# "
 * at the block's own indentation, so removing it gives the section back.
 */
function maybe(chosen: boolean, lines: readonly string[]): string[] {
  if (chosen) return [...lines];
  const indent = Math.min(...lines.map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => `${l.slice(0, indent)}# ${l.slice(indent)}`);
}

export function renderProfile(a: ProfileAnswers): string {
  const name = `${a.system}-${a.environment}-${a.purpose}`;
  const base = a.keyEnv.replace(/_KEY$/, '');
  const out: string[] = [];
  if (a.schemaPath) out.push(`# yaml-language-server: $schema=${a.schemaPath}`);
  out.push(
    `# ${name}: written by \`keyprobe init\`${a.source ? ` from ${a.source}` : ''}.`,
    '# Trim it to what this key must and must not do, then: keyprobe validate <this file>',
    '# Sections commented out turn on more checks: uncomment one (remove the "# " in front',
    '# of its lines) and put in your values. Every ${env:NAME} is read when keyprobe runs.',
  );
  for (const note of a.notes ?? []) out.push(`# Note: ${note}`);
  out.push('', ...keySection(a, name), '', ...targetSection(a), '');
  out.push(...resources('allowed', a.allowed, 'What the key must reach (default expectation: any 2xx).'));
  out.push('');
  if (a.denied.length > 0) {
    out.push(...resources('denied', a.denied, `What it must be refused (default: denial.statuses). ${turnsOn('denied')}`));
  } else {
    out.push(`# What it must be refused. ${turnsOn('denied')}`);
    out.push(...maybe(false, ['denied:', '  - DELETE /v1/example/TODO-a-resource-it-must-not-reach']));
  }
  out.push(
    '',
    '# What counts as refusing: a valid key on a denied resource (denial), and a bad credential (rejection).',
    ...maybe(false, [
      'denial:',
      '  statuses: [403]                # 404 too, where the platform hides what exists',
      '  markers: []                    # text a denial body must never reveal',
    ]),
    ...maybe(false, ['rejection:', '  statuses: [401, 403]']),
    '',
    ...rateLimitSection(a),
    '',
    `# Keys of other environments, which this target must refuse. ${turnsOn('otherEnvironments')}`,
    ...otherEnvironments(a, base),
    '',
    '# Where one origin serves several environments and the key selects which (Unleash tokens, Stripe',
    '# sk_test_/sk_live_): how to tell whose data a foreign key was served. env.foreign-environment-key-rejected',
    '# then passes when a foreign key is refused or sees only its own data.',
    ...maybe(false, [
      'environmentIsolation:',
      '  selectedBy: key',
      '  environmentField: environment     # a JSON path in the answer naming the environment whose data it is',
      '  # markers: [TODO-a-record-only-this-environment-has]',
    ]),
    '',
    `# A spare key with the same scopes, never the one above. ${turnsOn('canary')}`,
    ...maybe(a.canaryEnv !== undefined, [
      'canary:',
      `  secret: ${ref(a.canaryEnv ?? `${base}_CANARY_KEY`)}`,
      '  # id: TODO-canary-key-id       # its id on the platform, for a lifecycle adapter to disable it',
    ]),
    '',
    `# A second key, of another system. ${turnsOn('secondKey')}`,
    ...maybe(a.secondKeyEnv !== undefined, ['secondKey:', `  secret: ${ref(a.secondKeyEnv ?? `${base}_SECOND_KEY`)}`]),
    '',
    `# A key that has already expired. ${turnsOn('expiredKey')}`,
    ...maybe(a.expiredKeyEnv !== undefined, ['expiredKey:', `  secret: ${ref(a.expiredKeyEnv ?? `${base}_EXPIRED_KEY`)}`]),
    '',
    ...lifecycleSection(a.lifecycle),
    '',
    '# Governance rules (the defaults).',
    ...maybe(false, [
      'governance:',
      '  maxLifetimeDays: 365',
      '  rotationWarningDays: 30',
      '  custodians: []                  # owners that count as real custodians; empty: any owner',
    ]),
  );
  return `${out.map(alignComment).join('\n')}\n`;
}

/**
 * Inline comments (two or more spaces, then "# ") start in one column, so the
 * file reads as a table. List items are left alone: their bodies come from a
 * document and may hold such text inside a string.
 */
function alignComment(line: string): string {
  if (/^\s*(# )?\s*- /.test(line)) return line;
  // The content before the comment starts with something other than "#": a commented-out
  // comment ("#   # origin: …") is left as it is.
  const m = /^(\s*(?:# +)?[^#\s].*?)\s{2,}(# .*)$/.exec(line);
  return m ? `${m[1]!.padEnd(COMMENT_COLUMN - 1)} ${m[2]}` : line;
}
const COMMENT_COLUMN = 40;

function keySection(a: ProfileAnswers, name: string): string[] {
  const lines = [
    'key:',
    `  name: ${name}`,
    `  system: ${a.system}`,
    `  environment: ${a.environment}`,
    `  purpose: ${a.purpose}`,
    `  owner: ${scalar(a.owner)}`,
  ];
  if (a.expires) lines.push(`  expires: ${scalar(a.expires)}`);
  else lines.push('  # expires: 2027-12-31            # governance.owner-and-expiry wants an expiry within its maximum lifetime');
  lines.push(`  secret: ${ref(a.keyEnv)}   # the key itself is read from $${a.keyEnv} at run time, never written here`);
  if (a.scopes && a.scopes.length > 0) lines.push(`  scopes: ${flow([...a.scopes])}   # as granted; ${turnsOn('scopes')}`);
  else lines.push(`  # scopes: [TODO-scope]          # as granted; ${turnsOn('scopes')}`);
  lines.push('  # id: TODO-key-id                # its id on the platform: only for lifecycle.actOnOwnKey');
  return lines;
}

function targetSection(a: ProfileAnswers): string[] {
  const auth = 'query' in a.auth ? { query: a.auth.query } : { header: a.auth.header, scheme: a.auth.scheme };
  return [
    'target:',
    `  origin: ${scalar(a.origin)}`,
    `  auth: ${flow(auth)}   # the key in ${describeAuth(a.auth)}${a.authSource ? ` (${a.authSource})` : ''}`,
    `  # environment: ${a.environment}             # the environment this target serves; default: the key's`,
    `  # introspection: { path: /v1/keys/self }   # a "who am I" endpoint, if there is one; ${turnsOn('introspection')}`,
    '  # timeoutMs: 5000                 # per request',
    '  # budget: 1000                    # most requests one run may send',
  ];
}

function resources(field: 'allowed' | 'denied', list: readonly ProposedResource[], title: string): string[] {
  const lines = [`# ${title}`, `${field}:`];
  for (const r of list) {
    const entry: Record<string, unknown> = { method: r.method, path: r.path };
    if (field === 'allowed' && r.expect !== undefined) entry.expect = r.expect;
    if (r.body !== undefined) entry.body = r.body;
    if (field === 'allowed' && r.scope) entry.scope = r.scope;
    const notes: string[] = [];
    if (r.operationId) notes.push(r.operationId);
    if (r.needs && r.needs.length > 0) notes.push(`needs ${r.needs.join(', ')}`);
    if (r.unresolvedParams.length > 0) notes.push(`TODO: replace ${r.unresolvedParams.map((p) => `{${p}}`).join(', ')} with a real id`);
    lines.push(`  - ${flow(entry)}${notes.length > 0 ? `   # ${notes.join(' · ')}` : ''}`);
  }
  return lines;
}

function rateLimitSection(a: ProfileAnswers): string[] {
  const probe = a.rateLimit?.probe ?? firstProbe(a.allowed);
  const r = a.rateLimit ?? { limit: 10, windowSeconds: 1, probe };
  return [
    `# The rate limit this key must meet. ${turnsOn('rateLimit')}`,
    '# A token bucket with a burst (nginx burst=20 at 20 r/s): limit = burst + 1, windowSeconds = burst / rate.',
    ...maybe(a.rateLimit !== undefined, [
      'rateLimit:',
      `  limit: ${r.limit}                      # calls accepted per window before a 429`,
      `  windowSeconds: ${r.windowSeconds}`,
      `  probe: ${scalar(r.probe)}        # the call to burst: a cheap allowed one`,
      '  # tolerance: 0.1                 # accepted calls may exceed the limit by this fraction',
    ]),
  ];
}

function firstProbe(allowed: readonly ProposedResource[]): string {
  const simple = allowed.find((r) => r.method === 'GET' && r.unresolvedParams.length === 0) ?? allowed[0];
  return simple ? `${simple.method} ${simple.path}` : 'GET /';
}

function otherEnvironments(a: ProfileAnswers, base: string): string[] {
  if (a.otherEnvironments && a.otherEnvironments.length > 0)
    return ['otherEnvironments:', ...a.otherEnvironments.map((o) => `  - ${flow({ environment: o.environment, secret: ref(o.keyEnv) })}`)];
  const other = a.environment === 'prod' ? 'staging' : 'prod';
  const swapped = base.replace(new RegExp(`(^|_)${a.environment.toUpperCase()}(_|$)`), `$1${other.toUpperCase()}$2`);
  const env = swapped !== base ? `${swapped}_KEY` : `${base}_${other.toUpperCase()}_KEY`;
  return maybe(false, ['otherEnvironments:', `  - ${flow({ environment: other, secret: ref(env) })}`]);
}

function lifecycleSection(kind: LifecycleKind | undefined): string[] {
  const head = [`# How keyprobe disables, rotates, creates and deletes keys (docs/lifecycle.md). ${turnsOn('lifecycle')}`];
  if (!kind) head.push('# An http adapter is shown; `keyprobe init --lifecycle command` (or manual) writes that skeleton instead.');
  return [...head, ...maybe(kind !== undefined, LIFECYCLE_SKELETONS[kind ?? 'http'])];
}

const LIFECYCLE_SKELETONS: Record<LifecycleKind, readonly string[]> = {
  http: [
    'lifecycle:',
    '  adapter: http',
    '  http:                             # TODO: your management API',
    '    # origin: https://admin.example.com    # default: target.origin',
    '    credential: { secret: "${env:ADMIN_TOKEN}" }   # header Authorization, scheme Bearer by default',
    '    create:',
    '      method: POST',
    '      path: /admin/keys',
    '      body: { name: "{{name}}", scopes: "{{scopes}}", environment: "{{environment}}", expiresAt: "{{expiresAt}}" }',
    '      extract: { id: id, secret: secret }   # where the answer holds the new key',
    '    disable: POST /admin/keys/{{id}}/disable',
    '    enable: POST /admin/keys/{{id}}/enable',
    '    rotate: { method: POST, path: "/admin/keys/{{id}}/rotate", body: { gracePeriodSeconds: "{{graceSeconds}}" } }',
    '    delete: DELETE /admin/keys/{{id}}',
    '  # revocationBudgetMs: 1000        # a disabled key must be refused within this',
  ],
  command: [
    'lifecycle:',
    '  adapter: command                  # runs only with keyprobe run --allow-commands',
    '  command:',
    '    env: []                         # variables the commands may read, e.g. [ADMIN_TOKEN]',
    '    create: ./keys.sh create        # prints {"id":"…","secret":"…"}; gets KEYPROBE_KEY_NAME, KEYPROBE_KEY_SCOPES, …',
    '    disable: ./keys.sh disable      # gets KEYPROBE_KEY_ID',
    '    enable: ./keys.sh enable',
    '    rotate: ./keys.sh rotate        # prints the new {"id":"…","secret":"…"}',
    '    delete: ./keys.sh delete',
    '  # revocationBudgetMs: 1000        # a disabled key must be refused within this',
  ],
  manual: [
    'lifecycle:',
    '  adapter: manual                   # asks a person; runs only with keyprobe run --interactive',
    '  manual:',
    '    actions: [disable, enable, delete]',
    '    disable: \'Disable the key "{{name}}" (id {{id}}) in the console, then press Enter.\'',
    '    enable: \'Enable the key "{{name}}" (id {{id}}) again, then press Enter.\'',
    '    delete: \'Delete the key "{{name}}" (id {{id}}), then press Enter.\'',
    '  # A person cannot create keys for keyprobe: declare a canary (with its id) to be disabled.',
  ],
};
