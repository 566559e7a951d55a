// Reads an OpenAPI 3 document (JSON or YAML) and proposes, for a chosen set of
// scopes, which operations a key must reach (allowed) and which it must be
// refused (denied). It is a proposal for a person to trim, not a verdict: the
// document may be incomplete, and path parameters need real ids.
import { readFileSync } from 'node:fs';
import { parseYaml } from '../config/yaml-parse.js';
import { UsageError } from '../errors.js';

/** OpenAPI documents can be large; this is far above any real one and still bounded. */
const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;
const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  readonly file: string;
  readonly title: string;
  readonly doc: Json;
}

export interface Operation {
  readonly method: string;
  /** The path as it will be requested: base path + template, parameters filled in where the document gives an example. */
  readonly path: string;
  readonly operationId?: string;
  /** Path parameters the document gives no example for; left as `{name}` in `path`. */
  readonly unresolvedParams: readonly string[];
  /** Anyone may call it: its security (or the document's) is `[]` or only `{}`. */
  readonly isPublic: boolean;
  /** Neither the operation nor the document says anything about its security. */
  readonly securityUnstated: boolean;
  /** The document lists both a way to authenticate and `{}` (none needed): the key is optional here. */
  readonly authOptional: boolean;
  /** Alternatives (any one suffices), each the scopes it needs together. */
  readonly securityAlternatives: readonly (readonly string[])[];
  /** The 2xx statuses the document lists. */
  readonly successStatuses: readonly number[];
  /** An example JSON request body, when the document gives one. */
  readonly exampleBody?: unknown;
}

export interface ProposedResource {
  readonly method: string;
  readonly path: string;
  readonly operationId?: string;
  readonly unresolvedParams: readonly string[];
  readonly expect?: number | number[];
  readonly body?: unknown;
  /** allowed: the scope that grants it; denied: the scopes it needs instead. */
  readonly scope?: string;
  readonly needs?: readonly string[];
}

export interface OpenApiProposal {
  readonly allowed: ProposedResource[];
  readonly denied: ProposedResource[];
  /** Operations anyone may call (no security): proving nothing about a key, they are left out. */
  readonly publicOperations: string[];
}

/** Whether the document says anything about security at all (schemes or requirements). */
export function declaresSecurity(api: OpenApiDocument): boolean {
  const { doc } = api;
  const schemes = isObject(doc.components) && isObject(doc.components.securitySchemes) ? doc.components.securitySchemes : {};
  if (Object.keys(schemes).length > 0 || Array.isArray(doc.security)) return true;
  return rawOperations(api).some(({ op }) => op.security !== undefined);
}

