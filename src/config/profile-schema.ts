// The profile format: one key, the system that calls with it, and what the
// key must and must not be able to do. `ProfileInput` is what a person
// writes (short, defaults implied); `Profile` is what the code uses.
import { z } from 'zod';
import { headerName, headers, method, secretRef, shorthand, status, statusList } from '../http/request-schema.js';
import { adapterDefinition, adapterKindSchema, adapterSections } from '../lifecycle/adapters.js';

/** `${env:NAME}` or `${file:path}` — the only way a secret may appear in a profile. */
export const SECRET_REFERENCE = /^\$\{(env|file):[^}]+\}$/;

export const LITERAL_SECRET_MESSAGE = 'a literal secret is not allowed here: reference it as ${env:NAME} or ${file:path}';

export { secretRef };

const path = z
  .string()
  .regex(/^\//, 'path must start with "/" (the origin goes in target.origin)')
  .meta({
    description: 'The path on target.origin, starting with "/", with any query string; the origin itself goes in target.origin.',
    examples: ['/v1/agents', '/v1/agents?limit=1'],
  });
/** A JSON request body (resources and probes; the lifecycle templates have their own). */
const body = z.unknown().meta({
  description: 'A JSON request body, sent with Content-Type: application/json. Default: none.',
  examples: [{ query: 'status:active' }],
});

const allowedResource = shorthand(
  z.strictObject({
    method,
    path,
    expect: z
      .union([status, statusList])
      .optional()
      .meta({
        description: 'The status (or statuses) this resource must answer the key with. Default: any 2xx.',
        examples: [200, [200, 204]],
      }),
    body: body.optional(),
    headers: headers.optional(),
    scope: z
      .string()
      .optional()
      .meta({
        description:
          "The scope this resource needs; privilege.least-privilege compares the key's scopes with the scopes its allowed resources need.",
        examples: ['agents:read'],
      }),
  }),
).meta({
  description:
    'A resource the key must reach, as "METHOD /path" or an object with method, path and the optional expect, body, headers, scope. auth.valid-key-accepted calls each; the first GET is the probe of most other checks.',
  examples: ['GET /v1/agents', { method: 'POST', path: '/v1/calls', body: { agent: 'a-1' }, expect: 201, scope: 'calls:write' }],
});

const deniedResource = shorthand(
  z.strictObject({
    method,
    path,
    statuses: statusList
      .optional()
      .meta({ description: 'The statuses that count as a denial on this resource. Default: denial.statuses.', examples: [[403, 404]] }),
    body: body.optional(),
    headers: headers.optional(),
    markers: z
      .array(z.string())
      .optional()
      .meta({
        description: "Text that must never appear in this resource's denial body (besides denial.markers): data the key must not see.",
        examples: [['billing-export', 'iban']],
      }),
  }),
).meta({
  description:
    'A resource the key must be refused, as "METHOD /path" or an object; authz.unauthorized-resource-denied expects a denial status and no 2xx, 5xx, marker, key or stack trace in the answer.',
  examples: ['DELETE /v1/agents/a-1', { method: 'GET', path: '/v1/billing', statuses: [403, 404] }],
});

const isoDate = z
  .union([z.string(), z.date()])
  .transform((v) => (v instanceof Date ? v.toISOString() : v))
  .refine((v) => !Number.isNaN(Date.parse(v)), 'expected a date like 2027-03-31 or an ISO timestamp');

/** Example values of the key's naming fields, kept consistent with each other. */
const KEY_EXAMPLE = { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call' } as const;

const keySection = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .meta({
        description:
          "The key's name on the platform, by convention <system>-<environment>-<purpose>; naming.key-name-convention checks it agrees with system, environment and purpose and is not generic (test, api, …).",
        examples: [KEY_EXAMPLE.name],
      }),
    system: z
      .string()
      .min(1)
      .meta({ description: 'The system that calls with the key.', examples: [KEY_EXAMPLE.system] }),
    environment: z
      .string()
      .min(1)
      .meta({
        description:
          "The environment the key belongs to; env.key-matches-environment checks it against the target's (target.environment) and the key's known prefixes (e.g. _test_ on prod).",
        examples: [KEY_EXAMPLE.environment, 'staging'],
      }),
    purpose: z
      .string()
      .min(1)
      .meta({ description: 'What the system does with the key.', examples: [KEY_EXAMPLE.purpose] }),
    owner: z
      .string()
      .min(1)
      .optional()
      .meta({
        description: 'Who answers for the key (a team or a person); governance.owner-and-expiry fails without one.',
        examples: ['crm-platform-team@example.com'],
      }),
    created: isoDate.optional().meta({
      description:
        'When the key was issued (a date or an ISO timestamp); with expires, for the maximum-lifetime rule (governance.maxLifetimeDays).',
      examples: ['2026-09-01'],
    }),
    expires: isoDate.optional().meta({
      description:
        'When the key expires (a date or an ISO timestamp); governance.owner-and-expiry fails without one, beyond the maximum lifetime, and flags rotation due within governance.rotationWarningDays.',
      examples: ['2027-03-01', '2027-03-01T12:00:00Z'],
    }),
    secret: secretRef,
    scopes: z
      .array(z.string())
      .optional()
      .meta({
        description:
          'The scopes granted to the key, as declared; target.introspection, when set, tells more and is preferred. privilege.least-privilege fails on a wildcard or a scope no allowed resource needs.',
        examples: [['agents:read', 'agents:call']],
      }),
    id: z
      .string()
      .optional()
      .meta({
        description:
          "The key's id on the platform (not its secret), needed only to act on the key itself (lifecycle.actOnOwnKey). May be a reference.",
        examples: ['key_01HZX3', '${env:CRM_PROD_KEY_ID}'],
      }),
    acceptShortSecrets: z
      .boolean()
      .default(false)
      .meta({
        description:
          'Accept secrets (this key, the canary, any ${env:}/${file:} value) shorter than 16 characters, for platforms that issue such keys. keyprobe then needs at least 8 characters and no plain word or number, and a leak of such a secret is harder to tell from ordinary text.',
        examples: [true],
      }),
  })
  .meta({ description: 'The key under test: who it belongs to, what it is for, and its secret (by reference).' });

