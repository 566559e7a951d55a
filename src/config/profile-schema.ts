// The profile format: one key, the system that calls with it, and what the
// key must and must not be able to do. `ProfileInput` is what a person
// writes (short, defaults implied); `Profile` is what the code uses.
import { z } from 'zod';

/** `${env:NAME}` or `${file:path}` — the only way a secret may appear in a profile. */
export const SECRET_REFERENCE = /^\$\{(env|file):[^}]+\}$/;

export const LITERAL_SECRET_MESSAGE = 'a literal secret is not allowed here: reference it as ${env:NAME} or ${file:path}';

/**
 * A secret field. In the file it must be a reference (checked on the raw
 * document by the loader, see literalSecretProblems); here it holds the
 * resolved value.
 */
export const secretRef = z.string().min(1, 'the secret is empty');

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const method = z
  .string()
  .transform((m) => m.toUpperCase())
  .pipe(z.enum(HTTP_METHODS, { message: `method must be one of ${HTTP_METHODS.join(', ')}` }));

const path = z.string().regex(/^\//, 'path must start with "/" (the origin goes in target.origin)');
const status = z.number().int().min(100).max(599);
const statusList = z.array(status).min(1);

/** "GET /v1/agents" — the short form of a resource. */
const RESOURCE_SHORTHAND = /^([A-Za-z]+)\s+(\/\S*)$/;

function shorthand<T extends z.ZodType<unknown, { method: string; path: string }>>(objectSchema: T) {
  return z.union([
    z
      .string()
      .regex(RESOURCE_SHORTHAND, 'expected "METHOD /path", e.g. "GET /v1/agents"')
      .transform((s) => {
        const [, m = '', p = ''] = RESOURCE_SHORTHAND.exec(s)!;
        return { method: m, path: p };
      })
      .pipe(objectSchema),
    objectSchema,
  ]);
}

const headers = z.record(z.string(), z.string());

const allowedResource = shorthand(
  z.strictObject({
    method,
    path,
    /** Expected status(es). Default: any 2xx. */
    expect: z.union([status, statusList]).optional(),
    body: z.unknown().optional(),
    headers: headers.optional(),
    /** The scope this resource needs, for least-privilege analysis. */
    scope: z.string().optional(),
  }),
);

const deniedResource = shorthand(
  z.strictObject({
    method,
    path,
    /** Statuses that count as a denial here; default: `denial.statuses`. */
    statuses: statusList.optional(),
    body: z.unknown().optional(),
    headers: headers.optional(),
    /** Text that must never appear in this resource's denial body. */
    markers: z.array(z.string()).optional(),
  }),
);

const isoDate = z
  .union([z.string(), z.date()])
  .transform((v) => (v instanceof Date ? v.toISOString() : v))
  .refine((v) => !Number.isNaN(Date.parse(v)), 'expected a date like 2027-03-31 or an ISO timestamp');

const keySection = z.strictObject({
  /** `<system>-<env>-<purpose>`, e.g. crm-prod-agent-call. */
  name: z.string().min(1),
  system: z.string().min(1),
  environment: z.string().min(1),
  purpose: z.string().min(1),
  owner: z.string().min(1).optional(),
  created: isoDate.optional(),
  expires: isoDate.optional(),
  secret: secretRef,
  /** Scopes granted to the key, as declared (introspection may tell more). */
  scopes: z.array(z.string()).optional(),
  /** The key's id on the platform, needed only to act on the key itself. */
  id: z.string().optional(),
});

const authSection = z.union([
  z.strictObject({
    header: z.string().min(1).default('Authorization'),
    /** Put before the key in the header; empty for a bare key (X-API-Key style). */
    scheme: z.string().default('Bearer'),
  }),
  z.strictObject({ query: z.string().min(1) }),
]);

const introspectionSection = z.strictObject({
  path,
  scopesField: z.string().default('scopes'),
  environmentField: z.string().default('environment'),
  nameField: z.string().default('name'),
});

const targetSection = z.strictObject({
  origin: z
    .string()
    .refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'http:' || u.protocol === 'https:') && (u.pathname === '/' || u.pathname === '') && !u.search;
      } catch {
        return false;
      }
    }, 'expected an origin like https://api.example.com (scheme, host, optional port; no path)')
    .transform((v) => new URL(v).origin),
  /** The environment the target serves; default: the key's. */
  environment: z.string().min(1).optional(),
  auth: authSection.default({ header: 'Authorization', scheme: 'Bearer' }),
  introspection: introspectionSection.optional(),
  timeoutMs: z.number().int().positive().max(600_000).default(5000),
  /** Most requests one run may send to this target, all checks together. */
  budget: z.number().int().positive().max(1_000_000).default(1000),
  /** A PEM file with the CA that signed the target's certificate. */
  ca: z.string().optional(),
});

