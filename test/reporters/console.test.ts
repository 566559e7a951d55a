// The console: a live view on a TTY, plain lines elsewhere or with CI set,
// NO_COLOR, --quiet, --verbose, and the summary with the exit code explained.
import { describe, expect, it } from 'vitest';
import { consoleObserver, summary, useColor, useLiveView, type ConsoleOptions } from '../../src/reporters/console.js';
import { check, countingReads, mixed, severalProfiles } from './sample-results.js';

const profile = mixed().profiles[0]!.profile;

function drive(opts: Omit<ConsoleOptions, 'write'>, clock = { t: 0 }): string {
  let out = '';
  const o = consoleObserver({ ...opts, write: (s) => (out += s), now: () => clock.t });
  o.runStarted?.({ runId: 'r', profiles: [profile], checksPerProfile: 3 });
  o.checkStarted?.(profile, { id: 'rate.limit-triggered', title: 't' });
  for (let i = 1; i <= 400; i += 100) {
    clock.t += 400;
    o.checkProgress?.(profile, 'rate.limit-triggered', `burst ${i}/400, first 429 at 101`);
  }
  o.checkFinished?.(profile, check('rate.limit-triggered', 'pass'));
  o.checkStarted?.(profile, { id: 'lifecycle.disabled-key-rejected', title: 't' });
  clock.t += 400;
  o.checkProgress?.(profile, 'lifecycle.disabled-key-rejected', 'waiting for revocation… 340 ms');
  o.checkFinished?.(profile, check('lifecycle.disabled-key-rejected', 'fail'));
  o.checkFinished?.(profile, check('env.key-matches-environment', 'skip'));
  o.runFinished?.(mixed());
  return out;
}

describe('console', () => {
  it('chooses live view and colour from the terminal and the environment', () => {
    expect(useLiveView({ isTTY: true }, {})).toBe(true);
    expect(useLiveView({ isTTY: true }, { CI: 'true' })).toBe(false);
    expect(useLiveView({ isTTY: false }, {})).toBe(false);
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(useColor({ isTTY: true }, { NO_COLOR: '' })).toBe(false);
    expect(useColor({ isTTY: false }, {})).toBe(false);
  });

  it('on a TTY, control characters in what a target said are shown as escapes: only the console itself colours and redraws', () => {
    let out = '';
    let t = 0;
    const o = consoleObserver({ color: true, live: true, columns: 100, verbose: true, write: (s) => (out += s), now: () => (t += 100) });
    o.runStarted?.({ runId: 'r', profiles: [profile], checksPerProfile: 1 });
    o.checkStarted?.(profile, { id: 'naming.key-name-convention', title: 't' });
    o.checkProgress?.(profile, 'naming.key-name-convention', 'read \u001b[1A\u001b[2K');
    const hostile = '\u001b[2K\r  PASS  fake\u009b0m\u202e';
    o.checkFinished?.(
      profile,
      check('naming.key-name-convention', 'fail', {
        message: `named ${hostile}`,
        observed: hostile,
        advisories: [hostile],
        measurements: { name: hostile },
      }),
    );
    o.runFinished?.(mixed());
    expect(out).toContain('named \\x1b[2K\\x0d  PASS  fake\\x9b0m\\u202e');
    expect(out).toContain('read \\x1b[1A\\x1b[2K');
    // Every raw ESC left is the console's own: a colour, or the live view's line moves.
    const own = out.replace(/\u001b\[(\d+m|\d+F|J)/g, '');
    expect(own).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(
      summary({ ...mixed(), profiles: [{ ...mixed().profiles[0]!, checks: [check('x', 'fail', { message: hostile })] }] }),
    ).not.toMatch(/[\u001b\r\u009b\u202e]/);
  });

  it('on a TTY redraws what each running check is doing, in place, and leaves finished lines', () => {
    const out = drive({ color: true, live: true, columns: 100 });
    expect(out).toContain('rate.limit-triggered — burst 301/400, first 429 at 101');
    expect(out).toContain('lifecycle.disabled-key-rejected — waiting for revocation… 340 ms');
    expect(out).toMatch(/\x1b\[\d+F\x1b\[J/); // moves up and clears the live block
    expect(out).toContain('\x1b[31mFAIL \x1b[0m lifecycle.disabled-key-rejected');
    // Live lines never wrap (wrapping would break redrawing).
    const liveLines = out
      .split('\n')
      .map((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, ''))
      .filter((l) => /checks done$|\(\d+\.\d s\)$|…$/.test(l));
    expect(liveLines.length).toBeGreaterThan(3);
    for (const line of liveLines) expect([...line].length).toBeLessThanOrEqual(99);
    // At the end the live block is gone: the last thing written clears it.
    expect(out.endsWith('\x1b[J')).toBe(true);
  });

  it('without a TTY (or with CI set) prints plain lines: no escape codes, no progress unless --verbose', () => {
    const plain = drive({ color: false, live: false });
    expect(plain).not.toContain('\x1b');
    expect(plain).not.toContain('burst');
    expect(plain).toContain('  PASS  rate.limit-triggered — ');
    expect(plain).toContain('  FAIL  lifecycle.disabled-key-rejected — ');
    expect(plain).toContain('        expected: 401 for every request without a key');
  });

  it('--verbose prints progress at most once a second per check, and measurements', () => {
    const out = drive({ color: false, live: false, verbose: true });
    // Progress at t=400, 800, 1200, 1600 ms: printed at 400 and 1600 only.
    expect(out.match(/rate\.limit-triggered: burst/g)).toHaveLength(2);
    expect(out).toContain('rate.limit-triggered: burst 1/400, first 429 at 101');
    expect(out).toContain('rate.limit-triggered: burst 301/400, first 429 at 101');
    expect(out).toContain('        requests: 3');
  });

  it('--quiet prints only failures (and no live view)', () => {
    const out = drive({ color: false, live: true, quiet: true });
    expect(out).not.toContain('\x1b');
    expect(out).not.toContain('keyprobe: crm-prod-agent-call');
    expect(out).not.toContain('PASS');
    expect(out).not.toContain('SKIP');
    expect(out).toContain('FAIL  lifecycle.disabled-key-rejected');
  });

  it('ends with a table per profile and a one-line explanation of the exit code', () => {
    const text = summary(severalProfiles());
    expect(text).toContain('profile               pass  fail  error  skip  requests');
    expect(text).toMatch(/crm-prod-agent-call\s+2\s+0\s+0\s+0\s+4\/1000/);
    expect(text).toMatch(/total\s+5\s+1\s+1\s+1\s+\d+/);
    expect(text).toContain('Gating checks that need attention:');
    expect(text).toContain('FAIL  [billing-prod-export] auth.valid-key-accepted');
    expect(text.trim().split('\n').at(-1)).toBe(
      'Launch verdict: FAIL — exit 1: a gating check failed — the key does not behave as required',
    );
    expect(summary(mixed(), 4).trim().split('\n').at(-1)).toBe(
      'Launch verdict: SECRET LEAK — exit 4: a secret was found in an output file',
    );
  });

  it('reads each profile once for the summary: from the spool, every read parses a profile again, evidence and all', () => {
    const counted = countingReads(severalProfiles());
    expect(summary(counted.result)).toBe(summary(severalProfiles()));
    expect(counted.reads()).toBe(severalProfiles().profiles.length);
  });
});
