// A body (or a header value) as the checks judge it and the evidence keeps it:
// UTF-8 text without the characters nobody sees. A hostile server can put one between every two
// characters of a key it echoes (a NUL, as UTF-16 text has; a control
// character; a zero-width space): the key then matches no form the checks and
// the redactor look for, yet a reader sees it, and a report writer that drops
// such characters (XML forbids the controls) writes it whole. Dropped here,
// once, before anything judges or records the text, the key is the key again:
// the checks name the echo and the redactor removes it.
//
// Invisible: control characters other than tab, line feed and carriage return
// (C0, DEL, C1), and format characters (Unicode Cf: zero-width spaces and
// joiners, the soft hyphen, bidi controls, the byte-order mark).
const INVISIBLE_ONE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\p{Cf}]/u;
const INVISIBLE = new RegExp(INVISIBLE_ONE.source, 'gu');

/** The bytes as UTF-8 text, invisible characters dropped. */
export function bodyText(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  // Nearly every body holds none: the test is cheaper than a replace that finds nothing.
  return INVISIBLE_ONE.test(text) ? text.replace(INVISIBLE, '') : text;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A header value as text, invisible characters dropped. undici reads a
 * header's bytes as Latin-1, so UTF-8 in it (a zero-width space is three
 * bytes) is read again as UTF-8 where it is valid UTF-8.
 */
export function headerText(value: string): string {
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
  return text.replace(INVISIBLE, '');
}

const NOT_PLAIN_ASCII = /[^\t\u0020-\u007e]/;
