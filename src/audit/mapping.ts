// The mapping language: how one platform's inventory (a CSV/JSON/YAML export
// or a management API's answer) becomes keyprobe's inventory fields. The same
// file works for every source: `fields` says where each field comes from, and
// for an API source `credential`, `headers` and `pagination` say how to read
// it. A mapping file is validated strictly (every problem at once, as
// file:line:col: field: message) before anything is read.
import { z } from 'zod';
import { LITERAL_SECRET_MESSAGE, SECRET_REFERENCE } from '../config/profile-schema.js';
import { resolveReferences } from '../config/references.js';
import { parseYamlText, readYamlFile, type YamlSource } from '../config/yaml-source.js';
import { closest, formatPath, issuesToProblems } from '../config/zod-problems.js';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { dateFormatProblem, dateReader } from './date-format.js';
import {
  Bad,
  DATE_FIELDS,
  describeValue,
  INVENTORY_FIELDS,
  isBlank,
  LIST_FIELDS,
  type FieldReader,
  type InventoryField,
  type RowMapping,
} from './inventory.js';

const pathText = z
  .string()
  .min(1)
  .meta({
    description:
      'A field of each item: its name as written (a CSV column such as "Key ID"), or a dotted path into nested objects (team.email). A list met on the way is read in every element (restrictions.apiTargets.service).',
    examples: ['Key ID', 'team.email'],
  });
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const constant = z.union([scalar, z.array(z.string())]);

export const fieldSpecSchema = z.union([
  pathText,
  z
    .strictObject({
      path: pathText.optional(),
      paths: z
        .array(pathText)
        .min(1)
        .optional()
        .meta({
          description:
            'Several fields: for a list field (scopes, seenEnvironments) all of them combined; for any other field the first that has a value.',
          examples: [['scopes', 'extraScopes']],
        }),
      const: constant.optional().meta({
        description: 'The same value for every key, e.g. environment: { const: prod } for a per-environment export.',
        examples: ['prod'],
      }),
      values: z
        .record(z.string(), z.union([scalar, z.null()]))
        .optional()
        .meta({
          description:
            'Source value → value, e.g. { active: true, suspended: false }. Compared ignoring case; "*" stands for any other value; null means "not recorded". A value not listed is read as usual.',
          examples: [{ active: true, suspended: false }],
        }),
      default: constant
        .optional()
        .meta({ description: 'The value when the source has none (missing, null or empty).', examples: ['unknown'] }),
      date: z
        .string()
        .min(1)
        .optional()
        .meta({
          description:
            'How dates are written: iso, epoch-s, epoch-ms, or a pattern of YYYY, MM, DD, HH, mm and ss such as MM/DD/YYYY (read as UTC). ISO 8601 is always understood too.',
          examples: ['MM/DD/YYYY', 'epoch-ms'],
        }),
      match: z
        .string()
        .min(1)
        .optional()
        .meta({
          description:
            'A regular expression; the value becomes its first group (or the whole match). In a list, elements that do not match are left out: stageKeys ["abc/dev"] with match "/([^/]+)$" gives dev.',
          examples: ['/([^/]+)$'],
        }),
    })
    .describe('Where a field comes from: path, paths or const, and how to read the values.'),
]);

export type FieldSpec = z.output<typeof fieldSpecSchema>;

const maxPages = z
  .number()
  .int()
  .positive()
  .max(100_000)
  .default(1000)
  .meta({ description: 'At most this many pages (requests); more is an error, never a silently truncated audit.', examples: [50] });

