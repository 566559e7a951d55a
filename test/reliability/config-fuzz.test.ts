// Bad input never crashes: thousands of random and mutated profile and suite
// documents (wrong types, deep nesting, huge strings, YAML anchors and alias
// bombs, duplicate keys, non-UTF-8 bytes, binary garbage) go through the
// loaders and `keyprobe validate`. Each one either loads or ends in a
// ConfigError whose problems name the file (and a line, where the document
// has one); never another exception, never a stack trace, never a hang.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { checkProfileFile, loadProfile } from '../../src/config/load-profile.js';
import { loadSuite } from '../../src/checks/suite.js';
import { ConfigError, EXIT, type ConfigProblem } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Slowest any one document may take to be judged; far above the typical few ms, far below a hang. */
const PER_DOCUMENT_MS = 5_000;
const RUNS = Number(process.env.KEYPROBE_FUZZ_RUNS ?? 1000);

let tmp: ReturnType<typeof tempDir>;
let n = 0;
beforeAll(() => {
  tmp = tempDir('keyprobe-fuzz-');
});
afterAll(() => tmp.cleanup());

function writeDoc(content: string | Uint8Array): string {
  const file = join(tmp.dir, `doc-${n++ % 50}.yaml`);
  writeFileSync(file, content);
  return file;
}

const ENV = { K: 'k-value-for-fuzzing', TARGET: 'http://127.0.0.1:9', EXPIRES: '2030-01-01' };

/** Problems a whole file has (no line to point at): unreadable, too big, not text, alias bomb. */
const FILE_LEVEL = /^(file not found|file is \d+ bytes)/;

function expectLocated(problems: readonly ConfigProblem[], file: string): void {
  expect(problems.length).toBeGreaterThan(0);
  for (const p of problems) {
    expect(p.file).toBe(file);
    expect(typeof p.message).toBe('string');
    expect(p.message.length).toBeGreaterThan(0);
    expect(p.message).not.toMatch(/\n\s+at /);
    if (!FILE_LEVEL.test(p.message)) expect(p.line, `no line for: ${p.path}: ${p.message}`).toBeGreaterThan(0);
  }
}

/** Every loader on one file: each returns, or throws a located ConfigError, in bounded time. */
function judge(file: string): { profile: boolean; suite: boolean } {
  const t0 = performance.now();
  const structural = checkProfileFile(file);
  if (structural.problems.length > 0) expectLocated(structural.problems, file);
  let profile = false;
  try {
    loadProfile(file, ENV);
    profile = true;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expectLocated(err.problems, file);
  }
  let suite = false;
  try {
    loadSuite(file);
    suite = true;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expectLocated(err.problems, file);
  }
  expect(performance.now() - t0).toBeLessThan(PER_DOCUMENT_MS);
  return { profile, suite };
}

const BASE_PROFILE = `key:
  name: crm-prod-agent-call
  system: crm
  environment: prod
  purpose: agent-call
  owner: crm-platform-team@example.com
  expires: \${env:EXPIRES}
  secret: \${env:K}
  scopes: [agents:read, agents:call]
target:
  origin: \${env:TARGET}
  auth: { header: Authorization, scheme: Bearer }
  introspection: { path: /v1/keys/self }
  timeoutMs: 5000
  budget: 1000
allowed:
  - { method: GET, path: /v1/agents, scope: agents:read }
  - { method: POST, path: /v1/agents/agt-support/calls, body: { input: "ping" }, expect: 201 }
denied:
  - POST /v1/agents
  - GET /v1/workflows
denial:
  statuses: [403]
  markers: [res-internal-ledger]
rateLimit:
  limit: 20
  windowSeconds: 1
  probe: GET /v1/agents
lifecycle:
  adapter: http
  http:
    credential: { secret: '\${env:K}' }
    disable: { method: POST, path: '/admin/keys/{{id}}/disable' }
otherEnvironments:
  - { environment: test, secret: '\${env:K}' }
`;

const BASE_SUITE = `name: prelaunch
description: Everything a key must prove before an integration goes live.
checks:
  - id: auth.valid-key-accepted
  - id: auth.missing-key-rejected
    gating: false
  - auth.valid-key-accepted
`;

// Field names the loaders know, so random documents reach deep into the schema.
const FIELD = fc.constantFrom(
  'key',
  'target',
  'allowed',
  'denied',
  'denial',
  'rejection',
  'rateLimit',
  'lifecycle',
  'otherEnvironments',
  'canary',
  'secondKey',
  'governance',
  'name',
  'system',
  'environment',
  'purpose',
  'owner',
  'expires',
  'secret',
  'origin',
  'auth',
  'header',
  'scheme',
  'query',
  'timeoutMs',
  'budget',
  'ca',
  'method',
  'path',
  'expect',
  'statuses',
  'markers',
  'limit',
  'probe',
  'adapter',
  'http',
  'checks',
  'id',
  'gating',
  'params',
  'description',
  '<<',
  '',
);
const SCALAR = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    '${env:K}',
    '${env:MISSING}',
    '${file:/nonexistent}',
    '${file:../../../etc/hostname}',
    'GET /v1/agents',
    'http://127.0.0.1:1',
    'auth.valid-key-accepted',
    '2027-03-31',
    '-1',
    'null',
    '~',
    '.inf',
    '0x1F',
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const { value: VALUE } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, SCALAR, tie('list'), tie('map')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  map: fc.dictionary(fc.oneof(FIELD, fc.string({ maxLength: 8 })), tie('value'), { maxKeys: 6 }),
}));

