// The profile format: one key, the system that calls with it, and what the
// key must and must not be able to do. `ProfileInput` is what a person
// writes (short, defaults implied); `Profile` is what the code uses.
import { z } from 'zod';
import { headerName, headers, method, secretRef, shorthand, status, statusList } from '../http/request-schema.js';
import { ADAPTER_KINDS, adapterDefinition, adapterSections } from '../lifecycle/adapters.js';

/** `${env:NAME}` or `${file:path}` — the only way a secret may appear in a profile. */
export const SECRET_REFERENCE = /^\$\{(env|file):[^}]+\}$/;

export const LITERAL_SECRET_MESSAGE = 'a literal secret is not allowed here: reference it as ${env:NAME} or ${file:path}';

export { secretRef };

const path = z.string().regex(/^\//, 'path must start with "/" (the origin goes in target.origin)');

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
  /**
   * Accept secrets (this key, the canary, any ${env:}/${file:} value) shorter
   * than 16 characters, for platforms that issue such keys. keyprobe then
   * needs at least 8 characters and no plain word or number, and a leak of
   * such a secret is harder to tell from ordinary text.
   */
  acceptShortSecrets: z.boolean().default(false),
});

const authSection = z.union([
  z.strictObject({
    header: headerName.default('Authorization'),
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
  /**
   * What the platform's limiter counts. `key`: each key has its own budget
   * (keyprobe paces the requests that carry this key). `client`: one budget
   * per client address, spent by every request from it — no key, bad keys,
   * other keys and management calls included (Directus, nginx `limit_req` on
   * `$binary_remote_addr`). `global`: one budget for everyone. With `client`
   * or `global` keyprobe paces every request it sends to the origin, keeps
   * the rate checks' bursts apart from all other traffic of the run, and
   * skips rate.per-key-isolation (one key's throttle is every key's by design).
   */
  scope: z
    .enum(['key', 'client', 'global'], { message: 'scope must be key, client or global (what the limiter counts)' })
    .default('key')
    .describe(
      "What the platform's rate limiter counts. key (default): each key has its own budget. client: one budget per client address, spent by every request from it (no key, bad keys, other keys, management calls); keyprobe then paces every request to the origin and skips rate.per-key-isolation. global: one budget for everyone, paced like client.",
    ),
});

const lifecycleSection = z
  .strictObject({
    adapter: z.enum(ADAPTER_KINDS),
    ...adapterSections(),
    /** The request lifecycle checks probe with; default: the first allowed GET. */
    probe: shorthand(z.strictObject({ method, path, body: z.unknown().optional(), headers: headers.optional() })).optional(),
    /** The first rejection after a disable must come within this. */
    revocationBudgetMs: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe(
        'How long a disabled, deleted or expired key may still work, in ms (default 1000). A platform that caches keys by design (e.g. a 60 s token cache) needs a budget of that cache, or the checks fail with the measured lag.',
      ),
    /** How long the disable and expiry checks keep probing for the first rejection; see maxRevocationWait. */
    maxRevocationWaitMs: z
      .number()
      .int()
      .positive()
      .max(3_600_000)
      .optional()
      .describe(
        'How long the disable and expiry checks keep probing for the first rejection, in ms, so a lagging revocation is measured rather than guessed. Default: 90000 (enough to see a 60 s cache refresh), or twice revocationBudgetMs if that is longer. Shorten it (e.g. 5000) for a faster run when you only need to know the budget is met: a key still accepted when the wait runs out is reported as "not refused within N ms". Probes are spaced out as the wait grows, so a long wait costs a few hundred requests of target.budget at most.',
      ),
    /** After the first rejection, every probe in this window must be rejected too. */
    stabilityWindowMs: z.number().int().nonnegative().default(2000),
    /** How long the old key may still work after a rotation. */
    rotationGraceSeconds: z.number().nonnegative().default(0),
    /** Disable the profile's own key instead of a canary (re-enabled afterwards). Rotation never touches it. */
    actOnOwnKey: z.boolean().default(false),
    retry: z
      .strictObject({
        attempts: z
          .number()
          .int()
          .min(1)
          .max(20)
          .default(5)
          .describe('Most tries of one lifecycle action, the first included (default 5).'),
        maxSeconds: z
          .number()
          .positive()
          .max(600)
          .default(30)
          .describe(
            'Most time from the first try of an action to the start of its last; a Retry-After beyond it is not waited (default 30).',
          ),
      })
      .default({ attempts: 5, maxSeconds: 30 })
      .describe(
        'Retries of lifecycle actions on a throttled or flaky management API: disable, enable and delete on 429, 502, 503, 504 and network failures; create and rotate only where no key can have been made (no connection, or a 429 / 503 with Retry-After that holds no key). Waits follow Retry-After, else exponential backoff with jitter.',
      ),
  })
  .superRefine((v, ctx) => {
    if (!adapterDefinition(v.adapter).sectionOptional && !v[v.adapter]) {
      ctx.addIssue({ code: 'custom', path: [v.adapter], message: `adapter is "${v.adapter}" but the ${v.adapter} section is missing` });
    }
    if (v.maxRevocationWaitMs !== undefined && v.maxRevocationWaitMs < v.revocationBudgetMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxRevocationWaitMs'],
        message: `must be at least revocationBudgetMs (${v.revocationBudgetMs}): a shorter wait could not tell a revocation within the budget from one that never happens`,
      });
    }
  });

