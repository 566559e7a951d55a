// The `http` lifecycle adapter: one management API request template per
// action, with {{placeholders}} (URL-encoded in the path), values extracted
// from the JSON answer by dotted path, and the admin credential from a secret
// reference. Requests go through the one HttpClient (origin lock, timeouts,
// budget when the management API is the target itself) and are not recorded
// as exchanges: every answer is first searched for secrets, which are
// registered before anything else happens to it, whatever its status. Of a
// create or rotate answer only the field names are kept as evidence.
// Throttled and failed requests are retried where that is safe (retry.ts):
// the HTTP client waits throttles out for disable, enable and delete (one
// still throttled ends the action), this adapter retries everything else.
import { z } from 'zod';
import { CheckError, InterruptedError, NoAnswerError, ThrottledError, type ThrottledTry } from '../errors.js';
import { HttpClient, RequestBudget, type Credential, type HttpResponse, type RequestSigner, type ThrottleLimits } from '../http/client.js';
import { parseRateLimitHeaders, retryAfterWaitSeconds, saysRetryAfter } from '../http/rate-limit-headers.js';
import { headerName, headers, method, secretRef, shorthand, status, statusList } from '../http/request-schema.js';
import { createSigner, signerSchema } from '../http/signers.js';
import type { LifecycleAttempt } from '../result.js';
import { randomTokens, searchJson, type AnswerSearch } from './answer-secrets.js';
import { LifecycleAdapterBase, type StateAction } from './adapter-base.js';
import { defineAdapter } from './adapter-definition.js';
import { dq, sq } from './shell-quote.js';
import { excerpt, type AdapterDeps } from './deps.js';
import { isIdempotent, retryableAnswer, retryableNoAnswer, retryEnd, withRetries, type Tried, type Try } from './retry.js';
import {
  ACTION_PURPOSE,
  fillText,
  placeholderValues,
  timingFrom,
  type ActionResult,
  type AnswerFields,
  type CreatedKey,
  type KeyRef,
  type LifecycleAction,
  type NewKeySpec,
  type RotatedKey,
} from './types.js';

/** Placeholders a lifecycle template may use; a body field that is exactly one placeholder without a value is dropped. */
export const LIFECYCLE_PLACEHOLDERS = [
  'id',
  'name',
  'scopes',
  'environment',
  'owner',
  'expiresInSeconds',
  'expiresAt',
  'expiresAtEpochSeconds',
  'expiresAtEpochMs',
  'graceSeconds',
] as const;

/** Management requests to another origin do not touch the target; they get their own cap. */
const OTHER_ORIGIN_BUDGET = 200;

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

const placeholderList = (names: readonly string[]) => names.map((p) => `{{${p}}}`).join(', ');

/** The placeholders each action has values for; the others are empty (dropped from a body). */
const ACTION_PLACEHOLDERS: Readonly<Record<LifecycleAction, readonly (typeof LIFECYCLE_PLACEHOLDERS)[number][]>> = {
  create: LIFECYCLE_PLACEHOLDERS.filter((p) => p !== 'id' && p !== 'graceSeconds'),
  disable: ['id', 'name'],
  enable: ['id', 'name'],
  rotate: ['id', 'name', 'graceSeconds'],
  delete: ['id', 'name'],
};

