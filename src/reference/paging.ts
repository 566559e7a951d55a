// Paging for GET /admin/keys, as management APIs page their lists: with
// ?limit=N the answer holds at most N keys, a `nextCursor` for the next page
// (null on the last) and the same as a Link rel="next" header (RFC 8288).
// Without limit the whole list is answered, as before. The cursor is opaque to
// callers (the position, base64url-encoded).

export interface PageRequest {
  readonly limit: number;
  readonly start: number;
}

export const MAX_PAGE_SIZE = 1000;

/** The page asked for, undefined for "everything", or an error message for a bad limit or cursor. */
export function pageRequest(url: URL): PageRequest | undefined | { readonly error: string } {
  const limitText = url.searchParams.get('limit');
  if (limitText === null) return undefined;
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)
    return { error: `"limit" must be a whole number from 1 to ${MAX_PAGE_SIZE}.` };
  const cursor = url.searchParams.get('cursor');
  if (cursor === null) return { limit, start: 0 };
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor) ? /^at:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
  if (!decoded) return { error: '"cursor" is not one this server gave out.' };
  return { limit, start: Number(decoded[1]) };
}

export function cursorFor(position: number): string {
  return Buffer.from(`at:${position}`).toString('base64url');
}

/** One page of a list, the cursor of the next (or null) and the Link header that announces it. */
export function pageOf<T>(
  list: readonly T[],
  page: PageRequest,
  pathname: string,
): { items: T[]; nextCursor: string | null; link?: string } {
  const end = page.start + page.limit;
  const items = list.slice(page.start, end);
  if (end >= list.length) return { items, nextCursor: null };
  const nextCursor = cursorFor(end);
  return { items, nextCursor, link: `<${pathname}?limit=${page.limit}&cursor=${nextCursor}>; rel="next"` };
}