export function readOpenApi(file: string): OpenApiDocument {
  let text: string;
  try {
    const buffer = readFileSync(file);
    if (buffer.length > MAX_DOCUMENT_BYTES)
      throw new UsageError(`--from-openapi ${file}: ${buffer.length} bytes is more than the ${MAX_DOCUMENT_BYTES} read`);
    text = buffer.toString('utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`--from-openapi ${file}: ${code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? 'error'})`}`);
  }
  // JSON is YAML, so one parser reads both.
  const parsed = parseYaml(text);
  if (parsed.errors.length > 0) {
    const e = parsed.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new UsageError(
      `--from-openapi ${file}${line ? `:${line}` : ''}: not valid JSON or YAML (${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')})`,
    );
  }
  const doc = parsed.toJS({ maxAliasCount: 100 }) as unknown;
  if (!isObject(doc)) throw new UsageError(`--from-openapi ${file}: expected an OpenAPI document (a mapping with "openapi" and "paths")`);
  const version = doc.openapi;
  if (typeof version !== 'string' || !version.startsWith('3.')) {
    const found =
      typeof doc.swagger === 'string'
        ? `Swagger ${doc.swagger}`
        : version === undefined
          ? 'no "openapi" field'
          : `openapi ${String(version)}`;
    throw new UsageError(`--from-openapi ${file}: only OpenAPI 3.x is read, found ${found} (convert it with swagger2openapi first)`);
  }
  if (!isObject(doc.paths)) throw new UsageError(`--from-openapi ${file}: the document has no "paths"`);
  const info = isObject(doc.info) ? doc.info : {};
  return { file, title: typeof info.title === 'string' ? info.title : file, doc };
}

/** The origin of the first absolute server URL, when it has no variables. */
export function serverOrigin(api: OpenApiDocument): string | undefined {
  const url = firstServerUrl(api);
  if (!url || url.includes('{')) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Every scope the document names: in its security schemes and in its operations' requirements. */
export function availableScopes(api: OpenApiDocument): string[] {
  const scopes = new Set<string>();
  const schemes = isObject(api.doc.components) && isObject(api.doc.components.securitySchemes) ? api.doc.components.securitySchemes : {};
  for (const scheme of Object.values(schemes)) {
    const flows = isObject(scheme) && isObject(scheme.flows) ? scheme.flows : {};
    for (const flow of Object.values(flows))
      if (isObject(flow) && isObject(flow.scopes)) for (const s of Object.keys(flow.scopes)) scopes.add(s);
  }
  for (const op of operations(api)) for (const alt of op.securityAlternatives) for (const s of alt) scopes.add(s);
  return [...scopes].sort();
}

/** How many operations each scope appears in, to help a person choose. */
export function scopeUsage(api: OpenApiDocument): Map<string, number> {
  const usage = new Map<string, number>();
  for (const op of operations(api)) {
    for (const s of new Set(op.securityAlternatives.flat())) usage.set(s, (usage.get(s) ?? 0) + 1);
  }
  return usage;
}

/** Each operation object of the document with its path template and method, before interpretation. */
function rawOperations(api: OpenApiDocument): { template: string; method: string; item: Json; op: Json }[] {
  const { doc } = api;
  const out: { template: string; method: string; item: Json; op: Json }[] = [];
  for (const [template, rawItem] of Object.entries(doc.paths as Json)) {
    const item = deref(doc, rawItem);
    if (!isObject(item) || !template.startsWith('/')) continue;
    for (const method of OPERATION_METHODS) {
      const op = deref(doc, item[method]);
      if (isObject(op)) out.push({ template, method, item, op });
    }
  }
  return out;
}

export function operations(api: OpenApiDocument): Operation[] {
  const { doc } = api;
  const basePath = serverBasePath(api);
  const rootSecurity = doc.security;
  return rawOperations(api).map(({ template, method, item, op }) => {
    const itemParams = Array.isArray(item.parameters) ? item.parameters : [];
    const params = [...itemParams, ...(Array.isArray(op.parameters) ? op.parameters : [])].map((p) => deref(doc, p)).filter(isObject);
    const { path, unresolved } = fillPathParams(template, params, doc);
    const security = op.security !== undefined ? op.security : rootSecurity;
    return {
      method: method.toUpperCase(),
      path: basePath + path,
      operationId: typeof op.operationId === 'string' ? op.operationId : undefined,
      unresolvedParams: unresolved,
      // Silence is not openness: real documents leave security out where a key is needed
      // (Kong's Admin API everywhere; Directus on all but one operation per collection).
      isPublic: security !== undefined && isPublic(security),
      securityUnstated: security === undefined,
      authOptional: isAuthOptional(security),
      securityAlternatives: securityAlternatives(security),
      successStatuses: successStatuses(op.responses),
      exampleBody: exampleBody(doc, op.requestBody),
    };
  });
}

/**
 * A key granted `scopes` must reach every operation one of whose security
 * alternatives needs only those scopes, and be refused every other one.
 */
export function proposeResources(api: OpenApiDocument, scopes: readonly string[]): OpenApiProposal {
  const granted = new Set(scopes);
  const proposal: OpenApiProposal = { allowed: [], denied: [], publicOperations: [] };
  for (const op of operations(api)) {
    if (op.isPublic) {
      proposal.publicOperations.push(`${op.method} ${op.path}`);
      continue;
    }
    const base = {
      method: op.method,
      path: op.path,
      operationId: op.operationId,
      unresolvedParams: op.unresolvedParams,
      body: op.exampleBody,
    };
    const satisfied = scopedAlternatives(op).find((alt) => alt.every((s) => granted.has(s)));
    if (satisfied) {
      const expect =
        op.successStatuses.length === 0 ? undefined : op.successStatuses.length === 1 ? op.successStatuses[0] : [...op.successStatuses];
      proposal.allowed.push({ ...base, expect, scope: satisfied[0] });
    } else {
      const needs = [...new Set(scopedAlternatives(op).flatMap((alt) => alt.filter((s) => !granted.has(s))))];
      proposal.denied.push({ ...base, needs });
    }
  }
  return proposal;
}

/**
 * The alternatives that decide by scope. Where one alternative names scopes
 * and another names none (Linode: a personal access token `[]`, or OAuth with
 * `linodes:read_only`), the scope-less one would let any key through on
 * paper; the scopes say what a key really needs.
 */
export function scopedAlternatives(op: Operation): readonly (readonly string[])[] {
  const scoped = op.securityAlternatives.filter((alt) => alt.length > 0);
  return scoped.length > 0 ? scoped : op.securityAlternatives;
}

/** `security: []`, or only empty requirements `{}`: anyone may call the operation. */
function isPublic(security: unknown): boolean {
  return Array.isArray(security) && security.every((r) => isObject(r) && Object.keys(r).length === 0);
}

/** `[{apiKey: []}, {}]`: a way to authenticate, or none at all (Qdrant without a configured key). */
function isAuthOptional(security: unknown): boolean {
  return (
    Array.isArray(security) &&
    security.some((r) => isObject(r) && Object.keys(r).length === 0) &&
    security.some((r) => isObject(r) && Object.keys(r).length > 0)
  );
}

/** Each requirement (any one suffices) as the scopes it needs; a scheme without scopes (an API key) needs none. */
function securityAlternatives(security: unknown): string[][] {
  if (!Array.isArray(security)) return [];
  return security
    .filter((r) => isObject(r) && Object.keys(r).length > 0)
    .filter(isObject)
    .map((requirement) => [
      ...new Set(Object.values(requirement).flatMap((v) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []))),
    ]);
}

function successStatuses(responses: unknown): number[] {
  if (!isObject(responses)) return [];
  return Object.keys(responses)
    .filter((code) => /^2\d\d$/.test(code))
    .map(Number)
    .sort((a, b) => a - b);
}

function fillPathParams(template: string, params: Json[], doc: Json): { path: string; unresolved: string[] } {
  const unresolved: string[] = [];
  const path = template.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const param = params.find((p) => p.in === 'path' && p.name === name);
    const value = param ? exampleValue(doc, param) : undefined;
    if (value === undefined || value === null || typeof value === 'object') {
      unresolved.push(name);
      return whole;
    }
    return encodeURIComponent(String(value));
  });
  return { path, unresolved };
}

