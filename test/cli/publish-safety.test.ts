// Publishing the reports is checked before any request and is safe when
// done: --out is refused up front when it cannot hold reports (no request
// sent, nothing written); the reports are staged next to --out and renamed
// into place, so a symlink planted in --out is replaced, not written through;
// parallel runs to one --out leave one run's complete set under a manifest
// that verifies; a report that cannot be put in place makes a passing run
// exit 3, naming it. Over real loopback HTTP, through the CLI.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { publishReports } from '../../src/cli/publish.js';
import { defaultReporters } from '../../src/reporters/index.js';
import type { Reporter } from '../../src/reporters/reporter.js';
import type { RunResult } from '../../src/result.js';
import { large, mixed } from '../reporters/sample-results.js';
import { tempDir } from '../helpers/tmp.js';
import { expectNoCrash, listen, newSecret, runKeyprobe, type Listener } from '../reliability/helpers.js';

let server: Listener | undefined;
let requests = 0;
let tmp: ReturnType<typeof tempDir>;
const key = newSecret();

afterEach(async () => {
  await server?.close();
  server = undefined;
  tmp?.cleanup();
});

async function healthyTarget(): Promise<void> {
  requests = 0;
  server = await listen(
    createServer((req, res) => {
      requests++;
      if (req.headers.authorization !== `Bearer ${key}`) return void res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"agents":[]}');
    }),
  );
}

const CHECKS = ['auth.valid-key-accepted', 'auth.missing-key-rejected'];
const run = (args: string[]) => runKeyprobe(tmp, { origin: server!.origin }, { secret: key, checks: CHECKS, args });

describe('--out is checked before any request', () => {
  it('an existing file: exit 2, a clear message, not one request sent, the file untouched', async () => {
    await healthyTarget();
    tmp = tempDir('keyprobe-out-file-');
    const file = tmp.file('notes.txt', 'keep me\n');
    const r = await run(['--out', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`keyprobe: --out ${file} is an existing file, not a folder; name a folder for the reports\n`);
    expect(requests).toBe(0);
    expect(server!.connections()).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('keep me\n');
  });

  it("an empty --out '': exit 2, nothing sent, nothing written into the current folder", async () => {
    await healthyTarget();
    tmp = tempDir('keyprobe-out-empty-');
    const r = await run(['--out', '']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--out is empty');
    expect(requests).toBe(0);
    // Only what the test wrote itself.
    expect(readdirSync(tmp.dir).sort()).toEqual(['profile.yaml', 'suite.yaml']);
  });

  it('a folder that cannot be created (a file in its way): exit 2, nothing sent', async () => {
    await healthyTarget();
    tmp = tempDir('keyprobe-out-blocked-');
    const blocker = tmp.file('blocker', 'x');
    const r = await run(['--out', join(blocker, 'reports')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot be created: ${blocker} is a file, not a folder`);
    expect(requests).toBe(0);
  });
});

describe('writing the reports', () => {
  it('replaces a symlink planted in --out instead of writing through it, and leaves no staging folder', async () => {
    await healthyTarget();
    tmp = tempDir('keyprobe-out-symlink-');
    const out = join(tmp.dir, 'out');
    mkdirSync(out);
    const victim = tmp.file('victim.txt', 'do not overwrite\n');
    symlinkSync(victim, join(out, 'report.html'));
    const r = await run([]);
    expectNoCrash(r);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('do not overwrite\n');
    expect(lstatSync(join(out, 'report.html')).isFile()).toBe(true);
    expect(spawnSync('sha256sum', ['-c', '--strict', 'manifest.sha256'], { cwd: out }).status).toBe(0);
    expect(readdirSync(tmp.dir).filter((n) => n.includes('.keyprobe-'))).toEqual([]);
  });

  it('parallel runs publishing to one --out end with one run’s complete set, under a manifest that verifies', async () => {
    tmp = tempDir('keyprobe-out-parallel-');
    const out = join(tmp.dir, 'out');
    mkdirSync(out);
    // Eight runs publish at once, interleaving at every file operation.
    // Runs of different sizes, so their writes take different times and interleave unevenly.
    const results = Array.from({ length: 8 }, (_, i) => ({ ...(i % 2 ? large(60 * i) : mixed()), runId: `20260101T000000Z-run00${i}` }));
    const published = await Promise.all(results.map((r) => publishReports(r, out, [], defaultReporters())));
    for (const p of published) expect(p.failures).toEqual([]);
    expect(spawnSync('sha256sum', ['-c', '--strict', 'manifest.sha256'], { cwd: out }).status).toBe(0);
    const runId = (JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult).runId;
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toContain(`name="run.id" value="${runId}"`);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain(`run ${runId}`);
    expect(readdirSync(out).sort()).toEqual(['junit.xml', 'manifest.sha256', 'report.html', 'results.json']);
  });

  it("a new --out is the staging folder renamed, with the mode a plain mkdir gives (not a temporary folder's 0700)", async () => {
    await healthyTarget();
    tmp = tempDir('keyprobe-out-mode-');
    const r = await run([]);
    expect(r.code, r.stderr).toBe(0);
    mkdirSync(join(tmp.dir, 'plain'));
    expect(statSync(join(tmp.dir, 'out')).mode & 0o777).toBe(statSync(join(tmp.dir, 'plain')).mode & 0o777);
  });

  it('a reporter that fails part-way leaves no half-written, unscanned file in --out', async () => {
    tmp = tempDir('keyprobe-out-partial-');
    const out = join(tmp.dir, 'out');
    const secret = newSecret();
    // It writes half a report holding the secret, then throws: the file is not in its list, so the scan never sees it.
    const broken: Reporter = {
      name: 'broken',
      async write(_result, dir) {
        writeFileSync(join(dir, 'partial.txt'), `half a report ${secret}`);
        throw new Error('the renderer fell over');
      },
    };
    const published = await publishReports(mixed(), out, [secret], [broken, ...defaultReporters()]);
    expect(readdirSync(out).sort()).toEqual(['junit.xml', 'manifest.sha256', 'report.html', 'results.json']);
    expect(published.failures).toEqual([
      { reporter: 'broken', message: 'the renderer fell over' },
      {
        reporter: 'secret-scan',
        message:
          'partial.txt was left in the report folder by a reporter that did not list it (one that failed part-way); it was removed, not published unscanned',
      },
    ]);
    for (const name of readdirSync(out)) expect(readFileSync(join(out, name), 'utf8')).not.toContain(secret);
    expect(spawnSync('sha256sum', ['-c', '--strict', 'manifest.sha256'], { cwd: out }).status).toBe(0);
  });

  it('a report that cannot be put in place makes a passing run exit 3, naming it', async () => {
    await healthyTarget();
    tmp = tempDir('keyprobe-out-unwritable-');
    const out = join(tmp.dir, 'out');
    mkdirSync(join(out, 'report.html'), { recursive: true });
    writeFileSync(join(out, 'report.html', 'keep'), 'x');
    const r = await run([]);
    expectNoCrash(r);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`keyprobe: the report.html report could not be written: could not be put in place in ${out}`);
    expect(r.stderr).toContain('keyprobe: exit 3 because the report.html report could not be written');
    expect(r.stdout).toContain('Launch verdict: PASS — exit 3');
  });
});
