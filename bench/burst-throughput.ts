// 2. Burst throughput: keyprobe's burst generator (src/http/burst.ts, through
// the one HttpClient with its budget, timeouts, origin lock and redaction, and
// every request's send order and status kept) against autocannon against the
// same endpoint with the same number of connections, alternating within each
// run. keyprobe sends a fixed number of requests (a burst stops on a count);
// autocannon runs for a fixed time, because its `amount` mode only notices the
// end on its one-second tick. The endpoint is the reference target's /healthz
// in a process of its own, so the generator and the server each get a core.
//
// The goal rows pipeline keyprobe's GETs 4 deep on each connection (as a burst
// does once it needs more than 64 requests in flight); autocannon runs with
// its default, no pipelining. Info rows give keyprobe without pipelining,
// autocannon with the same pipelining, undici's dispatch alone (the library's
// ceiling, no bookkeeping) and the generator's CPU time per request, which the
// machine's other load hardly moves.
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import type { Benchmark } from './lib/benchmark.js';
import { fromDist, inDist } from './lib/keyprobe.js';
import { startTargetChild } from './lib/target-child.js';
import { formatNumber, show, spread, type Spread } from './lib/stats.js';
import { notMeasured, type Row } from './lib/table.js';

type BurstModule = typeof import('../src/http/burst.js');
type ClientModule = typeof import('../src/http/client.js');
type SecretsModule = typeof import('../src/secrets.js');

const GOAL_RATIO = 1.0;
const CONNECTIONS = [8, 32];
/** Requests in flight on one connection in the goal rows (GET is safe to pipeline). */
const PIPELINING = 4;
const REQUESTS = 30_000;
const AUTOCANNON_SECONDS = 2;
const PATH = '/healthz';

