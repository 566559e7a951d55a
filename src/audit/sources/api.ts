// Reads the inventory from a management API: GETs to --inventory-url with an
// admin credential, following the API's pagination (a next cursor, Link
// rel="next", or offset/limit) up to a cap, and a mapping from each answer's
// JSON to the inventory fields. The default mapping is the keyprobe-reference
// preset (the reference target's GET /admin/keys). The credential is only
// ever a ${env:…} or ${file:…} reference, and goes only to the URL's origin:
// a next page on another origin is refused.
import { createHash } from 'node:crypto';
import { CheckError, UsageError } from '../../errors.js';
import { createDispatcher, HttpClient, RequestBudget } from '../../http/client.js';
import type { SecretRegistry } from '../../secrets.js';
import { normaliseRows, type Inventory, type RawRow } from '../inventory.js';
import { compileMapping, valueAtPath, type LoadedMapping, type Mapping } from '../mapping.js';

/** Enough for a few million keys; a bigger answer is an error, not a silently truncated audit. */
const MAX_ANSWER_BYTES = 512 * 1024 * 1024;
/** Without a pagination section, one request must answer the whole list. */
const UNPAGED = 1;

/** A failure to fetch the inventory: nothing could be audited (exit 3). */
export class InventoryFetchError extends CheckError {
  override name = 'InventoryFetchError';
}

export interface FetchOptions {
  readonly url: string;
  readonly mapping: LoadedMapping;
  /** The resolved credential (see resolveCredential), registered with `secrets` by the caller. */
  readonly secret?: string;
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
  const maxPages = mapping.pagination?.maxPages ?? UNPAGED;
  const dispatcher = createDispatcher(opts.ca ? { ca: opts.ca } : {});
  const secret = opts.secret;
  const client = new HttpClient({
    origin: url.origin,
    auth: { header: mapping.credential?.header ?? 'Authorization', scheme: mapping.credential?.scheme ?? 'Bearer' },
    primaryKey: secret ?? '',
    timeoutMs: mapping.timeoutMs,
    budget: new RequestBudget(maxPages),
    secrets: opts.secrets,
    dispatcher,
    bodyCap: MAX_ANSWER_BYTES,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const where = `${url.origin}${url.pathname}`;
  const digest = createHash('sha256');
  const items: unknown[] = [];
  const asked = new Set<string>();
  let next: string | undefined = firstPage(url, mapping);
  let pages = 0;
  try {
    while (next !== undefined) {
      if (pages >= maxPages)
        throw new InventoryFetchError(
          `${where} has more than ${maxPages} pages (pagination.maxPages); raise it to read the whole inventory`,
        );
      if (asked.has(next))
        throw new InventoryFetchError(`${where}: the pagination loops; it asks for a page it already answered (${next})`);
      asked.add(next);
      const page = await fetchPage(client, next, where, secret, mapping);
      pages++;
      digest.update(page.body);
      items.push(...page.list);
      next = nextPage(page, next, url, mapping, where);
    }
  } catch (err) {
    if (err instanceof InventoryFetchError || !(err instanceof CheckError)) throw err;
    throw new InventoryFetchError(opts.secrets.redact(err.message));
  } finally {
    await dispatcher.close().catch(() => undefined);
  }

  const rows: RawRow[] = items.map((item, i) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? { row: i + 1, values: item as Record<string, unknown> }
      : { row: i + 1, values: {}, error: `item ${i} is not an object` },
  );
  return {
    source: where,
    format: 'api',
    digest: digest.digest('hex'),
    rowCount: rows.length,
    requests: pages,
    ...normaliseRows(rows, compileMapping(mapping)),
  };
}

interface Page {
  readonly body: string;
  readonly data: unknown;
  readonly list: unknown[];
  readonly headers: Readonly<Record<string, string>>;
}

async function fetchPage(client: HttpClient, path: string, where: string, secret: string | undefined, mapping: Mapping): Promise<Page> {
  const res = await client.send({
    label: 'inventory',
    method: 'GET',
    path,
    credential: secret ? { kind: 'key', secret } : { kind: 'none' },
    headers: mapping.headers,
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
  let data: unknown;
  try {
    data = JSON.parse(res.body);
  } catch {
    throw new InventoryFetchError(`${where} did not answer JSON`);
  }
  const items = mapping.items;
  const list =
    items === undefined ? (Array.isArray(data) ? data : valueAtPath(data, 'keys')) : items === '' ? data : valueAtPath(data, items);
  if (!Array.isArray(list))
    throw new InventoryFetchError(
      `${where}: the answer has no list at "${items === undefined ? 'keys' : items || '(the answer itself)'}"; set "items" in the mapping file to the path of the key list`,
    );
  return { body: res.body, data, list, headers: res.headers };
}

/** The first request: the URL as given (offset paging adds its limit and a zero offset unless the URL sets them). */
function firstPage(url: URL, mapping: Mapping): string {
  const p = mapping.pagination;
  if (p?.type !== 'offset') return url.pathname + url.search;
  const first = new URL(url);
  if (!first.searchParams.has(p.limitParam)) first.searchParams.set(p.limitParam, String(p.limit));
  if (!first.searchParams.has(p.param)) first.searchParams.set(p.param, '0');
  return first.pathname + first.search;
}

/** The path (and query) of the next page, or undefined after the last. */
function nextPage(page: Page, current: string, base: URL, mapping: Mapping, where: string): string | undefined {
  const p = mapping.pagination;
  if (!p) return undefined;
  if (p.type === 'link') {
    const target = linkNext(page.headers.link);
    if (target === undefined) return undefined;
    let next: URL;
    try {
      next = new URL(target, new URL(current, base));
    } catch {
      throw new InventoryFetchError(`${where}: the Link header's next page "${target}" is not a URL`);
    }
    if (next.origin !== base.origin)
      throw new InventoryFetchError(
        `${where}: the next page (${next.href}) is on another origin; keyprobe sends the credential only to ${base.origin}`,
      );
    return next.pathname + next.search;
  }
  if (p.type === 'cursor') {
    const cursor = valueAtPath(page.data, p.cursor);
    if (cursor === undefined || cursor === null || cursor === '' || cursor === false) return undefined;
    if (typeof cursor !== 'string' && typeof cursor !== 'number')
      throw new InventoryFetchError(`${where}: the cursor at "${p.cursor}" is not text or a number`);
    const next = new URL(base);
    next.searchParams.set(p.param, String(cursor));
    return next.pathname + next.search;
  }
  // offset: a short (or empty) page is the last.
  if (page.list.length < p.limit || page.list.length === 0) return undefined;
  const next = new URL(current, base);
  const offset = Number(next.searchParams.get(p.param) ?? 0) + page.list.length;
  next.searchParams.set(p.param, String(offset));
  return next.pathname + next.search;
}

/** The target of rel="next" in a Link header (RFC 8288), if any. */
export function linkNext(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!m) continue;
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(m[2]!);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes('next')) return m[1];
  }
  return undefined;
}
