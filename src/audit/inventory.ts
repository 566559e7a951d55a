// The inventory: every key of a platform as plain records, whatever source it
// came from (a YAML/JSON/CSV export or a management API). Each source hands
// over raw rows; `normaliseRows` turns them into keys (through a mapping, when
// one is given), reporting each bad row with its row number, line and field,
// and redacting anything secret-like.
//
// Real platforms do not record everything: a field no row has (no creation
// date, no last use) is "not recorded", and the key stays in the audit; the
// rules that need that field say which keys they could not judge. Only a value
// that is there but cannot be read makes a bad row.
import { fingerprint } from '../secrets.js';
import { isCalendarDay } from '../calendar-day.js';
import { isSecretLike } from './secret-like.js';

/**
 * One key as the audit sees it. Dates are epoch milliseconds. A field left
 * undefined is empty for this key; whether empty means "none" (no expiry,
 * never used) or "unknown" depends on whether the inventory records the field
 * at all (`Inventory.recorded`). name, environment and created are unknown
 * when undefined.
 */
export interface InventoryKey {
  /** 1-based position in the source (data rows only, not a CSV header). */
  readonly row: number;
  /** Line in the source file where the row starts, when the source has lines. */
  readonly line?: number;
  readonly id: string;
  readonly name?: string;
  readonly environment?: string;
  readonly owner?: string;
  readonly scopes: readonly string[];
  readonly created?: number;
  readonly expires?: number;
  readonly lastUsed?: number;
  readonly enabled: boolean;
  /** Environments the key was seen calling from (or into), where the platform records it. */
  readonly seenEnvironments: readonly string[];
  /** The key's public prefix as the platform shows it (e.g. `kp_test_`), never the key. */
  readonly prefix?: string;
  /** Last rotation; rotation is due this long after it (or after `created`). */
  readonly rotated?: number;
  /** When the key was disabled, where the platform records it. */
  readonly disabledAt?: number;
  readonly system?: string;
  readonly purpose?: string;
}

/** A bad row (or a bad field in it): reported, left out of the audit. */
export interface RowProblem {
  readonly row: number;
  readonly line?: number;
  /** The field as named in the source; empty for the row as a whole. */
  readonly field: string;
  readonly message: string;
  /** The row's id or name, when it has a usable one, to find it. */
  readonly key?: string;
}

/** A secret-like value found (and redacted) in the inventory. */
export interface SecretHit {
  readonly row: number;
  readonly line?: number;
  readonly field: string;
  /** The row's id or name (redacted if that is where the secret was). */
  readonly key?: string;
  /** `sha256:` + 8 hex of the value, so a reviewer can match it without seeing it. */
  readonly fingerprint: string;
}

export interface Inventory {
  /** Where it came from: a file path or a URL (no credential). */
  readonly source: string;
  readonly format: 'yaml' | 'json' | 'csv' | 'api';
  /** sha256 hex of the source text as read. */
  readonly digest: string;
  /** Rows in the source, good and bad. */
  readonly rowCount: number;
  readonly keys: readonly InventoryKey[];
  readonly problems: readonly RowProblem[];
  readonly secretHits: readonly SecretHit[];
  /** Every secret-like value found, to redact and to scan the reports for. Never printed. */
  readonly secrets: readonly string[];
  /** Source fields the audit does not know and ignored. */
  readonly ignoredFields: readonly string[];
  /** Requests (pages) made to read it (API source), for the report. */
  readonly requests: number;
  /** Inventory fields the source records (some row has them, even empty); the others are unknown for every key. */
  readonly recorded: ReadonlySet<InventoryField>;
  /** Values of the mapping's secretFields, dropped unread (the key itself, returned by design). */
  readonly secretFieldValues: number;
  /** The secretFields of the mapping, by name, for the report. */
  readonly secretFieldNames: readonly string[];
}

