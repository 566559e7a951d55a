// Cleanup is verified and loud. A management API that refuses the re-enable
// (429 every time), or one that says 200 but does not re-enable, leaves the
// declared canary disabled: the run must not pass (exit 3), and the end of the
// console output — in every mode — names the key, its id, the state it was
// left in and the exact command that restores it, with the admin token as a
// placeholder. junit.xml carries an <error> a CI gate counts, results.json a
// structured `cleanup` section, report.html a block next to the verdict. The
// printed restore command, run as printed, really restores the key.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { main } from '../../src/cli/main.js';
import { startDemo, type Demo } from '../../src/demo/seed.js';
import { DEMO_PROFILE } from '../../src/paths.js';
import type { RunResult } from '../../src/result.js';
import { tempDir } from '../helpers/tmp.js';
import { expectNoCrash, expectNoSecrets, listen, type Listener } from './helpers.js';

const XSD = readFileSync(new URL('../fixtures/junit-10.xsd', import.meta.url), 'utf8');
const CANARY = 'crm-prod-agent-call-canary';

type EnableMode = 'throttled' | 'throttled-once' | 'lies' | 'forward' | 'delete-lies';

/** Forwards everything to the reference target, except the re-enable call (and, in `delete-lies`, the delete), which it answers itself as `mode` says. */
async function managementProxy(targetOrigin: string): Promise<Listener & { setMode: (m: EnableMode) => void; enableCalls: () => number }> {
  const upstream = new URL(targetOrigin);
  let enableCalls = 0;
  const state = { mode: 'throttled' as EnableMode };
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  };
  const listener = await listen(
    createServer((req, res) => {
      if (req.method === 'POST' && /^\/admin\/keys\/[^/]+\/enable$/.test(req.url ?? '')) {
        enableCalls++;
        if (state.mode === 'throttled' || (state.mode === 'throttled-once' && enableCalls === 1)) {
          req.resume();
          return void res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' }).end('{"error":"rate_limited"}');
        }
        if (state.mode === 'lies') {
          req.resume();
          return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"enabled":true}');
        }
      }
      if (state.mode === 'delete-lies' && req.method === 'DELETE' && /^\/admin\/keys\/[^/]+$/.test(req.url ?? '')) {
        req.resume();
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"deleted":true}');
      }
      forward(req, res);
    }),
  );
  return {
    ...listener,
    setMode: (m: EnableMode) => {
      state.mode = m;
    },
    enableCalls: () => enableCalls,
  };
}

let demo: Demo | undefined;
let proxy: Awaited<ReturnType<typeof managementProxy>> | undefined;
let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await proxy?.close();
  await demo?.target.close();
  tmp?.cleanup();
  demo = proxy = tmp = undefined;
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly outDir: string;
  readonly result: RunResult;
}

async function runDisableCheck(
  mode: EnableMode,
  args: string[] = [],
  tty = false,
  check = 'lifecycle.disabled-key-rejected',
): Promise<Run> {
  demo = await startDemo();
  proxy = await managementProxy(demo.target.origin);
  proxy.setMode(mode);
  tmp = tempDir('keyprobe-cleanup-');
  const outDir = join(tmp.dir, 'out');
  let stdout = '';
  let stderr = '';
  // The demo profile with a 500 ms stability window (2 s in the file): what is judged
  // here is the cleanup after the check, not how long the key stayed refused.
  const profile = tmp.file('profile.yaml', readFileSync(DEMO_PROFILE, 'utf8').replace(/^( {2}stabilityWindowMs:) \d+/m, '$1 500'));
  const code = await main(['run', profile, '--only', check, '--out', outDir, ...args], {
    stdout: { write: (s: string) => (stdout += s), isTTY: tty, ...(tty ? { columns: 120 } : {}) } as never,
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: { PATH: process.env.PATH, ...(tty ? {} : { NO_COLOR: '1' }), ...demo.env, KEYPROBE_DEMO_TARGET: proxy.origin },
    cwd: tmp.dir,
  });
  const result = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as RunResult;
  return { code, stdout, stderr, outDir, result };
}

