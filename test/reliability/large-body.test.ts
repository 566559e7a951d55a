// A body of hundreds of megabytes: keyprobe keeps a capped excerpt, drops the
// connection and moves on. Memory stays bounded (measured as this process's
// RSS growth, sampled while the run goes) and the server sees the connection
// closed long before the body could have been sent.
import { createServer } from 'node:http';
import { afterEach, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { expectNoCrash, expectNoSecrets, listen, newSecret, runKeyprobe, type Listener } from './helpers.js';

const BODY_BYTES = 512 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, '{"padding":"xxxxxxxxxxxxxxxx"},');

let server: Listener | undefined;
let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  tmp?.cleanup();
});

it('a 512 MiB answer is read as a capped excerpt: RSS grows far less than the body, the connection is dropped early', async () => {
  const streams: { sent: number; closedEarly: boolean }[] = [];
  server = await listen(
    createServer((req, res) => {
      if (!req.headers.authorization) {
        res.writeHead(401, { 'www-authenticate': 'Bearer', 'content-type': 'application/json' }).end('{"error":"missing_key"}');
        return;
      }
      if (req.url === '/small') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"agents":[]}');
      const stream = { sent: 0, closedEarly: false };
      streams.push(stream);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(BODY_BYTES) });
      res.on('close', () => (stream.closedEarly = stream.sent < BODY_BYTES));
      // Write as fast as the client reads (backpressure), until it hangs up.
      const pump = () => {
        while (stream.sent < BODY_BYTES && !res.destroyed) {
          const n = Math.min(CHUNK.length, BODY_BYTES - stream.sent);
          stream.sent += n;
          if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void res.once('drain', pump);
        }
        if (stream.sent >= BODY_BYTES) res.end();
      };
      pump();
    }),
  );

  tmp = tempDir('keyprobe-rel-');
  const secret = newSecret();
  // Warm up: a first run loads the CLI, the checks and the reporters, so the
  // measured growth is the large body's, not module loading's.
  await runKeyprobe(
    tmp,
    { origin: server.origin, allowed: ['GET /small'] },
    { secret, checks: ['auth.valid-key-accepted', 'auth.missing-key-rejected'] },
  );
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  let run: Awaited<ReturnType<typeof runKeyprobe>>;
  try {
    run = await runKeyprobe(
      tmp,
      { origin: server.origin, allowed: ['GET /v1/agents', 'GET /v1/agents/agt-support'], timeoutMs: 5_000 },
      { secret, checks: ['auth.valid-key-accepted', 'auth.missing-key-rejected'] },
    );
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  const growthMiB = (peak - baseline) / 1024 / 1024;
  const sentMiB = streams.map((s) => s.sent / 1024 / 1024);
  // The figures, for docs/reliability.md.
  console.info(
    `large body: RSS growth ${growthMiB.toFixed(1)} MiB for a ${BODY_BYTES / 1024 / 1024} MiB body; server sent ${sentMiB.map((m) => m.toFixed(1)).join(', ')} MiB before the client hung up; run took ${run.elapsedMs.toFixed(0)} ms`,
  );

  expectNoCrash(run);
  expect(run.code, run.stdout).toBe(EXIT.pass);
  const valid = run.checks.find((c) => c.id === 'auth.valid-key-accepted')!;
  expect(valid.verdict).toBe('pass');
  for (const e of valid.evidence) {
    expect(e.status).toBe(200);
    expect(e.bodyTruncated).toBe(true);
    expect(e.bodyExcerpt.length).toBeLessThanOrEqual(2048);
  }
  // The preflight's key probe, then the valid-key check's two. (The missing-key check compares each
  // refusal's body with what the key was served on those GETs, without asking again.)
  expect(streams).toHaveLength(3);
  for (const s of streams) {
    expect(s.closedEarly).toBe(true);
    // A capped read plus whatever the socket buffers held: a sliver of the body.
    expect(s.sent).toBeLessThan(BODY_BYTES / 8);
  }
  expect(growthMiB).toBeLessThan(BODY_BYTES / 1024 / 1024 / 8);
  expect(run.elapsedMs).toBeLessThan(15_000);
  expectNoSecrets([secret], run);
});
