// The `http` lifecycle adapter: one management API request template per
// action, with {{placeholders}}, values extracted from the JSON answer by
// dotted path, and the admin credential from a secret reference. Requests go
// through the one HttpClient (origin lock, timeouts, budget when the
// management API is the target itself) and are not recorded as exchanges:
// a create or rotate answer holds a new secret, which is registered first and
// only then kept, redacted, as this action's evidence.
import { CheckError, InterruptedError } from '../errors.js';
import type { HttpAction, HttpAdapterSpec } from '../config/profile-schema.js';
import { HttpClient, RequestBudget, type Credential } from '../http/client.js';
import { excerpt, type AdapterDeps } from './deps.js';
import {
  fillText,
  placeholderValues,
  timingFrom,
  unsupported,
  type ActionResult,
  type CreatedKey,
  type KeyRef,
  type LifecycleAction,
  type LifecycleAdapter,
  type NewKeySpec,
  type RotatedKey,
} from './types.js';

/** Management requests to another origin do not touch the target; they get their own cap. */
const OTHER_ORIGIN_BUDGET = 200;

export class HttpLifecycleAdapter implements LifecycleAdapter {
  readonly kind = 'http';
  private readonly client: HttpClient;

  constructor(
    private readonly spec: HttpAdapterSpec,
    private readonly deps: AdapterDeps,
  ) {
    const signal = deps.cleanupTimeoutMs !== undefined ? AbortSignal.timeout(deps.cleanupTimeoutMs) : deps.signal;
    const origin = spec.origin ?? deps.profile.target.origin;
    this.client =
      origin === deps.http.origin
        ? deps.http.fork(signal)
        : new HttpClient({
            origin,
            auth: deps.profile.target.auth,
            primaryKey: deps.profile.key.secret,
            timeoutMs: deps.profile.target.timeoutMs,
            budget: new RequestBudget(OTHER_ORIGIN_BUDGET),
            secrets: deps.secrets,
            dispatcher: deps.http.dispatcher,
            signal,
          });
  }

  can(action: LifecycleAction): boolean {
    return this.spec[action] !== undefined;
  }

  forCleanup(timeoutMs: number): LifecycleAdapter {
    return new HttpLifecycleAdapter(this.spec, { ...this.deps, cleanupTimeoutMs: timeoutMs });
  }

  records() {
    return [...this.deps.records];
  }

  async create(spec: NewKeySpec): Promise<ActionResult<CreatedKey>> {
    const r = await this.call('create', spec.name, placeholderValues(spec), { id: 'id', secret: 'secret' });
    if (r.outcome !== 'done') return r;
    const secret = r.value.secret;
    if (typeof secret !== 'string' || !secret) return { outcome: 'failed', reason: 'the create answer held no secret', timing: r.timing };
    const id = r.value.id;
    // Every other extracted value (e.g. expiresAt, scopes) lets checks verify what the create really did (canary.ts CreatedWithFields).
    const { secret: _secret, ...fields } = r.value;
    const value: CreatedKey & { fields: Record<string, unknown> } = {
      name: spec.name,
      secret,
      ...(id !== undefined ? { id: String(id) } : {}),
      fields,
    };
    return { outcome: 'done', value, timing: r.timing };
  }

  async disable(key: KeyRef): Promise<ActionResult> {
    return this.voidCall('disable', key);
  }

  async enable(key: KeyRef): Promise<ActionResult> {
    return this.voidCall('enable', key);
  }

  async delete(key: KeyRef): Promise<ActionResult> {
    return this.voidCall('delete', key);
  }

  async rotate(key: KeyRef, graceSeconds: number): Promise<ActionResult<RotatedKey>> {
    const r = await this.call('rotate', key.name, placeholderValues(key, { graceSeconds }), { secret: 'secret' });
    if (r.outcome !== 'done') return r;
    const secret = r.value.secret;
    if (typeof secret !== 'string' || !secret) return { outcome: 'failed', reason: 'the rotate answer held no secret', timing: r.timing };
    const id = r.value.id;
    return { outcome: 'done', value: { secret, ...(id !== undefined ? { id: String(id) } : {}) }, timing: r.timing };
  }

  private async voidCall(action: LifecycleAction, key: KeyRef): Promise<ActionResult> {
    const r = await this.call(action, key.name, placeholderValues(key), {});
    return r.outcome === 'done' ? { ...r, value: undefined } : r;
  }

