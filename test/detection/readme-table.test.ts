// README.md shows the detection matrix as a table generated from the tests'
// own data. This test fails when the README's table is stale; with
// UPDATE_README=1 (`npm run docs:matrix`) it rewrites the block instead.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { DETECTION_MATRIX } from './matrix.js';
import { renderDetectionTable, TABLE_END, TABLE_START, withDetectionTable } from './readme-table.js';

const README = join(PACKAGE_ROOT, 'README.md');

describe('README detection matrix', () => {
  const table = renderDetectionTable(DETECTION_MATRIX);

  it('has one row per case, each naming its check and where the defect was seen', () => {
    const rows = table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Defect'));
    expect(rows).toHaveLength(DETECTION_MATRIX.length);
    for (const [i, c] of DETECTION_MATRIX.entries()) {
      expect(rows[i]).toContain(`\`${c.expectFail}\``);
      expect(rows[i]).not.toMatch(/\| — \|$/);
      // One cell per limiter: caught, or why the defect means nothing there.
      expect(rows[i]!.match(/\| (only this check fails|not applicable: [^|]+) /g)).toHaveLength(2);
    }
    expect(table).toContain('`scope-bypass`');
    expect(table).toContain('directus#5597');
    expect(table).toContain('Under a per-client-address limiter');
    expect(table).toMatch(
      /fault `shared-rate-bucket` \| `rate.per-key-isolation` \| only this check fails \| not applicable: the platform already limits per client address/,
    );
    // The rows under a key-model behaviour carry both limiter cells too (behaviour-matrix.test.ts runs them under both).
    expect(table).toMatch(
      /fault `revocation-delay=2000` under behaviour `delete-only` \| `lifecycle.disabled-key-rejected` \| only this check fails \| only this check fails \|/,
    );
  });

  it(process.env.UPDATE_README ? 'rewrites the block in README.md' : 'is in README.md between the detection-matrix markers', () => {
    let readme = '';
    try {
      readme = readFileSync(README, 'utf8');
    } catch {
      // No README yet: only UPDATE_README may create one.
    }
    if (process.env.UPDATE_README) {
      writeFileSync(README, withDetectionTable(readme, table));
      readme = readFileSync(README, 'utf8');
    }
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    expect(start, 'README.md has no detection-matrix block; run `npm run docs:matrix`').toBeGreaterThanOrEqual(0);
    expect(readme.slice(start, end + TABLE_END.length), 'the README table is stale; run `npm run docs:matrix`').toBe(table);
  });

  it('replaces only the block, keeping the rest of the README', () => {
    const before = `# keyprobe\n\nIntro.\n\n## Detection matrix\n\n${TABLE_START}\nold\n${TABLE_END}\n\n## After\n`;
    const after = withDetectionTable(before, table);
    expect(after.startsWith('# keyprobe\n\nIntro.\n\n## Detection matrix\n\n')).toBe(true);
    expect(after.endsWith(`${TABLE_END}\n\n## After\n`)).toBe(true);
    expect(after).toContain(table);
    expect(withDetectionTable('# keyprobe\n', table)).toContain(`## Detection matrix`);
  });
});