/** One row as a source read it: field name as written → value. */
export interface RawRow {
  readonly row: number;
  readonly line?: number;
  readonly values: Readonly<Record<string, unknown>>;
  /** Set when the source could not read the row's fields at all (e.g. a CSV row with a stray quote). */
  readonly error?: string;
}

export type InventoryField =
  | 'id'
  | 'name'
  | 'environment'
  | 'owner'
  | 'scopes'
  | 'created'
  | 'expires'
  | 'lastUsed'
  | 'enabled'
  | 'seenEnvironments'
  | 'prefix'
  | 'rotated'
  | 'disabledAt'
  | 'system'
  | 'purpose';

export const INVENTORY_FIELDS: readonly InventoryField[] = [
  'id',
  'name',
  'environment',
  'owner',
  'scopes',
  'created',
  'expires',
  'lastUsed',
  'enabled',
  'seenEnvironments',
  'prefix',
  'rotated',
  'disabledAt',
  'system',
  'purpose',
];
/** Without an id a key cannot be found again: the one field every row needs. */
export const REQUIRED_FIELDS: readonly InventoryField[] = ['id'];

export const DATE_FIELDS: readonly InventoryField[] = ['created', 'expires', 'lastUsed', 'rotated', 'disabledAt'];
export const LIST_FIELDS: readonly InventoryField[] = ['scopes', 'seenEnvironments'];

/** Other spellings found in real exports, compared after `fieldIdentity`. */
const ALIASES: Readonly<Record<string, InventoryField>> = {
  keyid: 'id',
  keyname: 'name',
  label: 'name',
  displayname: 'name',
  env: 'environment',
  permissions: 'scopes',
  status: 'enabled',
  createdat: 'created',
  expiresat: 'expires',
  expiry: 'expires',
  lastusedat: 'lastUsed',
  seen: 'seenEnvironments',
  seenin: 'seenEnvironments',
  rotatedat: 'rotated',
  lastrotated: 'rotated',
  disabled: 'disabledAt',
  scope: 'scopes',
};

/** Case, `_`, `-` and spaces do not matter in field names: `last_used`, `Last Used` and `lastUsed` are one field. */
export function fieldIdentity(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

const CANONICAL = new Map<string, InventoryField>([
  ...INVENTORY_FIELDS.map((f) => [fieldIdentity(f), f] as const),
  ...Object.entries(ALIASES),
]);

/** The inventory field a source field name means, if any. */
export function canonicalField(name: string): InventoryField | undefined {
  return CANONICAL.get(fieldIdentity(name));
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** A field value that cannot be read; the message says what was expected and found. A mapping may hand one over. */
export class Bad {
  constructor(readonly message: string) {}
}

/** A parser gives the value, undefined when the field is empty, or Bad (no result objects: 100,000 rows × 15 fields). */
type Parser = (value: unknown) => unknown;

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (Array.isArray(value)) return 'a list';
  if (value && typeof value === 'object') return 'a mapping';
  return String(value);
}

export function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

const parseText: Parser = (value) => {
  if (isBlank(value)) return undefined;
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return String(value);
  return new Bad(`expected text, found ${describeValue(value)}`);
};

const parseDate: Parser = (value) => {
  if (isBlank(value)) return undefined;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime();
  if (typeof value === 'string') {
    const ms = parseIsoDate(value);
    if (ms !== undefined) return ms;
  }
  if (typeof value === 'number')
    return new Bad(
      `expected a date like 2026-03-31 or an ISO 8601 date-time, found ${value}; for epoch times declare date: epoch-s or epoch-ms in a --mapping`,
    );
  return new Bad(`expected a date like 2026-03-31 or an ISO 8601 date-time, found ${describeValue(value)}`);
};

/** ISO 8601 (a date, or a date-time) as epoch ms, or undefined. A day that does not exist (2026-02-30) is not a date. */
export function parseIsoDate(text: string): number | undefined {
  const t = text.trim();
  const dateOnly = DATE_ONLY.test(t);
  if (!dateOnly && !ISO_DATE_TIME.test(t)) return undefined;
  if (!isCalendarDay(t.slice(0, 10))) return undefined;
  const ms = Date.parse(dateOnly ? `${t}T00:00:00Z` : t.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
}

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', 'enabled', 'active', 'on']);
const FALSE_WORDS = new Set([
  'false',
  'no',
  'n',
  '0',
  'disabled',
  'inactive',
  'off',
  'revoked',
  'suspended',
  'archived',
  'blocked',
  'deleted',
  'expired',
  'locked',
]);

const parseBoolean: Parser = (value) => {
  if (isBlank(value)) return undefined;
  if (typeof value === 'boolean') return value;
  const word = String(value).trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return new Bad(`expected true or false (or yes/no, enabled/disabled), found ${describeValue(value)}`);
};

/**
 * A list, or text separated by spaces, commas, semicolons or bars (as CSV
 * exports write lists). A mapping of mappings, as platforms write permissions
 * ({ repository: { contents: write } }), gives one entry per leaf: `repository.contents:write`.
 */
const parseList: Parser = (value) => {
  if (isBlank(value)) return undefined;
  if (typeof value === 'string') return value.split(/[\s,;|]+/).filter(Boolean);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.map((v: string) => v.trim()).filter(Boolean);
  if (isPlainObject(value)) {
    const entries = leafEntries(value, '');
    if (entries) return entries;
  }
  return new Bad(`expected a list of text (or text separated by spaces, commas or semicolons), found ${describeValue(value)}`);
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

/** `{ a: { b: "read" } }` → ["a.b:read"]; undefined when a leaf is not text, a number or a boolean. */
function leafEntries(value: Record<string, unknown>, prefix: string): string[] | undefined {
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v)) {
      const inner = leafEntries(v, name);
      if (!inner) return undefined;
      out.push(...inner);
    } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push(`${name}:${String(v)}`);
    else if (v !== null && v !== undefined) return undefined;
  }
  return out;
}

