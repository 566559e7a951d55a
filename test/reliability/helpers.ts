// Plumbing for the reliability tests: small purpose-built loopback servers
// that misbehave on purpose, generated profiles and suites in temp dirs, and a
// way to drive the real CLI in-process and read back what it wrote.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import { findCheck } from '../../src/checks/index.js';
import type { CheckResult, RunResult } from '../../src/result.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { currentTest, type RunningTest } from '../helpers/running-test.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

/** A listening server on 127.0.0.1 that can always be closed, even with hung connections open. */
export interface Listener {
  readonly origin: string;
  readonly port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function listen(server: Server, scheme: 'http' | 'https' = 'http'): Promise<Listener> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  server.on('connection', (s: Socket) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    origin: `${scheme}://127.0.0.1:${port}`,
    port,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A listening server for the running test only, closed when the test
 * finishes. Per test (onTestFinished), never a module-level afterEach: unit
 * files share a module registry per worker (isolate: false), so a hook
 * registered when this module loads would run for the first file that loaded
 * it and for no file after it (test/architecture/test-isolation.test.ts).
 * A concurrent test passes its own context as `test` (test/helpers/running-test.ts).
 */
export async function listenForTest(server: Server, test: RunningTest = currentTest, scheme: 'http' | 'https' = 'http'): Promise<Listener> {
  const listener = await listen(server, scheme);
  test.onTestFinished(() => listener.close());
  return listener;
}

/** A temporary directory for the running test only, removed when the test finishes (per test, as above). */
export function tempDirForTest(prefix: string, test: RunningTest = currentTest): ReturnType<typeof tempDir> {
  const tmp = tempDir(prefix);
  test.onTestFinished(() => tmp.cleanup());
  return tmp;
}

/**
 * A profile's `lifecycle:` section for a management API at the target's own
 * origin, authorized with `${env:KP_REL_ADMIN}`: `actions` are the lines
 * under `http:` (`disable: POST /admin/keys/{{id}}/disable`), `settings`
 * those under `lifecycle:` itself.
 */
export function adminLifecycle(actions: readonly string[], settings: readonly string[] = ['maxRevocationWaitMs: 1500']): string {
  return [
    'lifecycle:',
    '  adapter: http',
    '  http:',
    '    credential: { secret: "${env:KP_REL_ADMIN}" }',
    ...actions.map((a) => `    ${a}`),
    ...settings.map((line) => `  ${line}`),
  ].join('\n');
}

/** A fresh key-shaped secret for one test (never a real key, never committed). */
export function newSecret(label = 'rel'): string {
  return `${label}_${randomBytes(18).toString('base64url')}`;
}

/** The request checks that talk to the target; the ones that exist in this build are used. */
export const NETWORK_REQUEST_CHECKS = [
  'auth.valid-key-accepted',
  'auth.missing-key-rejected',
  'auth.invalid-key-rejected',
  'auth.near-miss-key-rejected',
  'auth.key-in-query-rejected',
  'authz.unauthorized-resource-denied',
  'env.foreign-environment-key-rejected',
];

export function existingChecks(ids: readonly string[]): string[] {
  return ids.filter((id) => findCheck(id) !== undefined);
}

export interface ProfileOptions {
  readonly origin: string;
  readonly allowed?: readonly string[];
  readonly denied?: readonly string[];
  readonly timeoutMs?: number;
  readonly budget?: number;
  /** target.ca, as written in the profile. */
  readonly ca?: string;
  /** Extra YAML appended at the end (top-level sections). */
  readonly extra?: string;
  /** Extra lines inside `target:` (indented by the caller with two spaces). */
  readonly targetExtra?: string;
}

/** A profile whose key comes from ${env:KP_REL_KEY}, as a real one would. */
export function profileYaml(o: ProfileOptions): string {
  const list = (items: readonly string[]) => items.map((i) => `  - ${i}`).join('\n');
  return [
    'key:',
    '  name: crm-prod-agent-call',
    '  system: crm',
    '  environment: prod',
    '  purpose: agent-call',
    '  owner: crm-platform-team@example.com',
    '  secret: ${env:KP_REL_KEY}',
    'target:',
    `  origin: ${o.origin}`,
    `  timeoutMs: ${o.timeoutMs ?? 5000}`,
    `  budget: ${o.budget ?? 100}`,
    ...(o.ca ? [`  ca: ${o.ca}`] : []),
    ...(o.targetExtra ? [o.targetExtra] : []),
    'allowed:',
    list(o.allowed ?? ['GET /v1/agents']),
    ...(o.denied?.length ? ['denied:', list(o.denied)] : []),
    // A spare key and a key of another environment, so the checks that need them run too.
    'canary:',
    '  secret: ${env:KP_REL_CANARY}',
    'otherEnvironments:',
    '  - { environment: test, secret: "${env:KP_REL_FOREIGN}" }',
    ...(o.extra ? [o.extra] : []),
    '',
  ].join('\n');
}

export function suiteYaml(ids: readonly string[]): string {
  return ['name: reliability', 'checks:', ...ids.map((id) => `  - id: ${id}`), ''].join('\n');
}

export interface KeyprobeRun extends CliRun {
  readonly outDir: string;
  readonly elapsedMs: number;
  readonly result?: RunResult;
  readonly checks: readonly CheckResult[];
}

/**
 * Runs `keyprobe run` in-process on a generated profile and suite, in a temp
 * dir that the caller cleans up (`tmp.cleanup()`).
 */
export async function runKeyprobe(
  tmp: ReturnType<typeof tempDir>,
  profile: ProfileOptions,
  opts: {
    checks?: readonly string[];
    env?: NodeJS.ProcessEnv;
    args?: readonly string[];
    secret: string;
    signal?: AbortSignal;
    otherSecrets?: readonly string[];
    /** Changes the generated profile's YAML before it is written. */
    profileEdit?: (yaml: string) => string;
  },
): Promise<KeyprobeRun> {
  const profileFile = tmp.file('profile.yaml', (opts.profileEdit ?? ((y: string) => y))(profileYaml(profile)));
  const suiteFile = tmp.file('suite.yaml', suiteYaml(existingChecks(opts.checks ?? NETWORK_REQUEST_CHECKS)));
  // Not <cwd>/reports: keyprobe points <cwd>/reports/latest at the report directory.
  const outDir = join(tmp.dir, 'out');
  const t0 = performance.now();
  const run = await runCli(['run', profileFile, '--suite', suiteFile, '--out', outDir, ...(opts.args ?? [])], {
    env: {
      PATH: process.env.PATH,
      KP_REL_KEY: opts.secret,
      KP_REL_CANARY: opts.otherSecrets?.[0] ?? `${opts.secret}-canary`,
      KP_REL_FOREIGN: opts.otherSecrets?.[1] ?? `${opts.secret}-foreign`,
      ...opts.env,
    },
    cwd: tmp.dir,
    signal: opts.signal,
  });
  const elapsedMs = performance.now() - t0;
  const resultsFile = join(outDir, 'results.json');
  const result = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as RunResult) : undefined;
  return { ...run, outDir, elapsedMs, result, checks: result?.profiles?.flatMap((p) => p.checks) ?? [] };
}

/** No form of any secret in anything the run printed or wrote. */
export function expectNoSecrets(
  secrets: readonly string[],
  run: { stdout: string; stderr: string; outDir?: string },
  extraDirs: readonly string[] = [],
): void {
  const dirs = [...(run.outDir && existsSync(run.outDir) ? [run.outDir] : []), ...extraDirs];
  expect(findSecrets(secrets, { dirs, texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual([]);
}

/** Users never see a stack trace or an "unexpected error". */
export function expectNoCrash(run: { stdout: string; stderr: string }): void {
  for (const text of [run.stdout, run.stderr]) {
    expect(text).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
    expect(text).not.toMatch(/unexpected error|this is a bug in keyprobe/);
  }
}

/** Writes a JSON answer. */
export function jsonAnswer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * Runs lifecycle.disabled-key-rejected against a target of its own: the key is
 * served GET /v1/agents, a declared canary (id key_canary_1) is disabled and
 * enabled through POST /admin/keys/{id}/disable|enable with the admin secret,
 * and `canaryAnswer(res, enabled, n)` answers the canary's n-th probe (from 0)
 * since its last disable or enable; anything else is 401. `state.enabled` is
 * the canary's state at the end (a test asserts it was restored). Every
 * artifact is scanned for the three secrets.
 */
export async function runDisableCheck(o: {
  readonly canaryAnswer: (res: ServerResponse, enabled: boolean, n: number) => void;
  /** Lines under `lifecycle:` (adminLifecycle's default when absent). */
  readonly settings?: readonly string[];
  readonly test?: RunningTest;
}) {
  const tmp = tempDirForTest('keyprobe-disable-', o.test);
  const secret = newSecret();
  const canary = newSecret('canary');
  const admin = newSecret('admin');
  const state = { enabled: true, probes: 0 };
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    const change = /^\/admin\/keys\/[^/]+\/(disable|enable)$/.exec(req.url ?? '');
    if (change && auth === `Bearer ${admin}`) {
      state.enabled = change[1] === 'enable';
      state.probes = 0;
      return jsonAnswer(res, 200, {});
    }
    if (auth === `Bearer ${canary}`) return o.canaryAnswer(res, state.enabled, state.probes++);
    const served = auth === `Bearer ${secret}`;
    jsonAnswer(res, served ? 200 : 401, served ? { agents: [] } : { error: 'unauthorized' });
  });
  const target = await listenForTest(server, o.test);
  const lifecycle = adminLifecycle(['disable: POST /admin/keys/{{id}}/disable', 'enable: POST /admin/keys/{{id}}/enable'], o.settings);
  const run = await runKeyprobe(
    tmp,
    { origin: target.origin, budget: 1000, extra: lifecycle },
    {
      secret,
      otherSecrets: [canary],
      env: { KP_REL_ADMIN: admin },
      checks: ['lifecycle.disabled-key-rejected'],
      profileEdit: (y) => y.replace('  secret: ${env:KP_REL_CANARY}', '  secret: ${env:KP_REL_CANARY}\n  id: key_canary_1'),
    },
  );
  expectNoCrash(run);
  expectNoSecrets([secret, canary, admin], run);
  return { run, check: run.checks[0]!, state };
}

/**
 * A raw TCP server, for answers no HTTP server library would send:
 * `onRequest` gets the socket once each request's headers have arrived (its
 * head, without the blank line). A socket's errors (a client that resets) are
 * ignored: the test judges what keyprobe said, not the socket.
 */
export function rawServer(onRequest: (socket: Socket, head: string) => void): Server {
  return createNetServer((socket) => {
    let buffered = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.slice(0, end);
      buffered = buffered.slice(end + 4);
      onRequest(socket, head);
    });
  });
}