export const paginationSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z
        .literal('link')
        .meta({ description: 'Follow the Link header\'s rel="next" (GitHub and other RFC 8288 APIs).', examples: ['link'] }),
      maxPages,
    }),
    z.strictObject({
      type: z.literal('cursor').meta({
        description: 'A cursor in each answer, sent back as a query parameter (Google nextPageToken, Kong offset, AWS position).',
        examples: ['cursor'],
      }),
      cursor: pathText.meta({
        description: 'Where the next cursor is in the answer, e.g. nextPageToken; empty or absent on the last page.',
        examples: ['nextPageToken'],
      }),
      param: z
        .string()
        .min(1)
        .meta({ description: 'The query parameter to send it in, e.g. pageToken.', examples: ['pageToken'] }),
      maxPages,
    }),
    z.strictObject({
      type: z.literal('offset').meta({
        description: 'Offset and limit query parameters; a page with fewer items than the limit is the last.',
        examples: ['offset'],
      }),
      param: z
        .string()
        .min(1)
        .default('offset')
        .meta({ description: 'The offset query parameter.', examples: ['skip'] }),
      limitParam: z
        .string()
        .min(1)
        .default('limit')
        .meta({ description: 'The page size query parameter.', examples: ['per_page'] }),
      limit: z
        .number()
        .int()
        .positive()
        .max(100_000)
        .default(100)
        .meta({ description: 'Items asked for per page.', examples: [50] }),
      maxPages,
    }),
  ])
  .meta({
    description: 'How the API pages its answer. Without it, one request must answer the whole list.',
    examples: [{ type: 'link' }, { type: 'cursor', cursor: 'nextPageToken', param: 'pageToken' }],
  });

/** What each inventory field means (docs/audit.md has the table). */
const FIELD_MEANING: Readonly<Record<InventoryField, string>> = {
  id: "The platform's key id; the one field every key needs.",
  name: 'The key name, <system>-<env>-<purpose>.',
  environment: 'prod, test, staging, …',
  owner: 'The person or team answering for the key.',
  scopes: 'What the key may do: a list, text separated by spaces/commas/;/|, or a mapping of permissions.',
  created: 'When the key was created.',
  expires: 'When it expires; empty means never (where the platform records expiry).',
  lastUsed: 'When it was last used; empty means never (where the platform records use).',
  enabled: 'true/false (also yes/no, active/disabled, suspended, …); default true.',
  seenEnvironments: 'Environments the key was seen calling (or can call).',
  prefix: "The key's public prefix as the platform shows it (kp_test_), never the key.",
  rotated: 'Its last rotation.',
  disabledAt: 'When it was disabled.',
  system: 'The system part of the name, as recorded.',
  purpose: 'The purpose part of the name, as recorded.',
};

/** An example source of each inventory field, as a mapping writes it. */
const FIELD_EXAMPLE: Readonly<Record<InventoryField, FieldSpec>> = {
  id: 'Key ID',
  name: 'name',
  environment: { const: 'prod' },
  owner: 'team.email',
  scopes: { paths: ['scopes', 'extraScopes'] },
  created: { path: 'created_at', date: 'epoch-s' },
  expires: 'expires_at',
  lastUsed: { path: 'Last used', date: 'MM/DD/YYYY' },
  enabled: { path: 'Status', values: { active: true, suspended: false } },
  seenEnvironments: { path: 'stageKeys', match: '/([^/]+)$' },
  prefix: 'key_prefix',
  rotated: 'rotated_at',
  disabledAt: 'disabled_at',
  system: 'tags.system',
  purpose: 'tags.purpose',
};

/** Header names that carry credentials: only credential.secret (a reference) may. */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie|x-api-key|api-key|.*token.*|.*secret.*)$/i;