/** One edit to a YAML text. */
const MUTATION = fc.oneof(
  fc.record({ kind: fc.constant('delete-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap-lines' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(
        ': ',
        '- ',
        '\t',
        '&a ',
        '*a',
        '*undefined',
        '<<: *a',
        '!!binary ',
        '!custom ',
        '? ',
        '{',
        '[',
        '"',
        "'",
        '|',
        '>',
        '#',
        '---\n',
        '...\n',
        '%YAML 1.1\n',
        '\r',
        '\u0000',
        '\ufeff',
        ' '.repeat(7),
      ),
    ),
  }),
  fc.record({ kind: fc.constant('replace-value' as const), at: fc.nat(), value: SCALAR }),
  fc.record({ kind: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof MUTATION extends fc.Arbitrary<infer M> ? M : never;

function mutate(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const i = lines.length ? m.at % lines.length : 0;
  switch (m.kind) {
    case 'delete-line':
      lines.splice(i, 1);
      break;
    case 'duplicate-line':
      lines.splice(i, 0, lines[i] ?? '');
      break;
    case 'swap-lines': {
      const j = m.with % lines.length;
      [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
      break;
    }
    case 'insert': {
      const pos = m.at % (text.length + 1);
      return text.slice(0, pos) + m.text + text.slice(pos);
    }
    case 'replace-value': {
      const line = lines[i] ?? '';
      const colon = line.indexOf(': ');
      lines[i] = colon >= 0 ? `${line.slice(0, colon + 2)}${JSON.stringify(m.value)}` : `${line} ${JSON.stringify(m.value)}`;
      break;
    }
    case 'indent':
      lines[i] = m.by >= 0 ? ' '.repeat(m.by) + (lines[i] ?? '') : (lines[i] ?? '').replace(new RegExp(`^ {0,${-m.by}}`), '');
      break;
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
  }
  return lines.join('\n');
}

// Each property judges RUNS documents on the CPU: on a 2-core machine shared
// with other test files that takes longer than the default 30 s. What is
// proven about time is PER_DOCUMENT_MS per document; this is only the hang detector.
describe('profile and suite loaders on random and mutated documents (fast-check)', { timeout: 120_000 }, () => {
  it("random documents built from the schema's own field names", () => {
    fc.assert(
      fc.property(VALUE, (value) => {
        judge(writeDoc(stringify(value, { aliasDuplicateObjects: false })));
      }),
      { numRuns: RUNS },
    );
  });

  for (const [name, base] of [
    ['the demo profile', BASE_PROFILE],
    ['the prelaunch suite', BASE_SUITE],
  ] as const) {
    it(`${name} with 1–6 random edits`, () => {
      fc.assert(
        fc.property(fc.array(MUTATION, { minLength: 1, maxLength: 6 }), (mutations) => {
          judge(writeDoc(mutations.reduce(mutate, base)));
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('the unmutated bases load (the properties are not vacuous)', () => {
    expect(judge(writeDoc(BASE_PROFILE)).profile).toBe(true);
    expect(judge(writeDoc(BASE_SUITE.replace(/\n {2}- auth\.valid-key-accepted\n$/, '\n'))).suite).toBe(true);
  });

  it('random bytes, and random bytes spliced into a valid profile (non-UTF-8, NUL, binary garbage)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.nat(), fc.boolean(), (bytes, at, splice) => {
        const base = Buffer.from(BASE_PROFILE);
        const pos = at % (base.length + 1);
        const doc = splice ? Buffer.concat([base.subarray(0, pos), bytes, base.subarray(pos)]) : Buffer.from(bytes);
        judge(writeDoc(doc));
      }),
      { numRuns: RUNS },
    );
  });

  it('huge strings, long lists and deep nesting', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1400 }),
        fc.constantFrom('seq', 'dashes', 'map', 'flow-seq', 'flow-map', 'string', 'list'),
        (size, shape) => {
          let doc: string;
          if (shape === 'seq') doc = `${Array.from({ length: size }, (_, d) => `${' '.repeat(d)}-`).join('\n')} x\n`;
          else if (shape === 'dashes') doc = `allowed: ${'- '.repeat(size)}x\n`;
          else if (shape === 'map') doc = `${Array.from({ length: size }, (_, d) => `${' '.repeat(d)}key:`).join('\n')} x\n`;
          else if (shape === 'flow-seq') doc = `${'['.repeat(size)}1${']'.repeat(size)}\n`;
          else if (shape === 'flow-map') doc = `${'{a: '.repeat(size)}1${'}'.repeat(size)}\n`;
          else if (shape === 'string') doc = BASE_PROFILE.replace('purpose: agent-call', `purpose: ${'p'.repeat(size * 250)}`);
          else doc = `${BASE_PROFILE}  - ${'GET /x\n  - '.repeat(size)}GET /y\n`.replace('denied:\n', 'denied:\n');
          judge(writeDoc(doc));
        },
      ),
      { numRuns: Math.max(50, Math.floor(RUNS / 10)) },
    );
  });

  it('anchors, aliases, merge keys, and alias bombs of every size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), (levels, fanout) => {
        // "Billion laughs": each level refers `fanout` times to the one before.
        const lines = ['a0: &a0 ["lol"]'];
        for (let l = 1; l <= levels; l++) lines.push(`a${l}: &a${l} [${Array.from({ length: fanout }, () => `*a${l - 1}`).join(', ')}]`);
        lines.push(`key: { <<: *a0, name: *a${levels} }`);
        judge(writeDoc(`${lines.join('\n')}\n`));
        judge(writeDoc(`${BASE_PROFILE.replace('key:\n', `key: &k\n`).replace('canary:', 'x:')}secondKey: *k\nexpiredKey: { <<: *k }\n`));
      }),
      { numRuns: Math.max(50, Math.floor(RUNS / 10)) },
    );
  });

  it('a document nested 5000 levels deep is refused, located, before the parser can exhaust the stack', async () => {
    for (const doc of [
      `${'['.repeat(5000)}${']'.repeat(5000)}\n`,
      `key: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}\n`,
      `${'- '.repeat(5000)}x\n`,
    ]) {
      const file = writeDoc(doc);
      const { problems } = checkProfileFile(file);
      expect(problems).toEqual([expect.objectContaining({ line: 1, message: expect.stringMatching(/nests more than 64 levels deep/) })]);
      const run = await runCli(['validate', file], { cwd: tmp.dir });
      expect(run.code).toBe(EXIT.usage);
      expect(run.stderr).toMatch(
        new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:\\d+: the document nests more than 64 levels deep`),
      );
    }
  });

  it('the classic billion-laughs document fails fast with a clear problem, not by exhausting memory', () => {
    const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [x, y] of ['ba', 'cb', 'dc', 'ed', 'fe', 'gf', 'hg', 'ih'])
      bomb.push(`${x}: &${x} [*${y},*${y},*${y},*${y},*${y},*${y},*${y},*${y},*${y}]`);
    const file = writeDoc(`${bomb.join('\n')}\n`);
    const t0 = performance.now();
    const { problems } = checkProfileFile(file);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(problems).toEqual([
      expect.objectContaining({ line: 2, message: expect.stringMatching(/aliases expand more than 50 times \(an "alias bomb"\)/) }),
    ]);
  });

  it('duplicate keys are located problems', () => {
    const file = writeDoc(BASE_PROFILE.replace('  budget: 1000\n', '  budget: 1000\n  budget: 5\n'));
    const { problems } = checkProfileFile(file, ENV);
    expect(problems).toEqual([expect.objectContaining({ line: 16, column: 3, message: 'YAML: Map keys must be unique' })]);
  });
});

describe('`keyprobe validate` on random and mutated documents', () => {
  it('exit 0, or exit 2 or 3 with file:line problems; never a stack trace or an unexpected error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc
            .tuple(fc.constantFrom(BASE_PROFILE, BASE_SUITE), fc.array(MUTATION, { minLength: 1, maxLength: 4 }))
            .map(([b, ms]) => Buffer.from(ms.reduce(mutate, b))),
          VALUE.map((v) => Buffer.from(stringify(v))),
          fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
        ),
        fc.boolean(),
        async (doc, resolve) => {
          const file = writeDoc(doc);
          const t0 = performance.now();
          const run = await runCli(['validate', ...(resolve ? ['--resolve'] : []), file], {
            env: { PATH: process.env.PATH, ...ENV },
            cwd: tmp.dir,
          });
          expect(performance.now() - t0).toBeLessThan(PER_DOCUMENT_MS);
          // 3: a valid profile that cannot meet a required check of the prelaunch suite (each requirement located, as a problem is).
          expect([EXIT.pass, EXIT.usage, EXIT.unverified]).toContain(run.code);
          expect(run.stderr).not.toMatch(/\n\s+at |unexpected error|this is a bug/);
          if (run.code === EXIT.usage || run.code === EXIT.unverified) {
            const problemLines = run.stderr.split('\n').filter((l) => l.startsWith('  '));
            expect(problemLines.length).toBeGreaterThan(0);
            for (const l of problemLines) {
              expect(l.startsWith(`  ${file}`)).toBe(true);
              const rest = l.slice(2 + file.length);
              if (!FILE_LEVEL.test(rest.replace(/^: /, ''))) expect(rest, l).toMatch(/^:\d+:\d+: /);
            }
          } else {
            expect(run.stdout).toContain(`ok  ${file}`);
          }
        },
      ),
      { numRuns: Math.max(100, Math.floor(RUNS / 4)) },
    );
  });
});