const PARSERS: Record<InventoryField, Parser> = {
  id: parseText,
  name: parseText,
  environment: parseText,
  owner: parseText,
  scopes: parseList,
  created: parseDate,
  expires: parseDate,
  lastUsed: parseDate,
  enabled: parseBoolean,
  seenEnvironments: parseList,
  prefix: parseText,
  rotated: parseDate,
  disabledAt: parseDate,
  system: parseText,
  purpose: parseText,
};

const FIELD_COUNT = INVENTORY_FIELDS.length;
const FIELD_INDEX = new Map(INVENTORY_FIELDS.map((f, i) => [f, i] as const));
/** Field → its index, for reading the parsed row. */
const F = Object.fromEntries(INVENTORY_FIELDS.map((f, i) => [f, i])) as Record<InventoryField, number>;

export interface NormaliseResult {
  readonly keys: InventoryKey[];
  readonly problems: RowProblem[];
  readonly secretHits: SecretHit[];
  readonly secrets: string[];
  readonly ignoredFields: string[];
  readonly recorded: ReadonlySet<InventoryField>;
  readonly secretFieldValues: number;
  readonly secretFieldNames: readonly string[];
}

/** Reads one inventory field out of a source item (after secret redaction): a mapping's field. */
export interface FieldReader {
  /** How reports name the source of the field (a column, a path, "constant"). */
  readonly source: string;
  /**
   * The value for the field's parser (text, list, boolean, a Date for a date
   * already read in its declared format), a Bad, or undefined when the item
   * does not have it.
   */
  read(item: Readonly<Record<string, unknown>>): unknown;
}

/** What a mapping gives normaliseRows (see mapping.ts). */
export interface RowMapping {
  /** One reader per inventory field, in INVENTORY_FIELDS order; undefined where the mapping names nothing. */
  readonly readers: readonly (FieldReader | undefined)[];
  /** Top-level source fields the readers use: not read again under their own name. */
  readonly consumed: ReadonlySet<string>;
  /** Top-level fields that hold the key itself by design (Kong's `key`): never read, never a finding, redacted everywhere. */
  readonly secretFields: ReadonlySet<string>;
}