/** One management API request: "POST /admin/keys/{{id}}/disable", or the object form. */
const httpRequest = shorthand(
  z.strictObject({
    method,
    path: z
      .string()
      .regex(/^\//, 'path must start with "/" (the origin goes in lifecycle.http.origin)')
      .meta({
        description:
          'Path on the management API origin (lifecycle.http.origin), starting with "/", with any query string. It may hold {{placeholders}}; their values are URL-encoded, so each stays one path segment, and a value of "." or ".." is refused before anything is sent.',
        examples: ['/admin/keys', '/admin/keys/{{id}}/disable'],
      }),
    headers: headers.optional(),
    /** JSON body; strings may hold the placeholders of LIFECYCLE_PLACEHOLDERS. */
    body: z
      .unknown()
      .optional()
      .meta({
        description: `JSON body, sent with Content-Type: application/json. Its strings may hold ${placeholderList(LIFECYCLE_PLACEHOLDERS)}: {{expiresAt}} is the expiry as ISO 8601 UTC (2027-03-01T12:00:30Z), {{expiresAtEpochSeconds}} and {{expiresAtEpochMs}} as Unix time, {{expiresInSeconds}} relative, all computed when the request is sent. A string that is exactly one placeholder takes its raw value (a number, a list of scopes), or is left out when the action has no value for it. Default: no body.`,
        examples: [
          { name: '{{name}}', scopes: '{{scopes}}', environment: '{{environment}}', expiresAt: '{{expiresAt}}' },
          { gracePeriodSeconds: '{{graceSeconds}}' },
        ],
      }),
    /** Where the answer holds the new key: field → dotted path. */
    extract: z
      .strictObject({
        id: z
          .string()
          .min(1)
          .default('id')
          .meta({
            description:
              "Dotted path of the new key's id in the JSON answer (data.id; data.0.id into a list). keyprobe addresses the key by it afterwards, and deletes it by it even when the create otherwise failed. It may name the secret field itself (a platform that addresses a token by its secret): the id is then treated as a secret everywhere.",
            examples: ['data.id', 'secret'],
          }),
        secret: z
          .string()
          .min(1)
          .default('secret')
          .meta({
            description:
              'Dotted path of the new secret in the JSON answer. A create or rotate whose answer holds no string there fails. The value is registered as a secret (redacted everywhere) before anything else sees the answer.',
            examples: ['data.key', 'token'],
          }),
      })
      .optional()
      .meta({
        description:
          'create and rotate only: where the JSON answer holds the new key. Field names, not secrets, so `secret: data.token` is fine in a profile. Of the answer only its field names are kept as evidence. Default: { id: id, secret: secret }.',
        examples: [{ id: 'data.id', secret: 'data.key' }],
      }),
    /** Default: any 2xx. */
    expect: z
      .union([status, statusList])
      .optional()
      .meta({
        description:
          'The status, or list of statuses, that means the action was done; any other answer fails it. Default: any 2xx. A delete answered 404 after an earlier try may have reached the platform counts as already done.',
        examples: [201, [200, 204]],
      }),
  }),
);

/** The `lifecycle.http.<action>` template: what it is for, the placeholders it has values for, and an example. */
function httpAction(action: LifecycleAction, examples: readonly unknown[]) {
  const newKey = action === 'create' || action === 'rotate' ? ' Its JSON answer must hold the new secret (see extract).' : '';
  return httpRequest.optional().meta({
    description: `${ACTION_PURPOSE[action]}${newKey} Placeholders with a value for ${action}: ${placeholderList(ACTION_PLACEHOLDERS[action])}.`,
    examples: [...examples],
  });
}

export const httpAdapterSchema = z
  .strictObject({
    /** Management API origin; default: target.origin (then its requests count against target.budget). */
    origin: z
      .string()
      .url()
      .transform((v) => new URL(v).origin)
      .optional()
      .meta({
        description: `Origin (scheme, host, port) of the management API; a path is dropped. Default: target.origin, whose target.budget the lifecycle requests then share. Another origin gets its own cap of ${OTHER_ORIGIN_BUDGET} requests per run.`,
        examples: ['https://admin.example.com'],
      }),
    /** The admin credential, by secret reference. */
    credential: z
      .strictObject({
        header: headerName.default('Authorization').meta({
          description: 'The header that carries the admin credential.',
          examples: ['X-Admin-Token'],
        }),
        scheme: z
          .string()
          .default('Bearer')
          .meta({
            description: 'Written before the secret, with a space (Authorization: Bearer <secret>); "" sends the secret alone.',
            examples: ['Token', ''],
          }),
        secret: secretRef.meta({
          description:
            'The admin token of the management API, only as a reference: ${env:NAME} or ${file:path}. Never the key under test; a literal token is refused.',
          examples: ['${env:ADMIN_TOKEN}', '${file:secrets/admin.token}'],
        }),
      })
      .optional()
      .meta({
        description:
          'The admin credential sent with every management request, as <header>: <scheme> <secret>. Absent: requests carry no credential (a management API that needs none, or authenticates by signer).',
        examples: [{ secret: '${env:ADMIN_TOKEN}' }],
      }),
    signer: signerSchema.optional(),
    create: httpAction('create', [
      {
        method: 'POST',
        path: '/admin/keys',
        body: { name: '{{name}}', scopes: '{{scopes}}', expiresAt: '{{expiresAt}}' },
        expect: 201,
        extract: { id: 'data.id', secret: 'data.key' },
      },
    ]),
    disable: httpAction('disable', ['POST /admin/keys/{{id}}/disable']),
    enable: httpAction('enable', ['POST /admin/keys/{{id}}/enable']),
    rotate: httpAction('rotate', [{ method: 'POST', path: '/admin/keys/{{id}}/rotate', body: { gracePeriodSeconds: '{{graceSeconds}}' } }]),
    delete: httpAction('delete', ['DELETE /admin/keys/{{id}}']),
  })
  .superRefine((v, ctx) => {
    for (const [path, name] of unknownPlaceholders(v)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `unknown placeholder {{${name}}}; use ${LIFECYCLE_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
      });
    }
  })
  .meta({
    description:
      'The http adapter (adapter: http): one management API request per action, a "METHOD /path" string or { method, path, headers, body, expect, extract }, with {{placeholders}} filled in. Requests go to origin with credential (never the key under test), signed by signer if declared; throttled and failed ones are retried within lifecycle.retry. An action left out is one the adapter cannot do: the checks that need it skip and say so. Every answer is searched for secrets, which are registered before anything else happens to it. See docs/lifecycle.md.',
  });

export type HttpAction = z.output<typeof httpRequest>;
export type HttpAdapterSpec = z.output<typeof httpAdapterSchema>;

/** What one try got: an answer, none (and why), or only throttled answers the client could not wait out (ThrottledError). */
type Outcome =
  | { readonly kind: 'answer'; readonly res: HttpResponse; readonly ok: boolean; readonly found: Found }
  | { readonly kind: 'none'; readonly message: string; readonly transient: boolean; readonly mayHaveArrived: boolean }
  | { readonly kind: 'throttled'; readonly detail: string; readonly answers: readonly ThrottledTry[] };

/** What an answer held, found before anything else was done with it. */
interface Found extends AnswerFields {
  readonly id?: string;
  readonly secret?: string;
  /** The answer held a key (an id or something secret-looking): a create or rotate happened. */
  readonly heldKey: boolean;
  /** Kept as evidence: field names of a create or rotate answer, a redacted excerpt of others. */
  readonly evidence: string;
}

/** What a call came to: the last try's outcome, success, and if not, why. */
interface CallResult {
  readonly last: Outcome;
  readonly ok: boolean;
  readonly reason?: string;
  readonly timing: ReturnType<typeof timingFrom>;
}

export const httpAdapter = defineAdapter({
  kind: 'http',
  summary: "one request per action to the platform's management API",
  schema: httpAdapterSchema,
  create: (spec, deps) => new HttpLifecycleAdapter(spec, deps),
  restoreLine: (spec, action, key, targetOrigin) => curlRestoreLine(spec, action, key, targetOrigin),
});

export class HttpLifecycleAdapter extends LifecycleAdapterBase<'http', HttpAdapterSpec> {
  readonly kind = 'http';
  private readonly client: HttpClient;
  /** Signs each request when the management API authenticates by signature (lifecycle.http.signer). */
  private readonly sign?: RequestSigner;

  constructor(spec: HttpAdapterSpec, deps: AdapterDeps) {
    super(spec, deps);
    if (spec.signer) this.sign = createSigner(spec.signer);
    const origin = spec.origin ?? deps.profile.target.origin;
    this.client =
      origin === deps.http.origin
        ? deps.http.fork(this.signal)
        : new HttpClient({
            origin,
            auth: deps.profile.target.auth,
            primaryKey: deps.profile.key.secret,
            timeoutMs: deps.profile.target.timeoutMs,
            budget: new RequestBudget(OTHER_ORIGIN_BUDGET),
            secrets: deps.secrets,
            dispatcher: deps.http.dispatcher,
            signal: this.signal,
          });
  }

  protected async createKey(spec: NewKeySpec): Promise<ActionResult<CreatedKey>> {
    const r = await this.call('create', spec, (now) => placeholderValues(spec, {}, now));
    if ('outcome' in r) return r;
    const orphan = (id: string | undefined): KeyRef | undefined => (id !== undefined ? { name: spec.name, id } : undefined);
    const found = r.last.kind === 'answer' ? r.last.found : undefined;
    if (!r.ok || !found) return failed(r.reason!, r.timing, orphan(found?.id));
    if (!found.secret)
      return failed(`create request ${this.describe('create', spec)} answered, but the answer held no secret`, r.timing, orphan(found.id));
    return {
      outcome: 'done',
      value: {
        name: spec.name,
        secret: found.secret,
        ...(found.id !== undefined ? { id: found.id } : {}),
        fields: found.fields,
        fieldNames: found.fieldNames,
      },
      timing: r.timing,
    };
  }

  protected async rotateKey(key: KeyRef, graceSeconds: number): Promise<ActionResult<RotatedKey>> {
    const r = await this.call('rotate', key, (now) => placeholderValues(key, { graceSeconds }, now));
    if ('outcome' in r) return r;
    const found = r.last.kind === 'answer' ? r.last.found : undefined;
    if (!r.ok || !found) return failed(r.reason!, r.timing);
    if (!found.secret) return failed(`rotate request ${this.describe('rotate', key)} answered, but the answer held no secret`, r.timing);
    return {
      outcome: 'done',
      value: {
        secret: found.secret,
        ...(found.id !== undefined ? { id: found.id } : {}),
        fields: found.fields,
        fieldNames: found.fieldNames,
      },
      timing: r.timing,
    };
  }

  protected async changeState(action: StateAction, key: KeyRef): Promise<ActionResult> {
    const r = await this.call(action, key, (now) => placeholderValues(key, {}, now));
    if ('outcome' in r) return r;
    return r.ok ? { outcome: 'done', value: undefined, timing: r.timing } : failed(r.reason!, r.timing);
  }

  private describe(action: LifecycleAction, key: KeyRef | NewKeySpec): string {
    const template = this.spec[action]!;
    return `${template.method} ${this.deps.secrets.redact(fillText(template.path, placeholderValues(key), encodeURIComponent))}`;
  }

  /**
   * Sends one templated request, retrying where that is safe, and records
   * the action. Every answer is searched for secrets (registered at once)
   * before its status is even looked at. An ActionResult instead of a
   * CallResult is final: the request was refused before sending, or a
   * cleanup copy's time ran out.
   */
  private async call(
    action: LifecycleAction,
    key: KeyRef | NewKeySpec,
    valuesAt: (now: number) => Record<string, unknown>,
  ): Promise<CallResult | ActionResult<never>> {
    const template: HttpAction = this.spec[action]!;
    const firstPath = fillText(template.path, valuesAt(Date.now()), encodeURIComponent);
    const request = `${template.method} ${this.redact(firstPath)}`;
    const record = (
      outcome: 'done' | 'failed',
      detail: string,
      durationMs: number,
      attempts: readonly LifecycleAttempt[],
      output?: string,
    ) => this.record(action, key, { outcome, detail, durationMs, attempts, ...(output ? { output } : {}) });

    const startedAt = performance.now();
    if (climbsOut(template.path, firstPath)) {
      const reason = `a placeholder value would not stay one path segment in ${template.path} (it is "." or ".."), so ${request} is not sent`;
      record('failed', reason, 0, []);
      return failed(`${action} request refused: ${reason}`);
    }
    const limits = this.retryLimits();
    // The client waits throttles out within the bounds of the whole action (tries, and the time left of it).
    const { end, name } = retryEnd(limits, startedAt);
    const throttleLimits: ThrottleLimits = { maxTries: limits.policy.attempts, until: end, untilName: name };
    const requests = new OneRequest(action, template, (values) => this.sendOnce(template, values, action, key, throttleLimits));
    let tried: Tried<Outcome>;
    try {
      tried = await withRetries(limits, () => requests.tryOnce(valuesAt(Date.now())));
    } catch (err) {
      // During a run an interruption ends the check; a cleanup copy's "interruption" is its own time limit running out.
      if (!(err instanceof InterruptedError) || this.cleanupTimeoutMs === undefined) throw err;
      const timing = timingFrom(startedAt);
      const reason = `cleanup time (${this.cleanupTimeoutMs} ms) ran out`;
      record('failed', `${request}: ${reason}`, timing.durationMs, []);
      return failed(`${action} request ${request} failed: ${reason}`, timing);
    }
    const timing = timingFrom(startedAt);
    const { result: last, attempts, gaveUp } = tried;
    const tries =
      attempts.length > 1 ? ` after ${attempts.length} attempts (${attempts.map((a) => a.status ?? 'no answer').join(', ')})` : '';
    const creates = action === 'create';

    if (last.kind === 'throttled') {
      // The client has waited every throttle out as long as this action may take: nothing to retry on top.
      record('failed', last.detail, timing.durationMs, attempts);
      return { last, ok: false, reason: `${action} request ${last.detail}`, timing };
    }
    if (last.kind === 'none') {
      const reason = gaveUp ?? `failed: ${last.message}`;
      // A create or rotate that may have reached the platform is never retried (see retry.ts).
      const unsafe = (creates || action === 'rotate') && last.mayHaveArrived && !gaveUp;
      const note = unsafe ? `; not retried: the platform may have acted on it${creates ? `, so ${mayExist(key)}` : ''}` : '';
      record('failed', `${request}: ${reason}${tries}`, timing.durationMs, attempts);
      return { last, ok: false, reason: `${action} request ${request} ${reason}${note}`, timing };
    }
    const { res, ok, found } = last;
    if (ok || requests.alreadyGone(res.status)) {
      const gone = ok ? '' : ': already gone (an earlier try may have deleted it)';
      record('done', `${request} → ${res.status}${tries}${gone}`, timing.durationMs, attempts, found.evidence);
      return { last, ok: true, timing };
    }
    const why = gaveUp ?? `answered ${res.status}, expected ${requests.expectedText}`;
    const note = !creates
      ? ''
      : found.id !== undefined
        ? ' (the answer names the key it made, so it can be deleted)'
        : res.status >= 500 && !gaveUp
          ? `; ${mayExist(key)}`
          : '';
    record('failed', `${request} → ${res.status}: ${why}${tries}`, timing.durationMs, attempts, found.evidence);
    return { last, ok: false, reason: `${action} request ${request} ${why}${note}`, timing };
  }

  /** One request. What it got is searched for secrets, which are registered, before this returns. */
  private async sendOnce(
    template: HttpAction,
    values: Record<string, unknown>,
    action: LifecycleAction,
    key: KeyRef | NewKeySpec,
    throttleLimits: ThrottleLimits,
  ): Promise<Outcome> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(template.headers ?? {})) headers[k] = fillText(v, values);
    const body = template.body === undefined ? undefined : fillBody(template.body, values);
    const cred = this.spec.credential;
    const credential: Credential = cred
      ? { kind: 'header', name: cred.header, value: cred.scheme ? `${cred.scheme} ${cred.secret}` : cred.secret }
      : { kind: 'none' };
    let res: HttpResponse;
    try {
      res = await this.client.send({
        label: `lifecycle ${action}`,
        method: template.method,
        path: fillText(template.path, values, encodeURIComponent),
        headers,
        body,
        credential,
        ...(this.sign ? { sign: this.sign } : {}),
        record: false,
        // Disable, enable and delete may be sent again whatever happened: the client waits throttles
        // out, within this action's bounds. A throttled answer to a create or rotate may hold the key
        // it made (then it must not be sent again), so it comes back here to be searched first, and
        // OneRequest decides (retry.ts).
        ...(isIdempotent(action) ? { throttleLimits } : { throttle: 'observe' as const }),
      });
    } catch (err) {
      // Still throttled after the client's waits: the action ends, without a second round of waits on top.
      if (err instanceof ThrottledError) return { kind: 'throttled', detail: err.detail, answers: err.answers };
      if (err instanceof NoAnswerError)
        return { kind: 'none', message: err.message, transient: err.transient, mayHaveArrived: err.mayHaveArrived };
      // Not sent at all: the budget is spent, or the path left the origin.
      if (err instanceof CheckError) return { kind: 'none', message: err.message, transient: false, mayHaveArrived: false };
      throw err;
    }
    const expected = expectedStatuses(template);
    const ok = expected ? expected.includes(res.status) : res.status >= 200 && res.status < 300;
    const printsKey = action === 'create' || action === 'rotate';
    const extract = { id: template.extract?.id ?? 'id', secret: template.extract?.secret ?? 'secret' };
    const known = [key.name, ...('id' in key && key.id ? [key.id] : [])];
    return { kind: 'answer', res, ok, found: this.search(res.body, { printsKey, extract, known }) };
  }

  /** Registers every secret-looking value in an answer, then says what may be kept of it. */
  private search(body: string, opts: { printsKey: boolean; extract: { id: string; secret: string }; known: readonly string[] }): Found {
    let json: unknown;
    let parsed = false;
    try {
      json = body.trim() ? JSON.parse(body) : undefined;
      parsed = json !== undefined;
    } catch {
      // not JSON
    }
    let search: AnswerSearch = { secrets: [], fieldNames: [], fields: {} };
    if (parsed) {
      search = searchJson(json, {
        ...(opts.printsKey ? { secretPaths: [opts.extract.secret], idPath: opts.extract.id } : { idPath: 'id' }),
        known: opts.known,
      });
    }
    const secretValue = parsed && opts.printsKey ? valueAtPath(json, opts.extract.secret) : undefined;
    const idValue = parsed && opts.printsKey ? valueAtPath(json, opts.extract.id) : undefined;
    const id = typeof idValue === 'string' || typeof idValue === 'number' ? String(idValue) : undefined;
    const secret = typeof secretValue === 'string' && secretValue ? secretValue : undefined;
    // The new key first (it shows as [canary …]), then everything else that looks secret; an answer
    // that should hold a new key but is not JSON may still hold it.
    if (secret) this.registerSecret(secret, 'canary');
    const secrets = [...search.secrets, ...(opts.printsKey && !parsed ? randomTokens(body) : [])];
    for (const s of secrets) this.registerSecret(s, 'secret');
    const evidence = !opts.printsKey
      ? excerpt(body, (s) => this.deps.secrets.redact(s))
      : parsed
        ? `answer fields: ${search.fieldNames.join(', ') || '(none)'}`
        : body.trim()
          ? `answer: not JSON (${body.length} characters, not shown: it may hold a secret)`
          : 'answer: empty';
    return {
      ...(id !== undefined ? { id } : {}),
      ...(secret !== undefined ? { secret } : {}),
      heldKey: id !== undefined || secrets.length > 0,
      fields: search.fields,
      fieldNames: search.fieldNames,
      evidence,
    };
  }
}

/** The tries of one action: which may be retried, and what an earlier try implies for a later answer. */
class OneRequest {
  /** An earlier try may have reached the platform and acted: a delete's 404 then means "already gone". */
  private mayHaveActed = false;

  constructor(
    private readonly action: LifecycleAction,
    private readonly template: HttpAction,
    private readonly send: (values: Record<string, unknown>) => Promise<Outcome>,
  ) {}

  get expectedText(): string {
    return expectedStatuses(this.template)?.join(' or ') ?? 'a 2xx status';
  }

  alreadyGone(status: number): boolean {
    return this.action === 'delete' && status === 404 && this.mayHaveActed;
  }

  async tryOnce(values: Record<string, unknown>): Promise<Try<Outcome>> {
    const outcome = await this.send(values);
    if (outcome.kind === 'throttled') {
      // Every answer was a throttle (a refusal before the request was handled): never retried here.
      const answers = outcome.answers.map((a) => ({ status: a.status, ...(a.waitMs !== undefined ? { waitMs: a.waitMs } : {}) }));
      return { result: outcome, waitedOut: answers.slice(0, -1), attempt: answers.at(-1)! };
    }
    const waitedOut = outcome.kind === 'answer' ? outcome.res.throttled?.map((t) => ({ status: t.status, waitMs: t.waitMs })) : undefined;
    if (outcome.kind === 'none') {
      this.mayHaveActed ||= outcome.mayHaveArrived;
      const attempt = { error: outcome.message };
      if (!retryableNoAnswer(this.action, outcome)) return { result: outcome, attempt };
      return { result: outcome, attempt, retry: { why: `got no answer (${outcome.message})` } };
    }
    const { res, ok, found } = outcome;
    const attempt = { status: res.status };
    const tried = { result: outcome, attempt, ...(waitedOut?.length ? { waitedOut } : {}) };
    if (ok || this.alreadyGone(res.status)) return tried;
    // A throttled answer reaches this point only for a create or rotate (see sendOnce); other actions get
    // here with what followed the client's waits: a 5xx, or another status that is not a throttle.
    // Read as the HTTP client reads it (rate-limit-headers.ts): a date against the response's Date; a retry time
    // already past, or the field sent twice, names no usable wait (waiting "0" would only meet the same throttle),
    // so the backoff decides, bounded (retry.ts), though it still says "come back later".
    const signals = parseRateLimitHeaders(res.headers);
    const waitSeconds = retryAfterWaitSeconds(signals);
    this.mayHaveActed ||= res.status >= 500;
    if (!retryableAnswer(this.action, res.status, saysRetryAfter(signals), found.heldKey)) return tried;
    const retry = { why: `answered ${res.status}`, ...(waitSeconds !== undefined ? { retryAfterSeconds: waitSeconds } : {}) };
    return { ...tried, retry };
  }
}

function expectedStatuses(template: HttpAction): readonly number[] | undefined {
  return template.expect === undefined ? undefined : typeof template.expect === 'number' ? [template.expect] : template.expect;
}

function mayExist(key: KeyRef | NewKeySpec): string {
  return `a key named "${key.name}" may exist: delete it by hand if so`;
}

function failed(reason: string, timing?: ReturnType<typeof timingFrom>, orphan?: KeyRef): ActionResult<never> {
  return { outcome: 'failed', reason, ...(timing ? { timing } : {}), ...(orphan ? { orphan } : {}) };
}

/** "." and ".." (and their %2e forms) are dot segments: a URL parser removes them and climbs up the path. */
const DOT_SEGMENT = /^(\.|%2e){1,2}$/i;

/** Whether filling the placeholders made a dot segment the template did not have. */
function climbsOut(template: string, filled: string): boolean {
  const dots = (p: string) =>
    p
      .split('?')[0]!
      .split('/')
      .filter((seg) => DOT_SEGMENT.test(seg)).length;
  return dots(filled) > dots(template);
}

/** The shell variable a restore line reads the management credential from. */
const ADMIN_TOKEN_VARIABLE = 'ADMIN_TOKEN';

/** The action's request as a curl line, the credential read from $ADMIN_TOKEN; undefined when the key's id is needed and unknown. */
function curlRestoreLine(spec: HttpAdapterSpec, action: 'enable' | 'delete', key: KeyRef, targetOrigin: string): string | undefined {
  const t = spec[action];
  if (!t || (!key.id && t.path.includes('{{id}}'))) return undefined;
  const values = placeholderValues(key);
  const origin = spec.origin ?? targetOrigin;
  const parts = ['curl', '-sS', '-i', '-X', t.method, sq(`${origin}${fillText(t.path, values, encodeURIComponent)}`)];
  const cred = spec.credential;
  if (cred) parts.push('-H', `"${dq(`${cred.header}: ${cred.scheme ? `${cred.scheme} ` : ''}`)}$${ADMIN_TOKEN_VARIABLE}"`);
  for (const [k, v] of Object.entries(t.headers ?? {})) parts.push('-H', sq(`${k}: ${fillText(v, values)}`));
  if (t.body !== undefined) parts.push('-H', sq('content-type: application/json'), '--data', sq(JSON.stringify(fillBody(t.body, values))));
  // A signature is over one moment's request: the operator's own tooling must make it.
  const unsigned = spec.signer ? `  # unsigned: add the ${spec.signer.kind} signature headers first (docs/lifecycle.md)` : '';
  return parts.join(' ') + unsigned;
}

/** Fills a JSON body template: a string that is exactly one placeholder takes its raw value (or is dropped when it has none). */
export function fillBody(node: unknown, values: Readonly<Record<string, unknown>>): unknown {
  if (typeof node === 'string') {
    const whole = /^\{\{\s*([A-Za-z]+)\s*\}\}$/.exec(node);
    if (whole) return values[whole[1]!] ?? undefined;
    return fillText(node, values);
  }
  if (Array.isArray(node)) return node.map((v) => fillBody(v, values)).filter((v) => v !== undefined);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      const filled = fillBody(v, values);
      if (filled !== undefined) out[k] = filled;
    }
    return out;
  }
  return node;
}

/** `key.secret`, `data.0.id`: a dotted path into parsed JSON. */
export function valueAtPath(data: unknown, dotted: string): unknown {
  let cur: unknown = data;
  for (const seg of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}
