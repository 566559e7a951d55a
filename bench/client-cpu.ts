// 10. Client CPU: keyprobe's own CPU time per request that a check sends
// through HttpClient.send (paced, budgeted, timed out, recorded as redacted
// evidence with a reproduce line), against a reference target in a process
// of its own (so its CPU is not counted), with the secrets of a large run
// registered: 1,000 profile keys with two near misses each, and a canary
// added before every check, as a run of many profiles has them. Two kinds of
// request, batch after batch, alternating: a check's probes on a kept-alive
// connection, and a stability window's probes, each on a fresh connection
// (`freshConnection`, as lifecycle.disabled-key-rejected sends them).
// What it tells: how much of a run's checks phase is keyprobe's own
// bookkeeping per request; the scale benchmark gives the whole run.
import { randomBytes } from 'node:crypto';
import type { Benchmark } from './lib/benchmark.js';
import { fromDist } from './lib/keyprobe.js';
import { formatNumber, show, spread } from './lib/stats.js';
import type { Row } from './lib/table.js';
import { startTargetChild } from './lib/target-child.js';

type ClientModule = typeof import('../src/http/client.js');
type SecretsModule = typeof import('../src/secrets.js');

const PROFILE_KEYS = 1000;
/** Checks per batch, each on a client of its own (a check keeps at most 60 exchanges as evidence). */
const CHECKS = 50;
const REQUESTS_PER_CHECK = 40;

export const clientCpu: Benchmark = {
  id: 'client-cpu',
  title: 'Client CPU per request',
  async run(ctx) {
    const { HttpClient, RequestBudget, createDispatcher } = await fromDist<ClientModule>('http/client.js');
    const { SecretRegistry } = await fromDist<SecretsModule>('secrets.js');
    const target = await startTargetChild();
    const key = () => `kp_prod_${randomBytes(24).toString('base64url').replace(/[-_]/g, 'Q')}`;
    try {
      const batch = async (fresh: boolean): Promise<number> => {
        const secrets = new SecretRegistry();
        const keys = Array.from({ length: PROFILE_KEYS }, key);
        for (const k of keys) {
          secrets.add(k, 'key');
          secrets.add(k.slice(0, -1), 'near-miss', { shell: '${KEY%?}' });
          secrets.add(`${k}x`, 'near-miss', { shell: '${KEY}x' });
        }
        const dispatcher = createDispatcher();
        const budget = new RequestBudget(Number.MAX_SAFE_INTEGER);
        const run = new AbortController();
        const before = process.cpuUsage();
        for (let c = 0; c < CHECKS; c++) {
          const http = new HttpClient({
            origin: target.origin,
            auth: { header: 'Authorization', scheme: 'Bearer' },
            primaryKey: keys[c]!,
            timeoutMs: 5000,
            budget,
            secrets,
            dispatcher,
            signal: run.signal,
          });
          const canary = key();
          secrets.add(canary, 'canary');
          for (let i = 0; i < REQUESTS_PER_CHECK; i++)
            await http.send({
              label: fresh ? 'stability window' : `probe ${i}`,
              method: 'GET',
              path: `/v1/agents/agt-${i % 5}`,
              credential: { kind: 'key', secret: fresh ? canary : keys[c]! },
              freshConnection: fresh,
              throttle: 'observe',
            });
        }
        const used = process.cpuUsage(before);
        await dispatcher.close();
        return (used.user + used.system) / (CHECKS * REQUESTS_PER_CHECK);
      };
      const runs = Math.max(3, ctx.runs * 2);
      const kept: number[] = [];
      const fresh: number[] = [];
      // A warm-up pair, not counted: the first batch pays for compiling the code it runs.
      await batch(false);
      await batch(true);
      for (let i = 0; i < runs; i++) {
        kept.push(await batch(false));
        fresh.push(await batch(true));
        ctx.progress(`client CPU: batch ${i + 1}/${runs}`);
      }
      const rows: Row[] = [
        {
          benchmark: 'Client CPU per request',
          scenario: `HttpClient.send, recorded, kept-alive connection (${formatNumber(PROFILE_KEYS, 0)} keys and their near misses registered)`,
          keyprobe: show(spread(kept), 'µs'),
          against: '—',
          result: show(spread(kept), 'µs'),
          goal: '(no goal; reported)',
          status: 'info',
        },
        {
          benchmark: 'Client CPU per request',
          scenario: '… each on a fresh connection (a stability window’s probes)',
          keyprobe: show(spread(fresh), 'µs'),
          against: '—',
          result: show(spread(fresh), 'µs'),
          goal: '(no goal; reported)',
          status: 'info',
        },
      ];
      return {
        rows,
        notes: [
          `keyprobe's CPU time (user + system, process.cpuUsage) per request over ${CHECKS} checks of ${REQUESTS_PER_CHECK} requests each (after a warm-up pair of batches), on a shared machine as much a figure of its load as of keyprobe; the target runs in a process of its own.`,
        ],
      };
    } finally {
      await target.close();
    }
  },
};