export const mappingSchema = z
  .strictObject({
    description: z
      .string()
      .optional()
      .meta({
        description: 'What this mapping reads, in a sentence (shown by --list-presets).',
        examples: ['Kong consumers and their key-auth credentials'],
      }),
    credential: z
      .strictObject({
        header: z
          .string()
          .min(1)
          .default('Authorization')
          .meta({ description: 'The header carrying the credential.', examples: ['Authorization', 'Kong-Admin-Token'] }),
        scheme: z
          .string()
          .default('Bearer')
          .meta({ description: 'Put before the secret in the header; "" for a bare token.', examples: ['Bearer', ''] }),
        secret: z
          .string()
          .min(1)
          .meta({ description: '${env:NAME} or ${file:path}; never the secret itself.', examples: ['${env:KONG_ADMIN_TOKEN}'] }),
      })
      .optional()
      .meta({
        description: 'API source only: the admin credential.',
        examples: [{ header: 'Authorization', scheme: 'Bearer', secret: '${env:KONG_ADMIN_TOKEN}' }],
      }),
    headers: z
      .record(z.string().min(1), z.string())
      .default({})
      .meta({
        description: 'API source only: other request headers (Accept, API version); never a credential.',
        examples: [{ Accept: 'application/json', 'X-Api-Version': '2' }],
      }),
    items: z
      .string()
      .optional()
      .meta({
        description:
          'Dotted path to the list of keys in the export or answer; "" when it is the list. Default: the list itself, or its "keys" list.',
        examples: ['data', ''],
      }),
    pagination: paginationSchema.optional(),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(600_000)
      .default(30_000)
      .meta({ description: 'API source only: timeout per request.', examples: [60000] }),
    secretFields: z
      .array(z.string().min(1))
      .default([])
      .meta({
        description:
          'Top-level fields that hold the key itself by design (Kong returns it in `key`): never read, never a finding, but every value is kept out of every report. An export with a secret anywhere else is a finding.',
        examples: [['key']],
      }),
    fields: z
      .strictObject(
        Object.fromEntries(
          INVENTORY_FIELDS.map((f) => [
            f,
            fieldSpecSchema.optional().meta({ description: FIELD_MEANING[f], examples: [FIELD_EXAMPLE[f]] }),
          ]),
        ) as Record<InventoryField, z.ZodOptional<typeof fieldSpecSchema>>,
      )
      .default({})
      .meta({
        description:
          'Inventory field → where it comes from. A field not named here is read from the source field of the same (or a common) name.',
        examples: [
          { id: 'Key ID', environment: { const: 'prod' }, enabled: { path: 'Status', values: { active: true, suspended: false } } },
        ],
      }),
  })
  .superRefine((m, ctx) => {
    for (const [name, spec] of Object.entries(m.fields) as [InventoryField, FieldSpec | undefined][]) {
      if (spec === undefined || typeof spec === 'string') continue;
      const at = (...rest: string[]) => ['fields', name, ...rest];
      const sources = [spec.path, spec.paths, spec.const].filter((s) => s !== undefined).length;
      if (sources !== 1) ctx.addIssue({ code: 'custom', path: at(), message: 'give one of path, paths or const' });
      if (spec.date !== undefined) {
        if (!DATE_FIELDS.includes(name))
          ctx.addIssue({ code: 'custom', path: at('date'), message: `only date fields (${DATE_FIELDS.join(', ')}) take a date format` });
        else {
          const problem = dateFormatProblem(spec.date);
          if (problem) ctx.addIssue({ code: 'custom', path: at('date'), message: problem });
        }
      }
      if (spec.match !== undefined) {
        try {
          new RegExp(spec.match);
        } catch (err) {
          ctx.addIssue({ code: 'custom', path: at('match'), message: `not a valid regular expression (${(err as Error).message})` });
        }
      }
    }
    for (const name of Object.keys(m.headers)) {
      if (CREDENTIAL_HEADER.test(name) || name.toLowerCase() === m.credential?.header.toLowerCase())
        ctx.addIssue({
          code: 'custom',
          path: ['headers', name],
          message: `"${name}" carries a credential: put it in credential (header, scheme, secret as \${env:NAME})`,
        });
    }
  });

export type Mapping = z.output<typeof mappingSchema>;

export interface LoadedMapping {
  /** The mapping file, or "preset NAME (file)". */
  readonly file: string;
  readonly mapping: Mapping;
  /** Where a field of the mapping file is, for problems found later (a column the header lacks). */
  locate(path: readonly PropertyKey[]): { line: number; column: number } | undefined;
}

/** Reads and checks a mapping file (or text, for a built-in one). Credentials stay unresolved until an API source needs them. */
export function loadMapping(file: string, label = file, text?: string): LoadedMapping {
  const read = text !== undefined ? parseYamlText(text, label) : readYamlFile(file);
  if (!read.ok) throw new ConfigError(read.problems.map((p) => ({ ...p, file: label })));
  const source: YamlSource = { ...read.source, file: label };
  const raw = source.data ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError([
      { file: label, line: 1, column: 1, path: '', message: 'a mapping file is a mapping (fields, items, credential, pagination, …)' },
    ]);
  const problems: ConfigProblem[] = [];
  const secretValue = (raw as { credential?: { secret?: unknown } }).credential?.secret;
  if (typeof secretValue === 'string' && !SECRET_REFERENCE.test(secretValue))
    problems.push(at(source, ['credential', 'secret'], LITERAL_SECRET_MESSAGE));
  const parsed = mappingSchema.safeParse(raw);
  if (!parsed.success) problems.push(...issuesToProblems(parsed.error.issues, { ...source, data: raw }, mappingSchema));
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  return { file: label, mapping: parsed.data, locate: (path) => source.locate(path) };
}