/**
 * Turns raw rows into keys. A row with a bad value is reported (row, line,
 * field, what is wrong) and left out; the other rows are audited, also those
 * missing fields the platform does not record. Secret-like values are
 * replaced by their fingerprint before anything else sees them. With a
 * mapping, its readers give the fields they name; the source's other fields
 * are still read under their own (canonical) names.
 */
export function normaliseRows(rows: Iterable<RawRow>, mapping?: RowMapping): NormaliseResult {
  const keys: InventoryKey[] = [];
  const problems: RowProblem[] = [];
  const secretHits: SecretHit[] = [];
  const secrets = new Set<string>();
  const ignored = new Set<string>();
  const seenIds = new Map<string, number>();
  /** Source field name → index in INVENTORY_FIELDS, or -1 for a field the audit does not use. */
  const indexOf = new Map<string, number>();
  const recorded: boolean[] = new Array(FIELD_COUNT).fill(false);
  const readers = mapping?.readers ?? [];
  let secretFieldValues = 0;

  for (const raw of rows) {
    const { row, line } = raw;
    if (raw.error !== undefined) {
      // The fields are unreliable, but a secret in them must still be found and flagged.
      const found: { field: string; value: string }[] = [];
      for (const [name, value] of Object.entries(raw.values)) {
        if (mapping?.secretFields.has(name)) continue;
        redactSecrets(name, value, found);
      }
      for (const s of found) {
        secrets.add(s.value);
        secretHits.push({ row, line, field: s.field, fingerprint: fingerprint(s.value) });
      }
      problems.push({ row, line, field: '', message: raw.error });
      continue;
    }
    // Per field index (INVENTORY_FIELDS order): arrays, not objects, to keep 100,000 rows cheap.
    const values: unknown[] = new Array(FIELD_COUNT);
    const sourceName: (string | undefined)[] = new Array(FIELD_COUNT);
    const rowSecrets: { field: string; value: string }[] = [];
    const rowProblems: RowProblem[] = [];
    /** The item with secrets redacted, for the mapping's readers: the row itself until a value is redacted. */
    let redacted: Readonly<Record<string, unknown>> = raw.values;

    for (const name in raw.values) {
      const rawValue = raw.values[name];
      if (mapping?.secretFields.has(name)) {
        // The key itself, returned by design: remembered for redaction and the leak scan, never read.
        for (const s of stringsIn(rawValue)) {
          secrets.add(s);
          secretFieldValues++;
        }
        if (redacted === raw.values) redacted = { ...raw.values };
        delete (redacted as Record<string, unknown>)[name];
        continue;
      }
      const value = redactSecrets(name, rawValue, rowSecrets);
      if (mapping && value !== rawValue) {
        if (redacted === raw.values) redacted = { ...raw.values };
        (redacted as Record<string, unknown>)[name] = value;
      }
      if (mapping?.consumed.has(name)) continue;
      let index = indexOf.get(name);
      if (index === undefined) {
        const field = canonicalField(name);
        index = field ? FIELD_INDEX.get(field)! : -1;
        // The mapping says where this field comes from: a same-named source field is not it.
        if (index >= 0 && readers[index]) index = -1;
        indexOf.set(name, index);
      }
      if (index < 0) {
        ignored.add(name);
        continue;
      }
      if (sourceName[index] !== undefined && !isBlank(values[index])) {
        rowProblems.push({
          row,
          line,
          field: name,
          message: `"${name}" and "${sourceName[index]}" are the same field (${INVENTORY_FIELDS[index]}); give it once`,
        });
        continue;
      }
      values[index] = value;
      sourceName[index] = name;
    }
    if (mapping) {
      for (let i = 0; i < FIELD_COUNT; i++) {
        const reader = readers[i];
        if (!reader) continue;
        const value = reader.read(redacted);
        if (value === undefined) continue;
        values[i] = value;
        sourceName[i] = reader.source;
      }
    }

    const out: unknown[] = new Array(FIELD_COUNT);
    for (let i = 0; i < FIELD_COUNT; i++) {
      const value = values[i];
      if (value !== undefined) recorded[i] = true;
      const result = value instanceof Bad ? value : PARSERS[INVENTORY_FIELDS[i]!](value);
      if (result instanceof Bad) rowProblems.push({ row, line, field: sourceName[i] ?? INVENTORY_FIELDS[i]!, message: result.message });
      else out[i] = result;
    }
    for (const field of REQUIRED_FIELDS) {
      const i = FIELD_INDEX.get(field)!;
      const name = sourceName[i] ?? field;
      if (out[i] === undefined && !rowProblems.some((p) => p.field === name)) {
        rowProblems.push({ row, line, field: name, message: `required field is missing or empty (${field})` });
      }
    }
    const id = out[F.id] as string | undefined;
    const label = id ?? (out[F.name] as string | undefined);
    for (const s of rowSecrets) {
      secrets.add(s.value);
      secretHits.push({ row, line, field: s.field, fingerprint: fingerprint(s.value), ...(label ? { key: label } : {}) });
    }
    if (id !== undefined && rowProblems.length === 0) {
      const first = seenIds.get(id);
      if (first !== undefined)
        rowProblems.push({ row, line, field: sourceName[F.id] ?? 'id', message: `id "${id}" is already used by row ${first}` });
      else seenIds.set(id, row);
    }
    if (rowProblems.length > 0) {
      problems.push(...rowProblems.map((p) => (label ? { ...p, key: label } : p)));
      continue;
    }
    // Every property in one fixed order, so all keys share one object shape.
    keys.push({
      row,
      line,
      id: out[F.id] as string,
      name: out[F.name] as string | undefined,
      environment: out[F.environment] as string | undefined,
      owner: out[F.owner] as string | undefined,
      scopes: (out[F.scopes] as string[] | undefined) ?? [],
      created: out[F.created] as number | undefined,
      expires: out[F.expires] as number | undefined,
      lastUsed: out[F.lastUsed] as number | undefined,
      enabled: (out[F.enabled] as boolean | undefined) ?? true,
      seenEnvironments: (out[F.seenEnvironments] as string[] | undefined) ?? [],
      prefix: out[F.prefix] as string | undefined,
      rotated: out[F.rotated] as number | undefined,
      disabledAt: out[F.disabledAt] as number | undefined,
      system: out[F.system] as string | undefined,
      purpose: out[F.purpose] as string | undefined,
    });
  }
  return {
    keys,
    problems,
    secretHits,
    secrets: [...secrets],
    ignoredFields: [...ignored],
    recorded: new Set(INVENTORY_FIELDS.filter((_, i) => recorded[i])),
    secretFieldValues,
    secretFieldNames: mapping ? [...mapping.secretFields] : [],
  };
}

/** Every non-empty text in a value (also inside lists and mappings). */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return value.trim() ? [value] : [];
  if (typeof value === 'number') return [String(value)];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (isPlainObject(value)) return Object.values(value).flatMap(stringsIn);
  return [];
}

/** Replaces each secret-like string (also inside lists) by `[redacted sha256:…]` and remembers it. */
function redactSecrets(field: string, value: unknown, found: { field: string; value: string }[]): unknown {
  if (typeof value === 'string') {
    if (!isSecretLike(field, value)) return value;
    found.push({ field, value });
    return `[redacted ${fingerprint(value)}]`;
  }
  if (Array.isArray(value)) return value.map((v) => redactSecrets(field, v, found));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactSecrets(`${field}.${k}`, v, found);
    return out;
  }
  return value;
}

/** How a key is named in messages: its name and id (the id alone when no name is recorded), never anything secret. */
export function keyLabel(key: { readonly name?: string; readonly id: string }): string {
  return key.name !== undefined ? `${key.name} (${key.id})` : key.id;
}
