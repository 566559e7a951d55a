// An audit is a first-class subject: its results.json says it examined a key
// inventory (not a key), `keyprobe report` renders it as an audit because of
// that, and `keyprobe merge` refuses to fold it into launch runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { CLEAN } from './fixtures.js';

const AS_OF = '2026-06-01T00:00:00Z';

describe('an audit as a subject', () => {
  let tmp: ReturnType<typeof tempDir>;
  afterEach(() => tmp?.cleanup());

  it('results.json names the inventory as its subject; merge refuses it (exit 2), report renders it as an audit', async () => {
    tmp = tempDir();
    const file = tmp.file('keys.json', JSON.stringify({ keys: CLEAN }));
    const out = join(tmp.dir, 'audit');
    expect((await runCli(['audit', file, '--as-of', AS_OF, '--out', out])).code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.subject).toEqual({
      kind: 'inventory',
      source: file,
      format: 'json',
      rows: CLEAN.length,
      keys: CLEAN.length,
      asOf: '2026-06-01T00:00:00.000Z',
    });
    const merged = await runCli(['merge', out, '--out', join(tmp.dir, 'merged')]);
    expect(merged.code).toBe(2);
    expect(merged.stderr).toContain('is the result of an audit (a key inventory, not keys): compare audits with keyprobe diff');
    const again = await runCli(['report', out, '--out', join(tmp.dir, 'again')]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Rendered audit');
    expect(readFileSync(join(tmp.dir, 'again', 'report.html'), 'utf8')).not.toContain('Do not launch');
  });
});