/** Resolves the credential's ${env:…}/${file:…} reference (API sources only); the secret, to register for redaction. */
export function resolveCredential(loaded: LoadedMapping, env: NodeJS.ProcessEnv): string | undefined {
  const reference = loaded.mapping.credential?.secret;
  if (reference === undefined) return undefined;
  const path = ['credential', 'secret'];
  const pos = loaded.locate(path);
  const source: YamlSource = {
    file: loaded.file,
    text: '',
    data: { credential: { secret: reference } },
    locate: () => pos,
  };
  const resolved = resolveReferences({ credential: { secret: reference } }, source, env);
  if (resolved.problems.length) throw new ConfigError(resolved.problems);
  return (resolved.value as { credential: { secret: string } }).credential.secret;
}

function at(source: YamlSource, path: PropertyKey[], message: string): ConfigProblem {
  const pos = source.locate(path);
  return { file: source.file, line: pos?.line, column: pos?.column, path: formatPath(path), message };
}

/** The value at a path: the whole name first (a column "a.b" or "Key ID"), then dotted segments; lists met on the way are read in every element. */
export function valueAtPath(data: unknown, path: string, segments: readonly string[] = path.split('.')): unknown {
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && Object.hasOwn(data, path))
    return (data as Record<string, unknown>)[path];
  return walk(data, segments, 0);
}

function walk(cur: unknown, segments: readonly string[], i: number): unknown {
  if (i === segments.length) return cur;
  if (Array.isArray(cur)) {
    const seg = segments[i]!;
    if (/^\d+$/.test(seg)) return walk(cur[Number(seg)], segments, i + 1);
    const out: unknown[] = [];
    for (const el of cur) {
      const v = walk(el, segments, i);
      if (Array.isArray(v)) out.push(...v);
      else if (v !== undefined) out.push(v);
    }
    return out.length ? out : undefined;
  }
  if (cur === null || typeof cur !== 'object') return undefined;
  return walk((cur as Record<string, unknown>)[segments[i]!], segments, i + 1);
}

/** The top-level source field a path starts with (a column name, or the first segment). */
function topOf(path: string, known?: ReadonlySet<string>): string {
  if (known?.has(path)) return path;
  return path.split('.')[0]!;
}

/** Turns a mapping into the readers normaliseRows applies to every item. */
export function compileMapping(mapping: Mapping, columns?: ReadonlySet<string>): RowMapping {
  const readers: (FieldReader | undefined)[] = INVENTORY_FIELDS.map(() => undefined);
  const consumed = new Set<string>();
  for (const [field, spec] of Object.entries(mapping.fields) as [InventoryField, FieldSpec | undefined][]) {
    if (spec === undefined) continue;
    const index = INVENTORY_FIELDS.indexOf(field);
    const full = typeof spec === 'string' ? { path: spec } : spec;
    const paths = full.path !== undefined ? [full.path] : (full.paths ?? []);
    for (const p of paths) consumed.add(topOf(p, columns));
    readers[index] = fieldReader(field, full, paths);
  }
  return { readers, consumed, secretFields: new Set(mapping.secretFields) };
}

type FullSpec = Exclude<FieldSpec, string>;

