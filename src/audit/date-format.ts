// Dates as exports write them: ISO 8601 (always understood), epoch seconds or
// milliseconds, or a declared pattern such as MM/DD/YYYY. A mapping declares
// the format once per field; each value is then read with it (as UTC).
import { Bad, describeValue, isBlank, parseIsoDate } from './inventory.js';

/** Epoch values at or above this are milliseconds (in seconds it would be the year 5138). */
const MS_THRESHOLD = 1e11;

const TOKENS: Readonly<Record<string, string>> = {
  YYYY: '(\\d{4})',
  MM: '(\\d{1,2})',
  DD: '(\\d{1,2})',
  HH: '(\\d{1,2})',
  mm: '(\\d{2})',
  ss: '(\\d{2})',
};

export type DateReader = (value: unknown) => unknown;

/** Why a date format is not one keyprobe can read, or undefined when it is. */
export function dateFormatProblem(format: string): string | undefined {
  if (format === 'iso' || format === 'epoch-s' || format === 'epoch-ms') return undefined;
  const tokens: string[] = format.match(/YYYY|MM|DD|HH|mm|ss/g) ?? [];
  for (const t of ['YYYY', 'MM', 'DD'])
    if (!tokens.includes(t))
      return `"${format}" is not a date format: use iso, epoch-s, epoch-ms, or a pattern with YYYY, MM and DD (and optionally HH, mm, ss), e.g. MM/DD/YYYY`;
  if (new Set(tokens).size !== tokens.length) return `"${format}" names a part twice`;
  // Letters outside the tokens are a typo (YYYY/QQ/DD), not a literal.
  if (/[A-Za-z]/.test(format.replace(/YYYY|MM|DD|HH|mm|ss/g, '')))
    return `"${format}" has letters that are not YYYY, MM, DD, HH, mm or ss; use iso, epoch-s, epoch-ms, or a pattern such as MM/DD/YYYY`;
  return undefined;
}

/**
 * A reader for one declared format: it returns a Date, undefined for an
 * empty value, or a Bad that says what was expected and found. ISO 8601 is
 * accepted whatever the format (an export may mix them; ISO is unambiguous).
 */
export function dateReader(format: string): DateReader {
  if (format === 'iso') return (value) => value;
  if (format === 'epoch-s' || format === 'epoch-ms') {
    const seconds = format === 'epoch-s';
    return (value) => {
      if (isBlank(value) || value instanceof Date) return value;
      const n =
        typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : undefined;
      if (n === undefined) {
        const iso = typeof value === 'string' ? parseIsoDate(value) : undefined;
        if (iso !== undefined) return new Date(iso);
        return new Bad(`expected epoch ${seconds ? 'seconds' : 'milliseconds'} (or ISO 8601), found ${describeValue(value)}`);
      }
      if (seconds && Math.abs(n) >= MS_THRESHOLD) return new Bad(`${n} looks like milliseconds, not seconds; declare date: epoch-ms`);
      if (!seconds && Math.abs(n) < MS_THRESHOLD) return new Bad(`${n} looks like seconds, not milliseconds; declare date: epoch-s`);
      return new Date(seconds ? n * 1000 : n);
    };
  }
  const order: string[] = [];
  const source = format
    .split(/(YYYY|MM|DD|HH|mm|ss)/)
    .map((part) => {
      if (TOKENS[part]) {
        order.push(part);
        return TOKENS[part];
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  const re = new RegExp(`^${source}$`);
  return (value) => {
    if (isBlank(value) || value instanceof Date) return value;
    if (typeof value === 'string') {
      const text = value.trim();
      const m = re.exec(text);
      if (m) {
        const part = (t: string) => {
          const i = order.indexOf(t);
          return i < 0 ? 0 : Number(m[i + 1]);
        };
        const [y, mo, d, h, mi, s] = [part('YYYY'), part('MM'), part('DD'), part('HH'), part('mm'), part('ss')];
        const ms = Date.UTC(y, mo - 1, d, h, mi, s);
        const back = new Date(ms);
        // Date.UTC rolls 2026-02-31 over into March: a date that does not exist is a bad value.
        if (back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d && h < 24 && mi < 60 && s < 60)
          return back;
      }
      const iso = parseIsoDate(text);
      if (iso !== undefined) return new Date(iso);
    }
    return new Bad(`expected a date written ${format} (or ISO 8601), found ${describeValue(value)}`);
  };
}
