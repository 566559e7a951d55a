// Reads the inventory from a management API: one GET to --inventory-url with
// an admin credential, and a field mapping from the answer's JSON to the
// inventory fields. The default mapping fits the reference target's
// `GET /admin/keys`; a mapping file (YAML) adapts it to another platform. The
// credential is only ever a ${env:…} or ${file:…} reference.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { LITERAL_SECRET_MESSAGE, SECRET_REFERENCE } from '../../config/profile-schema.js';
import { resolveReferences } from '../../config/references.js';
import { parseYamlText, readYamlFile, type YamlSource } from '../../config/yaml-source.js';
import { formatPath, issuesToProblems } from '../../config/zod-problems.js';
import { CheckError, ConfigError, UsageError, type ConfigProblem } from '../../errors.js';
import { createDispatcher, HttpClient, RequestBudget } from '../../http/client.js';
import type { SecretRegistry } from '../../secrets.js';
import { INVENTORY_FIELDS, normaliseRows, type Inventory, type InventoryField, type RawRow } from '../inventory.js';

/** Enough for a few million keys; a bigger answer is an error, not a silently truncated audit. */
const MAX_ANSWER_BYTES = 512 * 1024 * 1024;

export const mappingSchema = z.strictObject({
  credential: z
    .strictObject({
      header: z.string().min(1).default('Authorization'),
      /** Put before the secret in the header; empty for a bare token. */
      scheme: z.string().default('Bearer'),
      /** `${env:NAME}` or `${file:path}`; never the secret itself. */
      secret: z.string().min(1),
    })
    .optional(),
  /** Dotted path to the list of keys in the answer; empty when the answer is the list. */
  items: z.string().default('keys'),
  /** Inventory field → dotted path in each item of the list. Unlisted fields are read from the item's field of the same name. */
  fields: z.partialRecord(z.enum(INVENTORY_FIELDS as [InventoryField, ...InventoryField[]]), z.string().min(1)).default({}),
  timeoutMs: z.number().int().positive().max(600_000).default(30_000),
});

export type ApiMapping = z.output<typeof mappingSchema>;

/** The reference target's `GET /admin/keys`, with its admin token from KEYPROBE_ADMIN_TOKEN. */
export const DEFAULT_MAPPING_YAML = `# The reference target's GET /admin/keys (see docs/reference-target.md).
credential:
  header: Authorization
  scheme: Bearer
  secret: \${env:KEYPROBE_ADMIN_TOKEN}
items: keys
fields:
  created: createdAt
  expires: expiresAt
  lastUsed: lastUsedAt
`;

export interface LoadedMapping {
  readonly file: string;
  readonly mapping: ApiMapping;
  /** The resolved credential, registered for redaction by the caller. */
  readonly secret?: string;
}

/** Reads a mapping file (or, without one, the default mapping) and resolves its credential reference. */
export function loadMapping(file: string | undefined, env: NodeJS.ProcessEnv): LoadedMapping {
  const label = file ?? '(default mapping for the reference target)';
  const read = file ? readYamlFile(file) : parseYamlText(DEFAULT_MAPPING_YAML, label);
  if (!read.ok) throw new ConfigError(read.problems);
  const { source } = read;
  const raw = source.data ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError([
      { file: label, line: 1, column: 1, path: '', message: 'a mapping file is a mapping (credential, items, fields, timeoutMs)' },
    ]);
  const problems: ConfigProblem[] = [];
  const secretValue = (raw as { credential?: { secret?: unknown } }).credential?.secret;
  if (typeof secretValue === 'string' && !SECRET_REFERENCE.test(secretValue))
    problems.push(at(source, ['credential', 'secret'], LITERAL_SECRET_MESSAGE));
  if (problems.length) throw new ConfigError(problems);
  const resolved = resolveReferences(raw, source, env);
  if (resolved.problems.length) throw new ConfigError(resolved.problems);
  const parsed = mappingSchema.safeParse(resolved.value);
  if (!parsed.success) throw new ConfigError(issuesToProblems(parsed.error.issues, { ...source, data: resolved.value }, mappingSchema));
  return { file: label, mapping: parsed.data, ...(parsed.data.credential ? { secret: parsed.data.credential.secret } : {}) };
}