const authSection = z
  .union([
    z.strictObject({
      header: headerName
        .default('Authorization')
        .meta({ description: 'The request header that carries the key.', examples: ['Authorization', 'X-API-Key'] }),
      scheme: z
        .string()
        .default('Bearer')
        .meta({
          description:
            'Written before the key in the header, with one space: "Bearer" sends "Bearer <key>". Empty ("") for a bare key (X-API-Key style).',
          examples: ['Bearer', 'Token', ''],
        }),
    }),
    z.strictObject({
      query: z
        .string()
        .min(1)
        .meta({
          description:
            'The query parameter that carries the key, for a platform whose contract puts keys in the URL (then auth.key-in-query-rejected does not apply; the key will appear in access logs).',
          examples: ['api_key'],
        }),
    }),
  ])
  .meta({
    description: 'Where the key travels: a header (with or without a scheme) or, where that is the contract, a query parameter.',
    examples: [{ header: 'Authorization', scheme: 'Bearer' }, { header: 'X-API-Key', scheme: '' }, { query: 'api_key' }],
  });

const introspectionSection = z
  .strictObject({
    path: path.meta({
      description: 'The path (on target.origin) that answers, for the key it is called with, a JSON object describing that key.',
      examples: ['/v1/me'],
    }),
    scopesField: z
      .string()
      .default('scopes')
      .meta({
        description: "Dotted JSON path of the key's scopes in the answer (a list, or a space-separated string).",
        examples: ['data.scopes'],
      }),
    environmentField: z
      .string()
      .default('environment')
      .meta({ description: "Dotted JSON path of the key's environment in the answer.", examples: ['data.env'] }),
    nameField: z
      .string()
      .default('name')
      .meta({ description: "Dotted JSON path of the key's name in the answer.", examples: ['data.name'] }),
  })
  .meta({
    description:
      'An endpoint that tells what the key is (its scopes, environment, name); when present, privilege.least-privilege and env.key-matches-environment use what it says over what the profile declares.',
  });

