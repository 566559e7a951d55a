// The yaml library prints every token it reads to stdout (console.log) when
// LOG_TOKENS is set, and every document when LOG_STREAM is: past the output
// guard that screens what keyprobe prints for secrets. And it looks both up
// once a token, which with a big run's thousands of variables was most of the
// time spent loading a thousand profiles (issue #15; bench/RESULTS.md).
// Every YAML keyprobe reads goes through parseYaml, which hides the environment.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readInventoryFile } from '../../src/audit/sources/file.js';
import { parseYamlText } from '../../src/config/yaml-source.js';
import { parseYaml } from '../../src/config/yaml-parse.js';
import { readOpenApi } from '../../src/init/openapi.js';

const PROFILE = `key:
  name: crm-prod-agent-call
  secret: \${env:KEY}
allowed:
  - GET /v1/agents
`;

describe('parseYaml', () => {
  const saved = { tokens: process.env.LOG_TOKENS, stream: process.env.LOG_STREAM };
  let dir: string;
  beforeEach(() => {
    process.env.LOG_TOKENS = '1';
    process.env.LOG_STREAM = '1';
    dir = mkdtempSync(join(tmpdir(), 'keyprobe-yaml-parse-'));
  });
  afterEach(() => {
    for (const [name, value] of [
      ['LOG_TOKENS', saved.tokens],
      ['LOG_STREAM', saved.stream],
    ] as const)
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints nothing while a profile, an inventory or an OpenAPI document is parsed, whatever LOG_TOKENS and LOG_STREAM say', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const env = process.env;
    expect(parseYamlText(PROFILE, 'p.yaml').ok).toBe(true);
    writeFileSync(join(dir, 'keys.yaml'), 'keys:\n  - name: crm-prod-agent-call\n    owner: team@example.com\n');
    expect(readInventoryFile(join(dir, 'keys.yaml')).rowCount).toBe(1);
    writeFileSync(join(dir, 'api.yaml'), 'openapi: 3.0.0\ninfo: { title: t, version: "1" }\npaths: {}\n');
    expect(readOpenApi(join(dir, 'api.yaml'))).toBeTruthy();
    expect(log).not.toHaveBeenCalled();
    // The real environment is back, the same object, with what it held.
    expect(process.env).toBe(env);
    expect(process.env.LOG_TOKENS).toBe('1');
  });

  it('gives the environment back when the parse throws', () => {
    const env = process.env;
    expect(() => parseYaml('a: 1', { version: 'no such version' as never })).toThrow();
    expect(process.env).toBe(env);
  });
});
