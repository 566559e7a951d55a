// The answers `keyprobe init` takes beyond the key's name and resources, as
// a person types them (or passes them as flags): where the key travels, the
// rate limit, the lifecycle adapter, and the variables that hold other keys.
// Each parser returns the value or a problem to show, never throws.
import { HOP_BY_HOP_OR_HOST, type AuthPlacement } from './auth-placement.js';
import { LIFECYCLE_KINDS, type LifecycleKind, type OtherEnvironmentKey } from './scaffold.js';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const problem = <T>(text: string): Parsed<T> => ({ ok: false, problem: text });

/** An HTTP field name (RFC 9110 token). */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const QUERY_NAME = /^[A-Za-z0-9_.~[\]-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function envNameProblem(v: string): string | undefined {
  return ENV_NAME.test(v) ? undefined : `"${v}" is not an environment variable name (letters, digits, _)`;
}

/**
 * `--auth-header NAME [--auth-scheme SCHEME]` or `--auth-query NAME`. The
 * scheme defaults to Bearer for Authorization and to none (a bare key) for
 * any other header; `--auth-scheme ""` sends a bare Authorization header.
 */
export function authFromFlags(header?: string, scheme?: string, query?: string): Parsed<AuthPlacement | undefined> {
  if (query !== undefined && (header !== undefined || scheme !== undefined))
    return problem('--auth-query and --auth-header/--auth-scheme do not mix: the key travels in one place');
  if (query !== undefined)
    return QUERY_NAME.test(query) ? ok({ query }) : problem(`--auth-query: "${query}" is not a query parameter name`);
  if (header === undefined && scheme === undefined) return ok(undefined);
  const name = header ?? 'Authorization';
  if (!HEADER_NAME.test(name)) return problem(`--auth-header: "${name}" is not a header name`);
  if (HOP_BY_HOP_OR_HOST.includes(name.toLowerCase())) return problem(`--auth-header: ${name} cannot carry a key`);
  const s = scheme ?? (name.toLowerCase() === 'authorization' ? 'Bearer' : '');
  if (/\s/.test(s)) return problem(`--auth-scheme: "${s}" has a space; a scheme is one word, e.g. Bearer (or "" for a bare key)`);
  return ok({ header: name, scheme: s });
}

/** An interactive answer: "header NAME [SCHEME]" or "query NAME". */
export function authFromAnswer(answer: string): Parsed<AuthPlacement> {
  const words = answer.trim().split(/\s+/);
  const [where, name, scheme, ...rest] = words;
  const usage = 'answer "header NAME [SCHEME]" (e.g. "header X-API-Key", "header Authorization Bearer") or "query NAME"';
  if (rest.length > 0 || !name) return problem(usage);
  if (where === 'query') {
    if (scheme !== undefined) return problem(usage);
    const p = authFromFlags(undefined, undefined, name);
    return p.ok ? ok(p.value!) : problem(p.problem.replace('--auth-query: ', ''));
  }
  if (where !== 'header') return problem(usage);
  const p = authFromFlags(name, scheme ?? '');
  return p.ok ? ok(p.value!) : problem(p.problem.replace(/^--auth-(header|scheme): /, ''));
}

export function authToAnswer(auth: AuthPlacement): string {
  return 'query' in auth ? `query ${auth.query}` : `header ${auth.header}${auth.scheme ? ` ${auth.scheme}` : ''}`;
}

const UNITS: Record<string, number> = { s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60, h: 3600, hour: 3600 };

/** "20/1s", "20/s", "100/min", "5000/h": calls per window. */
export function parseRateLimit(text: string): Parsed<{ limit: number; windowSeconds: number }> {
  const m = /^(\d+)\s*\/\s*(\d+(?:\.\d+)?)?\s*([a-z]+)$/.exec(text.trim());
  const unit = m ? UNITS[m[3]!] : undefined;
  if (!m || unit === undefined || Number(m[1]) < 1 || (m[2] !== undefined && Number(m[2]) <= 0))
    return problem(`"${text}" is not a rate limit like 20/1s, 20/s, 100/min or 5000/h (calls per window)`);
  return ok({ limit: Number(m[1]), windowSeconds: Number(m[2] ?? 1) * unit });
}

export function parseLifecycle(text: string): Parsed<LifecycleKind> {
  return (LIFECYCLE_KINDS as readonly string[]).includes(text)
    ? ok(text as LifecycleKind)
    : problem(`"${text}" is not a lifecycle adapter; use ${LIFECYCLE_KINDS.join(', ')}`);
}

/** "staging=CRM_STAGING_KEY": a key of another environment, by the variable that holds it. */
export function parseOtherEnvironment(text: string, ownEnvironment: string): Parsed<OtherEnvironmentKey> {
  const m = /^([a-z][a-z0-9-]*)=(.+)$/.exec(text.trim());
  if (!m) return problem(`"${text}" is not ENVIRONMENT=VARIABLE, e.g. staging=CRM_STAGING_AGENT_CALL_KEY`);
  const [, environment = '', keyEnv = ''] = m;
  if (environment === ownEnvironment) return problem(`"${text}": ${environment} is this key's own environment`);
  const bad = envNameProblem(keyEnv);
  return bad ? problem(`"${text}": ${bad}`) : ok({ environment, keyEnv });
}
