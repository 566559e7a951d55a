// The mapping language on file exports (CSV, JSON, YAML): a field by name or
// dotted path, constants, value maps, declared date formats, combined list
// fields; and its errors, located in the mapping file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const AS_OF = '2026-06-01T00:00:00Z';

interface FindingRow {
  rule: string;
  id: string;
  detail: string;
}

function findingsOf(out: string): FindingRow[] {
  return JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8')).findings;
}

describe('--mapping on a CSV export with its own column names', () => {
  let tmp: ReturnType<typeof tempDir>;
  afterEach(() => tmp?.cleanup());

  // The export of issue 16: Key ID, Label, Env, Permissions, Status, dates as MM/DD/YYYY.
  const CSV = [
    'Key ID,Label,Owner Email,Permissions,Extra Permissions,Status,Created On,Expires On,Last Seen (ms)',
    'k-1,crm-prod-agent-call,crm@example.com,agents:read,agents:call,active,03/01/2026,12/01/2026,1780000000000',
    'k-2,billing-prod-invoice-sync,billing@example.com,workflows:read,,suspended,4/1/2026,01/01/2027,',
    'k-3,ops-prod-maintenance,ops@example.com,*,,Active,02/01/2026,11/01/2026,1780000000000',
    '',
  ].join('\n');
  const MAPPING = [
    'fields:',
    '  id: Key ID',
    '  name: Label',
    '  owner: Owner Email',
    '  environment: { const: prod }',
    '  scopes: { paths: [Permissions, Extra Permissions] }',
    '  enabled:',
    '    path: Status',
    '    values: { active: true, suspended: false, disabled: false }',
    '  created: { path: Created On, date: MM/DD/YYYY }',
    '  expires: { path: Expires On, date: MM/DD/YYYY }',
    '  lastUsed: { path: Last Seen (ms), date: epoch-ms }',
    '',
  ].join('\n');

  it('reads every row: constants, value maps, MM/DD/YYYY and epoch-ms dates, combined list fields', async () => {
    tmp = tempDir();
    const out = join(tmp.dir, 'out');
    const r = await runCli(['audit', tmp.file('keys.csv', CSV), '--mapping', tmp.file('m.yaml', MAPPING), '--as-of', AS_OF, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('3 keys from');
    expect(r.stdout).toMatch(/PASS\s+audit\.inventory-rows-valid/);
    const findings = findingsOf(out);
    // The wildcard key is over-privileged; combined Permissions + Extra Permissions are not.
    expect(findings.filter((f) => f.rule === 'audit.over-privileged-key').map((f) => f.id)).toEqual(['k-3']);
    // k-2 is suspended: disabled, so never stale; the others were used 2026-05-28 (epoch ms).
    expect(findings.filter((f) => f.rule === 'audit.stale-key')).toEqual([]);
    const results = JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8'));
    expect(results.inventory.enabled).toBe(2);
    expect(results.inventory.byEnvironment).toEqual({ prod: 3 });
    // 02/01/2026 → 11/01/2026 is 273 days; 4/1/2026 → 01/01/2027 is 275: within the default maximum lifetime.
    expect(findings.filter((f) => f.rule === 'audit.expiry-policy')).toEqual([]);
    expect(r.code).toBe(1);
  });

  it('a date not in the declared format is a bad row naming the format; epoch seconds declared as milliseconds say so', async () => {
    tmp = tempDir();
    const csv = `${CSV}k-4,x-prod-y,x@example.com,a:read,,active,2026-13-45,12/01/2026,1780000000\n`;
    const r = await runCli([
      'audit',
      tmp.file('keys.csv', csv),
      '--mapping',
      tmp.file('m.yaml', MAPPING),
      '--as-of',
      AS_OF,
      '--out',
      join(tmp.dir, 'o'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('keys.csv:5: row 4: Created On: expected a date written MM/DD/YYYY (or ISO 8601), found "2026-13-45"');
    expect(r.stderr).toContain('Last Seen (ms): 1780000000 looks like seconds, not milliseconds; declare date: epoch-s');
  });

  it('a column the mapping names but the header lacks is exit 2, located in the mapping file', async () => {
    tmp = tempDir();
    const mapping = MAPPING.replace('name: Label', 'name: Lable');
    const r = await runCli(['audit', tmp.file('keys.csv', CSV), '--mapping', tmp.file('m.yaml', mapping)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/m\.yaml:3:9: fields\.name: column "Lable" is not in the header of .*keys\.csv; did you mean "Label"\?/);
  });

  it('without a mapping, a header with no id column says how to map it', async () => {
    tmp = tempDir();
    const r = await runCli(['audit', tmp.file('keys.csv', 'Ref,Label,Status\nr-1,crm-prod-agent-call,active\n')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('header row has no column for id; name it in a --mapping file (fields: { id: <column> })');
  });
});

describe('--mapping on JSON and YAML exports', () => {
  let tmp: ReturnType<typeof tempDir>;
  afterEach(() => tmp?.cleanup());

  it('JSON: the list under a nested path, epoch seconds, nested fields, list of objects, value map with "*"', async () => {
    tmp = tempDir();
    const data = {
      result: {
        tokens: [
          {
            token_id: 't1',
            info: { label: 'crm-prod-agent-call', team: 'crm@example.com' },
            grants: [{ scope: 'agents:read' }, { scope: 'agents:call' }],
            created: 1772323200, // 2026-03-01
            expires: 1796083200, // 2026-12-01
            revoked_at: null,
          },
          {
            token_id: 't2',
            info: { label: 'crm-prod-agent-sync', team: 'crm@example.com' },
            grants: [{ scope: 'agents:read' }],
            created: 1772323200,
            expires: 1796083200,
            revoked_at: 1777593600,
          },
        ],
      },
    };
    const mapping = [
      'items: result.tokens',
      'fields:',
      '  id: token_id',
      '  name: info.label',
      '  owner: info.team',
      '  environment: { const: prod }',
      '  scopes: grants.scope',
      '  created: { path: created, date: epoch-s }',
      '  expires: { path: expires, date: epoch-s }',
      '  enabled: { path: revoked_at, values: { "*": false }, default: true }',
      '  disabledAt: { path: revoked_at, date: epoch-s }',
      '',
    ].join('\n');
    const out = join(tmp.dir, 'out');
    const r = await runCli([
      'audit',
      tmp.file('tokens.json', JSON.stringify(data, null, 2)),
      '--mapping',
      tmp.file('m.yaml', mapping),
      '--as-of',
      AS_OF,
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8'));
    expect(doc.inventory).toMatchObject({ keys: 2, enabled: 1, rows: 2 });
    // Neither is over-privileged (scopes came through the list of objects) and nothing is a bad row.
    expect(doc.findings.filter((f: FindingRow) => ['audit.over-privileged-key', 'audit.inventory-rows-valid'].includes(f.rule))).toEqual(
      [],
    );
  });

  it('YAML: a mapping works the same way', async () => {
    tmp = tempDir();
    const yaml = ['- Key: y1', '  Title: crm-prod-agent-call', '  Stage: production', '  Since: 01.03.2026', ''].join('\n');
    const mapping = 'fields:\n  id: Key\n  name: Title\n  environment: Stage\n  created: { path: Since, date: DD.MM.YYYY }\n';
    const out = join(tmp.dir, 'out');
    const r = await runCli(['audit', tmp.file('k.yaml', yaml), '--mapping', tmp.file('m.yaml', mapping), '--as-of', AS_OF, '--out', out]);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8'));
    expect(doc.inventory).toMatchObject({ keys: 1, byEnvironment: { production: 1 } });
  });
});

describe('mapping file errors', () => {
  let tmp: ReturnType<typeof tempDir>;
  afterEach(() => tmp?.cleanup());

  it('every problem at once, as file:line:col: field: message, with a did-you-mean', async () => {
    tmp = tempDir();
    const mapping = [
      'feilds:', // 1
      '  id: x',
      'items: 5', // 3
      '',
    ].join('\n');
    const m2 = [
      'fields:',
      '  id: { path: a, const: b }', // 2: both
      '  owner: { path: o, date: MM/DD/YYYY }', // 3: date on a non-date field
      '  created: { path: c, date: YYYY/QQ }', // 4: bad pattern
      '  scopes: { path: s, match: "([" }', // 5: bad regex
      '  nmae: n', // 6: unknown field
      '',
    ].join('\n');
    const inv = tmp.file('k.json', '[]');
    const a = await runCli(['audit', inv, '--mapping', tmp.file('a.yaml', mapping)]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('a.yaml:1:1: feilds: unknown field "feilds"; did you mean "fields"?');
    expect(a.stderr).toMatch(/a\.yaml:3:8: items: expected string/);
    const b = await runCli(['audit', inv, '--mapping', tmp.file('b.yaml', m2)]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/b\.yaml:2:\d+: fields\.id: give one of path, paths or const/);
    expect(b.stderr).toMatch(
      /b\.yaml:3:\d+: fields\.owner\.date: only date fields \(created, expires, lastUsed, rotated, disabledAt\) take a date format/,
    );
    expect(b.stderr).toMatch(/b\.yaml:4:\d+: fields\.created\.date: .*YYYY, MM and DD/);
    expect(b.stderr).toMatch(/b\.yaml:5:\d+: fields\.scopes\.match: not a valid regular expression/);
    expect(b.stderr).toMatch(/b\.yaml:6:\d+: fields\.nmae: .*did you mean "name"\?/);
    expect(a.stdout + b.stdout).toBe('');
  });

  it('--mapping and --preset together are bad usage', async () => {
    const r = await runCli(['audit', 'k.csv', '--mapping', 'm.yaml', '--preset', 'kong-key-auth']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('give --mapping or --preset, not both');
  });
});