function exampleValue(doc: Json, param: Json): unknown {
  if (param.example !== undefined) return param.example;
  if (isObject(param.examples)) {
    const first = deref(doc, Object.values(param.examples)[0]);
    if (isObject(first) && first.value !== undefined) return first.value;
  }
  const schema = deref(doc, param.schema);
  if (!isObject(schema)) return undefined;
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  return undefined;
}

function exampleBody(doc: Json, rawBody: unknown): unknown {
  const body = deref(doc, rawBody);
  if (!isObject(body) || !isObject(body.content)) return undefined;
  const media = deref(doc, body.content['application/json']);
  if (!isObject(media)) return undefined;
  if (media.example !== undefined) return media.example;
  if (isObject(media.examples)) {
    const first = deref(doc, Object.values(media.examples)[0]);
    if (isObject(first) && first.value !== undefined) return first.value;
  }
  const schema = deref(doc, media.schema);
  return isObject(schema) && schema.example !== undefined ? schema.example : undefined;
}

function firstServerUrl(api: OpenApiDocument): string | undefined {
  const servers = api.doc.servers;
  if (!Array.isArray(servers) || !isObject(servers[0])) return undefined;
  return typeof servers[0].url === 'string' ? servers[0].url : undefined;
}

/** `https://api.example.com/v2/` → `/v2`; the profile's paths carry it, the origin cannot. */
function serverBasePath(api: OpenApiDocument): string {
  const url = firstServerUrl(api);
  if (!url || url.includes('{')) return '';
  try {
    return new URL(url, 'http://relative.invalid').pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}

/** Follows local `$ref`s (`#/components/...`); anything else is returned as is. */
function deref(doc: Json, node: unknown, depth = 0): unknown {
  if (!isObject(node) || typeof node.$ref !== 'string' || depth > 20) return node;
  const ref = node.$ref;
  if (!ref.startsWith('#/')) return undefined;
  let cur: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    cur = isObject(cur) ? cur[key] : undefined;
  }
  return deref(doc, cur, depth + 1);
}

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
