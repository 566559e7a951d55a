// HTML escaping for everything a report shows: every value in a RunResult
// came from a profile or a target and may hold markup.

/** What esc() writes for each character it replaces. */
const ESCAPED: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML content and double- or single-quoted attribute values.
 * Control characters other than tab/LF/CR are not allowed in HTML text: they
 * show as U+FFFD. One pass over the text (a report escapes every value of a
 * thousand profiles' evidence): no replacement writes a character that
 * another would replace, so this is what replacing them one kind at a time
 * gave.
 */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => ESCAPED[c] ?? '\ufffd');
}

/** A value usable in an id attribute and a #fragment. */
export function anchorId(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, '_');
}
