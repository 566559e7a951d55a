import { afterEach, describe, expect, it } from 'vitest';
import { checkProfileFile, loadProfile } from '../../src/config/load-profile.js';
import { maxRevocationWait } from '../../src/config/profile-schema.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

const minimal = (extra = '') => `key:
  name: crm-prod-agent-call
  system: crm
  environment: prod
  purpose: agent-call
  secret: \${env:TEST_KEY}
target:
  origin: http://127.0.0.1:9
allowed:
  - GET /v1/agents
${extra}`;

const env = { TEST_KEY: `kp_prod_${'x'.repeat(32)}` };

let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

/** `structureOnly` checks without resolving references, as `keyprobe validate` does. */
function problemsOf(text: string, e: NodeJS.ProcessEnv | 'structureOnly' = env) {
  tmp = tempDir();
  const file = tmp.file('p.yaml', text);
  return { file, problems: checkProfileFile(file, e === 'structureOnly' ? undefined : e).problems };
}

describe('profile loading', () => {
  it('looks ${env:…} up only in the environment it is handed, never in its own process environment', () => {
    tmp = tempDir();
    const file = tmp.file('p.yaml', minimal());
    const before = process.env.TEST_KEY;
    process.env.TEST_KEY = env.TEST_KEY;
    try {
      expect(() => loadProfile(file, {})).toThrow(/TEST_KEY/);
      expect(loadProfile(file, env).profile.key.secret).toBe(env.TEST_KEY);
    } finally {
      if (before === undefined) delete process.env.TEST_KEY;
      else process.env.TEST_KEY = before;
    }
  });

  it('loads a minimal profile and fills in sensible defaults', () => {
    tmp = tempDir();
    const loaded = loadProfile(tmp.file('p.yaml', minimal()), env);
    const p = loaded.profile;
    expect(p.allowed).toEqual([{ method: 'GET', path: '/v1/agents' }]);
    expect(p.target.auth).toEqual({ header: 'Authorization', scheme: 'Bearer' });
    expect(p.target.budget).toBe(1000);
    expect(p.target.timeoutMs).toBe(5000);
    expect(p.denial.statuses).toEqual([403]);
    expect(p.key.secret).toBe(env.TEST_KEY);
    expect(loaded.secrets).toEqual([env.TEST_KEY]);
    expect(loaded.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports every problem at once, each with line, column, field path, expected and found', () => {
    const { file, problems } = problemsOf(`key:
  name: crm-prod-agent-call
  sytem: crm
  environment: prod
  purpose: 3
  secret: \${env:TEST_KEY}
target:
  origin: http://127.0.0.1:9/v1
allowed:
  - GETX /v1/agents
`);
    const lines = problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
    expect(problems.every((p) => p.file === file)).toBe(true);
    expect(lines).toContainEqual(expect.stringMatching(/^3:3 key\.sytem: unknown field "sytem"; did you mean "system"\?/));
    expect(lines).toContainEqual(expect.stringMatching(/^5:12 key\.purpose: expected string, found number 3/));
    expect(lines).toContainEqual(expect.stringMatching(/^2:3 key\.system: required field is missing/));
    expect(lines).toContainEqual(expect.stringMatching(/^8:11 target\.origin: expected an origin/));
    expect(lines).toContainEqual(expect.stringMatching(/^10:5 allowed\[0\]\.method: method must be one of GET/));
    expect(problems).toHaveLength(5);
  });

  it('refuses a literal secret and says how to reference it, without echoing it', () => {
    const literal = `kp_prod_${'L'.repeat(32)}`;
    const { problems } = problemsOf(minimal().replace('${env:TEST_KEY}', literal));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('key.secret');
    expect(problems[0]!.message).toContain('${env:NAME} or ${file:path}');
    expect(JSON.stringify(problems)).not.toContain(literal);
  });

  it('names an unset environment variable, never a value', () => {
    const { problems } = problemsOf(minimal(), {});
    expect(problems).toEqual([
      expect.objectContaining({ path: 'key.secret', line: 6, message: 'environment variable TEST_KEY is not set' }),
    ]);
  });

  it('resolves ${file:path} relative to the profile and ${env:…} inside any string', () => {
    tmp = tempDir();
    tmp.file('key.txt', `${env.TEST_KEY}\n`);
    const text = minimal().replace('${env:TEST_KEY}', '${file:key.txt}').replace('http://127.0.0.1:9', 'http://127.0.0.1:${env:PORT}');
    const loaded = loadProfile(tmp.file('p.yaml', text), { PORT: '8123' });
    expect(loaded.profile.key.secret).toBe(env.TEST_KEY);
    expect(loaded.profile.target.origin).toBe('http://127.0.0.1:8123');
  });

  it('reports a missing referenced file by its name', () => {
    const { problems } = problemsOf(minimal().replace('${env:TEST_KEY}', '${file:nope.txt}'));
    expect(problems[0]!.message).toMatch(/the file nope\.txt does not exist/);
  });

  it('without an environment checks structure only and trusts fields that are references', () => {
    const { problems } = problemsOf(
      minimal('').replace('purpose: agent-call', 'purpose: agent-call\n  expires: ${env:EXPIRES}'),
      'structureOnly',
    );
    expect(problems).toEqual([]);
  });

  it('reports YAML syntax errors and duplicate keys with their position', () => {
    expect(problemsOf('key: [unclosed\n').problems[0]).toMatchObject({
      line: expect.any(Number),
      message: expect.stringMatching(/^YAML: /),
    });
    const dup = problemsOf(minimal().replace('  system: crm\n', '  system: crm\n  system: crm\n')).problems;
    expect(dup[0]).toMatchObject({ line: 4, message: expect.stringMatching(/YAML: Map keys must be unique/) });
  });

  it('refuses an empty file, a non-mapping and a missing file with a clear message', () => {
    expect(problemsOf('').problems[0]!.message).toBe('the profile is empty');
    expect(problemsOf('- a\n- b\n').problems[0]!.message).toMatch(/a profile is a mapping/);
    expect(checkProfileFile('/nonexistent/p.yaml', env).problems[0]!.message).toBe('file not found');
  });

  it('catches contradictions: a resource both allowed and denied, a foreign key of the own environment', () => {
    const { problems } = problemsOf(
      minimal(`denied:\n  - GET /v1/agents\notherEnvironments:\n  - environment: prod\n    secret: \${env:TEST_KEY}\n`),
    );
    expect(problems.map((p) => p.path)).toEqual(['denied[0]', 'otherEnvironments[0].environment']);
  });

  it('rejection.statuses: the default [400, 401, 403] is filled in; an explicit list is kept exactly as written', () => {
    tmp = tempDir();
    expect(loadProfile(tmp.file('a.yaml', minimal()), env).profile.rejection.statuses).toEqual([400, 401, 403]);
    expect(loadProfile(tmp.file('b.yaml', minimal('rejection: { statuses: [401] }\n')), env).profile.rejection.statuses).toEqual([401]);
  });

  it('environmentIsolation: selectedBy key needs a way to tell environments apart; the signals belong to selectedBy key only', () => {
    expect(problemsOf(minimal('environmentIsolation: { selectedBy: key }\n')).problems).toMatchObject([
      { path: 'environmentIsolation.selectedBy', message: expect.stringMatching(/environmentField, markers and\/or onlyHere/) },
    ]);
    expect(
      problemsOf(minimal('environmentIsolation: { environmentField: environment, markers: [x] }\n')).problems.map((p) => p.path),
    ).toEqual(['environmentIsolation.environmentField', 'environmentIsolation.markers']);
    tmp?.cleanup();
    tmp = tempDir();
    const iso = loadProfile(
      tmp.file(
        'p.yaml',
        minimal('environmentIsolation: { selectedBy: key, markers: [invoice-extractor], onlyHere: GET /v1/agents/agt-billing }\n'),
      ),
      env,
    ).profile.environmentIsolation;
    expect(iso).toEqual({ selectedBy: 'key', markers: ['invoice-extractor'], onlyHere: { method: 'GET', path: '/v1/agents/agt-billing' } });
  });

  it('lifecycle.maxRevocationWaitMs defaults to 90 s (or twice the budget) and may not be shorter than the budget', () => {
    const lc = (extra: string) => `lifecycle:\n  adapter: manual\n${extra}`;
    tmp = tempDir();
    const p = loadProfile(tmp.file('a.yaml', minimal(lc(''))), env).profile;
    expect(p.lifecycle?.maxRevocationWaitMs).toBeUndefined();
    expect(maxRevocationWait(p.lifecycle!)).toBe(90_000);
    expect(maxRevocationWait({ revocationBudgetMs: 60_000 })).toBe(120_000);
    expect(maxRevocationWait({ revocationBudgetMs: 1000, maxRevocationWaitMs: 3000 })).toBe(3000);
    tmp.cleanup();
    expect(problemsOf(minimal(lc('  revocationBudgetMs: 5000\n  maxRevocationWaitMs: 2000\n'))).problems).toMatchObject([
      { path: 'lifecycle.maxRevocationWaitMs', message: expect.stringMatching(/at least revocationBudgetMs \(5000\)/) },
    ]);
  });

  it('loadProfile throws a ConfigError that lists every problem', () => {
    tmp = tempDir();
    const file = tmp.file('p.yaml', 'key: {}\ntarget: {}\n');
    expect(() => loadProfile(file, env)).toThrow(ConfigError);
    try {
      loadProfile(file, env);
    } catch (err) {
      expect((err as ConfigError).problems.length).toBeGreaterThanOrEqual(6);
    }
  });

  it('never echoes a text value it did not expect (a file given as a profile may be a secret file)', () => {
    const secret = `sk_live_${'e'.repeat(32)}`;
    for (const text of [
      `${secret}\n`,
      `key: ${secret}\ntarget: ${secret}\n`,
      minimal().replace('purpose: agent-call', `purpose: [${secret}]`),
    ]) {
      const { problems } = problemsOf(text);
      expect(problems.length, text).toBeGreaterThan(0);
      expect(JSON.stringify(problems), text).not.toContain(secret.slice(0, 12));
    }
  });
});