const targetSection = z
  .strictObject({
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
      .transform((v) => new URL(v).origin)
      .meta({
        description:
          'Where the API answers: scheme, host and optional port, no path. The key is only ever sent here (redirects are not followed with it); --allow-origin / KEYPROBE_ALLOWED_ORIGINS can pin it.',
        examples: ['https://api.example.com', 'http://127.0.0.1:8080'],
      }),
    environment: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "The environment this origin serves. Default: the key's (key.environment).", examples: ['prod'] }),
    auth: authSection.default({ header: 'Authorization', scheme: 'Bearer' }),
    introspection: introspectionSection.optional(),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(600_000)
      .default(5000)
      .meta({
        description: 'Timeout of each request, in ms; a slow or dead target gives the check an error, not a hang.',
        examples: [10000],
      }),
    budget: z
      .number()
      .int()
      .positive()
      .max(1_000_000)
      .default(1000)
      .meta({
        description:
          'The most requests one run may send to this target, all checks together (lifecycle management calls to the same origin included). A check that would exceed it ends in error.',
        examples: [2000],
      }),
    ca: z
      .string()
      .optional()
      .meta({
        description:
          "A PEM file with the CA that signed the target's certificate, relative to the profile's folder (or a --secrets-dir); or give it on the command line with --ca.",
        examples: ['certs/internal-ca.pem'],
      }),
  })
  .meta({ description: 'The API under test: its origin, where the key travels, timeouts and the request budget.' });

/** One request a check sends to probe the key: "GET /v1/agents" or the object form. */
function probeRequest() {
  return shorthand(z.strictObject({ method, path, body: body.optional(), headers: headers.optional() }));
}

const rateLimitSection = z
  .strictObject({
    limit: z
      .number()
      .int()
      .positive()
      .meta({
        description:
          'The calls one key may make per window (windowSeconds). For a token bucket with a burst, the calls a full bucket lets through at once (rate × window + burst); see "Declaring real limiter shapes".',
        examples: [20, 40],
      }),
    windowSeconds: z
      .number()
      .positive()
      .default(1)
      .meta({ description: "The length of the limiter's window, in seconds: limit calls per windowSeconds.", examples: [1, 60] }),
    probe: probeRequest().meta({
      description:
        'The request the rate checks burst with: cheap, idempotent, and allowed for the key. rate.limit-triggered sends it until the limiter answers with a throttle status.',
      examples: ['GET /v1/agents'],
    }),
    tolerance: z
      .number()
      .min(0)
      .max(10)
      .default(0.1)
      .meta({
        description: 'How far the accepted calls may exceed limit before rate.limit-triggered fails, as a fraction: 0.1 allows 10% more.',
        examples: [0.25],
      }),
    statuses: statusList
      .default([429])
      .meta({ description: 'The statuses that mean "throttled"; anything but 429 is flagged as an advisory.', examples: [[429, 503]] }),
    concurrency: z
      .number()
      .int()
      .positive()
      .max(256)
      .default(8)
      .meta({
        description:
          'The least requests in flight while bursting; a burst keeps more when the measured round trip needs them (at most 512).',
        examples: [16],
      }),
    // `client`: Directus, nginx `limit_req` on `$binary_remote_addr`; keyprobe then keeps the rate checks' bursts apart from all other traffic.
    scope: z
      .enum(['key', 'client', 'global'], { message: 'scope must be key, client or global (what the limiter counts)' })
      .default('key')
      .meta({
        description:
          "What the platform's rate limiter counts. key (default): each key has its own budget. client: one budget per client address, spent by every request from it (no key, bad keys, other keys, management calls); keyprobe then paces every request to the origin and skips rate.per-key-isolation. global: one budget for everyone, paced like client.",
        examples: ['client'],
      }),
  })
  .meta({
    description:
      "The key's expected rate limit; turns on rate.limit-triggered, rate.limit-signalled, rate.recovers and (with secondKey) rate.per-key-isolation.",
    examples: [{ limit: 20, windowSeconds: 1, probe: 'GET /v1/agents' }],
  });

