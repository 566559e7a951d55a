// 2. Burst throughput: keyprobe's burst generator (src/http/burst.ts, through
// the one HttpClient with its budget, timeouts and redaction) against
// autocannon against the same endpoint with the same number of connections,
// alternating within each run. keyprobe sends a fixed number of requests
// (a burst stops on a count); autocannon runs for a fixed time, because its
// `amount` mode only notices the end on its one-second tick. The endpoint is
// the reference target's /healthz in a process of its own, so the generator
// and the server each get a core.
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import type { Benchmark } from './lib/benchmark.js';
import { fromDist, inDist } from './lib/keyprobe.js';
import { startTargetChild } from './lib/target-child.js';
import { formatNumber, show, spread } from './lib/stats.js';
import { notMeasured, type Row } from './lib/table.js';

type BurstModule = typeof import('../src/http/burst.js');
type ClientModule = typeof import('../src/http/client.js');
type SecretsModule = typeof import('../src/secrets.js');

const GOAL_RATIO = 0.9;
const CONNECTIONS = [8, 32];
const REQUESTS = 30_000;
const AUTOCANNON_SECONDS = 2;
const PATH = '/healthz';

export const burstThroughput: Benchmark = {
  id: 'burst',
  title: 'Burst throughput',
  async run(ctx) {
    if (!inDist('http/burst.js')) {
      return {
        rows: [notMeasured('Burst throughput', '—', `≥ ${GOAL_RATIO}× autocannon`, 'src/http/burst.ts is not there yet (issue 4)')],
        notes: [],
      };
    }
    const { runBurst } = await fromDist<BurstModule>('http/burst.js');
    const { createDispatcher, HttpClient, RequestBudget } = await fromDist<ClientModule>('http/client.js');
    const { SecretRegistry } = await fromDist<SecretsModule>('secrets.js');
    // A throwaway key-shaped credential, made now: /healthz does not check it,
    // but both tools send the same Authorization header a real burst carries.
    const key = `kp_prod_${randomBytes(24).toString('base64url').replace(/[-_]/g, 'x').slice(0, 32)}`;
    const secrets = new SecretRegistry();
    secrets.add(key, 'key');

    const target = await startTargetChild();
    const rows: Row[] = [];
    const notes: string[] = [];
    try {
      const keyprobeOnce = async (connections: number): Promise<number> => {
        const dispatcher = createDispatcher({ connections });
        try {
          const http = new HttpClient({
            origin: target.origin,
            auth: { header: 'Authorization', scheme: 'Bearer' },
            primaryKey: key,
            timeoutMs: 5000,
            budget: new RequestBudget(REQUESTS),
            secrets,
            dispatcher,
          });
          const r = await runBurst({
            http,
            label: 'bench burst',
            method: 'GET',
            path: PATH,
            concurrency: connections,
            maxRequests: REQUESTS,
            maxDurationMs: 60_000,
          });
          const ok = r.points.filter((p) => p.accepted).length;
          if (r.errorCount > 0 || ok !== REQUESTS)
            throw new Error(`burst: ${ok}/${REQUESTS} answered 2xx, ${r.errorCount} errors (${r.errors[0] ?? r.stoppedBy})`);
          return (ok / r.durationMs) * 1000;
        } finally {
          await dispatcher.close();
        }
      };
      // The same requests through undici's request() with nothing of keyprobe
      // around it: splits the gap into undici's share and the HttpClient's.
      const undiciOnce = async (connections: number): Promise<number> => {
        const agent = new Agent({ connections, keepAliveTimeout: 4_000 });
        const headers = { authorization: `Bearer ${key}`, 'user-agent': 'keyprobe', accept: 'application/json, */*;q=0.5' };
        let left = REQUESTS;
        const t0 = performance.now();
        try {
          await Promise.all(
            Array.from({ length: connections }, async () => {
              while (left-- > 0) {
                const res = await request(`${target.origin}${PATH}`, { dispatcher: agent, headers });
                await res.body.text();
                if (res.statusCode !== 200) throw new Error(`undici: ${res.statusCode}`);
              }
            }),
          );
          return (REQUESTS / (performance.now() - t0)) * 1000;
        } finally {
          await agent.close();
        }
      };
      const autocannonOnce = async (connections: number): Promise<number> => {
        const r = await autocannon({
          url: `${target.origin}${PATH}`,
          connections,
          pipelining: 1,
          duration: AUTOCANNON_SECONDS,
          headers: { authorization: `Bearer ${key}`, 'user-agent': 'keyprobe', accept: 'application/json, */*;q=0.5' },
        });
        if (r.errors > 0 || r.non2xx > 0) throw new Error(`autocannon: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
        // `duration` is the measured run time in seconds (≈ AUTOCANNON_SECONDS).
        return r.requests.total / r.duration;
      };

      notes.push(
        `keyprobe and undici alone: ${REQUESTS.toLocaleString('en-US')} requests per run; autocannon: ${AUTOCANNON_SECONDS} s per run; all GET /healthz of a reference target in its own process, with the same Authorization header. "undici request() alone" is the HTTP library keyprobe uses, called in a plain loop: the gap between it and autocannon is the library's, the gap between keyprobe and it is keyprobe's own (HttpClient and burst generator).`,
      );
      // One untimed round of each, so both start with a warm JIT and server.
      await keyprobeOnce(CONNECTIONS[0]!);
      await autocannonOnce(CONNECTIONS[0]!);
      await undiciOnce(CONNECTIONS[0]!);
      for (const connections of CONNECTIONS) {
        const ours: number[] = [];
        const theirs: number[] = [];
        const ratios: number[] = [];
        const raw: number[] = [];
        for (let i = 0; i < ctx.runs; i++) {
          // Alternate who goes first, so neither always meets a hotter or colder machine.
          const first = i % 2 === 0;
          const a = first ? await keyprobeOnce(connections) : 0;
          const b = await autocannonOnce(connections);
          const c = first ? a : await keyprobeOnce(connections);
          raw.push(await undiciOnce(connections));
          ours.push(c);
          theirs.push(b);
          ratios.push(c / b);
          ctx.progress(
            `${connections} connections, run ${i + 1}/${ctx.runs}: keyprobe ${formatNumber(c, 0)} req/s, autocannon ${formatNumber(b, 0)} req/s, undici request() alone ${formatNumber(raw.at(-1)!, 0)} req/s`,
          );
        }
        const ratio = spread(ratios);
        rows.push({
          benchmark: 'Burst throughput',
          scenario: `GET /healthz, ${connections} connections`,
          keyprobe: show(spread(ours), 'req/s', 0),
          against: `autocannon: ${show(spread(theirs), 'req/s', 0)}`,
          result: `${formatNumber(ratio.median, 2)}× (${formatNumber(ratio.min, 2)}–${formatNumber(ratio.max, 2)})`,
          goal: `≥ ${GOAL_RATIO}× autocannon`,
          status: ratio.median >= GOAL_RATIO ? 'met' : 'MISSED',
        });
        const rawSpread = spread(raw);
        rows.push({
          benchmark: 'Burst throughput',
          scenario: `… undici request() alone, ${connections} connections (where the gap lies)`,
          keyprobe: show(rawSpread, 'req/s', 0),
          against: `autocannon: ${show(spread(theirs), 'req/s', 0)}`,
          result: `${formatNumber(rawSpread.median / spread(theirs).median, 2)}× autocannon; keyprobe = ${formatNumber(spread(ours).median / rawSpread.median, 2)}× undici alone`,
          goal: '(reported)',
          status: 'info',
        });
      }
    } finally {
      await target.close();
    }
    return { rows, notes };
  },
};
