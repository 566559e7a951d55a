// The file sources: the CSV reader, and bad rows reported with row, line and
// field in every format while the rest is still read.
import { afterEach, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/audit/sources/csv.js';
import { jsonElementLines, readInventoryFile } from '../../src/audit/sources/file.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { CLEAN, toCsv } from './fixtures.js';

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF and a BOM', () => {
    const text = '\ufeffa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\nlines",\n\n3,,"last"';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', 'x, y', 'say "hi"'] },
      { line: 3, fields: ['2', 'two\nlines', ''] },
      { line: 6, fields: ['3', '', 'last'] },
    ]);
  });

  it('marks a stray quote and an unterminated quote, keeping the line', () => {
    const records = parseCsv('a,b\nx"y,1\n"open,2\n');
    expect(records[1]).toMatchObject({ line: 2, error: expect.stringContaining('a quote inside unquoted field 1') });
    expect(records[2]).toMatchObject({ line: 3, error: expect.stringContaining('not closed') });
  });
});

describe('jsonElementLines', () => {
  it('finds the line of each element of the top-level list or of "keys"', () => {
    expect(jsonElementLines('[\n {"a": "[x]"},\n\n {"b": [1,\n2]}, {"c": 3}\n]')).toEqual([2, 4, 5]);
    expect(jsonElementLines('{"meta": [1, 2],\n "keys": [\n  {"id": "k"},\n  {"id": "l"}\n ]}', 'keys')).toEqual([3, 4]);
  });
});

describe('readInventoryFile', () => {
  let tmp: ReturnType<typeof tempDir>;
  afterEach(() => tmp?.cleanup());

  const bad = { id: 'key_bad', name: 'ledger-prod-sync', environment: 'prod', created: 'not a date', enabled: 'maybe' };

  it('CSV: a bad row is reported with its row, line and field; the rest is read', () => {
    tmp = tempDir();
    const file = tmp.file('keys.csv', toCsv([CLEAN[0]!, bad, CLEAN[1]!]));
    const inv = readInventoryFile(file);
    expect(inv.keys.map((k) => k.id)).toEqual(['key_a1', 'key_b2']);
    expect(inv.rowCount).toBe(3);
    expect(inv.problems).toEqual([
      {
        row: 2,
        line: 3,
        field: 'created',
        message: 'expected a date like 2026-03-31 or an ISO 8601 date-time, found "not a date"',
        key: 'key_bad',
      },
      { row: 2, line: 3, field: 'enabled', message: 'expected true or false (or yes/no, enabled/disabled), found "maybe"', key: 'key_bad' },
    ]);
  });

  it('CSV: a row with the wrong number of fields is a bad row, not a bad file', () => {
    tmp = tempDir();
    const text = `${toCsv([CLEAN[0]!])}key_x,short\n`;
    const inv = readInventoryFile(tmp.file('keys.csv', text));
    expect(inv.keys).toHaveLength(1);
    expect(inv.problems).toEqual([{ row: 2, line: 3, field: '', message: 'has 2 fields; the header has 13' }]);
  });

  it('JSON: rows are located by line', () => {
    tmp = tempDir();
    const text = JSON.stringify({ keys: [CLEAN[0], { ...bad, enabled: true }, CLEAN[1]] }, null, 2);
    const inv = readInventoryFile(tmp.file('keys.json', text));
    const line = text.split('\n').findIndex((l) => l.includes('"key_bad"'));
    expect(inv.problems).toEqual([{ row: 2, line, field: 'created', message: expect.stringContaining('"not a date"'), key: 'key_bad' }]);
    expect(inv.keys).toHaveLength(2);
  });

  it('YAML: rows are located by line; field names may use other spellings (last_used, createdAt)', () => {
    tmp = tempDir();
    const text = [
      'keys:',
      '  - id: key_a1',
      '    name: crm-prod-agent-call',
      '    environment: prod',
      '    createdAt: 2026-03-01',
      '    last_used: 2026-05-30',
      '  - id: key_bad',
      '    name: ledger-prod-sync',
      '    environment: prod',
      '    scopes: 42',
      '',
    ].join('\n');
    const inv = readInventoryFile(tmp.file('keys.yaml', text));
    expect(inv.keys).toMatchObject([
      { id: 'key_a1', created: Date.parse('2026-03-01T00:00:00Z'), lastUsed: Date.parse('2026-05-30T00:00:00Z') },
    ]);
    // A missing creation date is a field not recorded for that key, not a bad row; a list that is a number is.
    expect(inv.problems).toEqual([
      { row: 2, line: 7, field: 'scopes', message: expect.stringContaining('expected a list of text'), key: 'key_bad' },
    ]);
  });

  it('a duplicate id is a bad row', () => {
    tmp = tempDir();
    const inv = readInventoryFile(tmp.file('keys.json', JSON.stringify([CLEAN[0], { ...CLEAN[1], id: 'key_a1' }])));
    expect(inv.problems).toEqual([{ row: 2, line: 1, field: 'id', message: 'id "key_a1" is already used by row 1', key: 'key_a1' }]);
  });

  it('a file that cannot be read as an inventory is a ConfigError naming the file and line', () => {
    tmp = tempDir();
    const cases: [string, string, RegExp][] = [
      ['keys.txt', 'x', /unknown inventory format/],
      ['keys.json', '{"keys": [1,', /not valid JSON/],
      ['keys.json', '{"items": []}', /a list of keys, or a mapping with a "keys" list/],
      ['keys.yaml', 'keys:\n  - id: [unclosed\n', /YAML/],
      ['keys.csv', 'name,owner\nx,y\n', /header row has no column for id; name it in a --mapping file/],
      ['keys.csv', '', /the file is empty/],
    ];
    for (const [name, text, message] of cases) {
      const file = tmp.file(name, text);
      let err: unknown;
      try {
        readInventoryFile(file);
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toMatch(message);
      expect((err as ConfigError).problems[0]!.file).toBe(file);
    }
    expect(() => readInventoryFile(`${tmp.dir}/missing.csv`)).toThrow(/file not found/);
  });

  it('secret-like values are redacted at once and flagged with row and field, even in a bad row', () => {
    tmp = tempDir();
    const secret = `kp_prod_${'Ab3'.repeat(11)}`;
    const inv = readInventoryFile(
      tmp.file(
        'keys.json',
        JSON.stringify([
          { ...CLEAN[0], token: secret },
          { ...bad, note: secret },
        ]),
      ),
    );
    expect(inv.secretHits).toEqual([
      { row: 1, line: 1, field: 'token', key: 'key_a1', fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{8}$/) },
      { row: 2, line: 1, field: 'note', key: 'key_bad', fingerprint: expect.stringMatching(/^sha256:/) },
    ]);
    expect(inv.secrets).toEqual([secret]);
    expect(JSON.stringify({ ...inv, secrets: [] })).not.toContain(secret);
  });

  it('ordinary values are not taken for secrets', () => {
    tmp = tempDir();
    const rows = [
      {
        ...CLEAN[0],
        name: 'reporting-staging-invoice-sync-2024-eu-west',
        id: '3f2b9c1e-8a4d-4e6f-9b0a-1c2d3e4f5a6b',
        owner: 'a.very.long.team.name@subsidiary.example.com',
      },
    ];
    expect(readInventoryFile(tmp.file('keys.json', JSON.stringify(rows))).secretHits).toEqual([]);
  });
});
