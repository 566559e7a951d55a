import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAULTS, FAULT_NAMES, FaultError, isFaultName, normalizeFaultSettings, parseFaultArgs } from '../../src/reference/index.js';
import { FAULT_CHECKS } from '../detection/fault-checks.js';

describe('FAULTS', () => {
  it('lists the 17 faults of the design, key-echo, key-echo-header, refusal-echo and the four dead-key echoes, each with a description and a real-world sighting', () => {
    expect(FAULT_NAMES).toEqual([
      'anonymous-access',
      'revocation-delay',
      'revocation-flap',
      'scope-bypass',
      'no-rate-limit',
      'shared-rate-bucket',
      'rate-limit-status',
      'no-retry-after',
      'prefix-match',
      'case-insensitive-keys',
      'accept-expired',
      'rotation-no-expiry',
      'cross-environment',
      'leaky-denial',
      'key-in-error',
      'server-error-on-bad-key',
      'query-key-accepted',
      'key-echo',
      'key-echo-header',
      'refusal-echo',
      'foreign-key-echo',
      'disabled-key-echo',
      'expired-key-echo',
      'rotated-key-echo',
    ]);
    for (const fault of FAULTS) {
      expect(fault.seenIn.length).toBeGreaterThan(10);
      expect(fault.description.length).toBeGreaterThan(10);
      expect(fault.takesValue).toBe(fault.defaultValue !== undefined);
      expect(fault.takesValue).toBe(fault.valueName !== undefined);
      expect(Object.isFrozen(fault)).toBe(true);
    }
    expect(FAULTS.filter((f) => f.takesValue).map((f) => [f.name, f.defaultValue])).toEqual([
      ['revocation-delay', 2000],
      ['revocation-flap', 0.3],
      ['scope-bypass', '/v1/resources'],
      ['rate-limit-status', 503],
      ['prefix-match', 16],
      ['key-echo', 'split'],
      ['key-echo-header', 'www-authenticate'],
      ['refusal-echo', 'body'],
      ['foreign-key-echo', 'body'],
      ['disabled-key-echo', 'body'],
      ['expired-key-echo', 'body'],
      ['rotated-key-echo', 'body'],
    ]);
  });

  it('are all in the docs table, with the check they must make fail', () => {
    const doc = readFileSync(new URL('../../docs/reference-target.md', import.meta.url), 'utf8');
    for (const fault of FAULTS) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${fault.name}\``));
      expect(row, fault.name).toBeDefined();
      expect(row).toContain(FAULT_CHECKS[fault.name]);
    }
  });

  it('isFaultName', () => {
    expect(isFaultName('no-rate-limit')).toBe(true);
    expect(isFaultName('toString')).toBe(false);
  });
});

describe('parseFaultArgs', () => {
  it('parses NAME and NAME=VALUE, filling defaults', () => {
    expect(parseFaultArgs([])).toEqual({});
    expect(
      parseFaultArgs([
        'no-rate-limit',
        'revocation-delay=300',
        'revocation-flap',
        'scope-bypass=/v1/agents',
        'rate-limit-status=403',
        'prefix-match=12',
      ]),
    ).toEqual({
      'no-rate-limit': true,
      'revocation-delay': 300,
      'revocation-flap': 0.3,
      'scope-bypass': '/v1/agents',
      'rate-limit-status': 403,
      'prefix-match': 12,
    });
    expect(parseFaultArgs(['revocation-delay', 'rate-limit-status', 'prefix-match', 'scope-bypass'])).toEqual({
      'revocation-delay': 2000,
      'rate-limit-status': 503,
      'prefix-match': 16,
      'scope-bypass': '/v1/resources',
    });
    expect(parseFaultArgs(['revocation-flap=1', 'revocation-flap=0.5'])).toEqual({ 'revocation-flap': 0.5 });
  });

  it('names the valid faults for an unknown one', () => {
    expect(() => parseFaultArgs(['slow-mode'])).toThrow(FaultError);
    try {
      parseFaultArgs(['slow-mode']);
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('Unknown fault "slow-mode"');
      expect(message).toContain('revocation-delay=MS');
      for (const name of FAULT_NAMES) expect(message).toContain(name);
    }
  });

  it.each([
    ['revocation-delay=soon', /whole number of milliseconds/],
    ['revocation-delay=0', /at least 1/],
    ['revocation-delay=1.5', /whole number/],
    ['revocation-flap=0', /between 0.05 and 1/],
    ['revocation-flap=1.5', /between 0.05 and 1/],
    ['rate-limit-status=200', /from 400 to 599/],
    ['rate-limit-status=4xx', /from 400 to 599/],
    ['prefix-match=0', /from 1 to 256/],
    ['scope-bypass=v1/agents', /starting with "\/"/],
    ['no-rate-limit=yes', /takes no value/],
    ['revocation-delay=', /needs a value/],
  ])('refuses %s', (arg, message) => {
    expect(() => parseFaultArgs([arg])).toThrow(message);
  });
});

describe('normalizeFaultSettings', () => {
  it('validates programmatic settings and drops flags set to false', () => {
    expect(normalizeFaultSettings({ 'no-rate-limit': false, 'revocation-delay': 10 })).toEqual({ 'revocation-delay': 10 });
    expect(() => normalizeFaultSettings({ 'revocation-flap': 3 })).toThrow(FaultError);
    expect(() => normalizeFaultSettings({ nope: true })).toThrow(/Unknown fault/);
  });
});