const rateLimitSection = z.strictObject({
  limit: z.number().int().positive(),
  windowSeconds: z.number().positive().default(1),
  probe: shorthand(z.strictObject({ method, path, body: z.unknown().optional(), headers: headers.optional() })),
  /** Accepted calls may exceed the limit by this fraction before it is a fail. */
  tolerance: z.number().min(0).max(10).default(0.1),
  /** The status(es) that mean "throttled"; anything but 429 is flagged advisory. */
  statuses: statusList.default([429]),
  /** The least requests in flight while bursting; a burst keeps more when the measured round trip needs them (at most 512). */
  concurrency: z.number().int().positive().max(256).default(8),
});

/** Placeholders a lifecycle template may use; a body field that is exactly one placeholder without a value is dropped. */
export const LIFECYCLE_PLACEHOLDERS = ['id', 'name', 'scopes', 'environment', 'owner', 'expiresInSeconds', 'graceSeconds'] as const;
const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** Strings with an unknown {{placeholder}}, as [path, name] pairs. */
function unknownPlaceholders(node: unknown, path: PropertyKey[] = []): [PropertyKey[], string][] {
  if (typeof node === 'string') {
    return [...node.matchAll(PLACEHOLDER)]
      .filter((m) => !(LIFECYCLE_PLACEHOLDERS as readonly string[]).includes(m[1]!))
      .map((m) => [path, m[1]!]);
  }
  if (Array.isArray(node)) return node.flatMap((v, i) => unknownPlaceholders(v, [...path, i]));
  if (node && typeof node === 'object') return Object.entries(node).flatMap(([k, v]) => unknownPlaceholders(v, [...path, k]));
  return [];
}