/** Default of lifecycle.maxRevocationWaitMs: long enough to see a 60 s cache refresh. */
export const DEFAULT_MAX_REVOCATION_WAIT_MS = 90_000;

/** How long the disable and expiry checks wait for the first rejection (lifecycle.maxRevocationWaitMs, with its default). */
export function maxRevocationWait(
  lifecycle: Pick<z.output<typeof lifecycleSection>, 'maxRevocationWaitMs' | 'revocationBudgetMs'>,
): number {
  return lifecycle.maxRevocationWaitMs ?? Math.max(DEFAULT_MAX_REVOCATION_WAIT_MS, 2 * lifecycle.revocationBudgetMs);
}

const environmentProbe = shorthand(z.strictObject({ method, path, body: z.unknown().optional(), headers: headers.optional() }));

/** How environments are kept apart on this target; see env.foreign-environment-key-rejected. */
const environmentIsolationSection = z
  .strictObject({
    selectedBy: z
      .enum(['origin', 'key'])
      .default('origin')
      .describe(
        '"origin" (default): this origin serves one environment, so a key of another environment must be refused. "key": one origin serves several environments and the key selects which (Unleash tokens, Stripe sk_test_/sk_live_ on one host): a key of another environment may be served, but only its own environment\'s data. Say how to tell with environmentField, markers and/or onlyHere.',
      ),
    probe: environmentProbe
      .optional()
      .describe(
        'With selectedBy: key, the request whose answer shows which environment served it (environmentField, markers); default: the first allowed GET.',
      ),
    environmentField: z
      .string()
      .min(1)
      .optional()
      .describe(
        'With selectedBy: key, a dotted JSON path in the probe answer whose value names the environment whose data it is (e.g. "environment" or "meta.env"). keyprobe reads it for this environment\'s own key first; a foreign key served the same value sees this environment\'s data (fail), a different value its own (pass).',
      ),
    markers: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "With selectedBy: key, text found only in this environment's data (a record's name or id). Each must appear in what this environment's own key is served on the probe; any of them in what a foreign key is served is a fail.",
      ),
    onlyHere: environmentProbe
      .optional()
      .describe(
        "With selectedBy: key, a request for something that exists only in this environment (e.g. GET /api/flags/prod-only-flag): this environment's own key must get 2xx there; a foreign key that gets 2xx too reaches this environment's data (fail).",
      ),
  })
  .superRefine((v, ctx) => {
    const signals = v.environmentField !== undefined || v.markers.length > 0 || v.onlyHere !== undefined;
    if (v.selectedBy === 'key' && !signals)
      ctx.addIssue({
        code: 'custom',
        path: ['selectedBy'],
        message:
          "with selectedBy: key, say how to tell which environment's data a foreign key is served: environmentField, markers and/or onlyHere",
      });
    if (v.selectedBy === 'origin')
      for (const field of ['probe', 'environmentField', 'onlyHere'] as const)
        if (v[field] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: `${field} is used only with selectedBy: key (with selectedBy: origin a foreign key must simply be refused)`,
          });
    if (v.selectedBy === 'origin' && v.markers.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['markers'],
        message: 'markers are used only with selectedBy: key (with selectedBy: origin a foreign key must simply be refused)',
      });
  });

/** rejection.statuses when the profile does not say: written in the profile reference, never added to an explicit list. */
export const DEFAULT_REJECTION_STATUSES = [400, 401, 403] as const;

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
  /**
   * What counts as refusing a bad credential. `explicit` says the profile
   * wrote the list itself: only then does it count for a request with no
   * credential at all, else 401 and 403 do (auth.missing-key-rejected; RFC
   * 9110 wants 401, and the default's 400 is for malformed keys).
   */
  rejection: z
    .strictObject({
      statuses: statusList
        .optional()
        .meta({ default: [...DEFAULT_REJECTION_STATUSES] })
        .describe(
          'The statuses that count as refusing a credential that must not work (invalid, near-miss, foreign, disabled, deleted, expired keys). Default: [400, 401, 403] — 400 because some platforms answer a malformed or deleted key with it (Tyk). An explicit list is used exactly as written: [401] means only 401. The default does not apply to a request with no credential at all: that must get 401 or 403 unless the list is written out (then any status of it).',
        ),
    })
    .default({})
    .transform(({ statuses }): { statuses: number[]; explicit?: true } =>
      statuses === undefined ? { statuses: [...DEFAULT_REJECTION_STATUSES] } : { statuses, explicit: true },
    ),
  rateLimit: rateLimitSection.optional(),
  lifecycle: lifecycleSection.optional(),
  /** Keys of other environments that this target must refuse. */
  otherEnvironments: z.array(otherEnvironmentKey).default([]),
  /** Whether this origin serves one environment or lets the key select one, and how to tell whose data an answer holds. */
  environmentIsolation: environmentIsolationSection.optional(),
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
export type EnvironmentIsolation = NonNullable<Profile['environmentIsolation']>;
export type ProbeRequest = z.output<typeof environmentProbe>;
