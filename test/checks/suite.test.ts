import { afterEach, describe, expect, it } from 'vitest';
import { loadSuite } from '../../src/checks/suite.js';
import { CHECKS } from '../../src/checks/index.js';
import { ConfigError } from '../../src/errors.js';
import { BUNDLED_SUITES_DIR } from '../../src/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';

let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

function problems(text: string) {
  tmp = tempDir();
  try {
    loadSuite(tmp.file('s.yaml', text));
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems;
  }
}

describe('suites', () => {
  it('the bundled prelaunch suite lists every implemented check, each gating', () => {
    const suite = loadSuite(join(BUNDLED_SUITES_DIR, 'prelaunch.yaml'));
    expect(suite.checks.map((c) => c.check.id).sort()).toEqual(CHECKS.map((c) => c.id).sort());
  });

  it('accepts the short form and the long form with gating and params', () => {
    tmp = tempDir();
    const suite = loadSuite(
      tmp.file(
        's.yaml',
        'name: mine\nchecks:\n  - auth.valid-key-accepted\n  - id: auth.missing-key-rejected\n    gating: false\n    params: { statuses: [401, 403] }\n',
      ),
    );
    expect(suite.checks.map((c) => [c.check.id, c.gating, c.params])).toEqual([
      ['auth.valid-key-accepted', true, {}],
      ['auth.missing-key-rejected', false, { statuses: [401, 403] }],
    ]);
  });

  it('an unknown check id gets a did-you-mean and the list of valid ids, with its line', () => {
    const [p] = problems('name: mine\nchecks:\n  - auth.valid-key-acepted\n');
    expect(p).toMatchObject({ line: 3, column: 5, path: 'checks[0]' });
    expect(p!.message).toContain('did you mean "auth.valid-key-accepted"?');
    for (const c of CHECKS) expect(p!.message).toContain(c.id);
  });

  it('bad params are located at the parameter', () => {
    const [p] = problems('name: mine\nchecks:\n  - id: auth.missing-key-rejected\n    params:\n      statuses: [200]\n      bogus: 1\n');
    const all = problems('name: mine\nchecks:\n  - id: auth.missing-key-rejected\n    params:\n      statuses: [200]\n      bogus: 1\n');
    expect(p!.path).toMatch(/^checks\[0\]\.params\./);
    expect(all.map((x) => `${x.line} ${x.path}`)).toEqual(
      expect.arrayContaining(['5 checks[0].params.statuses[0]', '6 checks[0].params.bogus']),
    );
  });

  it('a check listed twice and unknown fields are errors', () => {
    const ps = problems('name: mine\nextra: 1\nchecks:\n  - auth.valid-key-accepted\n  - auth.valid-key-accepted\n');
    expect(ps.map((p) => p.message)).toEqual(expect.arrayContaining([expect.stringMatching(/unknown field "extra"/)]));
    const twice = problems('name: mine\nchecks:\n  - auth.valid-key-accepted\n  - auth.valid-key-accepted\n');
    expect(twice[0]!.message).toMatch(/listed twice/);
  });

  it('a file that is not a suite is never echoed (it may be a secret file): the problem says what was expected', () => {
    const secret = `sk_live_${'q'.repeat(32)}`;
    for (const text of [`${secret}\n`, `token: ${secret}\n`, `name: ${secret}\nchecks: ${secret}\n`, `- ${secret}\n`]) {
      const ps = problems(text);
      expect(ps.length, text).toBeGreaterThan(0);
      expect(JSON.stringify(ps), text).not.toContain(secret.slice(0, 12));
    }
    expect(problems(`${secret}\n`)[0]!.message).toBe(
      'expected a suite: a mapping with a name and a list of checks (e.g. suites/prelaunch.yaml); found text (not shown)',
    );
  });
});
