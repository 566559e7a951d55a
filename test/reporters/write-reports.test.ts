// One broken reporter must not sink the run or the other reporters; the
// manifest covers what was written.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultReporters } from '../../src/reporters/index.js';
import { writeManifest } from '../../src/reporters/manifest.js';
import type { Reporter } from '../../src/reporters/reporter.js';
import { writeReports } from '../../src/reporters/write-reports.js';
import { tempDir } from '../helpers/tmp.js';
import { mixed } from './sample-results.js';

describe('writing reports', () => {
  it('keeps going when a reporter throws, and says which one failed', async () => {
    const tmp = tempDir();
    try {
      const broken: Reporter = {
        name: 'broken',
        write: async () => {
          throw new Error('disk on fire');
        },
      };
      const [json, junit, html] = defaultReporters();
      const out = await writeReports(mixed(), tmp.dir, [json!, broken, junit!, html!]);
      expect(out.failures).toEqual([{ reporter: 'broken', message: 'disk on fire' }]);
      expect(out.files.map((f) => f.slice(tmp.dir.length + 1))).toEqual(['results.json', 'junit.xml', 'report.html']);
      for (const f of out.files) expect(existsSync(f)).toBe(true);
    } finally {
      tmp.cleanup();
    }
  });

  it('writes a manifest that the real sha256sum -c accepts', async () => {
    const tmp = tempDir();
    try {
      const out = await writeReports(mixed(), tmp.dir, defaultReporters());
      const manifest = await writeManifest(tmp.dir, [...out.files, join(tmp.dir, 'manifest.sha256')]);
      expect(readFileSync(manifest, 'utf8')).toMatch(/^([0-9a-f]{64} {2}(junit\.xml|report\.html|results\.json)\n){3}$/);
      expect(execFileSync('sha256sum', ['-c', '--strict', 'manifest.sha256'], { cwd: tmp.dir, encoding: 'utf8' })).toBe(
        'junit.xml: OK\nreport.html: OK\nresults.json: OK\n',
      );
    } finally {
      tmp.cleanup();
    }
  });

  it("hashes a file of several read blocks (a large run's reports) as sha256sum does", async () => {
    const tmp = tempDir();
    try {
      // 3.5 MiB and a few bytes: blocks of 1 MiB, the last one short.
      const big = tmp.file('results.json', randomBytes(3.5 * 1024 * 1024 + 7).toString('base64'));
      const manifest = await writeManifest(tmp.dir, [big]);
      expect(execFileSync('sha256sum', ['-c', '--strict', 'manifest.sha256'], { cwd: tmp.dir, encoding: 'utf8' })).toBe(
        'results.json: OK\n',
      );
      expect(readFileSync(manifest, 'utf8')).toBe(execFileSync('sha256sum', ['results.json'], { cwd: tmp.dir, encoding: 'utf8' }));
    } finally {
      tmp.cleanup();
    }
  });
});
