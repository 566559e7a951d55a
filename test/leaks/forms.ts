// Every form in which a hostile or careless server (or a report) can write a
// secret, built here by the tests' own hands, not by keyprobe's code, so the
// scanner and the redactor are measured against an independent list.
import { createHash } from 'node:crypto';

export interface EchoForm {
  readonly name: string;
  readonly make: (secret: string) => string;
  /** The redactor is expected to remove it too (false: only the scanner, which decodes, must find it). */
  readonly redacted: boolean;
  /**
   * Spelled out: whole only for a key made of letters, digits and `_ - + /`
   * (what API keys are made of). Any other character ends a spelled-out run,
   * so of a key with `~!'()*&<>"=` only its runs that long enough are found and redacted.
   */
  readonly spelledOut?: boolean;
}

const pctAll = (s: string, lower: boolean) =>
  [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')[lower ? 'toLowerCase' : 'toUpperCase']()}`).join('');
const lowerPct = (s: string) => encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
const form = (s: string) => new URLSearchParams({ k: s }).toString().slice(2);
const wrap = (s: string, width: number, eol = '\n') => s.match(new RegExp(`.{1,${width}}`, 'g'))!.join(eol);
const b64 = (s: string) => Buffer.from(s).toString('base64');
const NAMED: Record<string, string> = {
  '/': '&sol;',
  '+': '&plus;',
  '~': '&tilde;',
  '!': '&excl;',
  "'": '&apos;',
  '(': '&lpar;',
  ')': '&rpar;',
  '*': '&ast;',
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '=': '&equals;',
};

const octal = (s: string, digits: number) => [...Buffer.from(s)].map((b) => `\\${b.toString(8).padStart(digits, '0')}`).join('');
const qp = (s: string) => [...Buffer.from(s)].map((b) => `=${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
const jsonUnicode = (s: string) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');

/** The forms a red-team review found both nets missed (2026-11-30), each as a hostile server writes it. */
const SPELLED_OUT: readonly (readonly [string, (secret: string) => string])[] = [
  ['spelled out with spaces', (s) => [...s].join(' ')],
  ['in groups of four joined by dashes', (s) => wrap(s, 4, '-')],
  ['spelled out with dots', (s) => [...s].join('.')],
  ['in pairs joined by colons', (s) => wrap(s, 2, ':')],
  ['spelled out with commas', (s) => [...s].join(', ')],
  ['spelled out with underscores', (s) => [...s].join('_')],
];

const ESCAPED_OR_LAYERED: readonly (readonly [string, (secret: string) => string])[] = [
  ['octal escapes', (s) => octal(s, 1)],
  ['octal escapes of three digits', (s) => octal(s, 3)],
  ['octal escapes in a JSON string', (s) => octal(s, 3).replace(/\\/g, '\\\\')],
  ['quoted-printable', qp],
  ['quoted-printable, lower hex', (s) => qp(s).toLowerCase()],
  ['JSON \\u escapes escaped again', (s) => jsonUnicode(s).replace(/\\/g, '\\\\')],
  ['base64 of base64', (s) => b64(b64(s))],
  ['base64 of UTF-16LE', (s) => Buffer.from(s, 'utf16le').toString('base64')],
  ['base64 of UTF-16BE', (s) => Buffer.from(s, 'utf16le').swap16().toString('base64')],
  ['rot13', (s) => s.replace(/[a-z]/gi, (c) => String.fromCharCode((c.charCodeAt(0) & 96) + ((((c.charCodeAt(0) & 31) + 12) % 26) + 1)))],
];

/** Quoted-printable as an encoder writes it (RFC 2045): printable ASCII as is, `=` and other bytes as `=3D`, lines cut by soft line breaks (`=` CRLF). */
const qpWrapped = (s: string, width: number) =>
  wrap(
    [...Buffer.from(s)]
      .map((b) => (b >= 33 && b <= 126 && b !== 61 ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`))
      .join(''),
    width,
    '=\r\n',
  );

/**
 * Left open by that review, closed after it (2026-11-30): longer groups, tabs
 * and no-break spaces, quoted-printable soft line breaks. A key in groups of
 * 5-11 only the scanner finds (the file is withheld): a redactor pass for it
 * cost about a sixth of redact()'s CPU (docs/reports.md).
 */
const GROUPED_OR_WRAPPED: readonly (readonly [string, (secret: string) => string, { spelledOut?: boolean; redacted: boolean }])[] = [
  ['in groups of five joined by dashes', (s) => wrap(s, 5, '-'), { spelledOut: true, redacted: false }],
  ['in groups of eight joined by spaces', (s) => wrap(s, 8, ' '), { spelledOut: true, redacted: false }],
  ['in groups of six joined by dots', (s) => wrap(s, 6, '.'), { spelledOut: true, redacted: false }],
  ['spelled out with tabs', (s) => [...s].join('\t'), { spelledOut: true, redacted: true }],
  ['in groups of four joined by no-break spaces', (s) => wrap(s, 4, '\u00a0'), { spelledOut: true, redacted: true }],
  ['quoted-printable with soft line breaks every 10 characters', (s) => qpWrapped(s, 10), { redacted: true }],
  ['every byte quoted-printable, soft line breaks every 30 characters', (s) => wrap(qp(s), 30, '=\r\n'), { redacted: true }],
  ['every byte quoted-printable, soft line breaks (LF) every 75 characters', (s) => wrap(qp(s), 75, '=\n'), { redacted: true }],
];