function at(source: YamlSource, path: PropertyKey[], message: string): ConfigProblem {
  const pos = source.locate(path);
  return { file: source.file, line: pos?.line, column: pos?.column, path: formatPath(path), message };
}

/** A failure to fetch the inventory: nothing could be audited (exit 3). */
export class InventoryFetchError extends CheckError {
  override name = 'InventoryFetchError';
}

export interface FetchOptions {
  readonly url: string;
  readonly mapping: LoadedMapping;
  readonly secrets: SecretRegistry;
  readonly signal?: AbortSignal;
  readonly ca?: string;
}

export async function fetchInventory(opts: FetchOptions): Promise<Inventory> {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new UsageError(`--inventory-url "${opts.secrets.redact(opts.url)}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--inventory-url must be http(s), got ${url.protocol}`);
  if (url.username || url.password)
    throw new UsageError('--inventory-url must not carry a user or password: put the credential in the mapping file as ${env:NAME}');
  const { mapping } = opts.mapping;
  const dispatcher = createDispatcher(opts.ca ? { ca: opts.ca } : {});
  const secret = opts.mapping.secret;
  const client = new HttpClient({
    origin: url.origin,
    auth: { header: mapping.credential?.header ?? 'Authorization', scheme: mapping.credential?.scheme ?? 'Bearer' },
    primaryKey: secret ?? '',
    timeoutMs: mapping.timeoutMs,
    budget: new RequestBudget(1),
    secrets: opts.secrets,
    dispatcher,
    bodyCap: MAX_ANSWER_BYTES,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const where = `${url.origin}${url.pathname}`;
  let body: string;
  try {
    const res = await client.send({
      label: 'inventory',
      method: 'GET',
      path: url.pathname + url.search,
      credential: secret ? { kind: 'key', secret } : { kind: 'none' },
      record: false,
    });
    if (res.status === 401 || res.status === 403)
      throw new InventoryFetchError(
        `${where} answered ${res.status}: the admin credential was refused (check the variable the mapping's credential.secret references)`,
      );
    if (res.status < 200 || res.status > 299)
      throw new InventoryFetchError(`${where} answered ${res.status}, expected 200 with the list of keys`);
    if (res.bodyTruncated)
      throw new InventoryFetchError(`${where} answered more than ${MAX_ANSWER_BYTES} bytes; the audit reads at most that much`);
    body = res.body;
  } catch (err) {
    if (err instanceof InventoryFetchError || !(err instanceof CheckError)) throw err;
    throw new InventoryFetchError(opts.secrets.redact(err.message));
  } finally {
    await dispatcher.close().catch(() => undefined);
  }

  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw new InventoryFetchError(`${where} did not answer JSON`);
  }
  const list = mapping.items ? valueAt(data, mapping.items) : data;
  if (!Array.isArray(list)) {
    throw new InventoryFetchError(
      `${where}: the answer has no list at "${mapping.items || '(the answer itself)'}"; set "items" in the mapping file to the path of the key list`,
    );
  }
  const rows: RawRow[] = list.map((item, i) => mapItem(item, i + 1, mapping));
  return {
    source: where,
    format: 'api',
    digest: createHash('sha256').update(body).digest('hex'),
    rowCount: rows.length,
    requests: 1,
    ...normaliseRows(rows),
  };
}

/** Applies the mapping to one item; fields the mapping does not name are taken by their own name. */
function mapItem(item: unknown, row: number, mapping: ApiMapping): RawRow {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return { row, values: {}, error: `item ${row - 1} is not an object` };
  const values: Record<string, unknown> = { ...(item as Record<string, unknown>) };
  for (const [field, path] of Object.entries(mapping.fields)) {
    // The mapped source field is consumed, so it is not also read (and ignored) under its own name.
    const top = path.split('.')[0]!;
    const value = valueAt(item, path);
    if (top !== field) delete values[top];
    values[field] = value;
  }
  return { row, values };
}

function valueAt(data: unknown, path: string): unknown {
  let cur: unknown = data;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}
