// The agent platform API: authenticate, rate-limit, authorise by scope, then
// serve the route. Order matters: an unknown route without a key is a 401,
// so the API does not reveal which routes exist to callers without a key.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, REALM, type AuthOutcome, type Principal } from './auth.js';
import { ECHO_FORMS, ECHO_HEADERS } from './echo-forms.js';
import { isPlainObject, readJson, sendEmpty, sendError, sendJson, type Headers } from './http-util.js';
import { sha256Hex } from './keys.js';
import { PlatformData, type Collection } from './platform-data.js';
import { rateLimitFields, sendThrottled } from './rate-limit.js';
import type { TargetState } from './state.js';

interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The path's :id segment, when the route has one. */
  readonly id: string;
  readonly principal: Principal;
  readonly state: TargetState;
  /** Rate-limit fields every authenticated answer carries. */
  readonly headers: Headers;
}

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  /** null: any valid key will do. */
  readonly scope: string | null;
  /** The data a leaky 403 on this route would spill. */
  readonly collection?: Collection;
  readonly handle: (ctx: RouteContext) => void | Promise<void>;
}

const ID = '([^/]+)';
const path = (source: string): RegExp => new RegExp(`^${source}$`);

function notFound({ res, headers }: RouteContext, what: string): void {
  sendError(res, 404, 'not_found', `No such ${what}.`, headers);
}

/** Optional JSON body fields; a body is not required to create things. */
async function optionalString(req: IncomingMessage, field: string): Promise<string | undefined> {
  const body = await readJson(req);
  if (isPlainObject(body)) {
    const value = body[field];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    pattern: path('/v1/keys/self'),
    scope: null,
    handle: ({ res, principal, state, headers }) => sendJson(res, 200, selfView(principal, state.environment), headers),
  },
  {
    method: 'GET',
    pattern: path('/v1/agents'),
    scope: 'agents:read',
    collection: 'agents',
    handle: ({ res, state, headers }) =>
      sendJson(res, 200, { environment: state.data.environment, agents: state.data.dump('agents') }, headers),
  },
  {
    method: 'POST',
    pattern: path('/v1/agents'),
    scope: 'agents:write',
    collection: 'agents',
    handle: async ({ req, res, state, headers }) => {
      const name = (await optionalString(req, 'name')) ?? 'unnamed-agent';
      sendJson(res, 201, state.data.addAgent(name, 'small'), headers);
    },
  },
  {
    method: 'GET',
    pattern: path(`/v1/agents/${ID}`),
    scope: 'agents:read',
    collection: 'agents',
    handle: (ctx) => {
      const agent = ctx.state.data.agents.get(ctx.id);
      if (agent) sendJson(ctx.res, 200, agent, ctx.headers);
      else notFound(ctx, 'agent');
    },
  },
  {
    method: 'POST',
    pattern: path(`/v1/agents/${ID}/calls`),
    scope: 'agents:call',
    collection: 'agents',
    handle: async (ctx) => {
      const input = await readJson(ctx.req);
      if (!ctx.state.data.agents.has(ctx.id)) return notFound(ctx, 'agent');
      sendJson(ctx.res, 201, ctx.state.data.newCall(ctx.id, input), ctx.headers);
    },
  },
  {
    method: 'GET',
    pattern: path('/v1/workflows'),
    scope: 'workflows:read',
    collection: 'workflows',
    handle: ({ res, state, headers }) =>
      sendJson(res, 200, { environment: state.data.environment, workflows: state.data.dump('workflows') }, headers),
  },
  {
    method: 'GET',
    pattern: path(`/v1/workflows/${ID}/runs`),
    scope: 'workflows:read',
    collection: 'workflows',
    handle: (ctx) => {
      if (!ctx.state.data.workflows.has(ctx.id)) return notFound(ctx, 'workflow');
      sendJson(ctx.res, 200, { runs: ctx.state.data.runs.filter((r) => r.workflowId === ctx.id) }, ctx.headers);
    },
  },
  {
    method: 'POST',
    pattern: path(`/v1/workflows/${ID}/runs`),
    scope: 'workflows:run',
    collection: 'workflows',
    handle: async (ctx) => {
      await readJson(ctx.req);
      if (!ctx.state.data.workflows.has(ctx.id)) return notFound(ctx, 'workflow');
      sendJson(ctx.res, 201, ctx.state.data.addRun(ctx.id), ctx.headers);
    },
  },
  {
    method: 'GET',
    pattern: path('/v1/resources'),
    scope: 'resources:read',
    collection: 'resources',
    handle: ({ res, state, headers }) =>
      sendJson(res, 200, { environment: state.data.environment, resources: state.data.dump('resources') }, headers),
  },
  {
    method: 'POST',
    pattern: path('/v1/resources'),
    scope: 'resources:admin',
    collection: 'resources',
    handle: async ({ req, res, state, headers }) => {
      const name = (await optionalString(req, 'name')) ?? 'unnamed-resource';
      sendJson(res, 201, state.data.addResource(name), headers);
    },
  },
  {
    method: 'DELETE',
    pattern: path(`/v1/resources/${ID}`),
    scope: 'resources:admin',
    collection: 'resources',
    handle: (ctx) => {
      if (ctx.state.data.resources.delete(ctx.id)) sendEmpty(ctx.res, 204, ctx.headers);
      else notFound(ctx, 'resource');
    },
  },
];

