// HTML escaping for everything a report shows: every value in a RunResult
// came from a profile or a target and may hold markup.

/** Escapes text for HTML content and double- or single-quoted attribute values. */
export function esc(value: unknown): string {
  return (
    String(value)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;')
      // Control characters other than tab/LF/CR are not allowed in HTML text; show them as U+FFFD.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd')
  );
}

/** A value usable in an id attribute and a #fragment. */
export function anchorId(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, '_');
}
