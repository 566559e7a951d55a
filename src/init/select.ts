// Choosing a document's operations by method and path, for documents that
// name no scopes (Directus, Kong, Qdrant): `GET /items/agents*` picks the
// operations a key must reach, `--deny` patterns those it must be refused
// (by default every other operation that needs a key).
//
// A pattern is "METHOD /path" (or "* /path"); `*` stands for any characters,
// `/` included. A path parameter of the document matches one segment of the
// pattern and takes its text: `GET /items/agents` on `GET /items/{collection}`
// proposes GET /items/agents. The same parameter of a denied operation takes
// the value an allowed one was given (so POST /items/{collection} is proposed
// as POST /items/agents), and is otherwise left for a person to fill in.
import { operations, scopedAlternatives, type OpenApiDocument, type Operation, type ProposedResource } from './openapi.js';

const PATTERN = /^(\*|[A-Za-z]+)\s+(\/\S*)$/;

export interface RequestPattern {
  readonly text: string;
  readonly method: string;
  readonly path: string;
}

/** Why `text` is not a pattern, or undefined. */
export function patternProblem(text: string): string | undefined {
  return PATTERN.test(text.trim()) ? undefined : `"${text}": expected "METHOD /path" with * for any characters, e.g. "GET /items/agents*"`;
}

export function parsePattern(text: string): RequestPattern {
  const [, method = '', path = ''] = PATTERN.exec(text.trim())!;
  return { text: text.trim(), method: method.toUpperCase(), path };
}

type Token = { readonly lit: string } | { readonly param: string };

/** `/items/{collection}/{id}` → literals and parameters. */
function tokens(path: string): Token[] {
  return path
    .split(/(\{[^}]+\})/)
    .filter(Boolean)
    .map((t) => (t.startsWith('{') && t.endsWith('}') ? { param: t.slice(1, -1) } : { lit: t }));
}

/**
 * The parameter values under which `pattern` matches the operation path
 * `path`, or undefined when it does not match. Paths are short: a plain
 * backtracking search is enough.
 */
export function matchPath(pattern: string, path: string): Map<string, string> | undefined {
  const toks = tokens(path);
  const bound = new Map<string, string>();
  const match = (pi: number, ti: number, tpos: number): boolean => {
    if (ti < toks.length) {
      const t = toks[ti]!;
      if ('lit' in t && tpos === t.lit.length) return match(pi, ti + 1, 0);
    }
    if (pi === pattern.length) return ti === toks.length;
    const c = pattern[pi]!;
    if (c === '*') {
      if (match(pi + 1, ti, tpos)) return true;
      if (ti === toks.length) return false;
      const t = toks[ti]!;
      return 'lit' in t ? match(pi, ti, tpos + 1) : match(pi, ti + 1, 0);
    }
    if (ti === toks.length) return false;
    const t = toks[ti]!;
    if ('lit' in t) return t.lit[tpos] === c && match(pi + 1, ti, tpos + 1);
    // A parameter takes one or more characters of one segment of the pattern.
    for (let end = pi + 1; end <= pattern.length && pattern[end - 1] !== '/' && pattern[end - 1] !== '*'; end++) {
      bound.set(t.param, pattern.slice(pi, end));
      if (match(end, ti + 1, 0)) return true;
    }
    bound.delete(t.param);
    return false;
  };
  return match(0, 0, 0) ? bound : undefined;
}

export interface PatternProposal {
  readonly allowed: ProposedResource[];
  readonly denied: ProposedResource[];
  readonly publicOperations: string[];
  /** Operations whose document makes the key optional (`{}` among their requirements). */
  readonly authOptional: string[];
  /** Patterns that matched no operation needing a key: each a problem for the person. */
  readonly unmatched: string[];
  /** Operations both an --allow and a --deny pattern picked. */
  readonly conflicts: string[];
}

/**
 * Allowed: the operations an allow pattern matches, plus (with scopes) those
 * the scopes reach. Denied: the operations a deny pattern matches, or, with
 * no deny pattern, every other operation that needs a key.
 */
export function proposeByPatterns(
  api: OpenApiDocument,
  allow: readonly RequestPattern[],
  deny: readonly RequestPattern[],
  scopes: readonly string[] = [],
): PatternProposal {
  const ops = operations(api);
  const publicOperations = ops.filter((op) => op.isPublic).map(describe);
  const secured = ops.filter((op) => !op.isPublic);
  const granted = new Set(scopes);
  const unmatched: string[] = [];

  // In document order; an operation takes the parameter values of the first pattern that matches it.
  const pick = (patterns: readonly RequestPattern[]) => {
    const picked = new Map<Operation, Map<string, string>>();
    const hit = new Set<RequestPattern>();
    for (const op of secured) {
      for (const p of patterns) {
        if (p.method !== '*' && p.method !== op.method) continue;
        const bound = matchPath(p.path, op.path);
        if (!bound) continue;
        hit.add(p);
        if (!picked.has(op)) picked.set(op, bound);
      }
    }
    unmatched.push(...patterns.filter((p) => !hit.has(p)).map((p) => p.text));
    return picked;
  };
  const allowed = pick(allow);
  // With scopes too: what they reach, and the scope that grants it (for privilege.least-privilege).
  const grantedBy = new Map<Operation, string>();
  if (scopes.length > 0)
    for (const op of secured) {
      const alt = scopedAlternatives(op).find((a) => a.length > 0 && a.every((s) => granted.has(s)));
      if (!alt) continue;
      grantedBy.set(op, alt[0]!);
      if (!allowed.has(op)) allowed.set(op, new Map());
    }
  const deniedPicked = deny.length > 0 ? pick(deny) : new Map(secured.filter((op) => !allowed.has(op)).map((op) => [op, new Map()]));
  const conflicts = [...deniedPicked.keys()].filter((op) => allowed.has(op)).map(describe);

  // A parameter's value from the allowed operations, where they agree on one.
  const known = new Map<string, string | null>();
  for (const bound of allowed.values())
    for (const [name, value] of bound) known.set(name, known.has(name) && known.get(name) !== value ? null : value);

  const resource = (op: Operation, bound: Map<string, string>, allowedOne: boolean): ProposedResource => {
    let path = op.path;
    const unresolved: string[] = [];
    for (const name of op.unresolvedParams) {
      const value = bound.get(name) ?? (allowedOne ? undefined : (known.get(name) ?? undefined));
      if (value === undefined) unresolved.push(name);
      else path = path.replace(`{${name}}`, value);
    }
    const statuses = op.successStatuses;
    const expect = !allowedOne || statuses.length === 0 ? undefined : statuses.length === 1 ? statuses[0] : [...statuses];
    return {
      method: op.method,
      path,
      operationId: op.operationId,
      unresolvedParams: unresolved,
      body: op.exampleBody,
      ...(expect !== undefined ? { expect } : {}),
      ...(allowedOne && grantedBy.has(op) ? { scope: grantedBy.get(op) } : {}),
    };
  };
  return {
    allowed: [...allowed].map(([op, bound]) => resource(op, bound, true)),
    denied: [...deniedPicked].filter(([op]) => !allowed.has(op)).map(([op, bound]) => resource(op, bound, false)),
    publicOperations,
    authOptional: [...allowed.keys()].filter((op) => op.authOptional).map(describe),
    unmatched,
    conflicts,
  };
}

function describe(op: Operation): string {
  return `${op.method} ${op.path}`;
}