/** One management API request: "POST /admin/keys/{{id}}/disable", or the object form. */
const httpAction = shorthand(
  z.strictObject({
    method,
    path: z.string().regex(/^\//, 'path must start with "/" (the origin goes in lifecycle.http.origin)'),
    headers: headers.optional(),
    /** JSON body; strings may hold {{id}}, {{name}}, {{scopes}}, {{environment}}, {{owner}}, {{expiresInSeconds}}, {{graceSeconds}}. */
    body: z.unknown().optional(),
    /** Values to read from the JSON answer: name → dotted path. Default for create: { id: id, secret: secret }; for rotate: { secret: secret }. */
    extract: z.record(z.string(), z.string()).optional(),
    /** Default: any 2xx. */
    expect: z.union([status, statusList]).optional(),
  }),
);

const httpAdapter = z
  .strictObject({
    /** Management API origin; default: target.origin (then its requests count against target.budget). */
    origin: z
      .string()
      .url()
      .transform((v) => new URL(v).origin)
      .optional(),
    /** The admin credential, by secret reference. */
    credential: z
      .strictObject({
        header: z.string().default('Authorization'),
        scheme: z.string().default('Bearer'),
        secret: secretRef,
      })
      .optional(),
    create: httpAction.optional(),
    disable: httpAction.optional(),
    enable: httpAction.optional(),
    rotate: httpAction.optional(),
    delete: httpAction.optional(),
  })
  .superRefine((v, ctx) => {
    for (const [path, name] of unknownPlaceholders(v)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `unknown placeholder {{${name}}}; use ${LIFECYCLE_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
      });
    }
  });

/** A shell command per action; the key's id and name arrive as KEYPROBE_KEY_ID, KEYPROBE_KEY_NAME (…). create and rotate print {"id":…,"secret":…} on stdout. */
const commandAdapter = z.strictObject({
  timeoutMs: z.number().int().positive().default(30_000),
  create: z.string().min(1).optional(),
  disable: z.string().min(1).optional(),
  enable: z.string().min(1).optional(),
  rotate: z.string().min(1).optional(),
  delete: z.string().min(1).optional(),
});

/** What a person is asked to do; {{name}} and {{id}} are filled in. Defaults say it plainly. */
const manualAdapter = z.strictObject({
  disable: z.string().min(1).optional(),
  enable: z.string().min(1).optional(),
  delete: z.string().min(1).optional(),
  /** A person who does not answer within this is taken as "not done". */
  timeoutSeconds: z.number().positive().default(600),
});

const lifecycleSection = z
  .strictObject({
    adapter: z.enum(['http', 'command', 'manual']),
    http: httpAdapter.optional(),
    command: commandAdapter.optional(),
    manual: manualAdapter.optional(),
    /** The request lifecycle checks probe with; default: the first allowed GET. */
    probe: shorthand(z.strictObject({ method, path, body: z.unknown().optional(), headers: headers.optional() })).optional(),
    /** The first rejection after a disable must come within this. */
    revocationBudgetMs: z.number().int().positive().default(1000),
    /** After the first rejection, every probe in this window must be rejected too. */
    stabilityWindowMs: z.number().int().nonnegative().default(2000),
    /** How long the old key may still work after a rotation. */
    rotationGraceSeconds: z.number().nonnegative().default(0),
    /** Disable the profile's own key instead of a canary (re-enabled afterwards). Rotation never touches it. */
    actOnOwnKey: z.boolean().default(false),
  })
  .superRefine((v, ctx) => {
    if (v.adapter !== 'manual' && !v[v.adapter]) {
      ctx.addIssue({ code: 'custom', path: [v.adapter], message: `adapter is "${v.adapter}" but the ${v.adapter} section is missing` });
    }
  });

const extraKey = z.strictObject({
  secret: secretRef,
  id: z.string().optional(),
  name: z.string().optional(),
});

const otherEnvironmentKey = z.strictObject({
  environment: z.string().min(1),
  secret: secretRef,
  name: z.string().optional(),
});

const governanceSection = z.strictObject({
  maxLifetimeDays: z.number().int().positive().default(365),
  rotationWarningDays: z.number().int().nonnegative().default(30),
  /** Owners that count as real custodians; empty means any non-empty owner. */
  custodians: z.array(z.string()).default([]),
});

export const profileSchema = z.strictObject({
  key: keySection,
  target: targetSection,
  allowed: z.array(allowedResource).min(1, 'list at least one resource the key must reach'),
  denied: z.array(deniedResource).default([]),
  /** What counts as refusing a valid key on a resource it may not reach. */
  denial: z
    .strictObject({
      statuses: statusList.default([403]),
      markers: z.array(z.string()).default([]),
    })
    .default({ statuses: [403], markers: [] }),
  /** What counts as refusing a bad credential. */
  rejection: z.strictObject({ statuses: statusList.default([401, 403]) }).default({ statuses: [401, 403] }),
  rateLimit: rateLimitSection.optional(),
  lifecycle: lifecycleSection.optional(),
  /** Keys of other environments that this target must refuse. */
  otherEnvironments: z.array(otherEnvironmentKey).default([]),
  /** A spare key with the same scopes that destructive checks may act on. */
  canary: extraKey.optional(),
  /** A second key for the per-key rate-limit isolation check. */
  secondKey: extraKey.optional(),
  /** A key that has already expired. */
  expiredKey: extraKey.optional(),
  governance: governanceSection.default({ maxLifetimeDays: 365, rotationWarningDays: 30, custodians: [] }),
});

export type ProfileInput = z.input<typeof profileSchema>;
export type Profile = z.output<typeof profileSchema>;
export type AllowedResource = Profile['allowed'][number];
export type DeniedResource = Profile['denied'][number];
export type RateLimitSpec = NonNullable<Profile['rateLimit']>;
export type LifecycleSpec = NonNullable<Profile['lifecycle']>;
export type HttpAction = z.output<typeof httpAction>;
export type HttpAdapterSpec = z.output<typeof httpAdapter>;
export type CommandAdapterSpec = z.output<typeof commandAdapter>;
export type ManualAdapterSpec = z.output<typeof manualAdapter>;