function selfView(principal: Principal, environment: string): Record<string, unknown> {
  if (principal.kind === 'anonymous') {
    return { id: null, name: 'anonymous', environment, scopes: ['*'], owner: null, expiresAt: null, createdAt: null };
  }
  const { key } = principal;
  return {
    id: key.id,
    name: key.name,
    environment: key.environment,
    scopes: [...key.scopes],
    owner: key.owner,
    expiresAt: key.expiresAt === null ? null : new Date(key.expiresAt).toISOString(),
    createdAt: new Date(key.createdAt).toISOString(),
  };
}

function grants(principal: Principal, scope: string): boolean {
  if (principal.kind === 'anonymous') return true;
  const scopes = principal.key.scopes;
  return scopes.includes(scope) || scopes.includes('*') || scopes.includes('admin');
}

/** What an express app's default error page would print after a crash in key parsing. */
const KEY_PARSER_CRASH = [
  "TypeError: Cannot read properties of undefined (reading 'split')",
  '    at parseApiKey (/srv/app/keys.js:17:31)',
  '    at authenticate (/srv/app/auth.js:12:19)',
  '    at Layer.handle [as handle_request] (/srv/app/node_modules/express/lib/router/layer.js:95:5)',
].join('\n');

function countRequest(state: TargetState, outcome: AuthOutcome): void {
  if (outcome.ok) {
    if (outcome.principal.kind === 'key') state.stats.forKey(outcome.principal.key.id);
    else state.stats.anonymousRequest();
  } else if (outcome.status === 401) {
    if (outcome.keyId !== undefined) state.stats.forKey(outcome.keyId);
    else if (outcome.code === 'missing_key') state.stats.anonymousRequest();
  }
}

function sendAuthFailure(res: ServerResponse, outcome: Exclude<AuthOutcome, { ok: true }>, state: TargetState, headers: Headers): void {
  if (outcome.status === 500) {
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
    res.end(KEY_PARSER_CRASH);
    return;
  }
  // The missing-key-403 behaviour: no credential is "forbidden", without a challenge (AWS API Gateway, Directus).
  if (outcome.code === 'missing_key' && state.behaviours.has('missing-key-403')) {
    sendError(res, 403, 'forbidden', "You don't have permission to access this.", headers);
    return;
  }
  // RFC 6750 §3: a missing credential gets the bare challenge, a bad one an error code.
  const challenge = outcome.code === 'missing_key' ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_token"`;
  // refusal-echo and the *-key-echo faults: the refusal quotes the credential it was sent, or carries a stack trace.
  const fault = ECHO_FAULT_BY_CODE[outcome.code];
  const echo = outcome.presented === undefined || fault === undefined ? undefined : state.faults.get(fault);
  const message = echo === 'body' ? `The API key ${outcome.presented} ${DEAD_WORDS[outcome.code]}.` : outcome.message;
  const quoting =
    echo === 'header' ? `${challenge}, error_description="the key ${outcome.presented} ${DEAD_WORDS[outcome.code]}"` : challenge;
  const trace: Headers = echo === 'trace-header' ? { 'X-Debug-Exception': KEY_FILTER_TRACE } : {};
  sendError(res, 401, outcome.code, message, { ...headers, 'WWW-Authenticate': quoting, ...trace });
}

/** The fault that makes each kind of 401 say too much. */
const ECHO_FAULT_BY_CODE: Partial<
  Record<string, 'refusal-echo' | 'foreign-key-echo' | 'disabled-key-echo' | 'expired-key-echo' | 'rotated-key-echo'>
> = {
  invalid_key: 'refusal-echo',
  wrong_environment: 'foreign-key-echo',
  disabled: 'disabled-key-echo',
  expired: 'expired-key-echo',
  rotated: 'rotated-key-echo',
};

/** How an echoing refusal says why the key it quotes was refused. */
const DEAD_WORDS: Readonly<Record<string, string>> = {
  invalid_key: 'is not valid',
  wrong_environment: 'belongs to another environment',
  disabled: 'is disabled',
  expired: 'has expired',
  rotated: 'was rotated out',
};

/** What a Spring debug filter left on in production puts in a header: a Java stack trace on one line, without the key. */
const KEY_FILTER_TRACE = [
  'java.lang.IllegalStateException: key refused',
  'at com.example.gateway.auth.ApiKeyFilter.doFilterInternal(ApiKeyFilter.java:87)',
  'at org.springframework.web.filter.OncePerRequestFilter.doFilter(OncePerRequestFilter.java:116)',
].join(' ');

/**
 * Rate-limits an authenticated request per key; returns its header fields, or
 * null once it has answered 429. Under client-rate-limit the request was
 * already limited per address (clientHeaders), and there is no per-key limit.
 */
