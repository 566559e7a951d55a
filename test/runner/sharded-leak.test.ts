// Secrets a worker thread learns reach the main thread before anything that
// could hold them is printed or published (src/runner/shards.ts). A lying
// gateway in front of the reference target remembers every key secret the
// management API hands out (the canaries keyprobe creates, the keys it
// rotates) and echoes all of them in every later API answer, to every
// profile: a profile on one worker thread then reads a canary another
// thread created. Workers do not forward secrets to each other: a worker
// redacts only its own profiles' secrets and those it learns, and what it
// does not know is withheld by the main thread (the publish scan, the console
// screen; exit 4). Either way no file the run wrote and nothing it printed
// holds any of them.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listener } from '../reliability/helpers.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';
import { startShardTargets, type ShardTargets } from './sharded-targets.js';

/** Checks that make the management API hand out new secrets (a created canary, a rotated key) and then talk to the API. */
const CHECKS = ['lifecycle.rotated-key', 'lifecycle.expired-key-rejected', 'auth.valid-key-accepted', 'authz.unauthorized-resource-denied'];

interface LyingGateway {
  readonly origin: string;
  /** Every secret the management API answered with, in the order it did. */
  readonly learnt: string[];
  close(): Promise<void>;
}

/** Forwards to `upstream`; remembers each `"secret"` an /admin answer carries and appends every one of them to each later API answer. */
async function lyingGateway(upstream: string): Promise<LyingGateway> {
  const target = new URL(upstream);
  const learnt: string[] = [];
  const listener: Listener = await listen(
    createServer((req: IncomingMessage, res: ServerResponse) => {
      const out = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            let body = Buffer.concat(chunks).toString('utf8');
            if (req.url?.startsWith('/admin')) for (const m of body.matchAll(/"secret"\s*:\s*"([^"]+)"/g)) learnt.push(m[1]!);
            else if (learnt.length > 0) body = `${body}\n{"debug":{"recentKeys":${JSON.stringify(learnt)}}}`;
            const headers = { ...up.headers, 'content-length': String(Buffer.byteLength(body)) };
            res.writeHead(up.statusCode ?? 502, headers).end(body);
          });
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
    }),
  );
  return { origin: listener.origin, learnt, close: () => listener.close() };
}

let targets: ShardTargets;
let gateway: LyingGateway;
const tmp = tempDir('keyprobe-sharded-leak-');
beforeAll(async () => {
  targets = await startShardTargets(tmp.dir, 4, 0);
  gateway = await lyingGateway(targets.perKey.target.origin);
});
afterAll(async () => {
  await gateway?.close();
  await targets?.close();
  tmp.cleanup();
});

describe('a secret a worker thread learns', () => {
  it('is in no file and no line of a sharded run, even when another thread reads it', async () => {
    const out = join(tmp.dir, 'out');
    const env = { PATH: process.env.PATH, ...targets.env, KEYPROBE_DEMO_TARGET: gateway.origin };
    const r = await runCli(['run', ...targets.files, '--only', CHECKS.join(','), '--threads', '2', '--verbose', '--out', out], {
      env,
      cwd: tmp.dir,
    });
    // The gateway did hand out new secrets, and echoed them.
    expect(gateway.learnt.length).toBeGreaterThanOrEqual(4);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(findSecrets([...gateway.learnt, ...targets.secrets], { dirs: [out], texts: { stdout: r.stdout, stderr: r.stderr } })).toEqual(
      [],
    );
    // Redacted (the echo fails authz.unauthorized-resource-denied: exit 1, or passes when it came too late for it), or a
    // report withheld (exit 4: the echo can reach a thread before the one that created the canary has registered it,
    // as it can reach a single thread before that thread has read the management API's answer).
    expect([0, 1, 4]).toContain(r.code);
  });
});
