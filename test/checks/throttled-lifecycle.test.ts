// lifecycle.disabled-key-rejected behind a limiter per client address that
// answers before authentication (a small proxy in front of the reference
// target, so the management API is untouched): the probes of the stability
// window meet 429s. Those are not judged, and the message counts only the
// judged probes (issue #12: "stayed rejected for all 40 probes" when 22 of
// them were 429s).
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/config/load-profile.js';
import { suiteOfAllChecks } from '../../src/checks/suite.js';
import { startDemo, type Demo } from '../../src/demo/seed.js';
import { DEMO_PROFILE } from '../../src/paths.js';
import { runSuite } from '../../src/runner/run.js';
import { SecretRegistry } from '../../src/secrets.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

interface Proxy {
  readonly origin: string;
  throttled: number;
  close(): Promise<void>;
}

/**
 * Forwards everything to `upstream`. API calls (not /admin) share one fixed
 * window of `limit` per second, 429 + Retry-After beyond it; with
 * `blackoutAfterDisableMs`, every API call is throttled for that long after a
 * disable call went through.
 */
async function throttlingProxy(upstream: string, limit: number, blackoutAfterDisableMs = 0): Promise<Proxy> {
  const up = new URL(upstream);
  let window = { start: 0, count: 0 };
  let blackoutUntil = 0;
  const proxy: Proxy = { origin: '', throttled: 0, close: async () => undefined };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.endsWith('/disable') && blackoutAfterDisableMs > 0) blackoutUntil = Date.now() + blackoutAfterDisableMs;
    if (!req.url?.startsWith('/admin')) {
      const now = Date.now();
      if (now >= window.start + 1000) window = { start: now, count: 0 };
      if (window.count >= limit || now < blackoutUntil) {
        proxy.throttled++;
        req.resume();
        res.writeHead(429, {
          'retry-after': String(Math.max(1, Math.ceil((window.start + 1000 - now) / 1000))),
          'content-type': 'application/json',
        });
        res.end('{"error":"rate_limited"}');
        return;
      }
      window.count++;
    }
    const out = request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(proxy, {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  });
}

let demo: Demo | undefined;
let proxy: Proxy | undefined;
const tmps: ReturnType<typeof tempDir>[] = [];
afterEach(async () => {
  await proxy?.close();
  await demo?.target.close();
  for (const t of tmps.splice(0)) t.cleanup();
});

/** The demo profile, pointed at the proxy. */
function profileThroughProxy(d: Demo, p: Proxy) {
  const tmp = tempDir('keyprobe-throttled-lifecycle-');
  tmps.push(tmp);
  return loadProfile(tmp.file('profile.yaml', readFileSync(DEMO_PROFILE, 'utf8')), { ...d.env, KEYPROBE_DEMO_TARGET: p.origin });
}

describe('lifecycle.disabled-key-rejected behind a per-address limiter', () => {
  it('counts only judged probes: throttled probes of the stability window are neither rejections nor acceptances, and the message says so', async () => {
    demo = await startDemo();
    // 8 per second for every API call through the proxy: the stability window probes every 50 ms, 20 per second.
    proxy = await throttlingProxy(demo.target.origin, 8);
    const loaded = profileThroughProxy(demo, proxy);
    const result = await runSuite({
      profiles: [loaded],
      suite: suiteOfAllChecks(),
      only: ['lifecycle.disabled-key-rejected'],
      secrets: new SecretRegistry(),
    });
    const c = result.profiles[0]!.checks[0]!;
    expect(proxy.throttled).toBeGreaterThan(0);
    expect(c.verdict, c.message).toBe('pass');
    const m = /stayed refused for all (\d+) judged probes of the 2 s stability window \((\d+) more were throttled and not judged\)/.exec(
      c.message,
    );
    expect(m, c.message).not.toBeNull();
    const [judged, throttled] = [Number(m![1]), Number(m![2])];
    expect(throttled).toBeGreaterThan(0);
    expect(c.measurements.stabilityProbes).toBe(judged);
    // Every probe of the run is one of: judged in phase 1 or 2, or throttled.
    expect(c.measurements.throttledProbes).toBeGreaterThanOrEqual(throttled);
    expect(c.advisories.join(' ')).toMatch(/probes were throttled and not judged/);
    expect(findSecrets(demo.secrets, { texts: { result: JSON.stringify(result) } })).toEqual([]);
    // The declared canary the check disabled was re-enabled.
    expect(demo.target.listKeys().filter((k) => !k.enabled)).toEqual([]);
  });
});

describe('lifecycle.disabled-key-rejected when the limiter hides the moment of revocation', () => {
  it('a rejection first seen after the budget, with every probe before it throttled, is not judged late: error, not fail', async () => {
    demo = await startDemo();
    // Every API call is throttled for 1.5 s after the disable: the revocation (at once, on the target) cannot be seen in time.
    proxy = await throttlingProxy(demo.target.origin, 1000, 1500);
    const loaded = profileThroughProxy(demo, proxy);
    const result = await runSuite({
      profiles: [loaded],
      suite: suiteOfAllChecks(),
      only: ['lifecycle.disabled-key-rejected'],
      secrets: new SecretRegistry(),
    });
    const c = result.profiles[0]!.checks[0]!;
    expect(proxy.throttled).toBeGreaterThan(10);
    expect(c.verdict, c.message).toBe('error');
    expect(c.message).toMatch(
      /^could not judge revocation within the 1 s budget: the first rejection was seen \d+(\.\d+)? (ms|s) after the disable call returned, but no probe between 0 ms and then got a judged answer/,
    );
    expect(c.measurements.acceptedAfterDisable).toBe(0);
    expect(demo.target.listKeys().filter((k) => !k.enabled)).toEqual([]);
  });
});
