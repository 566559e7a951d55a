// The inventory: every key of a platform as plain records, whatever source it
// came from (a YAML/JSON/CSV export or a management API). Each source hands
// over raw rows; `normaliseRows` turns them into keys, reporting each bad row
// with its row number, line and field, and redacting anything secret-like.
import { fingerprint } from '../secrets.js';
import { isSecretLike } from './secret-like.js';

/** One key as the audit sees it. Dates are epoch milliseconds. */
export interface InventoryKey {
  /** 1-based position in the source (data rows only, not a CSV header). */
  readonly row: number;
  /** Line in the source file where the row starts, when the source has lines. */
  readonly line?: number;
  readonly id: string;
  readonly name: string;
  readonly environment: string;
  readonly owner?: string;
  readonly scopes: readonly string[];
  readonly created: number;
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
  /** Requests made to read it (API source), for the report. */
  readonly requests: number;
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
export const REQUIRED_FIELDS: readonly InventoryField[] = ['id', 'name', 'environment', 'created'];

/** Other spellings found in real exports, compared after `fieldIdentity`. */
const ALIASES: Readonly<Record<string, InventoryField>> = {
  keyid: 'id',
  keyname: 'name',
  env: 'environment',
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

/** A field value that cannot be read; the message says what was expected and found. */
class Bad {
  constructor(readonly message: string) {}
}

/** A parser gives the value, undefined when the field is empty, or Bad (no result objects: 100,000 rows × 15 fields). */
type Parser = (value: unknown) => unknown;

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (Array.isArray(value)) return 'a list';
  if (value && typeof value === 'object') return 'a mapping';
  return String(value);
}

function isBlank(value: unknown): boolean {
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
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const text = value.trim();
    const dateOnly = DATE_ONLY.test(text);
    if (dateOnly || ISO_DATE_TIME.test(text)) {
      const ms = Date.parse(dateOnly ? `${text}T00:00:00Z` : text.replace(' ', 'T'));
      if (!Number.isNaN(ms)) return ms;
    }
  }
  return new Bad(`expected a date like 2026-03-31 or an ISO 8601 date-time, found ${describeValue(value)}`);
};

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', 'enabled', 'active', 'on']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', 'disabled', 'inactive', 'off', 'revoked']);

const parseBoolean: Parser = (value) => {
  if (isBlank(value)) return undefined;
  if (typeof value === 'boolean') return value;
  const word = String(value).trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return new Bad(`expected true or false (or yes/no, enabled/disabled), found ${describeValue(value)}`);
};

/** A list, or text separated by spaces, commas, semicolons or bars (as CSV exports write lists). */
const parseList: Parser = (value) => {
  if (isBlank(value)) return undefined;
  if (typeof value === 'string') return value.split(/[\s,;|]+/).filter(Boolean);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.map((v: string) => v.trim()).filter(Boolean);
  return new Bad(`expected a list of text (or text separated by spaces, commas or semicolons), found ${describeValue(value)}`);
};

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
}

/**
 * Turns raw rows into keys. A row with a bad field is reported (row, line,
 * field, what is wrong) and left out; the other rows are audited. Secret-like
 * values are replaced by their fingerprint before anything else sees them.
 */
export function normaliseRows(rows: Iterable<RawRow>): NormaliseResult {
  const keys: InventoryKey[] = [];
  const problems: RowProblem[] = [];
  const secretHits: SecretHit[] = [];
  const secrets = new Set<string>();
  const ignored = new Set<string>();
  const seenIds = new Map<string, number>();
  /** Source field name → index in INVENTORY_FIELDS, or -1 for a field the audit does not use. */
  const indexOf = new Map<string, number>();

  for (const raw of rows) {
    const { row, line } = raw;
    if (raw.error !== undefined) {
      // The fields are unreliable, but a secret in them must still be found and flagged.
      const found: { field: string; value: string }[] = [];
      for (const [name, value] of Object.entries(raw.values)) redactSecrets(name, value, found);
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

    for (const name in raw.values) {
      const rawValue = raw.values[name];
      let index = indexOf.get(name);
      if (index === undefined) {
        const field = canonicalField(name);
        index = field ? FIELD_INDEX.get(field)! : -1;
        indexOf.set(name, index);
      }
      const value = redactSecrets(name, rawValue, rowSecrets);
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

    const out: unknown[] = new Array(FIELD_COUNT);
    for (let i = 0; i < FIELD_COUNT; i++) {
      const field = INVENTORY_FIELDS[i]!;
      const result = PARSERS[field](values[i]);
      if (result instanceof Bad) rowProblems.push({ row, line, field: sourceName[i] ?? field, message: result.message });
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
      name: out[F.name] as string,
      environment: out[F.environment] as string,
      owner: out[F.owner] as string | undefined,
      scopes: (out[F.scopes] as string[] | undefined) ?? [],
      created: out[F.created] as number,
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
  return { keys, problems, secretHits, secrets: [...secrets], ignoredFields: [...ignored] };
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

/** How a key is named in messages: its name and id, never anything secret. */
export function keyLabel(key: Pick<InventoryKey, 'name' | 'id'>): string {
  return `${key.name} (${key.id})`;
}
