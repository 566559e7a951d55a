// Everything after a result exists: write every report (one failing reporter
// does not stop the others) into a staging folder next to the destination,
// withhold every file the leak scanner finds a secret in (a stub takes its
// place), write the manifest of what is left, then move the set into place.
// Nothing that leaked ever reaches --out, a symlink planted in --out is
// replaced rather than written through, and two runs publishing to one --out
// cannot interleave their files. Shared by `run`, `demo`, `report`, `merge` and
// `audit` (and `report` on an audit): the one way keyprobe publishes.
import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { access, copyFile, lstat, mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { EarlyScans, type EarlyScanOptions } from '../leaks/early-scans.js';
import { LeakScanner } from '../leaks/scanner.js';
import { MANIFEST_NAME, writeManifest } from '../reporters/manifest.js';
import type { Reporter } from '../reporters/reporter.js';
import { type OutputGuard, withholdLeaks, type WithheldFile } from '../reporters/secret-scan.js';
import { writeReports } from '../reporters/write-reports.js';
import type { ProfileSource, RunResult } from '../result.js';
import type { CliIo } from './io.js';

export interface Published {
  /** The files now in the report folder. */
  readonly files: string[];
  readonly failures: { reporter: string; message: string }[];
  /** Files replaced by a stub because they held a secret (named, never the secret). */
  readonly withheld: WithheldFile[];
}

/**
 * Where the reports go, checked before the run sends a single request: not
 * empty, not an existing file, and a folder that exists or can be created.
 * A run that could not publish its reports must not have acted on keys first.
 */
export async function checkOutDir(cwd: string, out: string | undefined, fallback: string): Promise<string> {
  if (out !== undefined && out.trim() === '')
    throw new UsageError('--out is empty: name a report folder, or leave --out out for reports/<run-id>');
  const dir = resolve(cwd, out ?? fallback);
  const existing = await stat(dir).catch(() => undefined);
  if (existing) {
    if (!existing.isDirectory()) throw new UsageError(`--out ${dir} is an existing file, not a folder; name a folder for the reports`);
    await writable(dir);
    return dir;
  }
  // The nearest folder that exists must be one we can create folders in.
  let parent = dirname(dir);
  for (;;) {
    const s = await stat(parent).catch(() => undefined);
    if (s) {
      if (!s.isDirectory()) throw new UsageError(`--out ${dir} cannot be created: ${parent} is a file, not a folder`);
      await writable(parent, dir);
      return dir;
    }
    if (dirname(parent) === parent) throw new UsageError(`--out ${dir} cannot be created`);
    parent = dirname(parent);
  }
}

async function writable(folder: string, target = folder): Promise<void> {
  try {
    await access(folder, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`--out ${target} cannot be written: ${folder} is not writable`);
  }
}

/** A file to publish as is, under a name of its own (`keyprobe report` publishes the results.json it read). */
export type ExtraFile = string | { readonly from: string; readonly name: string };

export async function publishReports(
  result: RunResult<ProfileSource>,
  outDir: string,
  secrets: readonly string[] | LeakScanner,
  /** The command's reporters: those that write files write them here (the others are skipped). */
  reporters: readonly Reporter[],
  extraFiles: readonly ExtraFile[] = [],
  /** Where the leak scan runs: large files on worker threads (tests force it for small ones). */
  scanOptions: EarlyScanOptions = {},
): Promise<Published> {
  const scanner = secrets instanceof LeakScanner ? secrets : new LeakScanner(secrets);
  const parent = dirname(outDir);
  let staging: string;
  try {
    await mkdir(parent, { recursive: true });
    // mkdir, not mkdtemp: the folder gets the mode a new --out would (mkdtemp's is 0700), since it may become --out itself.
    staging = join(parent, `.${basename(outDir)}.keyprobe-${randomBytes(6).toString('hex')}`);
    await mkdir(staging);
  } catch (err) {
    return {
      files: [],
      failures: [{ reporter: 'every', message: `no staging folder next to ${outDir}: ${messageOf(err)}` }],
      withheld: [],
    };
  }
  // Each file's scan starts as soon as it is written, on a worker thread if it is large.
  const scans = new EarlyScans(scanner, scanOptions);
  scans.expectProfiles(result.profiles.length);
  try {
    const files: string[] = [];
    const failures: { reporter: string; message: string }[] = [];
    for (const extra of extraFiles) {
      const { from, name } = typeof extra === 'string' ? { from: extra, name: basename(extra) } : extra;
      try {
        await copyFile(from, join(staging, name));
        files.push(join(staging, name));
        scans.written([join(staging, name)]);
      } catch (err) {
        failures.push({ reporter: name, message: messageOf(err) });
      }
    }
    const written = await writeReports(result, staging, reporters, (its) => scans.written(its));
    files.push(...written.files);
    failures.push(...written.failures);
    for (const stray of await removeUnlisted(staging, files))
      failures.push({
        reporter: 'secret-scan',
        message: `${stray} was left in the report folder by a reporter that did not list it (one that failed part-way); it was removed, not published unscanned`,
      });
    // In file order, whoever searched them: the outcome is the same as a scan of one file after the other.
    const { withheld, unscannable } = await withholdLeaks(scans, files);
    for (const u of unscannable)
      failures.push({
        reporter: 'secret-scan',
        message: `${relative(staging, u.file)} could not be scanned for secrets (${u.message}); it was replaced by a note, not published`,
      });
    try {
      files.push(await writeManifest(staging, files));
    } catch (err) {
      failures.push({ reporter: 'manifest', message: messageOf(err) });
    }
    const names = [...new Set(files.map((f) => relative(staging, f)))];
    failures.push(...(await moveIntoPlace(staging, outDir, names)));
    return {
      files: names.map((n) => join(outDir, n)),
      failures,
      withheld: withheld.map((w) => ({ ...w, file: join(outDir, relative(staging, w.file)) })),
    };
  } finally {
    await scans.close();
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Moves the staged files into `outDir`. A new folder is the staging folder
 * renamed (one atomic step). Into an existing folder each file is renamed over
 * its old self, which replaces a symlink instead of following it; the manifest
 * goes last, under a lock folder, so parallel runs take turns and the folder
 * always ends as one run's complete, verifiable set.
 */
async function moveIntoPlace(staging: string, outDir: string, names: readonly string[]): Promise<{ reporter: string; message: string }[]> {
  try {
    await rename(staging, outDir);
    return [];
  } catch (err) {
    if (!['EEXIST', 'ENOTEMPTY', 'ENOTDIR', 'EISDIR', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  }
  const failures: { reporter: string; message: string }[] = [];
  const ordered = [...names.filter((n) => n !== MANIFEST_NAME), ...names.filter((n) => n === MANIFEST_NAME)];
  await withLock(outDir, async () => {
    for (const name of ordered) {
      try {
        await rename(join(staging, name), join(outDir, name));
      } catch (err) {
        failures.push({ reporter: name, message: `could not be put in place in ${outDir}: ${messageOf(err)}` });
      }
    }
  });
  return failures;
}

const LOCK_NAME = '.keyprobe-publishing';
/** A lock older than this was left by a run that died while publishing. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 20_000;
const LOCK_POLL_MS = 25;

async function withLock(outDir: string, body: () => Promise<void>): Promise<void> {
  const lock = join(outDir, LOCK_NAME);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const held = await lstat(lock).catch(() => undefined);
      if (held && (Date.now() - held.mtimeMs > STALE_LOCK_MS || !held.isDirectory())) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${outDir} is being written by another keyprobe run (${lock} is held)`);
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
    }
  }
  try {
    await body();
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}

/**
 * Removes every file in `staging` that no reporter listed as written: the
 * leak scan searches the listed files only, so anything else (a report a
 * reporter wrote half of before it threw) would be published unscanned.
 * Returns their names, relative to `staging`.
 */
async function removeUnlisted(staging: string, listed: readonly string[]): Promise<string[]> {
  const keep = new Set(listed.map((f) => relative(staging, f)));
  const removed: string[] = [];
  for (const name of (await readdir(staging, { recursive: true })).sort()) {
    if (keep.has(name) || (await lstat(join(staging, name))).isDirectory()) continue;
    await rm(join(staging, name), { force: true });
    removed.push(name);
  }
  return removed;
}

function messageOf(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}

/** The same CLI io, with everything written to stdout and stderr screened for secrets first. */
export function guardedIo(io: CliIo, guard: OutputGuard): CliIo {
  const wrap = (stream: CliIo['stdout']): CliIo['stdout'] => {
    const wrapped = {
      write: (text: string) => stream.write(guard.screen(String(text))),
    } as CliIo['stdout'] & { columns?: number };
    // Keep what the console and prompts look at (isTTY, columns) as the real stream has it.
    Object.defineProperty(wrapped, 'isTTY', { get: () => stream.isTTY, enumerable: true });
    Object.defineProperty(wrapped, 'columns', { get: () => (stream as { columns?: number }).columns, enumerable: true });
    return wrapped;
  };
  return { ...io, stdout: wrap(io.stdout), stderr: wrap(io.stderr) };
}
