import { describe, expect, it } from 'vitest';
import { locateFromText, parseYamlText } from '../../src/config/yaml-source.js';

const TEXT = `key:
  name: crm-prod-agent-call
  secret: \${env:KEY}
allowed:
  - method: GET
    path: /v1/agents
  - method: POST
    path: /v1/agents/{id}/call
`;

describe('locateFromText', () => {
  it('finds every position the parsed source finds, keeping only the text', () => {
    const read = parseYamlText(TEXT, 'p.yaml');
    if (!read.ok) throw new Error('fixture must parse');
    const locate = locateFromText(read.source);
    const paths: (string | number)[][] = [['key'], ['key', 'secret'], ['allowed', 1, 'path'], ['allowed', 0], ['nowhere', 'x']];
    for (const path of paths) {
      expect(locate(path)).toEqual(read.source.locate(path));
      expect(locate(path, true)).toEqual(read.source.locate(path, true));
    }
    expect(locate(['allowed', 1, 'path'])).toEqual({ line: 8, column: 11 });
  });
});
