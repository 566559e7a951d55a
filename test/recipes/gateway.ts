// Brings a recipe of docs/recipes/ up for a test: a copy of its folder in a
// temp dir (ports changed, nothing else), the gateway from Debian's package
// as a child process in the foreground (never the system service), keys made
// by the recipe's own keys.sh, the built CLI run against it, and independent
// probes to confirm what the gateway really does.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import type { RunResult } from '../../src/result.js';
import { tempDir } from '../helpers/tmp.js';

export const RECIPES_DIR = join(PACKAGE_ROOT, 'docs', 'recipes');
const BIN = join(PACKAGE_ROOT, 'dist', 'cli.js');

/** A Debian binary on PATH or in /usr/sbin (root's PATH has it, a user's may not). */
export function findBinary(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin']) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * When a binary is missing, say so loudly; under CI=true fail rather than
 * pass without having run the recipe (as test/reporters/browser.test.ts
 * does for Chromium). Returns true when everything is there.
 */
export function requireBinaries(recipe: string, names: readonly string[]): boolean {
  const missing = names.filter((n) => !findBinary(n));
  if (missing.length === 0) return true;
  const message = `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} missing, so the ${recipe} recipe test cannot run. Install ${missing.length === 1 ? 'it' : 'them'} with \`apt-get update && apt-get install -y ${missing.join(' ')}\` (.ci/run does this; the test never starts the system service).`;
  if (process.env.CI) {
    it(`has ${missing.join(', ')} for the ${recipe} recipe (required when CI is set)`, () => {
      throw new Error(message);
    });
  } else {
    console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING the ${recipe} recipe test\n!! ${message}\n${'!'.repeat(78)}\n`);
  }
  return false;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RecipeCopy {
  readonly dir: string;
  /** Reads a file of the copy. */
  read(name: string): string;
  /** Rewrites a file of the copy. */
  edit(name: string, change: (text: string) => string): void;
  cleanup(): void;
}

/** The recipe's folder copied to a temp dir, with `127.0.0.1:<port>` replaced as `ports` says in every file. */
export function copyRecipe(name: string, ports: Record<number, number>): RecipeCopy {
  const tmp = tempDir(`keyprobe-recipe-${name}-`);
  cpSync(join(RECIPES_DIR, name), tmp.dir, { recursive: true });
  const read = (file: string) => readFileSync(join(tmp.dir, file), 'utf8');
  const edit = (file: string, change: (text: string) => string) => writeFileSync(join(tmp.dir, file), change(read(file)));
  for (const file of ['profile.yaml', 'nginx.conf', 'haproxy.cfg']) {
    if (!existsSync(join(tmp.dir, file))) continue;
    edit(file, (text) => {
      let out = text;
      for (const [from, to] of Object.entries(ports)) out = out.replaceAll(`127.0.0.1:${from}`, `127.0.0.1:${to}`);
      return out;
    });
  }
  return { dir: tmp.dir, read, edit, cleanup: tmp.cleanup };
}

export interface Gateway {
  readonly child: ChildProcess;
  /** What the gateway printed (its error log). */
  output(): string;
  /** Stops it (SIGTERM, then SIGKILL) and waits until it has exited. */
  stop(): Promise<void>;
}

/** Starts `binary args` in `cwd` in the foreground and waits until every port accepts connections. */
export async function startGateway(binary: string, args: string[], cwd: string, ports: readonly number[]): Promise<Gateway> {
  const child = spawn(binary, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    while (!(await accepts(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`${binary} did not start listening on 127.0.0.1:${port}:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { child, output: () => output, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface ScriptRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the recipe's keys.sh as a person (or keyprobe's command adapter) would. */
export function keysSh(dir: string, args: string[], env: Record<string, string> = {}): Promise<ScriptRun> {
  return new Promise((resolve) => {
    execFile(
      join(dir, 'keys.sh'),
      args,
      { cwd: dir, env: { PATH: `${process.env.PATH}:/usr/sbin`, HOME: dir, ...env }, timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export interface MadeKey {
  readonly id: string;
  readonly secret: string;
}

/** `keys.sh create <name> <environment> <scopes…>`: the key it prints. */
export async function createKey(dir: string, name: string, environment: string, scopes: string[]): Promise<MadeKey> {
  const run = await keysSh(dir, ['create', name, environment, ...scopes]);
  if (run.code !== 0) throw new Error(`keys.sh create ${name} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as MadeKey;
}

/** The recipe's setup.sh: the four keys of its profile, read back from the keys.env it writes. */
export async function setupKeys(dir: string, prefix: string): Promise<Record<'main' | 'canary' | 'second' | 'staging', MadeKey>> {
  const run = await new Promise<ScriptRun>((resolve) =>
    execFile(
      join(dir, 'setup.sh'),
      [],
      { cwd: dir, env: { PATH: `${process.env.PATH}:/usr/sbin` }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
    ),
  );
  if (run.code !== 0) throw new Error(`setup.sh failed: ${run.stderr}`);
  const file = join(dir, 'keys.env');
  if ((statSync(file).mode & 0o777) !== 0o600) throw new Error('keys.env is readable by others');
  const env = Object.fromEntries(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  const key = (name: string): MadeKey => ({ id: env[`${prefix}_${name}_ID`]!, secret: env[`${prefix}_${name}`]! });
  return { main: key('KEY'), canary: key('CANARY_KEY'), second: key('SECOND_KEY'), staging: key('STAGING_KEY') };
}

export interface CliRun extends ScriptRun {
  readonly result?: RunResult;
  /** Verdict of each check, by id. */
  readonly verdicts: Record<string, string>;
}

/** `keyprobe run profile.yaml --allow-commands --out <out> …` with the built CLI, from the recipe folder. */
export function runKeyprobe(dir: string, out: string, extraArgs: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'run', 'profile.yaml', '--allow-commands', '--out', out, ...extraArgs], {
      cwd: dir,
      env: { PATH: `${process.env.PATH}:/usr/sbin`, HOME: dir, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('close', (code) => {
      clearTimeout(killer);
      const file = join(out, 'results.json');
      const result = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunResult) : undefined;
      const verdicts = Object.fromEntries((result?.profiles[0]?.checks ?? []).map((c) => [c.id, c.verdict]));
      resolve({ code: code ?? -1, stdout, stderr, result, verdicts });
    });
  });
}

/** Any keyprobe command with the built CLI, from `dir`, as a reader of the README runs it with npx. */
export function runKeyprobeArgs(dir: string, args: readonly string[], env: Record<string, string>): Promise<ScriptRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: dir, env: { PATH: `${process.env.PATH}:/usr/sbin`, HOME: dir, NO_COLOR: '1', ...env }, timeout: 90_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request, as curl would send it: a fresh connection, the key in X-API-Key (or nowhere). */
export async function probe(origin: string, method: string, path: string, opts: { key?: string; body?: unknown } = {}): Promise<Answer> {
  const res = await request(`${origin}${path}`, {
    method: method as 'GET',
    headers: {
      connection: 'close',
      ...(opts.key !== undefined ? { 'x-api-key': opts.key } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

/** `count` requests at once with one key: the statuses, the first 429, and how long the burst took. */
export async function burst(
  origin: string,
  path: string,
  key: string,
  count: number,
): Promise<{ statuses: number[]; throttled?: Answer; durationMs: number }> {
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: count }, () => probe(origin, 'GET', path, { key })));
  const durationMs = performance.now() - started;
  return { statuses: answers.map((a) => a.status), throttled: answers.find((a) => a.status === 429), durationMs };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A key the gateway never issued, shaped like its keys (gw_ + 32 of A-Z a-z 0-9). */
export function unknownKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return `gw_${[...randomBytes(32)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

/** The same key with the case of every letter flipped. */
export function flipCase(key: string): string {
  return [...key].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');
}

/** The entries of a key file: its lines that are neither empty nor comments. */
export function entriesOf(text: string): string[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#'));
}
