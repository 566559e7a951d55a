import { describe, expect, it } from 'vitest';
import {
  parseRateLimit,
  parseRateLimitHeaders,
  parseRateLimitPolicy,
  parseRetryAfter,
  secondsUntilReset,
} from '../../src/http/rate-limit-headers.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('Retry-After', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', NOW)).toEqual({ raw: '120', seconds: 120, form: 'seconds' });
    expect(parseRetryAfter(' 0 ', NOW)).toEqual({ raw: '0', seconds: 0, form: 'seconds' });
  });

  it('reads an IMF-fixdate, and the obsolete RFC 850 and asctime forms', () => {
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:30 GMT', NOW)).toEqual({
      raw: 'Sun, 01 Mar 2026 12:00:30 GMT',
      seconds: 30,
      form: 'http-date',
      clock: 'keyprobe-clock',
    });
    expect(parseRetryAfter('Sunday, 01-Mar-26 12:01:00 GMT', NOW)?.seconds).toBe(60);
    expect(parseRetryAfter('Sun Mar  1 12:00:10 2026', NOW)?.form).toBe('http-date');
  });

  it("reads a date against the response's Date when it has a valid one (RFC 9110 §10.2.3), else against keyprobe's clock", () => {
    // The gateway's clock is an hour behind keyprobe's: its Retry-After is 30 s after its own Date.
    const date = 'Sun, 01 Mar 2026 11:00:00 GMT';
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:30 GMT', NOW, date)).toEqual({
      raw: 'Sun, 01 Mar 2026 11:00:30 GMT',
      seconds: 30,
      form: 'http-date',
      clock: 'response-date',
    });
    // An hour ahead: still 30 s, not an hour and 30 s.
    expect(parseRetryAfter('Sun, 01 Mar 2026 13:00:30 GMT', NOW, 'Sun, 01 Mar 2026 13:00:00 GMT')?.seconds).toBe(30);
    // A Date that is no HTTP-date is not trusted: keyprobe's clock decides, and says so.
    const noDate = parseRetryAfter('Sun, 01 Mar 2026 12:00:30 GMT', NOW, '2026-03-01T11:00:00Z');
    expect(noDate).toMatchObject({ seconds: 30, clock: 'keyprobe-clock' });
    // Delta-seconds need no clock.
    expect(parseRetryAfter('5', NOW, date)).toEqual({ raw: '5', seconds: 5, form: 'seconds' });
  });

  it('a date already past is marked past beyond the clock granularity: a second against Date, a minute against keyprobe', () => {
    const date = 'Sun, 01 Mar 2026 12:00:00 GMT';
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', NOW, date)).toMatchObject({ seconds: 0, pastSeconds: 3600 });
    // Within the second a server's two stamps can straddle: "now", not past.
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:59:59 GMT', NOW, date)?.pastSeconds).toBeUndefined();
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:59:58 GMT', NOW, date)?.pastSeconds).toBe(2);
    // Without Date, a skewed clock cannot be told from a lie within a minute.
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:59:30 GMT', NOW)?.pastSeconds).toBeUndefined();
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:58:00 GMT', NOW)?.pastSeconds).toBe(120);
  });

  it('a past retry time announces no wait: the next signal decides how long to wait', () => {
    const h = { 'retry-after': 'Sun, 01 Mar 2026 11:00:00 GMT', date: 'Sun, 01 Mar 2026 12:00:00 GMT', ratelimit: '"d";r=0;t=9' };
    expect(secondsUntilReset(parseRateLimitHeaders(h, NOW))).toEqual({ seconds: 9, from: 'RateLimit t=9' });
  });

  it('a repeated Retry-After (joined with ", ") is named as such, each value read alone, dates and all', () => {
    const twice = (v: string) => parseRateLimitHeaders({ 'retry-after': v }, NOW);
    expect(twice('120, 120').repeatedRetryAfter).toEqual(['120', '120']);
    expect(twice('120, 120').retryAfter).toBeUndefined();
    expect(twice('120, 120').ignored).toEqual(['two Retry-After fields (120, 120), which a client cannot choose between']);
    const dates = 'Sun, 01 Mar 2026 12:00:30 GMT, Sun, 01 Mar 2026 12:01:00 GMT';
    expect(twice(dates).repeatedRetryAfter).toEqual(['Sun, 01 Mar 2026 12:00:30 GMT', 'Sun, 01 Mar 2026 12:01:00 GMT']);
    expect(twice('5, Sun, 01 Mar 2026 12:00:30 GMT, 7').repeatedRetryAfter).toHaveLength(3);
    // Not two valid values: malformed, as before.
    expect(twice('120, soon').repeatedRetryAfter).toBeUndefined();
    expect(twice('120, soon').ignored.join('\n')).toMatch(/Retry-After "120, soon" is neither/);
    // A field of 8,000 commas is read in one pass, and is malformed.
    expect(twice('x,'.repeat(8000)).repeatedRetryAfter).toBeUndefined();
  });

  it('a date in the past means now; malformed values are not parsed', () => {
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', NOW)?.seconds).toBe(0);
    for (const bad of ['-1', '1.5', 'soon', '2026-03-01T12:00:30Z', '', '10 s']) expect(parseRetryAfter(bad, NOW), bad).toBeUndefined();
  });
});

