// One broken reporter must not sink the run or the other reporters; the
// manifest covers what was written.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/reporters/html.js';
import { defaultReporters } from '../../src/reporters/index.js';
import { renderJunit } from '../../src/reporters/junit.js';
import { writeManifest } from '../../src/reporters/manifest.js';
import type { Reporter } from '../../src/reporters/reporter.js';
import { writeReports } from '../../src/reporters/write-reports.js';
import type { ProfileSource, RunResult } from '../../src/result.js';
import { tempDir } from '../helpers/tmp.js';
import { countingReads, mixed, severalProfiles } from './sample-results.js';

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

  it('reads each profile once for junit.xml and report.html together (a spool parses it at every read), and writes what each writes alone', async () => {
    const tmp = tempDir();
    try {
      const counted = countingReads(severalProfiles());
      const out = await writeReports(counted.result, tmp.dir, defaultReporters());
      expect(out.failures).toEqual([]);
      // Once for results.json (written as it is read, so its scan starts first), once for the other two.
      expect(counted.reads()).toBe(2 * counted.result.profiles.length);
      expect(out.files.map((f) => f.slice(tmp.dir.length + 1))).toEqual(['results.json', 'junit.xml', 'report.html']);
      expect(readFileSync(join(tmp.dir, 'junit.xml'), 'utf8')).toBe(renderJunit(severalProfiles()));
      expect(readFileSync(join(tmp.dir, 'report.html'), 'utf8')).toBe(renderHtml(severalProfiles()));
      // Their shelves are gone.
      expect(readdirSync(tmp.dir).sort()).toEqual(['junit.xml', 'report.html', 'results.json']);
    } finally {
      tmp.cleanup();
    }
  });

  it('names a reporter whose pass throws, and still writes the files of those reading the profiles with it', async () => {
    const tmp = tempDir();
    try {
      let closed = 0;
      const broken: Reporter = {
        name: 'broken',
        write: async () => {
          throw new Error('its own reading failed');
        },
        pass: () => ({
          add: () => {
            throw new Error('cannot render this profile');
          },
          write: async () => [],
          close: () => {
            closed++;
          },
        }),
      };
      const [json, junit, html] = defaultReporters();
      const out = await writeReports(mixed(), tmp.dir, [json!, junit!, broken, html!]);
      expect(out.failures).toEqual([{ reporter: 'broken', message: 'cannot render this profile' }]);
      expect(closed).toBe(1);
      expect(out.files.map((f) => f.slice(tmp.dir.length + 1))).toEqual(['results.json', 'junit.xml', 'report.html']);
      expect(readFileSync(join(tmp.dir, 'junit.xml'), 'utf8')).toBe(renderJunit(mixed()));
      expect(readFileSync(join(tmp.dir, 'report.html'), 'utf8')).toBe(renderHtml(mixed()));
    } finally {
      tmp.cleanup();
    }
  });

  it('fails every reporter of a shared pass when the profiles cannot be read, and leaves nothing half-written', async () => {
    const tmp = tempDir();
    try {
      const base = severalProfiles();
      const profiles: ProfileSource = {
        length: base.profiles.length,
        at: (i) => base.profiles.at(i),
        *[Symbol.iterator]() {
          yield base.profiles[0]!;
          throw new Error('profiles.jsonl ends before profile 1');
        },
      };
      const result: RunResult<ProfileSource> = { ...base, profiles };
      const [, junit, html] = defaultReporters();
      const out = await writeReports(result, tmp.dir, [junit!, html!]);
      expect(out.failures).toEqual([
        { reporter: 'junit', message: 'profiles.jsonl ends before profile 1' },
        { reporter: 'html', message: 'profiles.jsonl ends before profile 1' },
      ]);
      expect(out.files).toEqual([]);
      expect(readdirSync(tmp.dir)).toEqual([]);
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