function fieldReader(field: InventoryField, spec: FullSpec, paths: readonly string[]): FieldReader {
  const isList = LIST_FIELDS.includes(field);
  const source = spec.const !== undefined ? `${field} (constant)` : paths.join(' + ');
  if (spec.const !== undefined) {
    const value = spec.const;
    return { source, read: () => value };
  }
  const split = paths.map((p) => ({ path: p, segments: p.split('.') }));
  const match = spec.match !== undefined ? new RegExp(spec.match) : undefined;
  const values = spec.values ? valueMap(spec.values) : undefined;
  const date = spec.date !== undefined ? dateReader(spec.date) : undefined;
  const fallback = spec.default;

  return {
    source,
    read(item) {
      let value: unknown;
      if (split.length === 1) value = valueAtPath(item, split[0]!.path, split[0]!.segments);
      else if (isList) {
        // Every path's values, one list.
        const all: unknown[] = [];
        let any = false;
        for (const s of split) {
          const v = valueAtPath(item, s.path, s.segments);
          if (v === undefined) continue;
          any = true;
          if (isBlank(v)) continue;
          if (Array.isArray(v)) all.push(...v);
          else if (typeof v === 'string') all.push(...v.split(/[\s,;|]+/).filter(Boolean));
          else all.push(v);
        }
        value = any ? all : undefined;
      } else {
        for (const s of split) {
          const v = valueAtPath(item, s.path, s.segments);
          if (v === undefined) continue;
          value = v;
          if (!isBlank(v)) break;
        }
      }
      if (match && value !== undefined && !isBlank(value)) value = applyMatch(value, match, isList);
      if (values && value !== undefined && !isBlank(value) && !(value instanceof Bad)) value = applyValues(value, values);
      if (fallback !== undefined && (value === undefined || isBlank(value) || (Array.isArray(value) && value.length === 0)))
        value = fallback;
      if (date && value !== undefined && !(value instanceof Bad)) value = date(value);
      return value;
    },
  };
}

interface ValueMap {
  readonly exact: ReadonlyMap<string, unknown>;
  readonly any?: { readonly value: unknown };
  readonly known: readonly string[];
}

function valueMap(values: Readonly<Record<string, unknown>>): ValueMap {
  const exact = new Map<string, unknown>();
  let any: { value: unknown } | undefined;
  for (const [k, v] of Object.entries(values)) {
    if (k === '*') any = { value: v };
    else exact.set(k.trim().toLowerCase(), v);
  }
  return { exact, ...(any ? { any } : {}), known: Object.keys(values) };
}

/** A listed value maps (null: not recorded); "*" maps any other; anything else is read as usual. */
function applyValues(value: unknown, map: ValueMap): unknown {
  const one = (v: unknown): unknown => {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return v;
    const key = String(v).trim().toLowerCase();
    if (map.exact.has(key)) return map.exact.get(key) ?? undefined;
    if (map.any) return map.any.value ?? undefined;
    return v;
  };
  return Array.isArray(value) ? value.map(one).filter((v) => v !== undefined) : one(value);
}

function applyMatch(value: unknown, re: RegExp, isList: boolean): unknown {
  const pick = (v: unknown): string | undefined => {
    if (typeof v !== 'string' && typeof v !== 'number') return undefined;
    const m = re.exec(String(v));
    return m ? (m[1] ?? m[0]) : undefined;
  };
  if (Array.isArray(value)) {
    const picked = value.map(pick).filter((v): v is string => v !== undefined);
    // A list field keeps every match; any other field takes the first.
    return isList ? picked : picked[0];
  }
  const one = pick(value);
  return one ?? new Bad(`${describeValue(value)} does not match ${re.source}`);
}

/**
 * For a CSV export: every column a mapping names must be in the header.
 * Located in the mapping file, with the closest column as a hint.
 */
export function checkColumns(loaded: LoadedMapping, header: readonly string[], csvFile: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const columns = new Set(header);
  for (const [field, spec] of Object.entries(loaded.mapping.fields) as [InventoryField, FieldSpec | undefined][]) {
    if (spec === undefined) continue;
    const full = typeof spec === 'string' ? { path: spec } : spec;
    const paths =
      full.path !== undefined
        ? [{ p: full.path, at: typeof spec === 'string' ? [] : ['path'] }]
        : (full.paths ?? []).map((p, i) => ({ p, at: ['paths', i] }));
    for (const { p, at: rest } of paths) {
      if (columns.has(p) || columns.has(p.split('.')[0]!)) continue;
      const path = ['fields', field, ...rest];
      const pos = loaded.locate(path);
      const guess = closest(p, header);
      problems.push({
        file: loaded.file,
        line: pos?.line,
        column: pos?.column,
        path: formatPath(['fields', field]),
        message: `column "${p}" is not in the header of ${csvFile}${guess ? `; did you mean "${guess}"?` : `; its columns: ${header.join(', ')}`}`,
      });
    }
  }
  return problems;
}