interface Measured {
  /** Requests answered per second. */
  readonly rate: number;
  /** CPU time of this (the generator's) process per request, in µs. */
  readonly cpuUsPerRequest: number;
}

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
    const headers = { authorization: `Bearer ${key}`, 'user-agent': 'keyprobe', accept: 'application/json, */*;q=0.5' };

    const target = await startTargetChild();
    const rows: Row[] = [];
    const notes: string[] = [];
    try {
      const timed = async (requests: () => Promise<number>): Promise<Measured> => {
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const n = await requests();
        const ms = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        return { rate: (n / ms) * 1000, cpuUsPerRequest: (cpu.user + cpu.system) / n };
      };
      // keyprobe's burst as the rate checks run it: HttpClient, budget, timeouts, bookkeeping.
      const keyprobeOnce = (connections: number, pipelining: number) =>
        timed(async () => {
          const dispatcher = createDispatcher();
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
              concurrency: connections * pipelining,
              pipelining,
              maxRequests: REQUESTS,
              maxDurationMs: 60_000,
            });
            const ok = r.points.filter((p) => p.accepted).length;
            if (r.errorCount > 0 || ok !== REQUESTS || r.connections !== connections)
              throw new Error(
                `burst: ${ok}/${REQUESTS} answered 2xx over ${r.connections} connections, ${r.errorCount} errors (${r.errors[0] ?? r.stoppedBy})`,
              );
            return ok;
          } finally {
            await dispatcher.close();
          }
        });
      // The same requests through undici's dispatch with nothing of keyprobe
      // around it (no budget, no bookkeeping): the library's own ceiling.
      const undiciOnce = (connections: number, pipelining: number) =>
        timed(async () => {
          const pool = new Pool(target.origin, { connections, pipelining, keepAliveTimeout: 4_000 });
          let left = REQUESTS;
          let done = 0;
          try {
            await new Promise<void>((resolve, reject) => {
              const next = () => {
                if (left-- <= 0) return;
                pool.dispatch(
                  { path: PATH, method: 'GET', headers, blocking: pipelining === 1 },
                  {
                    // undici takes a handler without onRequestStart for one of the old API.
                    onRequestStart: () => undefined,
                    onResponseStart: (_c, status) => {
                      if (status !== 200) reject(new Error(`undici: ${status}`));
                    },
                    onResponseEnd: () => {
                      if (++done === REQUESTS) resolve();
                      else next();
                    },
                    onResponseError: (_c, err) => reject(err),
                  },
                );
              };
              for (let i = 0; i < connections * pipelining; i++) next();
            });
            return REQUESTS;
          } finally {
            await pool.close();
          }
        });
      const autocannonOnce = async (connections: number, pipelining: number): Promise<Measured> => {
        const cpu0 = process.cpuUsage();
        const r = await autocannon({
          url: `${target.origin}${PATH}`,
          connections,
          pipelining,
          duration: AUTOCANNON_SECONDS,
          headers,
        });
        const cpu = process.cpuUsage(cpu0);
        if (r.errors > 0 || r.non2xx > 0) throw new Error(`autocannon: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
        // `duration` is the measured run time in seconds (≈ AUTOCANNON_SECONDS).
        return { rate: r.requests.total / r.duration, cpuUsPerRequest: (cpu.user + cpu.system) / r.requests.total };
      };

      const runs = Math.max(ctx.runs, 5);
      notes.push(
        `keyprobe and undici alone: ${REQUESTS.toLocaleString('en-US')} requests per run; autocannon: ${AUTOCANNON_SECONDS} s per run; ${runs} runs of each, alternating who goes first; all GET /healthz of a reference target in its own process, with the same Authorization header. Pipelining: the goal rows pipeline keyprobe's GETs ${PIPELINING} deep per connection (what a burst does once it needs more than 64 requests in flight; only GET and HEAD are ever pipelined) against autocannon's default of none; the info rows give both without it and both with it. "undici dispatch alone" is the library keyprobe uses, called in a plain loop without budget, timeouts or bookkeeping: keyprobe's own cost is the gap to it. CPU µs/request is the bench process's CPU time (the generator's; the server runs in another process) per request answered.`,
      );
      // One untimed round of each, so all start with a warm JIT and server.
      await keyprobeOnce(CONNECTIONS[0]!, PIPELINING);
      await autocannonOnce(CONNECTIONS[0]!, 1);
      await undiciOnce(CONNECTIONS[0]!, 1);
      for (const connections of CONNECTIONS) {
        const m = {
          kpPiped: [] as Measured[],
          kpPlain: [] as Measured[],
          ac: [] as Measured[],
          acPiped: [] as Measured[],
          undici: [] as Measured[],
        };
        const ratios: number[] = [];
        const plainRatios: number[] = [];
        for (let i = 0; i < runs; i++) {
          // Alternate who goes first, so neither always meets a hotter or colder machine.
          const keyprobeFirst = i % 2 === 0;
          if (keyprobeFirst) m.kpPiped.push(await keyprobeOnce(connections, PIPELINING));
          m.ac.push(await autocannonOnce(connections, 1));
          if (!keyprobeFirst) m.kpPiped.push(await keyprobeOnce(connections, PIPELINING));
          m.kpPlain.push(await keyprobeOnce(connections, 1));
          m.acPiped.push(await autocannonOnce(connections, PIPELINING));
          m.undici.push(await undiciOnce(connections, 1));
          ratios.push(m.kpPiped.at(-1)!.rate / m.ac.at(-1)!.rate);
          plainRatios.push(m.kpPlain.at(-1)!.rate / m.ac.at(-1)!.rate);
          ctx.progress(
            `${connections} connections, run ${i + 1}/${runs}: keyprobe ${rate(m.kpPiped.at(-1)!)} (pipelined ${PIPELINING}), ${rate(m.kpPlain.at(-1)!)} (not pipelined); autocannon ${rate(m.ac.at(-1)!)}, ${rate(m.acPiped.at(-1)!)} (pipelined ${PIPELINING}); undici dispatch alone ${rate(m.undici.at(-1)!)}`,
          );
        }
        const rates = (xs: Measured[]) => spread(xs.map((x) => x.rate));
        const cpu = (xs: Measured[]) => spread(xs.map((x) => x.cpuUsPerRequest));
        const ratio = spread(ratios);
        const plainRatio = spread(plainRatios);
        rows.push({
          benchmark: 'Burst throughput',
          scenario: `GET /healthz, ${connections} connections (keyprobe pipelined ${PIPELINING} deep)`,
          keyprobe: show(rates(m.kpPiped), 'req/s', 0),
          against: `autocannon: ${show(rates(m.ac), 'req/s', 0)}`,
          result: times(ratio),
          goal: `≥ ${GOAL_RATIO.toFixed(1)}× autocannon`,
          status: ratio.median >= GOAL_RATIO ? 'met' : 'MISSED',
        });
        rows.push({
          benchmark: 'Burst throughput',
          scenario: `… keyprobe not pipelined, ${connections} connections`,
          keyprobe: show(rates(m.kpPlain), 'req/s', 0),
          against: `autocannon: ${show(rates(m.ac), 'req/s', 0)}`,
          result: times(plainRatio),
          goal: '(reported)',
          status: 'info',
        });
        rows.push({
          benchmark: 'Burst throughput',
          scenario: `… both pipelined ${PIPELINING} deep, ${connections} connections`,
          keyprobe: show(rates(m.kpPiped), 'req/s', 0),
          against: `autocannon: ${show(rates(m.acPiped), 'req/s', 0)}`,
          result: `${formatNumber(rates(m.kpPiped).median / rates(m.acPiped).median, 2)}× (ratio of medians)`,
          goal: '(reported)',
          status: 'info',
        });
        rows.push({
          benchmark: 'Burst throughput',
          scenario: `… undici dispatch alone, not pipelined, ${connections} connections (the library's ceiling)`,
          keyprobe: show(rates(m.undici), 'req/s', 0),
          against: `keyprobe not pipelined: ${show(rates(m.kpPlain), 'req/s', 0)}`,
          result: `keyprobe = ${formatNumber(rates(m.kpPlain).median / rates(m.undici).median, 2)}× undici alone`,
          goal: '(reported)',
          status: 'info',
        });
        rows.push({
          benchmark: 'Burst throughput',
          scenario: `… generator CPU per request, ${connections} connections, not pipelined`,
          keyprobe: show(cpu(m.kpPlain), 'µs', 1),
          against: `autocannon: ${show(cpu(m.ac), 'µs', 1)}; undici alone: ${show(cpu(m.undici), 'µs', 1)}`,
          result: `pipelined ${PIPELINING}: keyprobe ${show(cpu(m.kpPiped), 'µs', 1)}, autocannon ${show(cpu(m.acPiped), 'µs', 1)}`,
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

function rate(m: Measured): string {
  return `${formatNumber(m.rate, 0)} req/s`;
}

function times(s: Spread): string {
  return `${formatNumber(s.median, 2)}× (${formatNumber(s.min, 2)}–${formatNumber(s.max, 2)})`;
}
