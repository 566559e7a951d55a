// Small shared wording helpers, so every check phrases statuses the same way.
import type { HttpResponse } from '../http/client.js';

export function statusText(status: number): string {
  return `${status}${STATUS_WORDS[status] ? ` ${STATUS_WORDS[status]}` : ''}`;
}

export function describeExpected(statuses: readonly number[] | undefined): string {
  if (!statuses || statuses.length === 0) return 'a 2xx status';
  return statuses.length === 1 ? statusText(statuses[0]!) : `one of ${statuses.join(', ')}`;
}

export function matchesExpected(status: number, statuses: readonly number[] | undefined): boolean {
  return !statuses || statuses.length === 0 ? status >= 200 && status < 300 : statuses.includes(status);
}

export function asList(expect: number | readonly number[] | undefined): readonly number[] | undefined {
  return expect === undefined ? undefined : typeof expect === 'number' ? [expect] : expect;
}

export function isSuccess(res: HttpResponse | number): boolean {
  const s = typeof res === 'number' ? res : res.status;
  return s >= 200 && s < 300;
}

/** A duration as people read it: "312.4 ms" below a second, "1 s", "37.1 s" above. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms * 10) / 10} ms`;
  const s = Math.round(ms / 100) / 10;
  return `${s} s`;
}

const STATUS_WORDS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
