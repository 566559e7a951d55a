// Two reference targets and a handful of generated profiles for the sharded
// run's tests (src/runner/shards.ts): three profiles on a target that limits
// per key, and two on one that limits per client address (rateLimit.scope:
// client), which must share a worker thread: their bursts spend one bucket.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { generateProfiles } from '../../bench/lib/generated-profiles.js';
import { startDemo, type Demo } from '../../src/demo/seed.js';

export interface ShardTargets {
  readonly perKey: Demo;
  readonly perClient: Demo;
  /** Profile files, the per-key target's first. */
  readonly files: string[];
  readonly perClientFiles: string[];
  readonly env: Record<string, string>;
  /** Every secret the targets made for the profiles. */
  readonly secrets: string[];
  close(): Promise<void>;
}

/** The per-client target's limit (requests per 1 s window from one address, every request counted). */
const CLIENT_LIMIT = 20;
const STABILITY_WINDOW_MS = 300;

export async function startShardTargets(
  dir: string,
  perKeyProfiles = 3,
  perClientProfiles = 2,
  opts: { stabilityWindowMs?: number } = {},
): Promise<ShardTargets> {
  const perKey = await startDemo();
  const perClient = await startDemo([], 'prod', 0, [`client-rate-limit=${CLIENT_LIMIT}`]);
  for (const sub of ['per-key', 'per-client']) mkdirSync(join(dir, sub), { recursive: true });
  const a = generateProfiles(perKey.target, perKey.env, perKeyProfiles, join(dir, 'per-key'));
  const b = generateProfiles(perClient.target, perClient.env, perClientProfiles, join(dir, 'per-client'));
  // The per-client target's variables get a prefix of their own (both demos name theirs alike).
  const env: Record<string, string> = { ...a.env };
  for (const [k, v] of Object.entries(b.env)) env[`C_${k}`] = v;
  for (const file of [...a.files, ...b.files]) {
    const perClientFile = b.files.includes(file);
    const text = readFileSync(file, 'utf8');
    const doc = parse(perClientFile ? text.replace(/\$\{env:([A-Z0-9_]+)\}/g, '${env:C_$1}') : text) as Record<
      string,
      Record<string, unknown>
    >;
    // A short stability window after the revocation (by default): the tests are about who runs the probes, not how long they last.
    doc.lifecycle!.stabilityWindowMs = opts.stabilityWindowMs ?? STABILITY_WINDOW_MS;
    if (perClientFile) {
      doc.rateLimit!.scope = 'client';
      doc.rateLimit!.limit = CLIENT_LIMIT;
    }
    writeFileSync(file, stringify(doc));
  }
  return {
    perKey,
    perClient,
    files: [...a.files, ...b.files],
    perClientFiles: b.files,
    env,
    secrets: [...a.secrets, ...b.secrets, ...perKey.secrets, ...perClient.secrets],
    close: async () => {
      await perKey.target.close();
      await perClient.target.close();
    },
  };
}