const plain = (s: string) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

function canaryState(): { id: string; enabled: boolean } {
  const k = demo!.target.listKeys().find((key) => key.name === CANARY)!;
  return { id: k.id, enabled: k.enabled };
}

/** The block at the very end of the console output. */
function endBlock(stdout: string): string {
  const text = plain(stdout);
  const at = text.lastIndexOf('CLEANUP');
  expect(at, `no cleanup block in:\n${text}`).toBeGreaterThan(-1);
  // Nothing but the block follows the verdict line.
  expect(text.lastIndexOf('Launch verdict:')).toBeLessThan(at);
  return text.slice(at);
}

describe('a re-enable the management API refuses (429 every time)', () => {
  it.each([
    ['non-TTY (CI)', [] as string[], false],
    ['--quiet', ['--quiet'], false],
    ['--verbose', ['--verbose'], false],
    ['TTY (live view)', [] as string[], true],
  ])('%s: exit 3, and the end of the output says which key, its id, its state and how to restore it', async (_mode, args, tty) => {
    const run = await runDisableCheck('throttled', args, tty);
    expectNoCrash(run);
    const { id } = canaryState();
    expect(canaryState().enabled).toBe(false); // the target really was left changed
    expect(proxy!.enableCalls()).toBeGreaterThan(0);

    expect(run.code).toBe(3);
    expect(plain(run.stdout)).toMatch(/Launch verdict: NOT VERIFIED — exit 3/);
    const block = endBlock(run.stdout);
    expect(block).toContain(CANARY);
    expect(block).toContain(id);
    expect(block).toMatch(/left disabled/);
    expect(block).toMatch(/\$ADMIN_TOKEN/);
    const curl = /^\s*(curl .*\/admin\/keys\/.*\/enable.*)$/m.exec(block)?.[1];
    expect(curl, block).toBeDefined();

    // The printed command, run as printed with the admin token in $ADMIN_TOKEN, restores the key.
    proxy!.setMode('forward');
    // Async: the reference target answers from this very process.
    await promisify(execFile)('sh', ['-c', curl!], { env: { PATH: process.env.PATH, ADMIN_TOKEN: demo!.env.KEYPROBE_DEMO_ADMIN_TOKEN } });
    expect(canaryState().enabled).toBe(true);

    expectNoSecrets(demo!.secrets, run);
  });

  it('junit.xml has an <error> a CI gate counts, results.json a structured cleanup section, report.html a block by the verdict', async () => {
    const run = await runDisableCheck('throttled', ['--quiet']);
    const { id } = canaryState();

    // results.json
    expect(run.result.exitCode).toBe(3);
    expect(run.result.verdict).toBe('error');
    expect(run.result.cleanup).toMatchObject({
      complete: false,
      records: [
        {
          check: 'lifecycle.disabled-key-rejected',
          profile: 'crm-prod-agent-call',
          key: CANARY,
          keyId: id,
          subject: 'declared canary',
          action: 'enable',
          outcome: 'failed',
          leftState: 'disabled',
          restore: expect.stringContaining('$ADMIN_TOKEN'),
        },
      ],
    });

    // junit.xml: valid, and the failed cleanup is an error testcase, not only a property.
    const xml = readFileSync(join(run.outDir, 'junit.xml'), 'utf8');
    const v = await validateXML({ xml: [{ fileName: 'junit.xml', contents: xml }], schema: [XSD], maxMemoryPages: 1024 });
    expect(v.errors.map((e) => e.rawMessage)).toEqual([]);
    const cleanupCase = /<testcase classname="[^"]*" name="cleanup[^"]*"[^>]*>([\s\S]*?)<\/testcase>/.exec(xml);
    expect(cleanupCase, xml).not.toBeNull();
    expect(cleanupCase![1]).toMatch(/<error message="[^"]*crm-prod-agent-call-canary[^"]*"/);
    expect(cleanupCase![1]).toContain(id);
    expect(xml).toMatch(/<testsuite [^>]*errors="1"/);

    // report.html: the block sits right after the verdict banner, before anything else.
    const html = readFileSync(join(run.outDir, 'report.html'), 'utf8');
    const banner = html.indexOf('id="verdict"');
    const block = html.indexOf('id="cleanup"');
    expect(block).toBeGreaterThan(banner);
    expect(block).toBeLessThan(html.indexOf('id="run"'));
    const section = html.slice(block, html.indexOf('</section>', block));
    expect(section).toContain(CANARY);
    expect(section).toContain(id);
    expect(section).toContain('$ADMIN_TOKEN');

    expectNoSecrets(demo!.secrets, run);
  });
});

