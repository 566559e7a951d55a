// Credentials stay home: a target that redirects (to another origin, or to
// another path of its own) never makes keyprobe carry the key anywhere. A
// second loopback listener records every request and header it receives and
// must see nothing at all; the target itself sees each request exactly once.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { findSecrets } from '../helpers/scan.js';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { DEMO_PROFILE } from '../../src/paths.js';
import type { RunResult } from '../../src/result.js';
import { runCli } from '../helpers/cli.js';
import {
  existingChecks,
  expectNoCrash,
  expectNoSecrets,
  listenForTest,
  NETWORK_REQUEST_CHECKS,
  newSecret,
  runKeyprobe,
  tempDirForTest,
  type Listener,
} from './helpers.js';
import { countingProxy, expectKeysAsBefore, keyStates, startReference } from './reference-harness.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** The other origin: records everything, answers 200 as if it were happy to take a key. */
async function recorder(): Promise<{ listener: Listener; seen: Seen[] }> {
  const seen: Seen[] = [];
  const listener = await listenForTest(
    createServer((req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    }),
  );
  return { listener, seen };
}

/** The target: answers every request with `status` and a Location made by `location`. */
async function redirecting(
  status: number,
  location: (req: { url: string; authorization?: string }) => string,
): Promise<{ listener: Listener; seen: Seen[] }> {
  const seen: Seen[] = [];
  const listener = await listenForTest(
    createServer((req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      res
        .writeHead(status, {
          location: location({ url: req.url ?? '/', authorization: req.headers.authorization }),
          'content-type': 'application/json',
        })
        .end('{"moved":true}');
    }),
  );
  return { listener, seen };
}

const ALLOWED = ['GET /v1/agents', 'POST /v1/agents/agt-support/calls'];

function everyHeaderValue(seen: readonly Seen[]): string {
  return seen.map((s) => `${s.method} ${s.url}\n${JSON.stringify(s.headers)}`).join('\n');
}

describe('a redirecting target never gets the key carried to another origin', () => {
  for (const status of [301, 302, 307, 308]) {
    it(`${status} with an absolute Location on another loopback port`, async () => {
      const other = await recorder();
      const target = await redirecting(status, ({ url }) => `${other.listener.origin}${url}`);
      const tmp = tempDirForTest('keyprobe-rel-');
      const secret = newSecret();
      const run = await runKeyprobe(tmp, { origin: target.listener.origin, allowed: ALLOWED }, { secret });
      expectNoCrash(run);

      // The other origin saw nothing: not the key, not a request at all.
      expect(other.seen).toEqual([]);
      expect(other.listener.connections()).toBe(0);
      // The target saw each request once (no re-send after the redirect), and the key only in Authorization.
      expect(target.seen.length).toBe(run.result!.profiles[0]!.requestsSent);
      expect(target.seen.filter((s) => s.headers.authorization === `Bearer ${secret}`).length).toBeGreaterThan(0);
      // Nothing verified a redirect as success.
      for (const c of run.checks) expect(c.verdict).not.toBe('pass');
      expect(run.checks.find((c) => c.id === 'auth.valid-key-accepted')!.message).toMatch(new RegExp(`answered ${status}`));
      expect(run.checks.flatMap((c) => c.evidence).find((e) => e.status === status)!.responseHeaders.location).toContain(
        other.listener.origin,
      );
      expectNoSecrets([secret], run);
    });
  }

  it('a relative Location (same origin, another path) is not followed either', async () => {
    const target = await redirecting(307, ({ url }) => `/moved${url}`);
    const tmp = tempDirForTest('keyprobe-rel-');
    const secret = newSecret();
    const run = await runKeyprobe(tmp, { origin: target.listener.origin, allowed: ALLOWED }, { secret });
    expectNoCrash(run);
    expect(target.seen.map((s) => s.url).filter((u) => u.startsWith('/moved'))).toEqual([]);
    expect(target.seen.length).toBe(run.result!.profiles[0]!.requestsSent);
    expectNoSecrets([secret], run);
  });

  it("a Location that echoes the key into another origin's URL: not followed, and redacted in every report", async () => {
    const other = await recorder();
    const target = await redirecting(
      302,
      ({ authorization }) => `${other.listener.origin}/steal?key=${encodeURIComponent((authorization ?? '').replace(/^Bearer /, ''))}`,
    );
    const tmp = tempDirForTest('keyprobe-rel-');
    const secret = newSecret();
    const run = await runKeyprobe(tmp, { origin: target.listener.origin, allowed: ALLOWED }, { secret });
    expectNoCrash(run);
    expect(other.seen).toEqual([]);
    const locations = run.checks.flatMap((c) => c.evidence).map((e) => e.responseHeaders.location ?? '');
    expect(locations.some((l) => /\/steal\?key=\[key sha256:[0-9a-f]{8}\]/.test(l))).toBe(true);
    expectNoSecrets([secret], run);
  });

  it('the recorder really would have seen a key sent to it (the assertion can fail)', async () => {
    // Guard against a recorder that records nothing: send it a key the way a careless client would.
    const other = await recorder();
    const secret = newSecret();
    await fetch(`${other.listener.origin}/v1/agents`, { headers: { authorization: `Bearer ${secret}` } }).then((r) => r.text());
    expect(findSecrets([secret], { texts: { headers: everyHeaderValue(other.seen) } })).toEqual(['headers']);
  });
});

it('NETWORK_REQUEST_CHECKS that exist are exercised by these tests', () => {
  expect(existingChecks(NETWORK_REQUEST_CHECKS).length).toBeGreaterThanOrEqual(2);
});

describe('the lifecycle admin credential stays home too', () => {
  for (const status of [301, 302, 307, 308]) {
    it(`a management API that answers ${status} to another origin never gets the admin token (or any key) carried there`, async () => {
      const other = await recorder();
      const demo = await startReference();
      const proxy = await countingProxy(demo.target.origin, {
        redirect: (_m, url) => (url.startsWith('/admin/') ? { status, location: `${other.listener.origin}${url}` } : undefined),
      });
      const tmp = tempDirForTest('keyprobe-rel-');
      try {
        const before = keyStates(demo.target.listKeys());
        const outDir = join(tmp.dir, 'out');
        const run = await runCli(
          [
            'run',
            DEMO_PROFILE,
            '--only',
            'lifecycle.disabled-key-rejected,lifecycle.rotated-key,lifecycle.expired-key-rejected',
            '--out',
            outDir,
          ],
          {
            env: { PATH: process.env.PATH, ...demo.env, KEYPROBE_DEMO_TARGET: proxy.origin },
            cwd: tmp.dir,
          },
        );
        expectNoCrash(run);
        expect(other.seen).toEqual([]);
        expect(other.listener.connections()).toBe(0);
        // Nothing was changed on the platform, so there is nothing to undo.
        expectKeysAsBefore(demo, before);
        const result = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as RunResult;
        for (const c of result.profiles[0]!.checks) expect(c.verdict, c.message).toBe('error');
        expect(run.code).toBe(3);
        expectNoSecrets(demo.secrets, { ...run, outDir });
      } finally {
        await proxy.close();
        await demo.target.close();
      }
    });
  }
});