describe('RateLimit-Policy and RateLimit (draft-11 structured fields)', () => {
  it('parses several policies with q, w, qu and pk', () => {
    const { policies, ignored } = parseRateLimitPolicy('"burst";q=100;w=60, "daily";q=1000;w=86400;qu="requests";pk=:cHsdsRa894==:');
    expect(ignored).toEqual([]);
    expect(policies).toEqual([
      { name: 'burst', quota: 100, windowSeconds: 60 },
      { name: 'daily', quota: 1000, windowSeconds: 86400, unit: 'requests', partitionKey: ':cHsdsRa894==:' },
    ]);
  });

  it('parses RateLimit r and t', () => {
    expect(parseRateLimit('"default";r=0;t=1').states).toEqual([{ name: 'default', remaining: 0, resetSeconds: 1 }]);
    expect(parseRateLimit('"a";r=5, "b";r=7;t=30').states).toEqual([
      { name: 'a', remaining: 5 },
      { name: 'b', remaining: 7, resetSeconds: 30 },
    ]);
  });

  it('ignores malformed members, keeping the good ones and saying why', () => {
    const p = parseRateLimitPolicy('"ok";q=10;w=1, "noq";w=60, "neg";q=-1, "frac";q=1.5, garbage(, "badw";q=5;w="x"');
    expect(p.policies).toEqual([{ name: 'ok', quota: 10, windowSeconds: 1 }]);
    expect(p.ignored).toHaveLength(5);
    const r = parseRateLimit('"x";t=3, "y";r=abc, "z";r=2');
    expect(r.states).toEqual([{ name: 'z', remaining: 2 }]);
    expect(r.ignored).toHaveLength(2);
  });

  it('a quoted comma does not split a member', () => {
    expect(parseRateLimitPolicy('"a,b";q=3').policies).toEqual([{ name: 'a,b', quota: 3 }]);
  });
});

describe('all rate-limit headers of a response', () => {
  it("reads the reference target's throttled answer", () => {
    const s = parseRateLimitHeaders({ 'retry-after': '1', 'ratelimit-policy': '"default";q=20;w=1', ratelimit: '"default";r=0;t=1' }, NOW);
    expect(s.retryAfter?.seconds).toBe(1);
    expect(s.policies[0]?.quota).toBe(20);
    expect(s.states[0]?.remaining).toBe(0);
    expect(s.ignored).toEqual([]);
  });

  it('reads RateLimit-Limit/-Remaining/-Reset, including the older "100, 100;w=60" list form', () => {
    const s = parseRateLimitHeaders({ 'ratelimit-limit': '100, 100;w=60', 'ratelimit-remaining': '0', 'ratelimit-reset': '42' }, NOW);
    expect(s.legacy).toEqual([{ source: 'RateLimit-*', limit: 100, remaining: 0, resetSeconds: 42 }]);
  });

  it("reads X-RateLimit-* with Kong's period suffixes as separate windows", () => {
    const s = parseRateLimitHeaders(
      {
        'x-ratelimit-limit-minute': '5',
        'x-ratelimit-remaining-minute': '0',
        'x-ratelimit-limit-hour': '100',
        'x-ratelimit-remaining-hour': '95',
        'x-ratelimit-limit-second': '1',
      },
      NOW,
    );
    expect(s.legacy).toEqual(
      expect.arrayContaining([
        { source: 'X-RateLimit-*-Minute', windowSeconds: 60, limit: 5, remaining: 0 },
        { source: 'X-RateLimit-*-Hour', windowSeconds: 3600, limit: 100, remaining: 95 },
        { source: 'X-RateLimit-*-Second', windowSeconds: 1, limit: 1 },
      ]),
    );
  });

  it('an X-RateLimit-Reset that is an epoch timestamp (GitHub) becomes seconds from now', () => {
    const s = parseRateLimitHeaders(
      { 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 90) },
      NOW,
    );
    expect(s.legacy[0]?.resetSeconds).toBe(90);
  });

  it("an epoch X-RateLimit-Reset is read against the response's Date, so a runner's clock an hour off does not move the wait", () => {
    const serverNow = NOW - 3_600_000; // the gateway's clock an hour behind keyprobe's
    const headers = {
      'x-ratelimit-limit': '60',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(serverNow / 1000 + 90),
      date: new Date(serverNow).toUTCString(),
    };
    expect(parseRateLimitHeaders(headers, NOW).legacy[0]?.resetSeconds).toBe(90);
    // Without a Date header, keyprobe's own clock is all there is.
    const { date: _, ...undated } = headers;
    expect(parseRateLimitHeaders(undated, NOW).legacy[0]?.resetSeconds).toBe(0);
  });

  it('malformed fields are ignored with a note, never thrown', () => {
    const s = parseRateLimitHeaders({ 'retry-after': 'tomorrow', ratelimit: 'nonsense;;', 'x-ratelimit-remaining': 'many' }, NOW);
    expect(s.retryAfter).toBeUndefined();
    expect(s.states).toEqual([]);
    expect(s.legacy).toEqual([]);
    expect(s.ignored.join('\n')).toMatch(/Retry-After "tomorrow"/);
    expect(s.ignored.join('\n')).toMatch(/x-ratelimit-remaining "many"/);
  });

  it('the wait before retrying: Retry-After first, then RateLimit t, then a legacy reset', () => {
    expect(secondsUntilReset(parseRateLimitHeaders({ 'retry-after': '3', ratelimit: '"d";r=0;t=9' }, NOW))).toEqual({
      seconds: 3,
      from: 'Retry-After: 3',
    });
    expect(secondsUntilReset(parseRateLimitHeaders({ ratelimit: '"d";r=0;t=9' }, NOW))?.seconds).toBe(9);
    expect(secondsUntilReset(parseRateLimitHeaders({ 'x-ratelimit-reset': '4' }, NOW))?.seconds).toBe(4);
    expect(secondsUntilReset(parseRateLimitHeaders({}, NOW))).toBeUndefined();
  });
});