describe('a re-enable the management API throttles once', () => {
  it('whatever the adapter does about it (retry or not), the verdict matches the key: restored and exit 0, or left and exit 3 with the block', async () => {
    const run = await runDisableCheck('throttled-once');
    expectNoCrash(run);
    const record = run.result.cleanup?.records[0];
    if (canaryState().enabled) {
      expect(run.code).toBe(0);
      expect(record).toMatchObject({ outcome: 'verified' });
      expect(plain(run.stdout)).not.toMatch(/CLEANUP/);
    } else {
      expect(run.code).toBe(3);
      expect(record).toMatchObject({ outcome: 'failed', leftState: 'disabled' });
      expect(endBlock(run.stdout)).toContain(CANARY);
    }
    expectNoSecrets(demo!.secrets, run);
  });
});

describe('a re-enable the management API claims (200) but does not do', () => {
  it('is caught by the verification probe: exit 3, the key named as still refused', async () => {
    const run = await runDisableCheck('lies');
    expectNoCrash(run);
    expect(canaryState().enabled).toBe(false);
    expect(run.code).toBe(3);
    const block = endBlock(run.stdout);
    expect(block).toContain(CANARY);
    expect(block).toMatch(/still refused/);
    expect(run.result.cleanup?.records[0]).toMatchObject({ outcome: 'unverified', action: 'enable' });
    expectNoSecrets(demo!.secrets, run);
  });
});

describe('a delete the management API claims (200) but does not do, after a rotation', () => {
  // The canary's old secret dies with the rotation, so probing it after the
  // delete proved nothing: the delete was "verified" and the run passed, with
  // the rotated canary (its new secret) still live on the platform.
  it('is caught by probing the secret the canary has now: exit 3, the canary named as still accepted', async () => {
    const run = await runDisableCheck('delete-lies', [], false, 'lifecycle.rotated-key');
    expectNoCrash(run);
    expect(run.result.profiles[0]?.checks[0]).toMatchObject({ id: 'lifecycle.rotated-key', verdict: 'pass' });
    expect(demo!.target.listKeys().some((k) => k.name.startsWith('keyprobe-canary-'))).toBe(true);
    expect(run.result.cleanup?.records[0]).toMatchObject({ outcome: 'unverified', action: 'delete' });
    expect(endBlock(run.stdout)).toMatch(/still accepted/);
    expect(run.code).toBe(3);
    expectNoSecrets(demo!.secrets, run);
  });
});

describe('a cleanup that works', () => {
  it('is verified, says so in results.json, and prints no cleanup block: exit 0', async () => {
    const run = await runDisableCheck('forward');
    expect(run.code).toBe(0);
    expect(canaryState().enabled).toBe(true);
    expect(plain(run.stdout)).not.toMatch(/CLEANUP/);
    expect(run.result.cleanup).toMatchObject({
      complete: true,
      records: [{ key: CANARY, action: 'enable', outcome: 'verified', detail: expect.stringMatching(/accepted again/) }],
    });
  });
});