export const RED_TEAM_FORMS: readonly EchoForm[] = [
  ...SPELLED_OUT.map(([name, make]) => ({ name, make, redacted: true, spelledOut: true })),
  ...ESCAPED_OR_LAYERED.map(([name, make]) => ({ name, make, redacted: true })),
  ...GROUPED_OR_WRAPPED.map(([name, make, how]) => ({ name, make, ...how })),
];

export const ECHO_FORMS: readonly EchoForm[] = [
  { name: 'as is', make: (s) => s, redacted: true },
  { name: 'upper case', make: (s) => s.toUpperCase(), redacted: true },
  { name: 'lower case', make: (s) => s.toLowerCase(), redacted: true },
  { name: 'encodeURIComponent', make: encodeURIComponent, redacted: true },
  { name: 'form (URLSearchParams)', make: form, redacted: true },
  { name: 'lowercase %2f', make: lowerPct, redacted: true },
  { name: 'every byte percent-encoded', make: (s) => pctAll(s, false), redacted: true },
  { name: 'doubly percent-encoded', make: (s) => encodeURIComponent(encodeURIComponent(s)), redacted: true },
  { name: 'every byte doubly percent-encoded', make: (s) => pctAll(s, true).replace(/%/g, '%25'), redacted: true },
  {
    name: 'JSON \\u escapes',
    make: (s) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
    redacted: true,
  },
  {
    name: 'JSON \\u escapes, upper hex',
    make: (s) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`).join(''),
    redacted: true,
  },
  { name: 'PHP \\/', make: (s) => JSON.stringify(s).slice(1, -1).replace(/\//g, '\\/'), redacted: true },
  {
    name: 'htmlspecialchars',
    make: (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#039;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
    redacted: true,
  },
  { name: 'HTML named entities', make: (s) => [...s].map((c) => NAMED[c] ?? c).join(''), redacted: true },
  { name: 'HTML decimal entities', make: (s) => [...s].map((c) => `&#${c.codePointAt(0)};`).join(''), redacted: true },
  {
    name: 'HTML hex entities',
    make: (s) => [...s].map((c) => `&#x${c.codePointAt(0)!.toString(16).toUpperCase()};`).join(''),
    redacted: true,
  },
  {
    name: 'XML escapes',
    make: (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;'),
    redacted: true,
  },
  { name: 'hex', make: (s) => Buffer.from(s).toString('hex'), redacted: true },
  { name: 'HEX', make: (s) => Buffer.from(s).toString('hex').toUpperCase(), redacted: true },
  { name: 'base64', make: b64, redacted: true },
  { name: 'base64 after one byte', make: (s) => Buffer.from(`u${s}`).toString('base64'), redacted: true },
  { name: 'base64 after two bytes', make: (s) => Buffer.from(`u:${s}`).toString('base64'), redacted: true },
  { name: 'base64url', make: (s) => Buffer.from(`xy${s}`).toString('base64url'), redacted: true },
  { name: 'base64, MIME lines of 76', make: (s) => wrap(b64(s.repeat(3)), 76, '\r\n'), redacted: true },
  { name: 'base64, PEM lines of 64', make: (s) => `-----BEGIN KEY-----\n${wrap(b64(`${s}${s}`), 64)}\n-----END KEY-----`, redacted: true },
  { name: 'reversed', make: (s) => [...s].reverse().join(''), redacted: true },
  { name: 'split across two lines', make: (s) => `${s.slice(0, 7)}\n${s.slice(7)}`, redacted: true },
  { name: 'split across lines, indented', make: (s) => `${s.slice(0, 9)}\r\n        ${s.slice(9)}`, redacted: true },
  { name: 'all but the last character', make: (s) => s.slice(0, -1), redacted: true },
  { name: 'all but the first character', make: (s) => s.slice(1), redacted: true },
  { name: 'first 12 characters', make: (s) => s.slice(0, 12), redacted: true },
  { name: 'sha256 hex', make: (s) => createHash('sha256').update(s).digest('hex'), redacted: true },
  { name: 'SHA256 HEX', make: (s) => createHash('sha256').update(s).digest('hex').toUpperCase(), redacted: true },
  {
    // Half JSON escapes, half HTML entities: no list of forms has it; the scanner decodes both layers.
    name: 'mixed escapes',
    make: (s) => {
      const half = Math.floor(s.length / 2);
      const json = [...s.slice(0, half)].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
      return json + [...s.slice(half)].map((c) => `&#${c.codePointAt(0)};`).join('');
    },
    redacted: false,
  },
  // Two layers (a JSON string shown in HTML): the scanner undoes both; the redactor knows each layer alone.
  { name: 'JSON in HTML', make: (s) => JSON.stringify({ k: s }).replace(/"/g, '&quot;'), redacted: false },
  ...RED_TEAM_FORMS,
];
