// Publishing a large run scans its reports on worker threads while the next
// report is written (issue #15). What reaches --out, and what the run is told,
// is the same as with the scan on the main thread: the same files withheld
// for the same findings, the same stubs byte for byte. A worker that dies
// leaves a note, never the unscanned file; the workers never keep the
// process from exiting; and a small run does not start one.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Published, publishReports } from '../../src/cli/publish.js';
import { defaultReporters } from '../../src/reporters/index.js';
import type { RunResult } from '../../src/result.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { large, mixed } from '../reporters/sample-results.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'scan-workers');
/** One secret for each form it is planted in. */
const PLANTED = {
  raw: (s: string) => s,
  base64: (s: string) => Buffer.from(`user:${s}`).toString('base64'),
  hex: (s: string) => Buffer.from(s).toString('hex'),
  escaped: (s: string) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  reversed: (s: string) => [...s].reverse().join(''),
} as const;
const secretFor = (form: string) => `kp_prod_${form}_${'Zq8Wx3'.repeat(5)}`;

/** `result` with each planted secret in a check's message: every report (JSON, JUnit, HTML) carries all of them. */
function planted(result: RunResult): { result: RunResult; secrets: string[] } {
  const checks = result.profiles[0]!.checks as unknown as { message: string }[];
  const secrets = Object.entries(PLANTED).map(([form, make], i) => {
    const check = checks[(i * 3) % checks.length]!;
    check.message = `${check.message} (the target said ${make(secretFor(form))})`;
    return secretFor(form);
  });
  return { result, secrets };
}

/** Every file in a folder, by name. */
function contents(dir: string): Record<string, Buffer> {
  return Object.fromEntries(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n))]));
}

/** What publishing told the caller, with the folder left out of the paths (two folders are compared). */
function outcome(published: Published, out: string) {
  const local = (f: string) => f.slice(out.length);
  return {
    files: published.files.map(local),
    withheld: published.withheld.map((w) => ({ ...w, file: local(w.file) })),
    failures: published.failures.map((f) => ({ ...f, message: f.message.replaceAll(out, '<out>') })),
  };
}

let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(() => {
  tmp?.cleanup();
  tmp = undefined;
});

