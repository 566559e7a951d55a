// The forms in which the `key-echo` fault writes the presented key back in a
// 403 body: the encodings, escapes and mutilations real servers have been seen
// to echo a credential in (an error page quoting the header, a debug dump, a
// log line returned to the caller). Each turns the key into text a naive
// `body.includes(key)` does not find. The target's keys are base62 with
// underscores, so forms that differ only on punctuation (PHP's `\/`, form
// encoding of `~!'()*`) are covered by keyprobe's unit tests with such keys.
import { createHash } from 'node:crypto';

const wrap = (text: string, width: number, eol: string) => text.match(new RegExp(`.{1,${width}}`, 'g'))!.join(eol);
const bytesOf = (key: string) => [...Buffer.from(key, 'utf8')];
const pct = (key: string) =>
  bytesOf(key)
    .map((b) => `%${b.toString(16).padStart(2, '0')}`)
    .join('');

export const ECHO_FORMS = {
  /** Upper-cased, as a case-insensitive store might print it. */
  upper: (key: string) => key.toUpperCase(),
  lower: (key: string) => key.toLowerCase(),
  /** Every byte percent-encoded, lowercase hex (`%6b%70…`). */
  'percent-lower': pct,
  /** Percent-encoded twice (`%256b…`), as a URL logged inside a URL. */
  'percent-double': (key: string) => pct(key).replace(/%/g, '%25'),
  /** JSON/JavaScript `\u006b…` for every character. */
  'json-unicode': (key: string) => [...key].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  'html-decimal': (key: string) => [...key].map((c) => `&#${c.codePointAt(0)};`).join(''),
  'html-hex': (key: string) => [...key].map((c) => `&#x${c.codePointAt(0)!.toString(16)};`).join(''),
  hex: (key: string) => Buffer.from(key).toString('hex'),
  'hex-upper': (key: string) => Buffer.from(key).toString('hex').toUpperCase(),
  /** `Basic base64(user:key)`, as an echoed Authorization header. */
  base64: (key: string) => `Basic ${Buffer.from(`api:${key}`).toString('base64')}`,
  base64url: (key: string) => Buffer.from(`k=${key}`).toString('base64url'),
  /** Base64 in MIME lines of 76 characters (CRLF), as a mail or multipart dump. */
  'base64-mime': (key: string) => wrap(Buffer.from(`key: ${key}\nkey: ${key}\n`).toString('base64'), 76, '\r\n'),
  /** Base64 in PEM lines of 64. */
  'base64-pem': (key: string) =>
    `-----BEGIN API KEY-----\n${wrap(Buffer.from(`${key}:${key}`).toString('base64'), 64, '\n')}\n-----END API KEY-----`,
  reversed: (key: string) => [...key].reverse().join(''),
  /** The key broken over two lines. */
  split: (key: string) => `${key.slice(0, Math.floor(key.length / 2))}\n${key.slice(Math.floor(key.length / 2))}`,
  /** All but the last character ("the key you sent, truncated"). */
  truncated: (key: string) => key.slice(0, -1),
  /** Only the first three quarters. */
  partial: (key: string) => key.slice(0, Math.ceil(key.length * 0.75)),
  'sha256-upper': (key: string) => createHash('sha256').update(key).digest('hex').toUpperCase(),
  // Found by a red-team review (2026-11-30): spelled out, escaped byte by byte, more layers of base64, rot13.
  /** Every character, a space between each: `k p _ l i v e …`. */
  spaced: (key: string) => [...key].join(' '),
  /** In groups of four joined by dashes, as a licence key is printed: `kp_l-ive_-…`. */
  dashed: (key: string) => key.match(/.{1,4}/g)!.join('-'),
  /** C-style octal escapes: `\153\160…`. */
  octal: (key: string) =>
    bytesOf(key)
      .map((b) => `\\${b.toString(8)}`)
      .join(''),
  /** Every byte quoted-printable: `=6B=70…`. */
  'quoted-printable': (key: string) =>
    bytesOf(key)
      .map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  'base64-twice': (key: string) => Buffer.from(Buffer.from(key).toString('base64')).toString('base64'),
  /** Base64 of the key as UTF-16 (little-endian), as a Windows service encodes a string. */
  'base64-utf16le': (key: string) => Buffer.from(key, 'utf16le').toString('base64'),
  'base64-utf16be': (key: string) => Buffer.from(key, 'utf16le').swap16().toString('base64'),
  rot13: (key: string) =>
    key.replace(/[A-Za-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - (c <= 'Z' ? 65 : 97) + 13) % 26) + (c <= 'Z' ? 65 : 97))),
  /** `\u006b…` escaped again (`\\u006b…`), as a JSON body carrying a JSON-escaped echo writes it. */
  'json-unicode-twice': (key: string) => [...key].map((c) => `\\\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  /** Half JSON escapes, half HTML entities: two layers no single list of forms has. */
  mixed: (key: string) => {
    const half = Math.floor(key.length / 2);
    return (
      [...key.slice(0, half)].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('') +
      [...key.slice(half)].map((c) => `&#${c.codePointAt(0)};`).join('')
    );
  },
} as const satisfies Record<string, (key: string) => string>;

export type EchoForm = keyof typeof ECHO_FORMS;

export const ECHO_FORM_NAMES = Object.keys(ECHO_FORMS) as EchoForm[];

export function isEchoForm(name: string): name is EchoForm {
  return Object.hasOwn(ECHO_FORMS, name);
}

/**
 * The headers in which the `key-echo-header` fault writes the presented key
 * back on a 403, as it is: a challenge naming the rejected key, a debug
 * header, a cookie remembering it. Each is a value a server writes in one line.
 */
export const ECHO_HEADERS = {
  'www-authenticate': (key: string) => ({
    'WWW-Authenticate': `ApiKey realm="reference", error="insufficient_scope", error_description="the key ${key} lacks the scope"`,
  }),
  'x-debug-key': (key: string) => ({ 'X-Debug-Key': key }),
  'set-cookie': (key: string) => ({ 'Set-Cookie': `last_key=${key}; Path=/; HttpOnly` }),
} as const satisfies Record<string, (key: string) => Record<string, string>>;

export type EchoHeader = keyof typeof ECHO_HEADERS;

export const ECHO_HEADER_NAMES = Object.keys(ECHO_HEADERS) as EchoHeader[];

export function isEchoHeader(name: string): name is EchoHeader {
  return Object.hasOwn(ECHO_HEADERS, name);
}
