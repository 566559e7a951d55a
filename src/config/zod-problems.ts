// Turns zod issues into located, readable problems: one line each, with the
// field path, what was expected, what was found and, for unknown fields, the
// closest known field.
import type { z } from 'zod';
import type { ConfigProblem } from '../errors.js';
import type { YamlSource } from './yaml-source.js';

type Issue = z.core.$ZodIssue;

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

export function issuesToProblems(issues: readonly Issue[], source: YamlSource, schema: z.ZodType): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of flattenUnions(issues, source.data)) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, issue.path, source.data);
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const pos = source.locate(path, true);
        const guess = closest(key, known);
        const hint = guess ? `; did you mean "${guess}"?` : known.length ? `; known fields: ${known.join(', ')}` : '';
        problems.push({
          file: source.file,
          line: pos?.line,
          column: pos?.column,
          path: formatPath(path),
          message: `unknown field "${key}"${hint}`,
        });
      }
      continue;
    }
    const pos = source.locate(issue.path);
    problems.push({
      file: source.file,
      line: pos?.line,
      column: pos?.column,
      path: formatPath(issue.path),
      message: describe(issue, valueAt(source.data, issue.path)),
    });
  }
  return dedupe(problems);
}

function describe(issue: Issue, found: unknown): string {
  if (issue.code === 'invalid_type') {
    if (found === undefined) return `required field is missing (expected ${issue.expected})`;
    return `expected ${issue.expected}, found ${kindOf(found)}`;
  }
  // Messages of our own refinements already say what is wrong; zod's say it well enough.
  return issue.message.replace(/^Invalid input: /, '');
}

/**
 * What kind of value was found, for "expected X, found Y". Text is never
 * echoed: the file may not be what it was given as (a key file passed as a
 * profile or a suite), and its text may be a secret.
 */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'text (not shown)';
  return `${typeof value} ${String(value)}`;
}

/** A union's issues come per branch; keep the branch that matches the value's shape best. */
function flattenUnions(issues: readonly Issue[], data: unknown): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) {
      out.push(issue);
      continue;
    }
    const branches = issue.errors.map((errs) => errs.map((e) => ({ ...e, path: [...issue.path, ...e.path] }) as Issue));
    const rootMismatch = (b: Issue[]) => b.some((e) => e.code === 'invalid_type' && e.path.length === issue.path.length);
    const candidates = branches.filter((b) => !rootMismatch(b));
    if (candidates.length === 0) {
      const value = valueAt(data, issue.path);
      out.push({ ...issue, message: `expected ${describeUnion(branches)}, found ${kindOf(value)}` } as Issue);
      continue;
    }
    candidates.sort((a, b) => a.length - b.length);
    out.push(...flattenUnions(candidates[0]!, data));
  }
  return out;
}

function describeUnion(branches: Issue[][]): string {
  const expected = new Set<string>();
  for (const b of branches) for (const e of b) if (e.code === 'invalid_type') expected.add(String(e.expected));
  return expected.size ? [...expected].join(' or ') : 'another shape';
}

/** The value at a path in plain parsed data, or undefined. */
export function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg as string];
  }
  return cur;
}

/** The field names the schema accepts at a path (for did-you-mean). */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[], data: unknown): string[] {
  const target = schemaAt(schema, path, data);
  return target ? objectKeys(target) : [];
}

type AnySchema = { _zod: { def: Record<string, unknown> & { type: string } } };

function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    const def = cur._zod.def;
    if (
      (def.type === 'optional' ||
        def.type === 'default' ||
        def.type === 'nullable' ||
        def.type === 'prefault' ||
        def.type === 'readonly') &&
      def.innerType
    )
      cur = def.innerType as AnySchema;
    else if (def.type === 'pipe' && def.in) cur = def.in as AnySchema;
    else if (def.type === 'lazy' && typeof def.getter === 'function') cur = (def.getter as () => AnySchema)();
    else break;
  }
  return cur;
}

function objectKeys(s: AnySchema): string[] {
  const u = unwrap(s);
  if (u._zod.def.type === 'object') return Object.keys(u._zod.def.shape as object);
  if (u._zod.def.type === 'union') return [...new Set((u._zod.def.options as AnySchema[]).flatMap(objectKeys))];
  return [];
}

function schemaAt(schema: z.ZodType, path: readonly PropertyKey[], data: unknown): AnySchema | undefined {
  let cur: AnySchema | undefined = schema as unknown as AnySchema;
  let value: unknown = data;
  for (const seg of path) {
    if (!cur) return undefined;
    cur = unwrap(cur);
    if (cur._zod.def.type === 'union') {
      const options = cur._zod.def.options as AnySchema[];
      cur = options
        .map(unwrap)
        .find((o) =>
          typeof seg === 'number' ? o._zod.def.type === 'array' : o._zod.def.type === 'object' && seg in (o._zod.def.shape as object),
        );
      if (!cur) return undefined;
    }
    const def = cur._zod.def;
    if (def.type === 'object') cur = (def.shape as Record<string, AnySchema>)[String(seg)];
    else if (def.type === 'array') cur = def.element as AnySchema;
    else if (def.type === 'record') cur = def.valueType as AnySchema;
    else return undefined;
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[seg as string] : undefined;
  }
  return cur;
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  if (a.length > 200 || b.length > 200) return Infinity;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.line}:${p.column}:${p.path}:${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
