// What a reader sees of a target's text. A hostile server can put a character
// nobody sees between every two characters of a key it echoes (a NUL, as
// UTF-16 text has; a control character; a zero-width space): the key then
// matches no form the checks and the redactor look for, yet a reader sees it,
// and a report writer that drops such characters (XML forbids the controls)
// writes it whole. The HTTP client reads an answer's body and headers without
// them wherever that shows a secret of the run (HttpClient.unhidden), so the
// checks name the echo and the redactor removes it; other text is kept as it
// came, and its controls are shown as escapes where it is printed.
//
// Invisible: control characters other than tab, line feed and carriage return
// (C0, DEL, C1), and format characters (Unicode Cf: zero-width spaces and
// joiners, the soft hyphen, bidi controls, the byte-order mark).
const INVISIBLE_ONE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\p{Cf}]/u;
const INVISIBLE = new RegExp(INVISIBLE_ONE.source, 'gu');

/** The text without invisible characters (the same string when it holds none). */
export function withoutInvisible(text: string): string {
  // Nearly every text holds none: the test is cheaper than a replace that finds nothing.
  return INVISIBLE_ONE.test(text) ? text.replace(INVISIBLE, '') : text;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const NOT_PLAIN_ASCII = /[^\t\u0020-\u007e]/;

/**
 * A header value as a reader sees it. undici reads a header's bytes as
 * Latin-1, so UTF-8 in it (a zero-width space is three bytes) is read again
 * as UTF-8 where it is valid UTF-8; then invisible characters are dropped.
 */
export function visibleHeaderText(value: string): string {
  // Nearly every header is ASCII without control characters: nothing to do.
  if (!NOT_PLAIN_ASCII.test(value)) return value;
  let text = value;
  if (/[\u0080-\u00ff]/.test(value)) {
    try {
      text = UTF8.decode(Buffer.from(value, 'latin1'));
    } catch {
      // Not UTF-8: Latin-1 it is.
    }
  }
  return withoutInvisible(text);
}