describe('the leak scan of the reports on worker threads', () => {
  it('withholds a secret planted in each report, raw, base64, hex, escaped and reversed, exactly as the main thread does', async () => {
    tmp = tempDir('keyprobe-publish-workers-');
    const { result, secrets } = planted(mixed());
    const onMain = join(tmp.dir, 'main');
    const onWorkers = join(tmp.dir, 'workers');
    const main = await publishReports(structuredClone(result), onMain, secrets, defaultReporters());
    const workers = await publishReports(structuredClone(result), onWorkers, secrets, defaultReporters(), [], { workerMinBytes: 0 });
    expect(outcome(workers, onWorkers)).toEqual(outcome(main, onMain));
    expect(contents(onWorkers)).toEqual(contents(onMain));
    // Every report was withheld, for every planted form.
    expect(main.withheld.map((w) => w.file)).toEqual(['results.json', 'junit.xml', 'report.html'].map((n) => join(onMain, n)));
    for (const w of main.withheld) expect(new Set(w.findings.map((f) => f.fingerprint)).size, w.file).toBe(Object.keys(PLANTED).length);
    for (const [name, bytes] of Object.entries(contents(onWorkers)))
      for (const s of secrets) expect(bytes.includes(s), `${name} holds a planted secret`).toBe(false);
  });

  it('a worker that dies mid-scan leaves a note in place of the report it was scanning, never the unscanned report', async () => {
    tmp = tempDir('keyprobe-publish-workers-die-');
    // Over a megabyte a report: three chunks each, three parts of one chunk. Each worker dies on the first part it is
    // given (results.json's first, handed over as soon as the file is written); the main thread, done writing, searches
    // whatever parts are still waiting.
    const { result, secrets } = planted(large(3000));
    const out = join(tmp.dir, 'out');
    const published = await publishReports(result, out, secrets, defaultReporters(), [], {
      workerMinBytes: 0,
      workerFile: join(FIXTURES, 'dies-at-once.mjs'),
      partChunks: 1,
      threads: 1,
    });
    const reports = ['results.json', 'junit.xml', 'report.html'];
    const noted = published.failures.map((f) => f.message.split(' ')[0]!);
    expect(noted).toContain('results.json');
    for (const f of published.failures)
      expect(f.message).toMatch(/^\S+ could not be scanned for secrets \(.*exit code 7.*\); it was replaced by a note, not published$/);
    // Each report is the note or, scanned after all, withheld for the secrets planted in it: never the report itself.
    expect([...noted, ...published.withheld.map((w) => w.file.slice(out.length + 1))].sort()).toEqual([...reports].sort());
    for (const n of reports) {
      const text = readFileSync(join(out, n), 'utf8');
      expect(text).toMatch(
        noted.includes(n) ? /^keyprobe withheld .*: its leak scan could not read it after writing it/ : /keyprobe withheld/,
      );
      expect(text).not.toContain('generated-00001');
    }
    // The manifest seals what is published: the notes and the stubs.
    expect(readFileSync(join(out, 'manifest.sha256'), 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('a small run does not start a worker thread: with a worker that cannot start, its reports are still scanned', async () => {
    tmp = tempDir('keyprobe-publish-small-');
    const { result, secrets } = planted(mixed());
    const out = join(tmp.dir, 'out');
    const published = await publishReports(result, out, secrets, defaultReporters(), [], {
      workerFile: join(FIXTURES, 'not-there.mjs'),
    });
    expect(published.failures).toEqual([]);
    expect(published.withheld).toHaveLength(3);
  });

  it('the worker threads are gone when publishing ends: the process exits by itself, also after a worker hung or idled', () => {
    tmp = tempDir('keyprobe-publish-exit-');
    // A process of its own, publishing from the built package: it must end without anyone ending it.
    const script = `
      const { publishReports } = await import(${JSON.stringify(join(PACKAGE_ROOT, 'dist/cli/publish.js'))});
      const { defaultReporters } = await import(${JSON.stringify(join(PACKAGE_ROOT, 'dist/reporters/index.js'))});
      const { readFileSync } = await import('node:fs');
      const [resultFile, out, options] = process.argv.slice(2);
      const published = await publishReports(JSON.parse(readFileSync(resultFile, 'utf8')), out, ['kp_prod_never_written_anywhere'], defaultReporters(), [], JSON.parse(options));
      console.log(JSON.stringify({ withheld: published.withheld.length, failures: published.failures.length }));
    `;
    const publisher = tmp.file('publish.mjs', script);
    const small = planted(mixed()).result;
    // Enough profiles for the workers to be started before the first report is written; its reports are too small for them.
    const many = { ...small, profiles: Array.from({ length: 30 }, () => small.profiles[0]!) };
    const cases = [
      { name: 'scanned on workers', result: small, options: { workerMinBytes: 0 }, failures: 0 },
      // Given up after a second: a note takes the place of the report it held (results.json; the main thread scans the others).
      {
        name: 'a worker hung',
        result: small,
        options: { workerMinBytes: 0, workerFile: join(FIXTURES, 'hangs.mjs'), timeoutMs: 1000, threads: 1 },
        failures: 1,
      },
      { name: 'workers started, never used', result: many, options: { workerFile: join(FIXTURES, 'announces.mjs') }, failures: 0 },
    ];
    for (const { name, result, options, failures } of cases) {
      const started = Date.now();
      const resultFile = tmp.file(`${name}.json`, JSON.stringify(result));
      const child = spawnSync(process.execPath, [publisher, resultFile, join(tmp.dir, name), JSON.stringify(options)], {
        encoding: 'utf8',
        timeout: 25_000,
      });
      expect(child.signal, `${name}: ended by the test's timeout (a worker kept it alive)`).toBeNull();
      expect(child.status, child.stderr).toBe(0);
      expect(JSON.parse(child.stdout), name).toEqual({ withheld: 0, failures });
      expect(Date.now() - started, name).toBeLessThan(25_000);
      if (name === 'workers started, never used') expect(child.stderr).toContain('scan worker started');
    }
  });
});