  /** Sends one templated request; extracted `secret` values are registered before anything is recorded. */
  private async call(
    action: LifecycleAction,
    keyName: string,
    values: Record<string, unknown>,
    defaultExtract: Record<string, string>,
  ): Promise<ActionResult<Record<string, unknown>>> {
    const template: HttpAction | undefined = this.spec[action];
    if (!template) return unsupported('http', action);
    const redact = (s: string) => this.deps.secrets.redact(s);
    const path = fillText(template.path, values, encodeURIComponent);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(template.headers ?? {})) headers[k] = fillText(v, values);
    const body = template.body === undefined ? undefined : fillBody(template.body, values);
    const cred = this.spec.credential;
    const credential: Credential = cred
      ? { kind: 'header', name: cred.header, value: cred.scheme ? `${cred.scheme} ${cred.secret}` : cred.secret }
      : { kind: 'none' };
    const request = `${template.method} ${redact(path)}`;
    const record = (outcome: 'done' | 'failed', detail: string, durationMs?: number, output?: string) =>
      this.deps.records.push({
        action,
        adapter: 'http',
        key: keyName,
        outcome,
        detail,
        ...(durationMs !== undefined ? { durationMs } : {}),
        ...(output ? { output } : {}),
        ...(this.deps.cleanupTimeoutMs !== undefined ? { detached: true } : {}),
      });

    const startedAt = performance.now();
    let res: Awaited<ReturnType<HttpClient['send']>>;
    try {
      res = await this.client.send({
        label: `lifecycle ${action}`,
        method: template.method,
        path,
        headers,
        body,
        credential,
        record: false,
      });
    } catch (err) {
      const cleanup = this.deps.cleanupTimeoutMs !== undefined;
      // During a run an interruption ends the check; during cleanup it means the cleanup time ran out.
      if (err instanceof InterruptedError && !cleanup) throw err;
      if (!(err instanceof CheckError) && !(err instanceof InterruptedError)) throw err;
      const timing = timingFrom(startedAt);
      const reason = err instanceof InterruptedError ? `cleanup time (${this.deps.cleanupTimeoutMs} ms) ran out` : err.message;
      record('failed', `${request}: ${reason}`, timing.durationMs);
      return { outcome: 'failed', reason: `${action} request ${request} failed: ${reason}`, timing };
    }
    const timing = timingFrom(startedAt);
    const expected = template.expect === undefined ? undefined : typeof template.expect === 'number' ? [template.expect] : template.expect;
    const ok = expected ? expected.includes(res.status) : res.status >= 200 && res.status < 300;

    const extract = template.extract ?? defaultExtract;
    const value: Record<string, unknown> = {};
    let missing: string | undefined;
    if (ok && Object.keys(extract).length > 0) {
      let json: unknown;
      try {
        json = JSON.parse(res.body);
      } catch {
        missing = 'the answer is not JSON';
      }
      if (json !== undefined) {
        for (const [name, dotted] of Object.entries(extract)) {
          const v = valueAtPath(json, dotted);
          // A secret is registered the moment it is seen, before any text holding it is kept.
          if (name === 'secret' && typeof v === 'string') this.deps.secrets.add(v, 'canary');
          if (v === undefined) missing ??= `the answer has no "${dotted}" (for ${name})`;
          else value[name] = v;
        }
      }
    }
    if (!ok || missing) {
      // An answer that should have held a secret but did not parse may still hold one: keep only its shape.
      const output =
        missing && (action === 'create' || action === 'rotate') ? `answer fields: ${topLevelFields(res.body)}` : excerpt(res.body, redact);
      const why = ok ? missing! : `answered ${res.status}, expected ${expected ? expected.join(' or ') : 'a 2xx status'}`;
      record('failed', `${request} → ${res.status}: ${why}`, timing.durationMs, output);
      return { outcome: 'failed', reason: `${action} request ${request} ${why}`, timing };
    }
    record('done', `${request} → ${res.status}`, timing.durationMs, excerpt(res.body, redact));
    return { outcome: 'done', value, timing };
  }
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

function topLevelFields(body: string): string {
  try {
    const json = JSON.parse(body) as unknown;
    return json && typeof json === 'object' ? Object.keys(json).join(', ') || '(none)' : `(a JSON ${typeof json})`;
  } catch {
    return '(not JSON)';
  }
}