const lifecycleSection = z
  .strictObject({
    adapter: adapterKindSchema,
    ...adapterSections(),
    probe: probeRequest()
      .optional()
      .meta({
        description: 'The request the lifecycle checks probe a key with (accepted before, refused after). Default: the first allowed GET.',
        examples: ['GET /v1/agents/me'],
      }),
    /** The first rejection after a disable must come within this. */
    revocationBudgetMs: z
      .number()
      .int()
      .positive()
      .default(1000)
      .meta({
        description:
          'How long a disabled, deleted or expired key may still work, in ms (default 1000). A platform that caches keys by design (e.g. a 60 s token cache) needs a budget of that cache, or the checks fail with the measured lag.',
        examples: [60000],
      }),
    /** How long the disable and expiry checks keep probing for the first rejection; see maxRevocationWait. */
    maxRevocationWaitMs: z
      .number()
      .int()
      .positive()
      .max(3_600_000)
      .optional()
      .meta({
        examples: [5000],
        description:
          'How long the disable and expiry checks keep probing for the first rejection, in ms, so a lagging revocation is measured rather than guessed. Default: 90000 (enough to see a 60 s cache refresh), or twice revocationBudgetMs if that is longer. Shorten it (e.g. 5000) for a faster run when you only need to know the budget is met: a key still accepted when the wait runs out is reported as "not refused within N ms". Probes are spaced out as the wait grows, so a long wait costs a few hundred requests of target.budget at most.',
      }),
    stabilityWindowMs: z
      .number()
      .int()
      .nonnegative()
      .default(2000)
      .meta({
        description:
          'After the first rejection, every probe in this window (ms) must be rejected too: a key that flaps between accepted and refused (nodes out of sync) fails.',
        examples: [5000],
      }),
    rotationGraceSeconds: z
      .number()
      .nonnegative()
      .default(0)
      .meta({
        description:
          'How long the old secret may keep working after a rotation, in seconds; lifecycle.rotated-key expects it refused after that.',
        examples: [30],
      }),
    actOnOwnKey: z
      .boolean()
      .default(false)
      .meta({
        description:
          "Disable the profile's own key (key.id) instead of a canary, and enable it again afterwards. Rotation never touches it. Off by default: acting on the key under test must be chosen.",
        examples: [true],
      }),
    retry: z
      .strictObject({
        attempts: z
          .number()
          .int()
          .min(1)
          .max(20)
          .default(5)
          .meta({ description: 'Most tries of one lifecycle action, the first included (default 5).', examples: [3] }),
        maxSeconds: z
          .number()
          .positive()
          .max(600)
          .default(30)
          .meta({
            description:
              'Most time from the first try of an action to the start of its last, in seconds; a Retry-After beyond it is not waited (default 30).',
            examples: [60],
          }),
      })
      .default({ attempts: 5, maxSeconds: 30 })
      .meta({
        description:
          'Retries of lifecycle actions on a throttled or flaky management API: disable, enable and delete on 429, 502, 503, 504 and network failures; create and rotate only where no key can have been made (no connection, or a 429 / 503 with Retry-After that holds no key). Waits follow Retry-After, else exponential backoff with jitter.',
        examples: [{ attempts: 3, maxSeconds: 60 }],
      }),
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

const environmentProbe = probeRequest();

/** How environments are kept apart on this target; see env.foreign-environment-key-rejected. */
const environmentIsolationSection = z
  .strictObject({
    selectedBy: z
      .enum(['origin', 'key'])
      .default('origin')
      .meta({
        description:
          '"origin" (default): this origin serves one environment, so a key of another environment must be refused. "key": one origin serves several environments and the key selects which (Unleash tokens, Stripe sk_test_/sk_live_ on one host): a key of another environment may be served, but only its own environment\'s data. Say how to tell with environmentField, markers and/or onlyHere.',
        examples: ['key'],
      }),
    probe: environmentProbe.optional().meta({
      description:
        'With selectedBy: key, the request whose answer shows which environment served it (environmentField, markers); default: the first allowed GET.',
      examples: ['GET /api/client/features'],
    }),
    environmentField: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          "With selectedBy: key, a dotted JSON path in the probe answer whose value names the environment whose data it is. keyprobe reads it for this environment's own key first; a foreign key served the same value sees this environment's data (fail), a different value its own (pass).",
        examples: ['environment', 'meta.env'],
      }),
    markers: z
      .array(z.string().min(1))
      .default([])
      .meta({
        description:
          "With selectedBy: key, text found only in this environment's data (a record's name or id). Each must appear in what this environment's own key is served on the probe; any of them in what a foreign key is served is a fail.",
        examples: [['prod-only-flag']],
      }),
    onlyHere: environmentProbe.optional().meta({
      description:
        "With selectedBy: key, a request for something that exists only in this environment (e.g. GET /api/flags/prod-only-flag): this environment's own key must get 2xx there; a foreign key that gets 2xx too reaches this environment's data (fail).",
      examples: ['GET /api/flags/prod-only-flag'],
    }),
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

/** Another key of the same system (canary, second key, expired key); what each is for is said where it is used. */
const extraKey = z.strictObject({
  secret: secretRef,
  id: z
    .string()
    .optional()
    .meta({
      description: "The key's id on the platform (not its secret): what the lifecycle adapter acts on. May be a reference.",
      examples: ['${env:CRM_PROD_CANARY_KEY_ID}', 'key_01HZX4'],
    }),
  name: z
    .string()
    .optional()
    .meta({
      description: "The key's name on the platform, shown in reports and given to the lifecycle adapter.",
      examples: ['crm-prod-agent-call-canary'],
    }),
});

const otherEnvironmentKey = z
  .strictObject({
    environment: z
      .string()
      .min(1)
      .meta({ description: "The environment this key belongs to (not the target's).", examples: ['staging'] }),
    secret: secretRef,
    name: z
      .string()
      .optional()
      .meta({ description: "The key's name, shown in reports.", examples: ['crm-staging-agent-call'] }),
  })
  .meta({
    description:
      'A key of another environment, which this target must refuse (or, with environmentIsolation.selectedBy: key, serve only its own data).',
    examples: [{ environment: 'staging', secret: '${env:CRM_STAGING_KEY}' }],
  });

const governanceSection = z
  .strictObject({
    maxLifetimeDays: z
      .number()
      .int()
      .positive()
      .default(365)
      .meta({
        description: 'The longest a key may live, from key.created (or today) to key.expires; governance.owner-and-expiry fails beyond it.',
        examples: [90],
      }),
    rotationWarningDays: z
      .number()
      .int()
      .nonnegative()
      .default(30)
      .meta({
        description: 'governance.owner-and-expiry flags (as an advisory) a key that expires within this many days: rotation is due.',
        examples: [14],
      }),
    custodians: z
      .array(z.string())
      .default([])
      .meta({
        description: 'The owners that count as real custodians (teams or people); empty: any non-empty key.owner counts.',
        examples: [['crm-platform-team@example.com']],
      }),
  })
  .meta({ description: 'The governance rules governance.owner-and-expiry holds the key to.' });

export const profileSchema = z.strictObject({
  key: keySection,
  target: targetSection,
  allowed: z
    .array(allowedResource)
    .min(1, 'list at least one resource the key must reach')
    .meta({ description: 'The resources the key must reach; at least one.', examples: [['GET /v1/agents', 'POST /v1/agents/a-1/call']] }),
  denied: z
    .array(deniedResource)
    .default([])
    .meta({
      description: "The resources the key must be refused (other systems' data, admin routes, writes it may not make).",
      examples: [['GET /v1/billing', 'DELETE /v1/agents/a-1']],
    }),
  denial: z
    .strictObject({
      statuses: statusList.default([403]).meta({
        description:
          'The statuses that count as refusing a valid key on a resource it may not reach (e.g. add 404 for a platform that hides what exists).',
        examples: [[403, 404]],
      }),
      markers: z
        .array(z.string())
        .default([])
        .meta({ description: 'Text that must never appear in any denial body: data the key must not see.', examples: [['internal-only']] }),
    })
    .default({ statuses: [403], markers: [] })
    .meta({ description: 'What counts as refusing a valid key on a resource it may not reach (authz.unauthorized-resource-denied).' }),
  /**
   * What counts as refusing a bad credential. `explicit` says the profile
   * wrote the list itself: only then does it count for a request with no
   * credential at all, else 401 and 403 do (auth.missing-key-rejected; RFC
   * 9110 wants 401, and the default's 400 is for malformed keys).
   */
  rejection: z
    .strictObject({
      statuses: statusList.optional().meta({
        default: [...DEFAULT_REJECTION_STATUSES],
        description:
          'The statuses that count as refusing a credential that must not work (invalid, near-miss, foreign, disabled, deleted, expired keys). Default: [400, 401, 403] — 400 because some platforms answer a malformed or deleted key with it (Tyk). An explicit list is used exactly as written: [401] means only 401. The default does not apply to a request with no credential at all: that must get 401 or 403 unless the list is written out (then any status of it).',
        examples: [[401], [400, 401, 403]],
      }),
    })
    .default({})
    .meta({ description: 'What counts as refusing a credential that must not work (the auth.*, env.* and lifecycle.* checks).' })
    .transform(({ statuses }): { statuses: number[]; explicit?: true } =>
      statuses === undefined ? { statuses: [...DEFAULT_REJECTION_STATUSES] } : { statuses, explicit: true },
    ),
  rateLimit: rateLimitSection.optional(),
  lifecycle: lifecycleSection.optional().meta({
    description:
      'How keyprobe disables, enables, rotates, creates and deletes keys on the platform (adapter: http, command or manual), and how fast a revoked key must stop working. Turns on the lifecycle.* checks.',
  }),
  otherEnvironments: z
    .array(otherEnvironmentKey)
    .default([])
    .meta({
      description: 'Keys of other environments; env.foreign-environment-key-rejected checks this target refuses each.',
      examples: [[{ environment: 'staging', secret: '${env:CRM_STAGING_KEY}' }]],
    }),
  environmentIsolation: environmentIsolationSection.optional().meta({
    description:
      'Whether this origin serves one environment or lets the key select one, and how to tell whose data an answer holds (env.foreign-environment-key-rejected).',
    examples: [{ selectedBy: 'key', markers: ['prod-only-flag'] }],
  }),
  canary: extraKey.optional().meta({
    description:
      'A spare key with the same scopes that the destructive checks (disable, rotate) act on instead of the key under test; also sent in the URL query by auth.key-in-query-rejected. Not needed when lifecycle can create one.',
    examples: [{ secret: '${env:CRM_PROD_CANARY_KEY}', id: '${env:CRM_PROD_CANARY_KEY_ID}', name: 'crm-prod-agent-call-canary' }],
  }),
  secondKey: extraKey.optional().meta({
    description: 'A second key, throttled separately from the first, for rate.per-key-isolation.',
    examples: [{ secret: '${env:CRM_PROD_SECOND_KEY}' }],
  }),
  expiredKey: extraKey.optional().meta({
    description:
      'A key that has already expired, for lifecycle.expired-key-rejected (where the lifecycle adapter cannot create a short-lived one).',
    examples: [{ secret: '${env:CRM_PROD_EXPIRED_KEY}' }],
  }),
  governance: governanceSection.default({ maxLifetimeDays: 365, rotationWarningDays: 30, custodians: [] }),
});

export type ProfileInput = z.input<typeof profileSchema>;
export type Profile = z.output<typeof profileSchema>;
export type AllowedResource = Profile['allowed'][number];
export type DeniedResource = Profile['denied'][number];
export type RateLimitSpec = NonNullable<Profile['rateLimit']>;
export type LifecycleSpec = NonNullable<Profile['lifecycle']>;
export type EnvironmentIsolation = NonNullable<Profile['environmentIsolation']>;
export type ProbeRequest = z.output<typeof environmentProbe>;