function applyRateLimit(
  req: IncomingMessage,
  res: ServerResponse,
  principal: Principal,
  state: TargetState,
  clientHeaders: Headers | undefined,
): Headers | null {
  const { faults } = state;
  if (clientHeaders) return clientHeaders;
  if (faults.has('no-rate-limit')) return {};
  const policy = (principal.kind === 'key' ? principal.key.rateLimit : null) ?? state.defaultRateLimit;
  // shared-rate-bucket: keyed by client address, as Directus did, so all keys from one client share it.
  const bucket = faults.has('shared-rate-bucket')
    ? `ip:${req.socket.remoteAddress ?? 'unknown'}`
    : principal.kind === 'key'
      ? `key:${principal.key.id}`
      : 'anonymous';
  const decision = state.limiter.take(bucket, policy);
  if (decision.allowed) return rateLimitFields(decision);
  sendThrottled(res, state, decision);
  return null;
}

function sendDenial(ctx: RouteContext, route: Route, required: string): void {
  const { state, principal } = ctx;
  const extra: Record<string, unknown> = { required };
  if (state.faults.has('leaky-denial')) {
    extra.debug = {
      query: 'SELECT scope FROM key_scopes WHERE key_id = $1',
      resource: route.collection ? state.data.dump(route.collection) : null,
      stack: 'Error: insufficient scope\n    at authorize (/srv/app/auth.js:42:7)\n    at /srv/app/router.js:88:14',
    };
  }
  if (state.faults.has('key-in-error') && principal.kind === 'key') {
    extra.presentedKey = principal.presented;
    extra.presentedKeyHash = sha256Hex(principal.presented);
  }
  const echoHeader = state.faults.get('key-echo-header');
  const headers =
    echoHeader !== undefined && principal.kind === 'key'
      ? { ...ctx.headers, ...ECHO_HEADERS[echoHeader](principal.presented) }
      : ctx.headers;
  const echo = state.faults.get('key-echo');
  if (echo !== undefined && principal.kind === 'key') {
    // A plain-text error page quoting the credential it was sent, in some encoding.
    const text = `403 Forbidden: the API key lacks the "${required}" scope.\nPresented credential: ${ECHO_FORMS[echo](principal.presented)}\n`;
    ctx.res.writeHead(403, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    ctx.res.end(text);
    return;
  }
  sendError(ctx.res, 403, 'insufficient_scope', `The API key lacks the "${required}" scope.`, headers, extra);
}

/**
 * Whose data a request is served. One environment's, the target's, unless
 * keys-select-environment lets the key decide; cross-environment is the
 * defect where the key's environment is ignored and the target's data served.
 */
function servedEnvironment(principal: Principal, state: TargetState): string {
  if (principal.kind !== 'key' || !state.behaviours.has('keys-select-environment') || state.faults.has('cross-environment'))
    return state.environment;
  return principal.key.environment;
}

/** The state as one environment's routes see it: the same target, that environment's data. */
function withDataOf(state: TargetState, environment: string): TargetState {
  if (environment === state.environment) return state;
  let data = state.otherData.get(environment);
  if (!data) {
    data = new PlatformData(environment, false);
    state.otherData.set(environment, data);
  }
  return { ...state, data };
}

/**
 * Answers one non-admin request. `clientHeaders`: the client-rate-limit
 * behaviour's fields, when that limiter (in front of everything) let it through.
 */
export async function handleApi(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  state: TargetState,
  clientHeaders?: Headers,
): Promise<void> {
  if (url.pathname === '/healthz') {
    if (req.method === 'GET') sendJson(res, 200, { status: 'ok' }, clientHeaders);
    else sendError(res, 405, 'method_not_allowed', 'Use GET.', { ...clientHeaders, Allow: 'GET' });
    return;
  }

  const outcome = authenticate(req, url, state);
  countRequest(state, outcome);
  if (!outcome.ok) return sendAuthFailure(res, outcome, state, clientHeaders ?? {});
  const { principal } = outcome;

  const headers = applyRateLimit(req, res, principal, state, clientHeaders);
  if (headers === null) return;

  const onPath = ROUTES.flatMap((route) => {
    const m = route.pattern.exec(url.pathname);
    return m ? [{ route, id: m[1] ?? '' }] : [];
  });
  if (onPath.length === 0) return sendError(res, 404, 'not_found', 'No such route.', headers);
  const hit = onPath.find(({ route }) => route.method === req.method);
  if (!hit) {
    const allow = onPath.map(({ route }) => route.method).join(', ');
    return sendError(res, 405, 'method_not_allowed', `Use ${allow}.`, { ...headers, Allow: allow });
  }

  const { route, id } = hit;
  const ctx: RouteContext = { req, res, id, principal, state: withDataOf(state, servedEnvironment(principal, state)), headers };
  const bypass = state.faults.get('scope-bypass');
  const bypassed = bypass !== undefined && url.pathname.startsWith(bypass);
  if (route.scope !== null && !bypassed && !grants(principal, route.scope)) return sendDenial(ctx, route, route.scope);
  // The slow-success behaviour: served answers come from a slower upstream than refusals and 429s.
  const slow = state.behaviours.get('slow-success');
  if (slow !== undefined) await new Promise((resolve) => setTimeout(resolve, slow));
  await route.handle(ctx);
}
